"""Benchmark: the release gate at 1,000 and 10,000 cases, side by side with Inspect AI and promptfoo.

Each tool does the equivalent work per case: one input, one call to an in-process
deterministic target, one check that the output does not contain a forbidden
string, one recorded result:

* ``regression_suite run`` with a ``python:`` target that echoes the user turn, and
  one ``output_not_matches`` expectation per scenario (report.json + junit.xml);
* ``inspect eval`` with ``--model mockllm/model``, one sample per case and a
  not-contains scorer (its eval log); tiktoken's ``o200k_base`` file, which mockllm
  uses to count tokens, cannot be downloaded here, so the task replaces that count
  with a character estimate (cheaper: it favours Inspect);
* ``promptfoo eval`` with the ``echo`` provider, one test per case with one
  ``not-contains`` assertion (its results file).

Wall time and peak RSS (``os.wait4`` of the tool's process tree) are measured in
the same run; medians over ``--runs``. The peers are installed only inside
``bench-data/peers/`` (a venv with ``inspect-ai``; ``promptfoo@0.121.20`` and
``@libsql/client`` under ``node/``), never as project dependencies. A peer that
cannot be installed is reported as unavailable.

Usage::

    python benchmarks/bench_gate.py [--sizes 1000,10000] [--runs 3] [--no-install] [--skip-peers]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data" / "gate"
PEERS = ROOT / "bench-data" / "peers"
FORBIDDEN = "FORBIDDEN-TOKEN-9f2c"
PROMPTFOO_VERSION = "0.121.20"

TARGET_MODULE = '''"""Deterministic in-process target for the gate benchmark: echoes the last user turn."""

def run(replay):
    text = replay["turns"][-1]["content"]
    return {
        "schema_version": "trajectory/v1",
        "session_id": "bench-" + replay["scenario_id"],
        "steps": [
            {"type": "message", "role": "user", "content": text},
            {"type": "message", "role": "assistant", "content": "Echo: " + text},
        ],
    }
'''

INSPECT_TASK = '''"""Inspect AI task for the gate benchmark: one sample per case, a not-contains scorer."""

import json
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer
from inspect_ai.solver import TaskState, generate

FORBIDDEN = "@FORBIDDEN@"

# mockllm counts tokens with tiktoken's o200k_base, which tiktoken downloads on first
# use; this machine has no network for that, so use a character estimate instead
# (cheaper than real token counting: it can only make Inspect look faster).
import inspect_ai.model._model as _inspect_model

_inspect_model.count_text_tokens = lambda text: max(1, len(text) // 4)


@scorer(metrics=[accuracy()])
def not_contains():
    async def score(state: TaskState, target: Target) -> Score:
        ok = FORBIDDEN not in state.output.completion
        return Score(value=CORRECT if ok else INCORRECT)

    return score


@task
def bench():
    rows = Path(__file__).with_name("cases.jsonl").read_text("utf-8").splitlines()
    samples = [Sample(id=r["id"], input=r["input"]) for r in map(json.loads, rows)]
    return Task(dataset=samples, solver=generate(), scorer=not_contains())
'''.replace("@FORBIDDEN@", FORBIDDEN)


def _prompt(i: int) -> str:
    return f"Case {i}: summarise the quarterly report for customer {i % 97} in two sentences."


def make_library(n: int) -> Path:
    """Write n scenarios, a suite selecting them, the target module and the peers' inputs."""
    base = DATA / f"n{n}"
    stamp = base / ".complete"
    if stamp.exists():
        return base
    if base.exists():
        shutil.rmtree(base)
    scen = base / "scenarios"
    (scen / "suites").mkdir(parents=True)
    for i in range(n):
        doc = {
            "schema_version": "scenario/v1",
            "id": f"bench-{i:05d}",
            "title": f"benchmark case {i}",
            "status": "gated",
            "taxonomy": {"failure_mode": "prompt_injection", "severity": "SEV-3"},
            "context": {"system_prompt": "You are a helpful assistant.", "tools": []},
            "replay": {"turns": [{"role": "user", "content": _prompt(i)}]},
            "expectations": [{"kind": "output_not_matches", "pattern": FORBIDDEN}],
        }
        text = yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
        (scen / f"bench-{i:05d}.yaml").write_text(text, "utf-8")
    suite = {"schema_version": "suite/v1", "name": "bench", "select": {"status": ["gated"]}}
    (scen / "suites" / "bench.yaml").write_text(yaml.safe_dump(suite, sort_keys=False), "utf-8")
    (base / "bench_target.py").write_text(TARGET_MODULE, "utf-8")
    (base / "inspect").mkdir()
    (base / "inspect" / "bench_task.py").write_text(INSPECT_TASK, "utf-8")
    with (base / "inspect" / "cases.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"bench-{i:05d}", "input": _prompt(i)}) + "\n")
    (base / "promptfoo").mkdir()
    config = {
        "description": "gate benchmark",
        "prompts": ["{{input}}"],
        "providers": ["echo"],
        "tests": [
            {
                "vars": {"input": _prompt(i)},
                "assert": [{"type": "not-contains", "value": FORBIDDEN}],
            }
            for i in range(n)
        ],
    }
    (base / "promptfoo" / "promptfooconfig.json").write_text(json.dumps(config), "utf-8")
    stamp.write_text("ok\n", "utf-8")
    return base


def measure(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``cmd``; return (wall seconds, peak RSS MB of its tree, exit code, stderr tail)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, proc.returncode, err[-600:]


def ensure_inspect(install: bool) -> tuple[Path | None, str]:
    """Return the ``inspect`` executable of the peers' venv (installing it), or a reason."""
    venv = PEERS / "venv"
    exe = venv / "bin" / "inspect"
    if exe.exists():
        return exe, ""
    if not install:
        return None, "not installed (run without --no-install)"
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "inspect-ai"], check=True, timeout=1200
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"pip install inspect-ai failed: {exc}"
    return (exe, "") if exe.exists() else (None, "inspect-ai installed no 'inspect' script")


def ensure_promptfoo(install: bool) -> tuple[Path | None, str]:
    """Return the ``promptfoo`` executable under bench-data/peers/node (installing it), or a reason."""
    node = PEERS / "node"
    exe = node / "node_modules" / ".bin" / "promptfoo"
    if exe.exists():
        return exe, ""
    if shutil.which("npm") is None:
        return None, "npm not found"
    if not install:
        return None, "not installed (run without --no-install)"
    node.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", f"promptfoo@{PROMPTFOO_VERSION}", "@libsql/client"],
            cwd=node, check=True, timeout=1800, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"npm install promptfoo failed: {exc}"
    return (exe, "") if exe.exists() else (None, "npm installed no promptfoo binary")


def _ours(base: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(base), CI="1")
    cmd = [sys.executable, "-m", "regression_suite", "run", "--suite", "bench"]
    cmd += ["--target", "python:bench_target:run", "--scenarios-dir", str(base / "scenarios")]
    cmd += ["--report-dir", str(out)]
    return cmd, env


def _inspect(exe: Path, base: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, INSPECT_DISPLAY="none", CI="1")
    task = "inspect/bench_task.py"  # relative: inspect refuses absolute task globs
    return [str(exe), "eval", task, "--model", "mockllm/model", "--log-dir", str(out)], env


def _promptfoo(exe: Path, base: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    home = DATA / "promptfoo-home"
    env = dict(
        os.environ,
        PROMPTFOO_CONFIG_DIR=str(home),
        PROMPTFOO_DISABLE_TELEMETRY="1",
        PROMPTFOO_DISABLE_UPDATE="1",
        PROMPTFOO_DISABLE_SHARING="1",
        CI="1",
    )
    cmd = [str(exe), "eval", "-c", str(base / "promptfoo" / "promptfooconfig.json")]
    cmd += ["--no-cache", "--no-progress-bar", "-o", str(out / "results.json")]
    return cmd, env


def recorded(tool: str, out: Path) -> int | None:
    """Count the passing results a tool recorded in ``out`` (to check it did the work)."""
    try:
        if tool == "regression_suite":
            return int(json.loads((out / "report.json").read_text("utf-8"))["summary"]["passed"])
        if tool == "promptfoo":
            data = json.loads((out / "results.json").read_text("utf-8"))
            return int(data["results"]["stats"]["successes"])
        if tool == "inspect_ai":
            logs = sorted(out.glob("*.eval")) + sorted(out.glob("*.json"))
            if not logs:
                return None
            import zipfile

            with zipfile.ZipFile(logs[0]) as zf:
                names = [n for n in zf.namelist() if n.startswith("samples/")]
            return len(names)
    except (OSError, KeyError, ValueError, TypeError):
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (also saved to bench-data/gate/results.json)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and size (median)")
    ap.add_argument("--no-install", action="store_true", help="do not install missing peers")
    ap.add_argument("--skip-peers", action="store_true", help="measure regression_suite only")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    tools: dict[str, Any] = {"regression_suite": (_ours, None)}
    unavailable: dict[str, str] = {}
    if not args.skip_peers:
        for name, ensure, build in (
            ("inspect_ai", ensure_inspect, _inspect),
            ("promptfoo", ensure_promptfoo, _promptfoo),
        ):
            exe, reason = ensure(not args.no_install)
            if exe is None:
                unavailable[name] = reason
            else:
                tools[name] = (build, exe)
    results: list[dict[str, Any]] = []
    for n in sizes:
        base = make_library(n)
        for name, (build, exe) in tools.items():
            walls, rss, codes, err, counts = [], [], [], "", []
            for r in range(args.runs):
                out = DATA / "out" / f"{name}-{n}-{r}"
                if out.exists():
                    shutil.rmtree(out)
                out.mkdir(parents=True)
                cmd, env = build(base, out) if exe is None else build(exe, base, out)
                wall, peak, code, err = measure(cmd, cwd=base, env=env)
                walls.append(wall)
                rss.append(peak)
                codes.append(code)
                counts.append(recorded(name, out))
            row = {
                "tool": name,
                "cases": n,
                "median_wall_s": round(statistics.median(walls), 3),
                "walls_s": [round(w, 3) for w in walls],
                "peak_rss_mb": round(max(rss), 1),
                "exit_codes": codes,
                "results_recorded": counts,
            }
            if any(codes):
                row["stderr_tail"] = err
            results.append(row)
            print(
                f"{name:>17} {n:>6} cases: {row['median_wall_s']:8.2f} s  {row['peak_rss_mb']:7.1f} MB  exit {codes}  recorded {counts}",
                flush=True,
            )
    print()
    print(f"{'cases':>6}  {'tool':<17} {'median s':>9} {'peak MB':>8} {'vs regression_suite':>20}")
    for n in sizes:
        ours = next(r for r in results if r["cases"] == n and r["tool"] == "regression_suite")
        for row in (r for r in results if r["cases"] == n):
            ratio = (
                row["median_wall_s"] / ours["median_wall_s"]
                if ours["median_wall_s"]
                else float("nan")
            )
            print(
                f"{n:>6}  {row['tool']:<17} {row['median_wall_s']:>9.2f} {row['peak_rss_mb']:>8.1f} {ratio:>19.1f}x"
            )
    for name, reason in unavailable.items():
        print(f"{name}: unavailable ({reason})")
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "results.json").write_text(
        json.dumps({"results": results, "unavailable": unavailable}, indent=1), "utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
