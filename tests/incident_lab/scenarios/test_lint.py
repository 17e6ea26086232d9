"""lint: every problem named by file and field; exit 6 when any."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from incident_lab.cli.main import main
from incident_lab.scenarios.library import add_from_path
from incident_lab.scenarios.lint import lint_library

from .conftest import injected_trajectory, write_jsonl


@pytest.fixture
def one(tmp_path: Path, library: Path) -> Path:
    src = write_jsonl(tmp_path / "i.jsonl", [injected_trajectory()])
    return add_from_path(
        src, scenarios_dir=library, failure_mode="prompt_injection", severity="SEV-1"
    ).path


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _problems(library: Path) -> list[str]:
    return [p.render() for p in lint_library(library).problems]


def test_clean_library_has_no_problems(library: Path, one: Path) -> None:
    """A freshly added scenario is lint-clean."""
    assert _problems(library) == []


def test_wrong_severity_is_named_by_file_and_field(library: Path, one: Path) -> None:
    """A hand-edited severity fails schema validation at taxonomy/severity."""
    _edit(one, lambda d: d["taxonomy"].__setitem__("severity", "SEV-9"))
    assert any(
        p.startswith(f"{one}: taxonomy/severity: 'SEV-9' is not one of") for p in _problems(library)
    )


def test_unknown_failure_mode_and_external_id(library: Path, one: Path) -> None:
    """Failure mode and external ids must exist in the taxonomy."""

    def change(d):  # type: ignore[no-untyped-def]
        d["taxonomy"]["failure_mode"] = "gremlins"
        d["taxonomy"]["external_ids"]["owasp_llm"].append("LLM99:2025")

    _edit(one, change)
    problems = _problems(library)
    assert any("taxonomy/failure_mode: 'gremlins' is not a failure mode" in p for p in problems)
    assert any("taxonomy/external_ids" in p and "LLM99:2025" in p for p in problems)


def test_id_must_match_file_name_and_be_unique(library: Path, one: Path) -> None:
    """A copy under another name is reported twice: wrong file name, duplicate id."""
    (library / "copy.yaml").write_text(one.read_text())
    problems = _problems(library)
    assert any(
        p.startswith(f"{library / 'copy.yaml'}: id:") and "does not match" in p for p in problems
    )
    assert any("is also used by" in p for p in problems)


def test_unredacted_secret_is_reported_without_its_value(library: Path, one: Path) -> None:
    """A real email pasted into a turn is found; the message names the kind, not the value."""
    _edit(one, lambda d: d["replay"]["turns"][0].__setitem__("content", "mail bob.jones@corp.com"))
    problems = [p for p in _problems(library) if "unredacted" in p]
    assert problems == [
        f"{one}: replay/turns/0/content: unredacted EMAIL (re-run 'incident_lab add' to replace it with a surrogate; never commit the value)"
    ]


def test_expectations_that_pass_on_the_recording_are_reported(library: Path, one: Path) -> None:
    """An expectation edited so it no longer catches the incident fails lint."""
    _edit(
        one,
        lambda d: d.__setitem__(
            "expectations", [{"kind": "no_tool_call", "tool": "delete_everything"}]
        ),
    )
    assert any(
        "expectations: all 1 expectation(s) pass on the recording" in p for p in _problems(library)
    )


def test_unknown_expectation_kind_and_moved_payload(library: Path, one: Path) -> None:
    """An unknown kind is named at its index; a payload no longer in its fixture is named."""

    def change(d):  # type: ignore[no-untyped-def]
        d["expectations"].append({"kind": "vibes"})
        d["payload"]["text"] = "not there"

    _edit(one, change)
    problems = _problems(library)
    assert any("expectations/1: unknown expectation kind 'vibes'" in p for p in problems)
    assert any("payload/text: not found verbatim in replay/fixtures/0" in p for p in problems)


def test_yaml_object_construction_is_refused(
    library: Path, one: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A !!python/object/apply tag is a lint problem (with its line), never executed; exit 6."""
    evil = library / "evil.yaml"
    evil.write_text("id: evil\ntitle: !!python/object/apply:os.system ['touch pwned']\n")
    problems = _problems(library)
    assert any(p.startswith(f"{evil}: line 2:") for p in problems)
    assert not Path("pwned").exists()
    with pytest.raises(SystemExit) as info:
        main(["lint", str(library)])
    out, err = capsys.readouterr()
    assert info.value.code == 6 and "evil.yaml" in out and "problem(s)" in err
    with pytest.raises(SystemExit) as info:
        main(["show", "evil", "--scenarios-dir", str(library)])
    assert info.value.code == 3 and "evil.yaml:2:" in capsys.readouterr().err


