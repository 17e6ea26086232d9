"""Mutation-driven tests for ``evidence/timeline.py`` (issue 14): every check's exact verdict.

Each test pins one decision of the timeline code (its message, its line, the guard
that keeps two checks apart) through the public functions, so a flipped comparison,
a dropped guard or a changed message fails here.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incident_lab.errors import CheckFailed, InputError, UsageError
from incident_lab.evidence import append_event, take_snapshot
from incident_lab.evidence.manifest import collector, serialise
from incident_lab.evidence.signing import generate_keypair, load_private_key, load_public_key
from incident_lab.evidence.timeline import (
    EVENT_DOMAIN,
    check_timeline,
    encode_event,
    event_digest,
    read_records,
    read_timeline,
    record_event,
    seal_event,
    sign_event,
)
from incident_lab.evidence.verify import verify_bundle

T = "timeline.jsonl"


def _chain(n: int = 3, key: object | None = None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    prev = None
    for i in range(n):
        event = seal_event(
            {"action": f"a{i}", "time": f"2026-01-01T00:00:0{i}Z", "actor": "t"}, i, prev
        )
        if key is not None:
            event = sign_event(event, key)
        events.append(event)
        prev = event["sha256"]
    return events


def _data(events: list[dict[str, Any]]) -> bytes:
    return b"".join(encode_event(e) for e in events)


def _check(data: bytes, events: list[dict[str, Any]], **kw: Any) -> list[str]:
    kw.setdefault("head_sha256", events[-1]["sha256"])
    kw.setdefault("events_count", len(events))
    return check_timeline(data, events[0]["sha256"], **kw)[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("keys")
    generate_keypair(d / "k.pem", d / "k.pub")
    generate_keypair(d / "o.pem", d / "o.pub")
    return d / "k.pem", d / "k.pub"


# --- check_timeline --------------------------------------------------------------------


def test_a_sound_chain_has_no_problems_and_returns_every_event() -> None:
    events = _chain()
    assert check_timeline(_data(events), events[0]["sha256"]) == (events, [])
    assert _check(_data(events), events) == []


def test_cut_last_line_is_the_only_problem() -> None:
    """A missing final newline is reported once; the non-canonical check skips that line."""
    events = _chain()
    assert _check(_data(events)[:-1], events) == [
        f"changed: {T}: last line is cut (no final newline)"
    ]


def test_empty_timeline() -> None:
    assert check_timeline(b"", None) == (
        [],
        [f"changed: {T} is empty (the snapshot event is missing)"],
    )
    _, problems = check_timeline(b"", None, head_sha256="ab", events_count=0)
    assert problems == [
        f"changed: {T} is empty (the snapshot event is missing)",
        f"changed: {T}: last event is not the head sealed in the manifest "
        "(timeline.head_sha256: events were added, removed or re-chained)",
    ]


def test_unparsable_line_breaks_the_chain_of_the_next() -> None:
    events = _chain()
    lines = _data(events).splitlines(keepends=True)
    data = lines[0] + b"not json\n" + lines[2]
    got, problems = check_timeline(data, events[0]["sha256"], head_sha256=events[2]["sha256"])
    assert got == [events[0], events[2]]
    assert problems == [
        f"changed: {T}:2: not a valid JSON event",
        f"changed: {T}:3: hash chain broken (prev_sha256 does not match line 2)",
    ]


@pytest.mark.parametrize("bad", [b"[1, 2]\n", b'{"a": 1\n', b"\xff\xfe\n", b"[" * 5000 + b"\n"])
def test_non_object_or_non_round_trip_lines_are_not_events(bad: bytes) -> None:
    events = _chain(1)
    data = _data(events) + bad
    got, problems = check_timeline(data, events[0]["sha256"])
    assert got == events
    assert problems == [f"changed: {T}:2: not a valid JSON event"]


def test_non_canonical_line_is_reported_alone() -> None:
    events = _chain()
    lines = _data(events).splitlines(keepends=True)
    lines[1] = (json.dumps(events[1]) + "\n").encode()
    assert _check(b"".join(lines), events) == [f"changed: {T}:2: event is not in canonical form"]


def test_edited_content_is_not_also_called_non_canonical() -> None:
    events = _chain()
    edited = [events[0], {**events[1], "action": "other"}, events[2]]
    assert _check(_data(edited), events) == [
        f"changed: {T}:2: event content does not match its sha256"
    ]


@pytest.mark.parametrize("seq", [5, True, "1", 1.0])
def test_wrong_or_non_int_seq(seq: Any) -> None:
    events = _chain()
    body = {k: v for k, v in events[1].items() if k not in ("sha256",)}
    body["seq"] = seq
    body["sha256"] = event_digest(body)
    events[1] = body
    data = _data(events)
    problems = check_timeline(data, events[0]["sha256"])[1]
    assert f"changed: {T}:2: seq is {seq!r}, expected 1" in problems


def test_first_event_must_be_the_recorded_genesis_with_no_prev() -> None:
    first = f"changed: {T}:1: first event is not the one the manifest recorded"
    events = _chain()
    assert check_timeline(_data(events), "0" * 64)[1] == [first]
    bad = seal_event({"action": "a0", "time": "2026-01-01T00:00:00Z", "actor": "t"}, 0, "x" * 64)
    rest = _chain()[1:]
    problems = check_timeline(_data([bad, *rest]), bad["sha256"])[1]
    assert problems[0] == first
    # The next event links to the original genesis, not to this one.
    assert problems[1] == f"changed: {T}:2: hash chain broken (prev_sha256 does not match line 1)"


def test_rechained_middle_event() -> None:
    events = _chain()
    events[2] = seal_event(
        {"action": "a2", "actor": "t", "time": "2026-01-01T00:00:02Z"}, 2, "f" * 64
    )
    assert check_timeline(_data(events), events[0]["sha256"])[1] == [
        f"changed: {T}:3: hash chain broken (prev_sha256 does not match line 2)"
    ]


def test_head_and_count_against_the_manifest() -> None:
    events = _chain()
    data = _data(events)
    assert _check(data, events, head_sha256=events[1]["sha256"]) == [
        f"changed: {T}: last event is not the head sealed in the manifest "
        "(timeline.head_sha256: events were added, removed or re-chained)"
    ]
    assert _check(data, events, events_count=4) == [
        f"changed: {T} has 3 events, the manifest's timeline.events says 4"
    ]
    assert _check(data, events, events_count=3) == []


# --- signatures ------------------------------------------------------------------------


def test_signed_events_verify_and_cover_domain_and_digest(keys: tuple[Path, Path]) -> None:
    priv, pub = load_private_key(keys[0]), load_public_key(keys[1])
    events = _chain(key=priv)
    assert _check(_data(events), events, public_key=pub) == []
    raw = base64.b64decode(events[1]["signature"])
    pub.verify(raw, EVENT_DOMAIN + events[1]["sha256"].encode("ascii"))  # type: ignore[attr-defined]
    other = load_public_key(keys[1].parent / "o.pub")
    assert _check(_data(events), events, public_key=other) == [
        f"signature: {T}:{i}: event signature invalid" for i in (1, 2, 3)
    ]


def _flip_padding_bits(sig: str) -> str:
    """Same decoded bytes, different text: the unused low bits of the last symbol set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = sig.rstrip("=")
    last = alphabet.index(body[-1])
    return body[:-1] + alphabet[last | 0b1111] + sig[len(body) :]


