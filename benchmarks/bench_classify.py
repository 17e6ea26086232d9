"""Evaluate ``incident_lab classify`` on the labelled evaluation set, and time it.

Regenerates the set from its seed (so the numbers are reproducible), classifies it as one
batch, prints the per-mode table, the confusion matrix, the confidence calibration and a
reliability diagram per mode. This set is the "ceiling" row: the project wrote both the data
and the detectors. The accuracy numbers on third-party data come from
``benchmarks/triage_eval`` (its ``run.py``).

Throughput, one core, CPU seconds (``time.process_time``), median of ``--runs`` runs:

- **realistic set** (issue 10's target, >= 1,000 sessions/s): the AgentDojo and
  BastionCorpus sessions of the triage-eval cache (:data:`REALISTIC`; pinned package versions
  and wheel SHA-256 from ``benchmarks/triage_eval/sources.py``, converted by its
  ``convert.py``; ground truth stripped), each classified on its own with
  ``classify_trajectory`` as the triage evaluation does. The corpus line names the packages,
  the number of sessions, the bytes of tool output and a SHA-256 of the session files, so
  two numbers are comparable only when that line is the same. Skipped (with a note) when the
  cache has not been filled (``fetch.py`` and ``convert.py``).
- **generated set**: the labelled set above as one ``classify_many`` batch.

Every run starts cold for the per-text memos (``incident_lab.classify.session.clear_memo``:
spans, unit scores, readable forms, ...); the process is warmed by one untimed pass first
(imports, compiled patterns, RE2's lazily built automata), whose time is printed as the
first pass.

Two checkouts in one sitting (``--against DIR``): the realistic set only, in two processes
that import ``incident_lab`` from this checkout and from ``DIR``; after an untimed pass each,
they time one cold pass in turn, ``--pairs`` times, the order swapped every pair, so the two
passes of a pair share the load of the moment on a shared, noisy machine. Printed: each
tree's median sessions/s and CPU seconds per pass, and the median (and quartiles) of the
pairs' throughput ratios.

Usage::

    python benchmarks/bench_classify.py [--seed N] [--repeat N] [--runs N] [--cache DIR]
    python benchmarks/bench_classify.py --against /tmp/base-export [--pairs N] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.classify_eval.generate import DEFAULT_SEED, generate
from benchmarks.classify_eval.metrics import evaluate, format_report
from benchmarks.triage_eval.sessions import strip_truth
from benchmarks.triage_eval.sources import SOURCES, cache_dir
from incident_lab.classify import classify_many, classify_trajectory
from incident_lab.classify.session import clear_memo

#: The realistic set: third-party agent sessions with large tool outputs.
REALISTIC = ("agentdojo", "bastioncorpus")


def realistic_set(cache: Path) -> tuple[list[dict[str, Any]], str] | None:
    """The realistic sessions (truth stripped) and the line that pins them, or None when the
    triage-eval cache lacks them."""
    sessions: list[dict[str, Any]] = []
    digest = hashlib.sha256()
    for name in REALISTIC:
        path = cache / "trajectories" / f"{name}.jsonl"
        if not path.exists():
            return None
        data = path.read_bytes()
        digest.update(data)
        sessions += [strip_truth(json.loads(line)) for line in data.splitlines() if line.strip()]
    packages = ", ".join(
        f"{s.package} {s.version} (wheel sha256 {s.sha256[:12]})"
        for s in SOURCES
        if s.name in REALISTIC
    )
    output = sum(
        len(str(step.get("output", "")))
        for traj in sessions
        for step in traj.get("steps", [])
        if isinstance(step, dict) and step.get("type") == "tool_result"
    )
    pinned = (
        f"{packages}; {len(sessions)} sessions, {output:,} characters of tool output "
        f"({output // max(1, len(sessions)):,}/session), files sha256 {digest.hexdigest()[:16]}"
    )
    return sessions, pinned


def timed(work: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """CPU seconds of one warm-up pass and of ``runs`` timed passes, each with cold memos."""
    times = []
    for _ in range(runs + 1):
        clear_memo()
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return times[0], times[1:]


def report(label: str, n: int, first: float, times: list[float]) -> str:
    """One throughput line: median sessions/s over the timed runs, the spread and the first
    (cold-process) pass."""
    median = statistics.median(times)
    return (
        f"{label}: {n / median:,.0f} sessions/s (CPU, one core, median of {len(times)} runs; "
        f"{median / n * 1e6:.0f} us/session; runs {n / max(times):,.0f}-{n / min(times):,.0f}/s; "
        f"first pass in a fresh process {n / first:,.0f}/s)"
    )


#: The timing a child process runs (:func:`compare`): only ``classify_trajectory`` and
#: ``clear_memo`` of the checkout under test are imported, so an older checkout can be timed.
#: One untimed pass, then one cold pass per ``run`` line read, its CPU seconds printed.
_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import incident_lab
from incident_lab.classify import classify_trajectory
from incident_lab.classify.session import clear_memo
with open(sys.argv[2], encoding="utf-8") as fh:
    sessions = json.load(fh)
def one_pass():
    clear_memo()
    start = time.process_time()
    for t in sessions:
        classify_trajectory(t)
    return time.process_time() - start
one_pass()
print(json.dumps({"module": incident_lab.__file__}), flush=True)
for line in sys.stdin:
    print(json.dumps({"time": one_pass()}), flush=True)
"""


