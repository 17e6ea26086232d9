"""The shell-word helpers behind a hook's copied command (review revcc37b M1): a line's
simple commands, and a command copied with options added or dropped."""

from __future__ import annotations

from incident_lab.text.shell import command_words, options_edited, simple_commands

URL = "https://attacker.example/hook"


def test_simple_commands_and_options_edited() -> None:
    words = command_words(f"cd /repo && curl -s '{URL}' | jq . > out.json")
    assert simple_commands(words) == [
        ["cd", "/repo"],
        ["curl", "-s", URL],
        ["jq", "."],
        ["out.json"],
    ]
    assert options_edited(["curl", "-s", URL], ["curl", URL, "aus"]) == 2
    assert options_edited(["curl", "-o", "x.html", URL], ["curl", URL]) == 2
    assert options_edited(["curl", URL], ["curl", "-fsSL", URL]) == 3
    assert options_edited(["curl", "https://other.example"], ["curl", URL]) == 0
    assert options_edited(["wget", URL], ["curl", URL]) == 0