@pytest.mark.parametrize("sig", ["missing", 123, None, "", "!!!!", "é", "noncanonical", "AAAA"])
def test_bad_event_signatures(keys: tuple[Path, Path], sig: Any) -> None:
    priv, pub = load_private_key(keys[0]), load_public_key(keys[1])
    events = _chain(key=priv)
    if sig == "missing":
        del events[1]["signature"]
    elif sig == "noncanonical":
        flipped = _flip_padding_bits(events[1]["signature"])
        assert flipped != events[1]["signature"]
        assert base64.b64decode(flipped) == base64.b64decode(events[1]["signature"])
        events[1]["signature"] = flipped
    else:
        events[1]["signature"] = sig
    what = "missing" if sig == "missing" else "invalid"
    assert _check(_data(events), events, public_key=pub) == [
        f"signature: {T}:2: event signature {what}"
    ]


def test_non_string_digest_fails_the_signature(keys: tuple[Path, Path]) -> None:
    priv, pub = load_private_key(keys[0]), load_public_key(keys[1])
    [event] = _chain(1, key=priv)
    event["sha256"] = 5
    problems = check_timeline(_data([event]), None, public_key=pub)[1]
    assert f"signature: {T}:1: event signature invalid" in problems


# --- seal_event / event_digest ---------------------------------------------------------


