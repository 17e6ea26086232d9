"""Mutation test of the bundle seal: >= 10,000 seeded mutations of manifest, signature and timeline.

Each mutation is drawn from a class (byte flips, JSON edits of the manifest, removed,
renamed or deeply nested keys, edited / inserted / deleted / reordered / cut timeline
events, with and without re-computing the hash chain, and "consistent re-seals" where
the forger also recomputes every unkeyed digest in the manifest). They run in memory
through :func:`seal_problems` (the seal checks of ``verify``); a sample also runs on
disk through :func:`verify_bundle` and the CLI, and data-file mutations too.

Targets: with the public key every mutation is detected; without a key (an unsigned
bundle) every class except a consistent re-seal is detected, and the consistent
re-seals really are undetectable (the documented limit of an unsigned bundle).
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incident_lab.evidence import append_event, take_snapshot
from incident_lab.evidence.manifest import serialise
from incident_lab.evidence.signing import generate_keypair, load_public_key
from incident_lab.evidence.timeline import encode_event, event_digest
from tests.doc_paths import doc_paths as _paths
from tests.incident_lab.evidence.conftest import make_session, seal_problems, write_jsonl

Files = dict[str, bytes | None]
SEALED = ("manifest.json", "manifest.sig", "timeline.jsonl")
N_PER_MODE = 5000


def _make_bundle(root: Path, signed: bool) -> tuple[Path, Path | None]:
    key = root / "k.pem" if signed else None
    if key is not None:
        generate_keypair(key, root / "k.pub")
    log = write_jsonl(root / "s.jsonl", [make_session(i) for i in range(3)])
    now = datetime(2026, 2, 1, 13, tzinfo=UTC)
    bundle = take_snapshot([log], out=root / "b", sign_key=key, now=now).bundle
    for action, result in (("contain", "failed"), ("notify", "ok"), ("ticket", "ok")):
        append_event(bundle, {"action": action, "result": result}, sign_key=key)
    return bundle, key


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode, signed in (("signed", True), ("unsigned", False)):
        root = tmp_path_factory.mktemp(mode)
        bundle, _key = _make_bundle(root, signed)
        files: Files = {
            n: (bundle / n).read_bytes() if (bundle / n).exists() else None for n in SEALED
        }
        pub = load_public_key(root / "k.pub") if signed else None
        out[mode] = {"bundle": bundle, "files": files, "pub": pub, "pubpath": root / "k.pub"}
    return out


# -- byte-level mutations ---------------------------------------------------------------


def _bytes_op(rng: random.Random, data: bytes) -> bytes:
    op = rng.randrange(6)
    i = rng.randrange(len(data))
    if op == 0:  # one bit flipped
        return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]
    if op == 1:  # a byte deleted
        return data[:i] + data[i + 1 :]
    if op == 2:  # a byte inserted
        return data[:i] + bytes([rng.randrange(256)]) + data[i:]
    if op == 3:  # cut
        return data[:i]
    lines = data.splitlines(keepends=True)
    j = rng.randrange(len(lines))
    if op == 4:  # a line duplicated
        return b"".join(lines[: j + 1] + [lines[j]] + lines[j + 1 :])
    k = rng.randrange(len(lines))  # two lines swapped (or a line dropped when j == k)
    lines[j], lines[k] = lines[k], lines[j]
    return b"".join(lines if j != k else lines[:j] + lines[j + 1 :])


# -- manifest JSON mutations --------------------------------------------------------------


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def _changed(rng: random.Random, value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice((1, -1, 10**20))
    if isinstance(value, str):
        return rng.choice((value + "x", value[:-1] if value else "y", value.upper() + "Z"))
    if value is None:
        return rng.choice(("", 0, False))
    if isinstance(value, list):
        return [*value, "x"]
    return {**value, "x_extra": 1}


_DEEP = "\x00deep\x00"  # rendered as 5,000 nested arrays (too slow to build and dump as objects)


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _manifest_op(rng: random.Random, manifest: dict[str, Any]) -> dict[str, Any]:
    m = copy.deepcopy(manifest)
    path = rng.choice(_paths(m)[1:])
    parent, key = _get(m, path[:-1]), path[-1]
    op = rng.randrange(5)
    if op == 0:
        parent[key] = _changed(rng, parent[key])
    elif op == 1 and isinstance(parent, dict):  # key removed
        del parent[key]
    elif op == 2 and isinstance(parent, dict):  # key renamed
        parent[key + "_"] = parent.pop(key)
    elif op == 3:  # deep nesting (past the parser's recursion limit, or just deep)
        parent[key] = rng.choice((_nested(50), _DEEP))
    else:  # wrong type
        parent[key] = rng.choice(([], {}, "s", 1.5, None))
    return m


def _render(manifest: dict[str, Any], reseal: bool) -> bytes:
    """The manifest's bytes; with ``reseal`` its ``manifest_sha256`` recomputed (no key needed)."""
    data = serialise(manifest) if reseal else _plain(manifest)
    return data.replace(b'"\\u0000deep\\u0000"', b"[" * 5000 + b"]" * 5000)