class _Child:
    """A process that imports ``incident_lab`` from ``tree`` (checked: a tree that is not
    imported is an error) and times one cold pass over the sessions on request."""

    def __init__(self, tree: Path, sessions_file: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(tree), str(sessions_file)],
            env=env,
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        module = self._read()["module"]
        if not Path(module).resolve().is_relative_to(tree.resolve()):
            self.close()
            raise SystemExit(f"bench_classify: {tree} imported incident_lab from {module}")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"bench_classify: a timing process ended ({self.proc.wait()})")
        found: dict[str, Any] = json.loads(line)
        return found

    def timed_pass(self) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return float(self._read()["time"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


def compare(sessions: list[dict[str, Any]], other: Path, pairs: int) -> list[str]:
    """Time this checkout and ``other`` on ``sessions`` in one sitting: two warmed processes,
    one cold pass each in turn (the order swapped every pair), so each pair of passes shares
    the machine's load of the moment; the lines to print."""
    here = Path(__file__).resolve().parent.parent
    trees = {"this": here, "other": other.resolve()}
    times: dict[str, list[float]] = {"this": [], "other": []}
    with tempfile.TemporaryDirectory() as tmp:
        sessions_file = Path(tmp) / "sessions.json"
        sessions_file.write_text(json.dumps(sessions), "utf-8")
        children = {name: _Child(tree, sessions_file) for name, tree in trees.items()}
        try:
            for k in range(pairs):
                for name in ("this", "other") if k % 2 == 0 else ("other", "this"):
                    times[name].append(children[name].timed_pass())
        finally:
            for child in children.values():
                child.close()
    n = len(sessions)
    lines = []
    for name in ("this", "other"):
        ts = times[name]
        median = statistics.median(ts)
        lines.append(
            f"{name} ({trees[name]}): {n / median:,.0f} sessions/s, {median:.3f} CPU s per pass "
            f"(median of {len(ts)} passes; passes {n / max(ts):,.0f}-{n / min(ts):,.0f}/s)"
        )
    ratios = sorted(o / t for o, t in zip(times["other"], times["this"], strict=True))
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    lines.append(
        f"this / other throughput: {statistics.median(ratios):.3f} (median of {pairs} paired "
        f"passes; quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f})"
    )
    return lines


def main() -> None:
    """Run the evaluation and the timing."""
    parser = argparse.ArgumentParser(description="classify evaluation and throughput")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--repeat", type=int, default=1, help="classify the generated set N times per run"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs (the median is reported)")
    parser.add_argument("--cache", type=Path, default=None, help="triage-eval cache directory")
    parser.add_argument(
        "--against", type=Path, default=None, help="time the realistic set against this checkout"
    )
    parser.add_argument("--pairs", type=int, default=16, help="--against: paired passes")
    args = parser.parse_args()
    if args.against is not None:
        found = realistic_set(args.cache or cache_dir())
        if found is None:
            raise SystemExit(f"bench_classify: {', '.join(REALISTIC)} not in the triage-eval cache")
        print(f"realistic corpus: {found[1]}")
        for line in compare(found[0], args.against, args.pairs):
            print(line)
        return

    realistic = realistic_set(args.cache or cache_dir())
    if realistic is not None:  # timed first: a fresh process, as the first-pass figure says
        sessions, pinned = realistic
        first, times = timed(lambda: [classify_trajectory(t) for t in sessions], args.runs)
        realistic_line = report("realistic set", len(sessions), first, times)

    records = generate(args.seed)
    print(f"classify evaluation: {len(records)} labelled sessions (seed {args.seed})")
    print(format_report(evaluate(records)))
    trajs = [r["trajectory"] for r in records] * args.repeat
    first, times = timed(lambda: classify_many(trajs), args.runs)

    print("\nthroughput")
    if realistic is not None:
        print(f"realistic corpus: {pinned}")
        print(realistic_line)
    else:
        print(
            f"realistic set: skipped, {', '.join(REALISTIC)} not in the triage-eval cache "
            "(run benchmarks/triage_eval/fetch.py and convert.py)"
        )
    print(report(f"generated set (batch of {len(trajs)})", len(trajs), first, times))


if __name__ == "__main__":
    main()
