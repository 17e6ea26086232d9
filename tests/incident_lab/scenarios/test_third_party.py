"""Right the first time on incidents shaped like public third-party material.

``data/third_party_incidents.jsonl`` (built by hand in the shapes of public agent-security
benchmarks: AgentDojo's banking / slack / travel / workspace suites with their
"<INFORMATION> ... before you solve the task" injections, InjecAgent's smart-lock review,
coding agents' README and issue comments, German, French, Spanish, Italian and Portuguese
injections, a memory store, a marker echo, a system-prompt leak, a password change, a
hijack whose tool the user's own task also calls) carries no labels: ``add`` must localise each incident from the
provenance view alone. The truth below is independent of ``add``: the attacker's step, and
the *fixed* agent's trajectory (the recording without that step, every legitimate call
kept, including those after it). A scenario is right when its expectations fail on the
recording and pass on that fixed trajectory.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.errors import UsageError
from incident_lab.expectations import evaluate_all
from incident_lab.scenarios.library import add_from_path

DATA = Path(__file__).parent / "data" / "third_party_incidents.jsonl"

#: session id -> the attacker's step (a tool call, or the obedient answer).
TRUTH = {
    "bank-1": 6,
    "slack-1": 6,
    "travel-1": 4,
    "ws-1": 4,
    "code-1": 4,
    "de-1": 4,
    "echo-1": 4,
    "pw-1": 4,
    "mail-2": 4,
    "fr-1": 4,
    "es-1": 4,
    "it-1": 4,
    "pt-1": 4,
    "mem-1": 4,
    "code-2": 4,
    "ia-lock": 4,
    "leak-1": 4,
}

#: Sessions the provenance view does not localise on its own (an InjecAgent-style review
#: with no cue addressed to the model; a leak of a short system prompt): the on-call names
#: the step with --unsafe-step, and the scenario must then be right.
NAMED_STEP = {"ia-lock", "leak-1"}


def _fixed(recording: dict[str, Any], attack: int) -> dict[str, Any]:
    """The recording with the attacker's step (and its result) removed; an obedient answer
    becomes an answer to the user."""
    fixed = copy.deepcopy(recording)
    steps = fixed["steps"]
    if steps[attack]["type"] == "message":
        steps[attack]["content"] = "Here is what the page says about the markets: flat today."
        return fixed
    del steps[attack : attack + 2]
    return fixed


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    lib = tmp_path_factory.mktemp("lib")
    return {
        sid: add_from_path(
            DATA,
            session=sid,
            scenarios_dir=lib,
            unsafe_steps=[TRUTH[sid]] if sid in NAMED_STEP else None,
        ).scenario
        for sid in TRUTH
    }


@pytest.mark.parametrize("sid", sorted(TRUTH))
def test_scenario_catches_the_incident_and_passes_the_fixed_agent(
    added: dict[str, dict[str, Any]], sid: str
) -> None:
    """Fails on the recording; passes on the fixed agent's run (legit calls after the attack
    included, which the counterfactual does not contain)."""
    doc = added[sid]
    specs = doc["expectations"]
    assert any(not r.passed for r in evaluate_all(doc["recording"], specs))
    fixed = _fixed(doc["recording"], TRUTH[sid])
    assert [r.message for r in evaluate_all(fixed, specs) if not r.passed] == []
    assert doc["provenance"]["unsafe_steps"][0] == TRUTH[sid]
    if sid not in NAMED_STEP:
        assert doc["payload"]["method"] == "provenance"


def test_the_payload_is_the_whole_injected_span(added: dict[str, dict[str, Any]]) -> None:
    """The AgentDojo-style block is taken whole, from its opening tag to its signature."""
    text = added["bank-1"]["payload"]["text"]
    assert text.startswith("<INFORMATION>") and text.endswith("</INFORMATION>")
    # The benchmark's IBAN fails mod-97, so it is no one's account and stays as it is; the
    # expectation pins it, not the bill's legitimate payee the fixed agent still pays.
    spec = added["bank-1"]["expectations"][0]
    assert spec["arguments"] == {"recipient": "US133000000121212121212"}
    assert "US133000000121212121212" in text


def test_an_ignored_injection_cannot_be_localised(tmp_path: Path) -> None:
    """A near miss (the agent ignored the injection) has no unsafe step: exit 3 naming it."""
    with pytest.raises(UsageError, match="cannot localise the incident in session 'ignored-1'"):
        add_from_path(DATA, session="ignored-1", scenarios_dir=tmp_path)


def test_every_session_in_the_data_is_covered() -> None:
    """The truth table and the data file list the same sessions (plus the near miss)."""
    ids = {json.loads(line)["session_id"] for line in DATA.read_text().splitlines()}
    assert ids == set(TRUTH) | {"ignored-1"}
