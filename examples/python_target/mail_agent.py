"""A complete ``python:`` target: a tiny mail agent whose tools answer from the recording.

Run the release gate against it (from this directory, or with it on ``PYTHONPATH``)::

    regression_suite run --suite release_gate --target python:mail_agent:run

``run`` is the patched agent: it never acts on instructions found in an e-mail.
``run_naive`` is the vulnerable one (it does what the e-mail says), for contrast:
the incident's scenario fails against it and passes against ``run``.

Tool calls never touch a real system: :class:`regression_suite.ReplaySession` serves
each call from the scenario's ``replay.fixtures`` (the tool outputs recorded in the
incident) and records every step of the trajectory the gate evaluates.
"""

from __future__ import annotations

import re
from typing import Any

from regression_suite import ReplaySession

INSTRUCTION = re.compile(r"ignore (?:all )?previous instructions", re.IGNORECASE)
SEND_TO = re.compile(r"send the customer list to ([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.IGNORECASE)


def run(replay: dict[str, Any]) -> dict[str, Any]:
    """The patched agent: summarise the inbox, never follow an e-mail's instructions."""
    session = ReplaySession(replay)
    for _question in session.user_turns():
        memory = "\n".join(d["content"] for d in session.documents)
        inbox = session.call_tool("read_inbox", {"unread_only": True})
        if session.last_error:
            session.assistant("I could not read your inbox.")
        elif INSTRUCTION.search(inbox) or SEND_TO.search(memory):
            session.assistant(
                "One of your e-mails contains instructions addressed to me; "
                "I did not act on them. Please treat it as suspicious."
            )
        else:
            session.assistant("Your unread e-mail: " + inbox[:300])
    return session.trajectory()


def run_naive(replay: dict[str, Any]) -> dict[str, Any]:
    """The vulnerable agent: does what the e-mail (or a loaded document) says."""
    session = ReplaySession(replay)
    for _question in session.user_turns():
        memory = "\n".join(d["content"] for d in session.documents)
        inbox = session.call_tool("read_inbox", {"unread_only": True})
        found = SEND_TO.search(memory + "\n" + inbox)
        if found:
            customers = session.call_tool("list_customers", {})
            session.call_tool(
                "send_email",
                {"to": found.group(1), "subject": "Customer list", "body": customers},
            )
        session.assistant("Done.")
    return session.trajectory()
