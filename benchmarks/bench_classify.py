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

Usage::

    python benchmarks/bench_classify.py [--seed N] [--repeat N] [--runs N] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
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


def main() -> None:
    """Run the evaluation and the timing."""
    parser = argparse.ArgumentParser(description="classify evaluation and throughput")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--repeat", type=int, default=1, help="classify the generated set N times per run"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs (the median is reported)")
    parser.add_argument("--cache", type=Path, default=None, help="triage-eval cache directory")
    args = parser.parse_args()

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