def test_lint_json_and_missing_dir(
    tmp_path: Path, library: Path, one: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json reports ok/checked/problems; a missing directory is exit 3."""
    with pytest.raises(SystemExit) as info:
        main(["lint", str(library), "--json"])
    assert info.value.code == 0
    import json

    assert json.loads(capsys.readouterr().out) == {"ok": True, "checked": 1, "problems": []}
    with pytest.raises(SystemExit) as info:
        main(["lint", str(tmp_path / "none")])
    assert info.value.code == 3


def test_yaml_aliases_are_refused_in_scenarios(library: Path, one: Path) -> None:
    """A scenario using anchors and aliases (a billion-laughs shape) is refused with its line."""
    text = one.read_text()
    bomb = "lol: &a [x, x]\nlol2: &b [*a, *a]\n"
    (library / "bomb.yaml").write_text(bomb + text.replace(f"id: {one.stem}", "id: bomb"))
    problems = _problems(library)
    assert any(
        p.startswith(f"{library / 'bomb.yaml'}: line 2: YAML: aliases (*anchor) are not allowed")
        for p in problems
    )


def test_shared_objects_are_dumped_without_anchors() -> None:
    """dump_scenario writes a repeated object twice, so its own output loads without aliases."""
    from incident_lab.scenarios.io import dump_scenario

    shared = {"a": 1}
    assert "&" not in dump_scenario({"x": shared, "y": shared})


def test_suite_files_are_linted(tmp_path: Path, library: Path, one: Path) -> None:
    """A malformed, invalid, misnamed or symlinked-out suite is a problem naming the file."""
    suites = library / "suites"
    suites.mkdir()
    (suites / "ok.yaml").write_text(f"name: ok\nscenarios: [{one.stem}]\n")
    assert _problems(library) == []
    assert lint_library(library).checked == 2
    (suites / "broken.yaml").write_text("name: [x\n")
    (suites / "typed.yaml").write_text("name: 5\nrepeats: -1\n")
    (suites / "other.yaml").write_text("name: ok\n")
    secret = tmp_path / "secret.env"
    secret.write_text("name: AKIAEXAMPLESECRET\n")
    (suites / "linked.yaml").symlink_to(secret)
    problems = _problems(library)
    assert any(p.startswith(f"{suites / 'broken.yaml'}: line ") for p in problems)
    assert any(p.startswith(f"{suites / 'typed.yaml'}: name: 5 is not of type") for p in problems)
    assert any(p.startswith(f"{suites / 'typed.yaml'}: repeats: ") for p in problems)
    assert any(p.startswith(f"{suites / 'other.yaml'}: name: ") for p in problems)
    assert any(p.startswith(f"{suites / 'linked.yaml'}: (file): ") for p in problems)
    assert not any("AKIAEXAMPLESECRET" in p for p in problems)
    assert len(problems) == 5


def test_a_symlinked_suites_dir_is_not_read(tmp_path: Path, library: Path, one: Path) -> None:
    """suites/ leading out of the library is one problem; nothing behind it is read."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.yaml").write_text("name: [broken\n")
    (library / "suites").symlink_to(outside)
    assert _problems(library) == [
        f"{library / 'suites'}: (file): suites directory path goes "
        f"through a symlink ({library / 'suites'}); refusing to read "
        "or write through it"
    ]


def test_a_secret_escaped_in_a_served_json_fixture_is_found(library: Path, one: Path) -> None:
    """rev-s35c M1: a fixture served as the tool recorded it holds JSON; a value written
    with an escape (``\\u0040``), or under a secret key in a field's own JSON text, is still
    a personal value or a secret as read."""
    contacts = '[{"name": "Ana Ruiz", "email": "ana.ruiz\\u0040gmail.com"}]'
    config = (
        '{"db": "{\\"user\\": \\"svc\\", \\"password\\": \\"Tr0ub4dor-9x!q\\"}", "owner": "ana"}'
    )

    def plant(doc: dict) -> None:  # type: ignore[type-arg]
        fixtures = doc["replay"]["fixtures"]
        for output in (contacts, config):
            fixtures.append({"tool": "lookup", "arguments": {}, "output": output})

    _edit(one, plant)
    problems = _problems(library)
    assert any("output: unredacted EMAIL" in p for p in problems), problems
    assert any("output: unredacted SECRET" in p for p in problems), problems


def test_a_value_written_with_html_references_is_found(library: Path, one: Path) -> None:
    """A recording's output written HTML-escaped (``ana.ruiz&#64;gmail.com``) holds the
    address: the analysis reads it and a replayed tool serves it."""

    def plant(doc: dict) -> None:  # type: ignore[type-arg]
        doc["replay"]["fixtures"].append(
            {"tool": "lookup", "arguments": {}, "output": "Ana Ruiz &lt;ana.ruiz&#64;gmail.com&gt;"}
        )

    _edit(one, plant)
    assert any("output: unredacted EMAIL" in p for p in _problems(library))