def _plain(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# -- timeline event mutations -------------------------------------------------------------


def _rechain(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recompute seq, links and digests (what a forger without the key can do)."""
    prev = None
    out = []
    for seq, event in enumerate(events):
        e = {k: v for k, v in event.items() if k != "sha256"}
        e["seq"], e["prev_sha256"] = seq, prev
        e["sha256"] = event_digest(e)
        prev = e["sha256"]
        out.append(e)
    return out


def _timeline_op(rng: random.Random, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ev = copy.deepcopy(events)
    i = rng.randrange(len(ev))
    op = rng.randrange(7)
    if op == 0:  # the classic: a failed containment becomes "ok"
        target = next((e for e in ev if e.get("result") == "failed"), ev[i])
        target["result"] = "ok" if target.get("result") != "ok" else "failed"
    elif op == 1:
        ev[i]["time"] = (
            "2026-02-01T12:00:00Z"
            if ev[i]["time"] != "2026-02-01T12:00:00Z"
            else "2026-01-01T00:00:00Z"
        )
    elif op == 2:  # a forged event inserted
        ev.insert(
            i + 1,
            {"action": "contain", "result": "ok", "time": ev[i]["time"], "actor": ev[i]["actor"]},
        )
    elif op == 3 and len(ev) > 1:  # an event deleted
        del ev[i]
    elif op == 4 and len(ev) > 1:  # two events reordered
        j = (i + 1 + rng.randrange(len(ev) - 1)) % len(ev)
        ev[i], ev[j] = ev[j], ev[i]
    elif op == 5 and len(ev) > 1:  # the tail cut
        ev = ev[: rng.randrange(1, len(ev))]
    else:  # a signature stripped, or an actor changed
        if "signature" in ev[i] and rng.random() < 0.5:
            del ev[i]["signature"]
        else:
            ev[i]["actor"] = {"host": "elsewhere", "user": "mallory"}
    return ev


# -- the mutation engine ------------------------------------------------------------------


def mutate(rng: random.Random, files: Files) -> tuple[str, Files, bool]:
    """One mutation: ``(class, files, consistent_reseal)``; never a no-op."""
    manifest = json.loads(files["manifest.json"] or b"")
    events = [json.loads(x) for x in (files["timeline.jsonl"] or b"").splitlines()]
    while True:
        out = dict(files)
        kind = rng.choice(
            (
                "bytes",
                "manifest",
                "manifest+reseal",
                "timeline",
                "timeline+rechain",
                "timeline+rechain+reseal",
                "remove",
            )
        )
        reseal = False
        if kind == "bytes":
            name = rng.choice([n for n in SEALED if files[n]])
            out[name] = _bytes_op(rng, files[name] or b"")
            kind = f"bytes:{name}"
        elif kind.startswith("manifest"):
            reseal = kind.endswith("reseal")
            out["manifest.json"] = _render(_manifest_op(rng, manifest), reseal)
        elif kind == "remove":
            name = rng.choice([n for n in SEALED if files[n]])
            out[name] = None if rng.random() < 0.7 else b""
            kind = f"remove:{name}"
        else:
            new = _timeline_op(rng, events)
            if "rechain" in kind:
                new = _rechain(new)
            out["timeline.jsonl"] = b"".join(encode_event(e) for e in new)
            if kind.endswith("reseal"):
                reseal = True
                m = copy.deepcopy(manifest)
                m["timeline"].update(
                    genesis_sha256=new[0]["sha256"], head_sha256=new[-1]["sha256"], events=len(new)
                )
                out["manifest.json"] = serialise(m)
        if out != files:
            return kind, out, reseal


def _detected(files: Files, pub: object | None) -> bool:
    return bool(
        seal_problems(
            files["manifest.json"] or b"", files["manifest.sig"], files["timeline.jsonl"], pub
        )
    )


@pytest.mark.parametrize("mode", ["signed", "unsigned"])
def test_seal_mutations(bundles: dict[str, Any], mode: str) -> None:
    """5,000 seeded mutations per mode (10,000 in all): see the module docstring for targets."""
    b = bundles[mode]
    files, pub = b["files"], b["pub"]
    assert not _detected(files, pub), "the unmutated bundle must verify"
    rng = random.Random(f"incident-lab-{mode}")
    total, caught = Counter[str](), Counter[str]()
    missed: list[str] = []
    for _ in range(N_PER_MODE):
        kind, mutated, reseal = mutate(rng, files)
        bucket = "consistent re-seal" if reseal else kind
        total[bucket] += 1
        if _detected(mutated, pub):
            caught[bucket] += 1
        elif mode == "signed" or not reseal:
            missed.append(kind)
    print(f"\n{mode}: " + ", ".join(f"{k} {caught[k]}/{total[k]}" for k in sorted(total)))
    assert sum(total.values()) == N_PER_MODE
    assert not missed, f"undetected mutations: {Counter(missed)}"
    if mode == "unsigned":
        # The documented limit: a consistent re-seal of timeline edits passes without a key.
        assert total["consistent re-seal"] > 500
        assert caught["consistent re-seal"] < total["consistent re-seal"]
    assert total["timeline+rechain"] > 500  # re-chained timeline edits are a large class


def test_rechained_failed_containment_rewrite(bundles: dict[str, Any], tmp_path: Path) -> None:
    """The reported attack: 'contain failed' rewritten to 'ok', chain recomputed, head re-sealed."""
    b = bundles["signed"]
    events = [json.loads(x) for x in b["files"]["timeline.jsonl"].splitlines()]
    assert events[1]["result"] == "failed"
    events[1]["result"] = "ok"
    events = _rechain(events)
    manifest = json.loads(b["files"]["manifest.json"])
    manifest["timeline"].update(head_sha256=events[-1]["sha256"])
    forged = {
        "manifest.json": serialise(manifest),
        "manifest.sig": b["files"]["manifest.sig"],
        "timeline.jsonl": b"".join(encode_event(e) for e in events),
    }
    problems = seal_problems(
        forged["manifest.json"], forged["manifest.sig"], forged["timeline.jsonl"], b["pub"]
    )
    assert any("manifest.sig does not verify" in p for p in problems)
    assert any("timeline.jsonl:2: event signature invalid" in p for p in problems)


def _on_disk(
    bundle: Path, tmp: Path, files: Files, extra: Callable[[Path], None] | None = None
) -> Path:
    import shutil

    dest = tmp / "m"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(bundle, dest)
    for name, data in files.items():
        if data is None:
            (dest / name).unlink(missing_ok=True)
        else:
            (dest / name).write_bytes(data)
    if extra is not None:
        extra(dest)
    return dest


@pytest.mark.parametrize("mode", ["signed", "unsigned"])
def test_verify_on_disk_never_crashes(
    bundles: dict[str, Any], tmp_path: Path, invoke, mode: str
) -> None:
    """200 mutations per mode through the CLI: exit 6 with the field named, never 4."""
    b = bundles[mode]
    rng = random.Random(f"disk-{mode}")
    data_files = ("trajectories.jsonl", "metrics.json", "rejects.jsonl")
    codes = Counter[int]()
    for n in range(200):
        if n % 4 == 0:  # a data file, pinned by the manifest's SHA-256
            name = data_files[n % 3]
            original = (b["bundle"] / name).read_bytes()
            changed = original
            while changed == original:
                changed = _bytes_op(rng, original) if original else b"\n"
            dest = _on_disk(b["bundle"], tmp_path, {name: changed})
            reseal = False
        else:
            _, mutated, reseal = mutate(rng, b["files"])
            dest = _on_disk(b["bundle"], tmp_path, mutated)
        args = ["verify", str(dest)] + (["--pubkey", str(b["pubpath"])] if b["pub"] else [])
        code, _out, err = invoke(*args)
        codes[code] += 1
        assert code in (0, 6), err
        if code == 6:
            assert "internal error" not in err
        elif not reseal:
            pytest.fail(f"mutation {n} not detected")
    assert codes[6] >= 150