def test_seal_event_fills_in_the_reserved_fields() -> None:
    given = {"action": "contain", "time": "2026-02-01T14:00:00+01:00", "x": [1]}
    out = seal_event(given, 4, "p" * 64)
    assert given == {"action": "contain", "time": "2026-02-01T14:00:00+01:00", "x": [1]}
    assert out["time"] == "2026-02-01T13:00:00Z"
    assert out["actor"] == collector()
    assert (out["seq"], out["prev_sha256"], out["x"]) == (4, "p" * 64, [1])
    assert out["sha256"] == event_digest(out)
    assert seal_event({"action": "a", "actor": "me"}, 0, None)["actor"] == "me"


def test_seal_event_default_time_is_now_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    out = seal_event({"action": "a"}, 0, None)
    stamp = datetime.fromisoformat(out["time"].replace("Z", "+00:00"))
    assert out["time"].endswith("Z")
    assert before <= stamp.replace(microsecond=0) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (["action"], "non-empty string 'action'"),
        ({"action": 1}, "non-empty string 'action'"),
        ({"action": ""}, "non-empty string 'action'"),
        ({"action": "a", "prev_sha256": None}, r"\['prev_sha256'\] are set by the timeline"),
        ({"action": "a", "sha256": "x", "signature": "y"}, r"\['sha256', 'signature'\]"),
        ({"action": "a", "time": "soon"}, "time 'soon' is not RFC 3339"),
        ({"action": "a", "v": {1}}, "not JSON-serialisable"),
        ({"action": "a", 1j: 1}, "not JSON-serialisable"),
    ],
)
def test_seal_event_refusals(event: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        seal_event(event, 0, None)


def test_digest_ignores_only_sha256_and_signature() -> None:
    event = seal_event({"action": "a", "actor": "t", "time": "2026-01-01T00:00:00Z"}, 0, None)
    assert event_digest({**event, "sha256": "x", "signature": "y"}) == event["sha256"]
    for field in ("action", "seq", "prev_sha256", "time", "actor"):
        assert event_digest({**event, field: "changed"}) != event["sha256"], field
    assert (
        encode_event(event)
        == (
            json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
        ).encode()
    )


# --- append_event ----------------------------------------------------------------------


@pytest.fixture
def bundle(log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("INCIDENT_LAB_SIGN_KEY", raising=False)
    return take_snapshot([log], out=tmp_path / "b", now=datetime(2026, 2, 1, 13, tzinfo=UTC)).bundle


def test_append_on_an_empty_timeline_is_refused(bundle: Path) -> None:
    (bundle / T).write_bytes(b"")
    with pytest.raises(CheckFailed, match="is empty"):
        append_event(bundle, {"action": "contain"})


def test_append_on_a_cut_last_line_is_refused(bundle: Path) -> None:
    append_event(bundle, {"action": "contain"})
    path = bundle / T
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(CheckFailed, match="last timeline event is damaged") as info:
        append_event(bundle, {"action": "notify"})
    assert info.value.line == 2


def test_append_on_a_non_int_seq_is_refused(bundle: Path) -> None:
    path = bundle / T
    [event] = [json.loads(line) for line in path.read_bytes().splitlines()]
    event["seq"] = "0"
    event["sha256"] = event_digest(event)
    path.write_bytes(encode_event(event))
    with pytest.raises(CheckFailed, match="damaged"):
        append_event(bundle, {"action": "notify"})


def test_append_continues_seq_and_chain(bundle: Path) -> None:
    first = append_event(bundle, {"action": "contain"})
    second = append_event(bundle, {"action": "notify"})
    assert (first["seq"], second["seq"]) == (1, 2)
    assert second["prev_sha256"] == first["sha256"]
    assert (bundle / T).read_bytes().endswith(encode_event(second))


def test_append_refuses_a_damaged_manifest(bundle: Path) -> None:
    before = (bundle / T).read_bytes()
    (bundle / "manifest.json").write_bytes(b"{not json")
    with pytest.raises(CheckFailed, match=r"manifest\.json is damaged"):
        append_event(bundle, {"action": "contain"})
    assert (bundle / T).read_bytes() == before


def test_append_refuses_when_the_sealed_count_differs(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    manifest["timeline"]["events"] = 2
    (bundle / "manifest.json").write_bytes(serialise(manifest))
    with pytest.raises(CheckFailed, match="head sealed in the manifest") as info:
        append_event(bundle, {"action": "contain"})
    assert info.value.line == 1


def test_append_keeps_file_modes_and_leaves_no_temp_files(bundle: Path) -> None:
    os.chmod(bundle / "manifest.json", 0o600)
    append_event(bundle, {"action": "contain"})
    assert stat.S_IMODE((bundle / "manifest.json").stat().st_mode) == 0o600
    assert not [p.name for p in bundle.iterdir() if p.name.endswith(".tmp")]
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    assert manifest["timeline"]["events"] == 2
    assert verify_bundle(bundle).ok


def test_empty_key_variable_means_unsigned(
    log: Path, tmp_path: Path, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = take_snapshot([log], out=tmp_path / "s", sign_key=keys[0]).bundle
    monkeypatch.setenv("INCIDENT_LAB_SIGN_KEY", "")
    assert "signature" not in append_event(signed, {"action": "contain"})


def test_unsigned_bundle_ignores_a_key(bundle: Path, keys: tuple[Path, Path]) -> None:
    sig_before = (bundle / "manifest.sig").exists()
    event = append_event(bundle, {"action": "contain"}, sign_key=keys[0])
    assert "signature" not in event and not sig_before
    assert not (bundle / "manifest.sig").exists()


def test_signed_append_resigns_the_manifest(
    log: Path, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    signed = take_snapshot([log], out=tmp_path / "s", sign_key=keys[0]).bundle
    sig_before = (signed / "manifest.sig").read_bytes()
    event = append_event(signed, {"action": "contain"}, sign_key=load_private_key(keys[0]))
    assert (signed / "manifest.sig").read_bytes() != sig_before
    report = verify_bundle(signed, pubkey=keys[1])
    assert report.ok, report.problems
    assert event["signature"]


# --- record_event / read_records -------------------------------------------------------


def test_record_event_starts_then_extends_a_timeline(tmp_path: Path) -> None:
    incident = tmp_path / "deep" / "incident"
    given = {"kind": "contain", "target": "x"}
    first = record_event(incident, given)
    assert given == {"kind": "contain", "target": "x"}
    assert (first["seq"], first["prev_sha256"], first["action"]) == (0, None, "contain")
    assert len(first["event_id"]) == 16 and int(first["event_id"], 16) >= 0
    second = record_event(incident, {"action": "notify", "kind": "k", "event_id": "e1"})
    assert (second["seq"], second["action"], second["event_id"]) == (1, "notify", "e1")
    assert second["prev_sha256"] == first["sha256"]
    third = record_event(incident, {})
    assert third["action"] == "event"
    assert read_timeline(incident) == [first, second, third]
    assert first["event_id"] != third["event_id"]
    events = read_timeline(incident)
    assert check_timeline((incident / T).read_bytes(), first["sha256"])[1] == []
    assert events[-1]["seq"] == 2


def test_read_records(tmp_path: Path) -> None:
    assert read_records(tmp_path / "absent.jsonl", what="ledger") == []
    assert read_timeline(tmp_path) == []
    path = tmp_path / "l.jsonl"
    path.write_bytes(b'{"a":1}\n[2]\n')
    assert read_records(path, what="ledger") == [{"a": 1}, [2]]
    path.write_bytes(b'{"a":1}\n{oops\n')
    with pytest.raises(InputError, match="ledger line is not valid") as info:
        read_records(path, what="ledger")
    assert info.value.line == 2 and info.value.path == str(path)


def test_record_event_in_an_existing_directory_and_bad_timeline_lines(tmp_path: Path) -> None:
    """Containment may record into an incident directory that already exists."""
    (tmp_path / "notes.md").write_text("x")
    event = record_event(tmp_path, {"action": "contain"})
    assert read_timeline(tmp_path) == [event]
    with (tmp_path / T).open("ab") as fh:
        fh.write(b"{bad\n")
    with pytest.raises(InputError, match=r"^timeline line is not valid") as info:
        read_timeline(tmp_path)
    assert info.value.line == 2


def test_failed_reseal_leaves_no_temp_file(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the atomic rename fails the temp file is removed and the OSError surfaces."""
    before = sorted(p.name for p in bundle.iterdir())

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        append_event(bundle, {"action": "contain"})
    assert sorted(p.name for p in bundle.iterdir()) == before


def test_append_refuses_an_oversized_or_invalid_manifest(bundle: Path) -> None:
    """Just over 16 MiB is refused without parsing; a parsed manifest with a problem too."""
    path = bundle / "manifest.json"
    original = path.read_bytes()
    path.write_bytes(original + b" " * (16 * 1024 * 1024 + 1 - len(original)))
    with pytest.raises(CheckFailed) as info:
        append_event(bundle, {"action": "contain"})
    assert info.value.message == (
        "manifest.json is damaged; refusing to extend the timeline: too large"
    )
    assert info.value.path == str(path)
    assert info.value.hint == f"run 'incident_lab verify {bundle}'"
    # Parsed and schema-valid, but edited after sealing: still refused.
    edited = original.replace(b'"events": 1', b'"events": 1 ')
    assert edited != original
    path.write_bytes(edited)
    with pytest.raises(CheckFailed, match=r"^manifest\.json is damaged; refusing"):
        append_event(bundle, {"action": "contain"})
    assert len((bundle / T).read_bytes().splitlines()) == 1


def test_after_a_damaged_line_no_chain_link_is_taken_on_trust() -> None:
    """The event after an unparseable line cannot be chained to it, whatever its prev_sha256
    says (even the empty string)."""
    events = _chain(1)
    third = seal_event({"action": "a2", "time": "2026-01-01T00:00:02Z", "actor": "t"}, 2, "")
    data = _data(events) + b"not json\n" + encode_event(third)
    problems = check_timeline(data, events[0]["sha256"])[1]
    assert problems == [
        "changed: timeline.jsonl:2: not a valid JSON event",
        "changed: timeline.jsonl:3: hash chain broken (prev_sha256 does not match line 2)",
    ]


def test_a_non_string_digest_links_nothing() -> None:
    """An event whose sha256 is not a string cannot be the link the next event names."""
    events = _chain(1)
    bad = {**seal_event({"action": "a1", "time": "2026-01-01T00:00:01Z"}, 1, events[0]["sha256"])}
    bad["sha256"] = 5
    third = seal_event({"action": "a2", "time": "2026-01-01T00:00:02Z", "actor": "t"}, 2, 5)
    data = _data(events) + encode_event(bad) + encode_event(third)
    problems = check_timeline(data, events[0]["sha256"])[1]
    assert problems == [
        "changed: timeline.jsonl:2: event content does not match its sha256",
        "changed: timeline.jsonl:3: hash chain broken (prev_sha256 does not match line 2)",
    ]


def test_the_manifest_is_replaced_through_a_hidden_sibling(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-sealing writes .manifest.json.<random>.tmp beside it and renames it (same
    filesystem: the rename is atomic), keeping the file's mode."""
    from incident_lab.evidence import timeline as timeline_mod

    os.chmod(bundle / "manifest.json", 0o640)
    replaced: list[tuple[str, str]] = []
    real = os.replace

    def replace(src: str, dst: str) -> None:
        replaced.append((str(src), str(dst)))
        real(src, dst)

    monkeypatch.setattr(timeline_mod.os, "replace", replace)
    append_event(bundle, {"action": "contain"})
    ((tmp, dst),) = replaced
    assert dst == str(bundle / "manifest.json")
    assert Path(tmp).parent == bundle
    assert Path(tmp).name.startswith(".manifest.json.") and tmp.endswith(".tmp")
    assert stat.S_IMODE((bundle / "manifest.json").stat().st_mode) == 0o640
    assert sorted(p.name for p in bundle.iterdir() if p.name.startswith(".")) == []


# --- every refusal of append_event, rendered exactly --------------------------------------


def test_append_outside_a_bundle_renders_its_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        append_event(tmp_path, {"action": "contain"})
    assert info.value.render() == (
        f"{tmp_path}: no timeline.jsonl here: not an evidence bundle (hint: pass the "
        "incident_<timestamp>/ directory written by 'incident_lab snapshot')"
    )
    assert info.value.exit_code == 3


def test_append_on_an_empty_timeline_renders_its_error(bundle: Path) -> None:
    (bundle / T).write_bytes(b"")
    with pytest.raises(CheckFailed) as info:
        append_event(bundle, {"action": "contain"})
    assert info.value.render() == (
        f"{bundle / T}: timeline.jsonl is empty (hint: run 'incident_lab verify')"
    )
    assert info.value.exit_code == 6


def test_append_on_a_damaged_last_event_renders_its_error(bundle: Path) -> None:
    path = bundle / T
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(CheckFailed) as info:
        append_event(bundle, {"action": "notify"})
    assert info.value.render() == (
        f"{path}:1: the last timeline event is damaged; refusing to extend a broken chain "
        f"(hint: run 'incident_lab verify {bundle}')"
    )


def test_append_past_the_sealed_head_renders_its_error(bundle: Path) -> None:
    """A timeline extended behind the manifest's back (the head it sealed is not last)."""
    path = bundle / T
    [first] = [json.loads(line) for line in path.read_bytes().splitlines()]
    extra = seal_event({"action": "x", "time": "2026-02-01T13:00:00Z"}, 1, first["sha256"])
    path.write_bytes(path.read_bytes() + encode_event(extra))
    with pytest.raises(CheckFailed) as info:
        append_event(bundle, {"action": "notify"})
    assert info.value.render() == (
        f"{path}:2: the timeline does not end at the head sealed in the manifest; "
        f"refusing to extend it (hint: run 'incident_lab verify {bundle}')"
    )
    assert path.read_bytes().count(b"\n") == 2


def test_append_with_another_key_renders_its_error(
    log: Path, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    signed = take_snapshot([log], out=tmp_path / "s", sign_key=keys[0]).bundle
    generate_keypair(tmp_path / "o.pem", tmp_path / "o.pub")
    with pytest.raises(UsageError) as info:
        append_event(signed, {"action": "contain"}, sign_key=tmp_path / "o.pem")
    assert info.value.render() == (
        f"{signed}: the signing key does not match the bundle's manifest.sig; nothing "
        "appended (hint: pass the key that signed the snapshot (--sign-key or "
        "INCIDENT_LAB_SIGN_KEY))"
    )


@pytest.mark.parametrize("event", [{}, {"action": ""}, {"action": 5}])
def test_an_event_without_an_action_is_refused_by_name(event: dict[str, Any]) -> None:
    with pytest.raises(UsageError) as info:
        seal_event(event, 1, "0" * 64)
    assert info.value.render() == "a timeline event needs a non-empty string 'action'"
