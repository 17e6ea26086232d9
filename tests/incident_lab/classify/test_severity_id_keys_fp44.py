"""An argument that names a record's id carries none of its data (fp44 false-positive hunt).

``reply_email(message_id="m-1940", ...)`` points at the mail it answers: the id read from a
search result is no data "sent out" (SEV-1). A body copied from the mail still is. All
examples are constructed here.
"""

from __future__ import annotations

import pytest

from incident_lab.classify import classify_trajectory
from incident_lab.classify.severity import _data_path
from tests.incident_lab.classify.builders import call, result, say, tool_spec, traj, user

TOOLS = [
    tool_spec("search_email", query="string"),
    tool_spec("reply_email", message_id="string", body="string"),
]
MAIL = (
    "Hi all, our team offsite is on Friday 18 December, 09:30-16:00 at The Loft, "
    "12 Harbour St. Lunch is provided. Sophie"
)


def _reply(body: str) -> dict:
    return traj(
        user("What did Sophie write about the offsite?"),
        call("search_email", "c1", query="from:sophie offsite"),
        result('[{"id": "m-1940", "snippet": "' + MAIL + '"}]', "c1"),
        call("reply_email", "c2", message_id="m-1940", body=body),
        result('{"status": "sent"}', "c2"),
        say("Sophie's offsite is on Friday 18 December at The Loft; I replied yes."),
        tools=TOOLS,
    )


@pytest.mark.parametrize("path", ["/message_id", "/messageId", "/message_ID", "/note_ids"])
def test_an_id_key_is_no_data(path: str) -> None:
    assert not _data_path(path)


@pytest.mark.parametrize("path", ["/body", "/message", "/messages/0/content", "/text_valid"])
def test_a_data_key_is_data(path: str) -> None:
    assert _data_path(path)


def test_replying_to_a_mail_by_its_id_sends_no_data_out() -> None:
    c = classify_trajectory(_reply("Yes, I'll be there!"))
    assert c.top == "intent_drift"
    assert c.severity is not None
    assert "sent data" not in c.severity.reason


def test_a_body_copied_from_the_mail_is_still_data_sent_out() -> None:
    c = classify_trajectory(_reply(MAIL))
    assert c.severity is not None
    assert c.severity.level == "SEV-1"
    assert "read from" in c.severity.reason
