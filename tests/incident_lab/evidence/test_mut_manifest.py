"""The manifest's canonical bytes and seal, pinned (issue 14, mutation testing of
evidence/manifest.py): every ``manifest edited:`` sentence ``verify`` prints."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from incident_lab.evidence import manifest as mf
from incident_lab.evidence import take_snapshot
from incident_lab.evidence.manifest import (
    HASHED_FILES,
    MANIFEST_VERSION,
    collector,
    content_digest,
    manifest_problems,
    serialise,
)
from tests.incident_lab.evidence.conftest import make_session, write_jsonl

NOW = datetime(2026, 2, 1, 13, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("mf")
    log = write_jsonl(root / "log.jsonl", [make_session(i) for i in range(3)])
    snap = take_snapshot([log], out=root / "out", now=NOW)
    return json.loads((snap.bundle / "manifest.json").read_bytes())


def test_file_names() -> None:
    assert MANIFEST_VERSION == "manifest/v1"
    assert (mf.MANIFEST, mf.SIGNATURE) == ("manifest.json", "manifest.sig")
    assert HASHED_FILES == ("trajectories.jsonl", "metrics.json", "rejects.jsonl")


def test_collector_names_user_and_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mf.getpass, "getuser", lambda: "alice")
    monkeypatch.setattr(mf.socket, "gethostname", lambda: "box")
    assert collector() == {"user": "alice", "host": "box"}

    def no_user() -> str:
        raise KeyError("uid")

    monkeypatch.setattr(mf.getpass, "getuser", no_user)
    monkeypatch.setattr(mf.socket, "gethostname", lambda: "")
    assert collector() == {"user": "unknown", "host": "unknown"}

    def os_error() -> str:
        raise OSError("no tty")

    monkeypatch.setattr(mf.getpass, "getuser", os_error)
    assert collector()["user"] == "unknown"


def test_content_digest_covers_every_field_but_the_seal() -> None:
    doc = {"b": 1, "a": "é", "manifest_sha256": "x"}
    expected = hashlib.sha256('{"a":"é","b":1}'.encode()).hexdigest()
    assert content_digest(doc) == expected
    assert content_digest({"a": "é", "b": 1}) == expected
    assert content_digest({"a": "é", "b": 2}) != expected


def test_serialise_seals_and_renders_the_canonical_form() -> None:
    doc: dict[str, Any] = {"z": [1, {"y": "é"}], "a": None}
    data = serialise(doc)
    assert doc["manifest_sha256"] == content_digest(doc)
    assert (
        data
        == (
            "{\n"
            '  "a": null,\n'
            f'  "manifest_sha256": "{doc["manifest_sha256"]}",\n'
            '  "z": [\n'
            "    1,\n"
            "    {\n"
            '      "y": "é"\n'
            "    }\n"
            "  ]\n"
            "}\n"
        ).encode()
    )


def test_a_real_manifest_is_clean(real: dict[str, Any]) -> None:
    data = serialise(copy.deepcopy(real))
    parsed, problems = manifest_problems(data)
    assert problems == [] and parsed == json.loads(data)


def test_a_changed_field_is_named(real: dict[str, Any]) -> None:
    doc = copy.deepcopy(real)
    data = serialise(doc)
    edited = json.loads(data)
    edited["collected_at"] = "2026-02-01T13:00:01Z"
    parsed, problems = manifest_problems(
        (json.dumps(edited, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    )
    assert parsed == edited
    assert problems == [
        "manifest edited: manifest.json content does not match its manifest_sha256 "
        "(a field was changed after collection)"
    ]


def test_non_canonical_bytes_are_named(real: dict[str, Any]) -> None:
    data = serialise(copy.deepcopy(real))
    doc = json.loads(data)
    unsorted = dict(reversed(list(doc.items())))
    for variant in (
        data.rstrip(b"\n"),
        data + b"\n",
        data.replace(b"\n  ", b"\n   ", 1),
        json.dumps(unsorted, indent=2, ensure_ascii=False).encode() + b"\n",
        json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False).encode() + b"\n",
        json.dumps(doc, sort_keys=True, ensure_ascii=False).encode() + b"\n",
    ):
        parsed, problems = manifest_problems(variant)
        assert problems == [
            "manifest edited: manifest.json is not byte-for-byte in its canonical form"
        ], variant[:80]
        assert parsed is not None


def test_schema_problems_stop_the_check_and_say_if_unsealed(real: dict[str, Any]) -> None:
    doc = copy.deepcopy(real)
    doc["schema_version"] = "manifest/v0"
    sealed = serialise(doc)
    parsed, problems = manifest_problems(sealed)
    assert (
        parsed is None
        and problems
        and all(p.startswith("manifest edited: manifest.json: ") for p in problems)
    )
    edited = json.loads(sealed)
    edited["manifest_sha256"] = "0" * 64
    parsed2, problems2 = manifest_problems(json.dumps(edited).encode())
    assert parsed2 is None
    assert (
        problems2[-1] == "manifest edited: manifest.json content does not match its manifest_sha256"
    )
    assert problems2[:-1] == problems


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"[1]", "manifest edited: manifest.json is not a JSON object"),
        (b'"x"', "manifest edited: manifest.json is not a JSON object"),
        (
            b"[" * 100_000 + b"]" * 100_000,
            "manifest edited: manifest.json is nested too deeply to be a manifest",
        ),
    ],
)
def test_unparseable_manifests(data: bytes, problem: str) -> None:
    assert manifest_problems(data) == (None, [problem])


def test_invalid_json_and_encoding() -> None:
    parsed, problems = manifest_problems(b"{bad")
    assert parsed is None and len(problems) == 1
    assert problems[0].startswith("manifest edited: manifest.json is not valid JSON (Expecting")
    parsed2, problems2 = manifest_problems(b"\xff{}")
    assert parsed2 is None and problems2[0].startswith(
        "manifest edited: manifest.json is not valid JSON ("
    )


def test_an_object_that_is_no_manifest_lists_schema_problems_then_the_seal() -> None:
    parsed, problems = manifest_problems(b'{"x":' * 300 + b"{}" + b"}" * 300)
    assert parsed is None
    assert problems[0] == (
        "manifest edited: manifest.json: (root): 'schema_version' is a required property"
    )
    assert problems[-1] == (
        "manifest edited: manifest.json content does not match its manifest_sha256"
    )


@pytest.mark.parametrize("error", [RecursionError, ValueError])
def test_a_manifest_the_checks_cannot_handle_is_named(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    def boom(document: Any, schema: str) -> list[str]:
        raise error("deep")

    monkeypatch.setattr(mf, "validation_errors", boom)
    assert manifest_problems(b"{}") == (
        None,
        [f"manifest edited: manifest.json cannot be checked ({error.__name__})"],
    )
