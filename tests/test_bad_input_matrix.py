"""The adversarial matrix: bad input of every kind, through every command, as a user meets it.

Each case runs one command in-process through the one error renderer
(:func:`incident_lab.cli.app.run`) with one bad input, under a 30 s alarm (a hang,
e.g. on a FIFO, fails the case). Every case must:

- exit with a documented code (docs/exit-codes.md), never 4 "internal error" and
  never 0 (bad input is never a silent success);
- print no traceback, and exactly one ``error:`` line on stderr, naming the file (or
  id) at fault.

Kinds: malformed JSONL, wrong types, invalid UTF-8, a huge line, deep nesting in
JSON/TOML/YAML, a gzip bomb, a corrupt gzip, FIFOs (given, or in a folder), symlinks
out of the root, missing paths, ``../`` paths, unknown ids, damaged bundles and
follow-up files, bad suite files, output paths read-only / under a file, and
``--since 99999999d``. Running as root makes ``chmod 000`` meaningless, so
"unreadable" is covered by FIFOs, directories given as files and dangling links;
"read-only" by a read-only tmpfs when the machine allows mounting one (else the
directory is made unwritable by a read-only bind of nothing: the case then uses an
output path under a regular file, which fails the same way).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from incident_lab import __version__
from tests.conftest import invoke_cli

ROOT = Path(__file__).resolve().parent.parent
SID = "inc-20260201-mail-exfil-injected-doc"
DOCUMENTED = {0, 1, 2, 3, 4, 5, 6}
DEEP = b"[" * 100_000 + b"]" * 100_000
IL, RS = "incident_lab", "regression_suite"


# -- the valid world the bad inputs are put into -------------------------------------------


@dataclass
class World:
    base: Path
    log: Path
    bundle: Path
    library: Path
    config: Path
    report: Path
    ro: Path | None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from incident_lab.example.traffic import generate_log

    base = tmp_path_factory.mktemp("world")
    log = base / "prod.jsonl"
    generate_log(log, sessions=12, incidents=1, seed=3)
    bundle = base / "bundle"
    r = invoke_cli("incident_lab", ["snapshot", "--from", str(log), "--out", str(bundle)])
    assert r.exit_code == 0, r.stderr
    assert invoke_cli("incident_lab", ["classify", str(bundle)]).exit_code in (0, 5)
    library = base / "lib"
    shutil.copytree(ROOT / "scenarios", library)
    config = base / "incident_lab.toml"
    config.write_text('[contain.actions.kill-switch]\nbackend = "command"\ncommand = "true"\n')
    r = invoke_cli(
        RS,
        [
            "run",
            "--scenarios-dir",
            str(library),
            "--target",
            "recorded",
            "--report-dir",
            str(base / "gate"),
            "-k",
            "mail-exfil",
        ],
    )
    assert r.exit_code in (0, 1, 2), r.stderr
    report = base / "gate" / "report.json"
    ro = base / "ro"
    ro.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], capture_output=True
        ).returncode
        == 0
    )
    yield World(base, log, bundle, library, config, report, ro if mounted else None)
    if mounted:
        subprocess.run(["umount", str(ro)], check=False)


# -- bad inputs: each makes a path in ``d`` and returns it -----------------------------------

Maker = Callable[[Path, World], Path]


def _file(name: str, data: bytes) -> Maker:
    def make(d: Path, w: World) -> Path:
        (d / name).write_bytes(data)
        return d / name

    return make


def _gz(name: str, data: bytes) -> Maker:
    def make(d: Path, w: World) -> Path:
        (d / name).write_bytes(gzip.compress(data, 9))
        return d / name

    return make


def _fifo(name: str) -> Maker:
    def make(d: Path, w: World) -> Path:
        os.mkfifo(d / name)
        return d / name

    return make


def _dir_with(entry: Maker) -> Maker:
    def make(d: Path, w: World) -> Path:
        sub = d / "logs"
        sub.mkdir()
        entry(sub, w)
        return sub

    return make


def _symlink_out(d: Path, w: World) -> Path:
    secret = d / "secret.env"
    secret.write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n")
    sub = d / "logs"
    sub.mkdir()
    (sub / "a.jsonl").symlink_to(secret)
    return sub


def _missing(d: Path, w: World) -> Path:
    return d / "missing.jsonl"


def _dotdot(d: Path, w: World) -> Path:
    return d / ".." / ".." / "no-such-dir" / "x.jsonl"


def _dangling(d: Path, w: World) -> Path:
    (d / "dangling.jsonl").symlink_to(d / "nowhere")
    return d / "dangling.jsonl"


LOGS: dict[str, Maker] = {
    "malformed_jsonl": _file("m.jsonl", b'{"session_id": "s1",\n{not json}\n'),
    "wrong_types": _file("t.jsonl", b'{"session_id": 5, "steps": "x", "started_at": []}\n'),
    "not_an_object": _file("o.jsonl", b"[1, 2]\n42\n"),
    "invalid_utf8": _file("u.jsonl", b'{"session_id": "\xff\xfe"}\n'),
    "huge_line": _file("h.jsonl", b'{"a": "' + b"x" * (17 * 1024 * 1024) + b'"}\n'),
    "deep_json": _file("d.jsonl", DEEP + b"\n"),
    "deep_document": _file("d.json", b'{"resourceSpans": ' + DEEP + b"}"),
    "gzip_bomb": _gz("b.jsonl.gz", b"\n" * (40 * 1024 * 1024)),
    "gzip_corrupt": _file("c.jsonl.gz", gzip.compress(b'{"a": 1}\n' * 1000)[:200]),
    "binary": _file("bin.jsonl", bytes(range(256)) * 40),
    "empty": _file("e.jsonl", b""),
    "fifo": _fifo("p.jsonl"),
    "fifo_in_folder": _dir_with(_fifo("p.jsonl")),
    "symlink_out_of_root": _symlink_out,
    "missing": _missing,
    "dotdot": _dotdot,
    "dangling_link": _dangling,
}


def _bundle_damage(fn: Callable[[Path], None]) -> Maker:
    def make(d: Path, w: World) -> Path:
        b = d / "bundle"
        shutil.copytree(w.bundle, b)
        fn(b)
        return b

    return make


def _edit_manifest(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def fn(b: Path) -> None:
        m = json.loads((b / "manifest.json").read_text())
        edit(m)
        (b / "manifest.json").write_text(json.dumps(m, indent=2))

    return fn


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    def fn(b: Path) -> None:
        (b / name).parent.mkdir(exist_ok=True)
        (b / name).unlink(missing_ok=True)
        (b / name).write_bytes(data)

    return fn


def _fifo_in(name: str) -> Callable[[Path], None]:
    def fn(b: Path) -> None:
        (b / name).unlink()
        os.mkfifo(b / name)

    return fn


BUNDLES: dict[str, Maker] = {
    "manifest_invalid_json": _bundle_damage(_write("manifest.json", b"{nope")),
    "manifest_deep": _bundle_damage(_write("manifest.json", DEEP)),
    "manifest_not_object": _bundle_damage(_write("manifest.json", b"[1]")),
    "manifest_missing_key": _bundle_damage(_edit_manifest(lambda m: m.pop("counts"))),
    "manifest_renamed_key": _bundle_damage(
        _edit_manifest(lambda m: m.__setitem__("filez", m.pop("files")))
    ),
    "manifest_wrong_types": _bundle_damage(
        _edit_manifest(lambda m: m.update(files=[], counts="x", model_versions_seen={}))
    ),
    "manifest_fifo": _bundle_damage(_fifo_in("manifest.json")),
    "trajectories_malformed": _bundle_damage(_write("trajectories.jsonl", b"{bad\n[1]\n")),
    "trajectories_deep": _bundle_damage(_write("trajectories.jsonl", DEEP + b"\n")),
    "trajectories_fifo": _bundle_damage(_fifo_in("trajectories.jsonl")),
    "timeline_garbage": _bundle_damage(_write("timeline.jsonl", b"\xff\x00garbage\n")),
    "classification_deep": _bundle_damage(_write("followup/classification.json", DEEP)),
    "classification_wrong": _bundle_damage(
        _write("followup/classification.json", b'{"sessions": 5}')
    ),
    "classification_detector_errors": _bundle_damage(
        _write(
            "followup/classification.json",
            json.dumps(
                {
                    "tool_version": __version__,
                    "sessions": [{"session_id": "x", "detector_errors": 5}],
                }
            ).encode(),
        )
    ),
    "metrics_deep": _bundle_damage(_write("metrics.json", DEEP)),
    "a_file_not_a_dir": _file("bundle.json", b"{}"),
    "empty_dir": lambda d, w: (d / "empty").mkdir() or d / "empty",
    "missing": _missing,
    "dotdot": _dotdot,
}

CONFIGS: dict[str, Maker] = {
    "toml_malformed": _file("c.toml", b"[contain\nx = \n"),
    "toml_deep": _file("c.toml", b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n"),
    "toml_invalid_utf8": _file("c.toml", b'a = "\xff"\n'),
    "toml_contain_string": _file(
        "c.toml",
        b'[respond]\ncontain = "kill-switch"\n[contain.actions.kill-switch]\n'
        b'backend = "command"\ncommand = "true"\n',
    ),
    "toml_attempts_negative": _file(
        "c.toml", b'[notify.webhook]\nurl = "http://x"\nattempts = -3\n'
    ),
    "toml_timeout_nan": _file(
        "c.toml",
        b'[contain.actions.kill-switch]\nbackend = "command"\ncommand = "true"\ntimeout = nan\n',
    ),
    "toml_crlf_header": _file(
        "c.toml",
        b'[contain.actions.kill-switch]\nbackend = "http"\nurl = "http://x"\n'
        b'headers = {"X" = "a\\r\\nB: c"}\n',
    ),
    "toml_unbalanced_quote": _file(
        "c.toml", b'[contain.actions.kill-switch]\nbackend = "command"\ncommand = "echo \'x"\n'
    ),
    "fifo": _fifo("c.toml"),
    "missing": _missing,
}


def _library(fn: Callable[[Path], None]) -> Maker:
    def make(d: Path, w: World) -> Path:
        lib = d / "lib"
        shutil.copytree(w.library, lib)
        fn(lib)
        return lib

    return make


LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
).encode()


def _symlinked_suite(lib: Path) -> None:
    secret = lib.parent / "secret.env"
    secret.write_text("AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n: :\n")
    (lib / "suites" / "release_gate.yaml").unlink()
    (lib / "suites" / "release_gate.yaml").symlink_to(secret)


def _symlinked_suites_dir(lib: Path) -> None:
    outside = lib.parent / "elsewhere"
    shutil.move(str(lib / "suites"), outside)
    (lib / "suites").symlink_to(outside)


LIBRARIES: dict[str, Maker] = {
    "scenario_malformed_yaml": _library(_write(f"{SID}.yaml", b"id: [unclosed\n")),
    "scenario_deep_yaml": _library(_write(f"{SID}.yaml", b"id: " + b"[" * 5000 + b"]" * 5000)),
    "scenario_alias_bomb": _library(_write(f"{SID}.yaml", LAUGHS)),
    "scenario_wrong_types": _library(_write(f"{SID}.yaml", b"id: 5\nturns: x\n")),
    "scenario_invalid_utf8": _library(_write(f"{SID}.yaml", b"id: \xff\xfe\n")),
    "scenario_fifo": _library(_fifo_in(f"{SID}.yaml")),
    "suite_malformed": _library(_write("suites/release_gate.yaml", b"name: [x\n")),
    "suite_wrong_types": _library(_write("suites/release_gate.yaml", b"name: 5\nrepeats: -1\n")),
    "suite_symlink_out": _library(_symlinked_suite),
    "suites_dir_symlink_out": _library(_symlinked_suites_dir),
    "missing": _missing,
}

IDS = {
    "unknown_id": "inc-does-not-exist",
    "dotdot_id": "../../etc/passwd",
    "empty_id": "",
    "long_id": "x" * 300,
    "newline_id": "inc-a\nb",
}

REPORTS: dict[str, Maker] = {
    "report_malformed": _file("r.json", b"{nope"),
    "report_deep": _file("r.json", DEEP),
    "report_wrong_types": _file("r.json", b'{"cases": 5, "verdict": []}'),
    "report_invalid_utf8": _file("r.json", b'{"a": "\xff"}'),
    "report_fifo": _fifo("r.json"),
    "missing": _missing,
}


def _under_a_file(d: Path, w: World) -> Path:
    (d / "plain").write_text("x")
    return d / "plain" / "out"


def _read_only(d: Path, w: World) -> Path:
    return (w.ro / "out") if w.ro is not None else _under_a_file(d, w)


OUTS: dict[str, Maker] = {"out_under_a_file": _under_a_file, "out_read_only": _read_only}


# -- commands and where each kind of input goes -------------------------------------------

Argv = Callable[[str, World, Path], list[str]]

SLOTS: list[tuple[str, str, dict[str, Maker] | dict[str, str], Argv]] = [
    (IL, "snapshot", LOGS, lambda p, w, o: ["snapshot", "--from", p, "--out", str(o / "b")]),
    (IL, "classify", LOGS, lambda p, w, o: ["classify", p]),
    (IL, "add", LOGS, lambda p, w, o: ["add", "--from", p, "--scenarios-dir", str(o / "lib")]),
    (
        IL,
        "blast-radius",
        LOGS,
        lambda p, w, o: ["blast-radius", "--incident", str(w.bundle), "--from", p, "--out", str(o)],
    ),
    (IL, "confirm", LOGS, lambda p, w, o: ["confirm", "--from", p, "--since", "15m"]),
    (IL, "verify", BUNDLES, lambda p, w, o: ["verify", p]),
    (IL, "classify", BUNDLES, lambda p, w, o: ["classify", p]),
    (IL, "ticket", BUNDLES, lambda p, w, o: ["ticket", p]),
    (
        IL,
        "notify",
        BUNDLES,
        lambda p, w, o: ["notify", p, "--via", "webhook", "--dry-run", "--config", str(w.config)],
    ),
    (IL, "report", BUNDLES, lambda p, w, o: ["report", p, "--out", str(o / "r")]),
    (
        IL,
        "blast-radius",
        BUNDLES,
        lambda p, w, o: ["blast-radius", "--incident", p, "--from", str(w.log), "--out", str(o)],
    ),
    (IL, "add", BUNDLES, lambda p, w, o: ["add", "--from", p, "--scenarios-dir", str(o / "lib")]),
    (IL, "confirm", BUNDLES, lambda p, w, o: ["confirm", "--from", str(w.log), "--incident", p]),
    (
        IL,
        "contain",
        CONFIGS,
        lambda p, w, o: [
            "contain",
            "kill-switch",
            "--incident",
            str(o / "i"),
            "--dry-run",
            "--yes",
            "--config",
            p,
        ],
    ),
    (
        IL,
        "notify",
        CONFIGS,
        lambda p, w, o: ["notify", str(w.bundle), "--via", "webhook", "--dry-run", "--config", p],
    ),
    (
        IL,
        "respond",
        CONFIGS,
        lambda p, w, o: [
            "respond",
            "--from",
            str(w.log),
            "--yes",
            "--out",
            str(o / "i"),
            "--config",
            p,
        ],
    ),
    (IL, "list", LIBRARIES, lambda p, w, o: ["list", "--scenarios-dir", p]),
    (IL, "show", LIBRARIES, lambda p, w, o: ["show", SID, "--scenarios-dir", p]),
    (IL, "lint", LIBRARIES, lambda p, w, o: ["lint", p]),
    (IL, "tag", LIBRARIES, lambda p, w, o: ["tag", SID, "--tag", "x", "--scenarios-dir", p]),
    (
        IL,
        "variants",
        LIBRARIES,
        lambda p, w, o: [
            "variants",
            "--scenario",
            SID,
            "--scenarios-dir",
            p,
            "--dry-run",
            "--n",
            "2",
        ],
    ),
    (RS, "add", LIBRARIES, lambda p, w, o: ["add", "--scenario", SID, "--scenarios-dir", p]),
    (RS, "remove", LIBRARIES, lambda p, w, o: ["remove", "--scenario", SID, "--scenarios-dir", p]),
    (
        RS,
        "list",
        LIBRARIES,
        lambda p, w, o: ["list", "--suite", "release_gate", "--scenarios-dir", p],
    ),
    (
        RS,
        "generate",
        LIBRARIES,
        lambda p, w, o: ["generate", "--scenarios-dir", p, "--out", str(o / "t.py")],
    ),
    (
        RS,
        "run",
        LIBRARIES,
        lambda p, w, o: [
            "run",
            "--scenarios-dir",
            p,
            "--target",
            "recorded",
            "--report-dir",
            str(o / "r"),
        ],
    ),
    (IL, "show", IDS, lambda p, w, o: ["show", p, "--scenarios-dir", str(w.library)]),
    (IL, "tag", IDS, lambda p, w, o: ["tag", p, "--tag", "x", "--scenarios-dir", str(o / "lib")]),
    (
        IL,
        "variants",
        IDS,
        lambda p, w, o: [
            "variants",
            "--scenario",
            p,
            "--scenarios-dir",
            str(w.library),
            "--dry-run",
        ],
    ),
    (RS, "add", IDS, lambda p, w, o: ["add", "--scenario", p, "--scenarios-dir", str(o / "lib")]),
    (
        RS,
        "remove",
        IDS,
        lambda p, w, o: ["remove", "--scenario", p, "--scenarios-dir", str(o / "lib")],
    ),
    (RS, "list", IDS, lambda p, w, o: ["list", "--suite", p, "--scenarios-dir", str(w.library)]),
    (RS, "diff", REPORTS, lambda p, w, o: ["diff", p, str(w.report)]),
    (RS, "merge", REPORTS, lambda p, w, o: ["merge", p, "--out", str(o / "m")]),
    (RS, "history", REPORTS, lambda p, w, o: ["history", "--db", p]),
    (
        IL,
        "report",
        REPORTS,
        lambda p, w, o: ["report", str(w.bundle), "--gate-report", p, "--out", str(o / "r")],
    ),
    (IL, "snapshot", OUTS, lambda p, w, o: ["snapshot", "--from", str(w.log), "--out", p]),
    (IL, "report", OUTS, lambda p, w, o: ["report", str(w.bundle), "--out", p]),
    (
        IL,
        "blast-radius",
        OUTS,
        lambda p, w, o: [
            "blast-radius",
            "--incident",
            str(w.bundle),
            "--from",
            str(w.log),
            "--out",
            p,
        ],
    ),
    (IL, "demo", OUTS, lambda p, w, o: ["demo", "--workdir", p, "--sessions", "20"]),
    (
        RS,
        "generate",
        OUTS,
        lambda p, w, o: ["generate", "--scenarios-dir", str(w.library), "--out", p + "/t.py"],
    ),
    (
        RS,
        "run",
        OUTS,
        lambda p, w, o: [
            "run",
            "--scenarios-dir",
            str(w.library),
            "--target",
            "recorded",
            "--report-dir",
            p,
        ],
    ),
    (RS, "merge", OUTS, lambda p, w, o: ["merge", str(w.report), "--out", p]),
]

SPECIAL: list[tuple[str, str, Argv]] = [
    (
        IL,
        "snapshot --since 99999999d",
        lambda p, w, o: [
            "snapshot",
            "--from",
            str(w.log),
            "--since",
            "99999999d",
            "--out",
            str(o / "b"),
        ],
    ),
    (
        IL,
        "confirm --since 99999999d",
        lambda p, w, o: ["confirm", "--from", str(w.log), "--since", "99999999d"],
    ),
    (
        IL,
        "snapshot --last -1",
        lambda p, w, o: ["snapshot", "--from", str(w.log), "--last", "-1", "--out", str(o / "b")],
    ),
    (
        IL,
        "snapshot --max-line-bytes 0",
        lambda p, w, o: [
            "snapshot",
            "--from",
            str(w.log),
            "--max-line-bytes",
            "0",
            "--out",
            str(o / "b"),
        ],
    ),
    (IL, "plugins --bogus", lambda p, w, o: ["plugins", "--bogus"]),
    (
        RS,
        "run --repeats 0",
        lambda p, w, o: ["run", "--scenarios-dir", str(w.library), "--repeats", "0"],
    ),
    (
        RS,
        "run --shard 3/2",
        lambda p, w, o: ["run", "--scenarios-dir", str(w.library), "--shard", "3/2"],
    ),
]

_CLASSIFICATION = ("classification_deep", "classification_wrong", "classification_detector_errors")
_FOLLOWUP = (*_CLASSIFICATION, "metrics_deep", "timeline_garbage")
_MANIFEST = tuple(k for k in BUNDLES if k.startswith("manifest_"))
_SUITES = ("suite_malformed", "suite_wrong_types", "suite_symlink_out", "suites_dir_symlink_out")

#: Exit 0 is right: the command never reads the damaged part (checked: it is not opened).
NOT_READ: dict[tuple[str, str], tuple[str, ...]] = {
    ("verify", "bundle"): _CLASSIFICATION,  # follow-up: listed only
    ("classify", "bundle"): _MANIFEST + _FOLLOWUP,  # reads trajectories.jsonl, rewrites the rest
    # reads trajectories.jsonl and (to reuse it) followup/classification.json, never the rest
    ("add", "bundle"): (*_MANIFEST, "metrics_deep", "timeline_garbage"),
    ("ticket", "bundle"): ("trajectories_malformed", "trajectories_deep", "trajectories_fifo"),
    ("blast-radius", "bundle"): ("timeline_garbage", "metrics_deep"),
    **{(c, "library"): _SUITES for c in ("show", "tag", "variants")},
    ("list", "library"): _SUITES,
}
#: Exit 0 is right: the command says what it did ("X was not in suite Y").
ANSWERED = {("remove", "unknown_id")}

#: Known gaps: ``((command, ...), (bad-input kind, ...), why)``, each case marked strict
#: xfail (a fix makes it fail until its entry is removed here). Empty: none is known.
_GAP_LIST: list[tuple[tuple[str, ...], tuple[str, ...], str]] = []
GAPS = {(c, k): why for cmds, kinds, why in _GAP_LIST for c in cmds for k in kinds}

_SLOT_OF = {
    id(LOGS): "log",
    id(BUNDLES): "bundle",
    id(CONFIGS): "config",
    id(LIBRARIES): "library",
    id(IDS): "id",
    id(REPORTS): "report",
    id(OUTS): "out",
}


def _param(prog: str, cmd: str, slot: str, kind: str, maker, argv: Argv) -> object:
    zero_ok = kind in NOT_READ.get((cmd, slot), ()) or (cmd, kind) in ANSWERED
    gap = GAPS.get((cmd if prog == IL else f"rs-{cmd}", kind))
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(prog, argv, kind, maker, zero_ok, id=f"{prog}-{cmd}-{kind}", marks=marks)


CASES = [
    _param(prog, cmd, _SLOT_OF[id(kinds)], kind, maker, argv)
    for prog, cmd, kinds, argv in SLOTS
    for kind, maker in kinds.items()
] + [
    pytest.param(prog, argv, name, None, False, id=f"{prog}-{name}") for prog, name, argv in SPECIAL
]


@pytest.fixture
def alarm() -> Iterator[list[bool]]:
    """Interrupt a command that blocks for 15 s; the flag says it happened."""
    fired = [False]

    def hung(signum: int, frame: object) -> None:
        fired[0] = True
        raise TimeoutError("HUNG: no answer within 15 s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(15)
    yield fired
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize(("prog", "argv", "kind", "maker", "zero_ok"), CASES)
def test_bad_input(
    world: World,
    tmp_path: Path,
    alarm: list[bool],
    prog: str,
    argv: Argv,
    kind: str,
    maker,
    zero_ok: bool,
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    if maker is None:
        target = ""
    elif isinstance(maker, str):
        target = maker
        shutil.copytree(world.library, work / "lib")
    else:
        target = str(maker(work, world))
        if prog == IL and not (work / "lib").exists():
            shutil.copytree(world.library, work / "lib")
    r = invoke_cli(prog, argv(target, world, work))
    err = r.stderr
    assert not alarm[0] and "HUNG" not in err, f"hung: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert r.exit_code in DOCUMENTED, (r.exit_code, err)
    if zero_ok and r.exit_code == 0:
        return
    assert r.exit_code != 0, f"bad input accepted silently: {r.stdout[:300]}"
    errors = [line for line in err.splitlines() if ": error:" in line]
    assert len(errors) == 1, err
    if kind in ("symlink_out_of_root", "suite_symlink_out"):
        assert "wJalrXUtnFEMI" not in err + r.stdout
        for produced in work.rglob("*"):
            if produced.is_file() and not produced.is_symlink() and produced.name != "secret.env":
                assert b"wJalrXUtnFEMI" not in produced.read_bytes(), produced
    if maker is not None and not isinstance(maker, str) and r.exit_code == 3:
        names = {Path(target).name, Path(target).parent.name}
        assert any(n and n in errors[0] for n in names) or str(work) in errors[0], errors[0]
