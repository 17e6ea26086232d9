"""Evaluate ``incident_lab classify`` on the labelled evaluation set: precision/recall/F1 per mode.

Regenerates the set from its seed (so the numbers are reproducible), classifies it as one
batch, prints the per-mode table, the confusion matrix, the confidence calibration and a
reliability diagram per mode, and the throughput in sessions per second on one core
(best of 5 runs of the whole batch, in this process).

This set is the "ceiling" row: the project wrote both the data and the detectors. The
numbers on third-party data come from ``benchmarks/triage_eval`` (its ``run.py``).

Usage::

    python benchmarks/bench_classify.py [--seed N] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.classify_eval.generate import DEFAULT_SEED, generate
from benchmarks.classify_eval.metrics import evaluate, format_report
from incident_lab.classify import classify_many
from incident_lab.provenance.cues import clear_memo


def main() -> None:
    """Run the evaluation and the timing."""
    parser = argparse.ArgumentParser(description="classify evaluation")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--repeat", type=int, default=1, help="classify the set N times per run (more sessions)"
    )
    args = parser.parse_args()
    records = generate(args.seed)
    print(f"classify evaluation: {len(records)} labelled sessions (seed {args.seed})")
    print(format_report(evaluate(records)))
    trajs = [r["trajectory"] for r in records] * args.repeat
    times, cpu = [], []
    for _ in range(5):
        clear_memo()  # cold: no span memoised from the previous run
        start, start_cpu = time.perf_counter(), time.process_time()
        classify_many(trajs)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    best, median, best_cpu = min(times), statistics.median(times), min(cpu)
    print(
        f"\nthroughput (one core): {len(trajs) / best_cpu:,.0f} sessions/s of CPU time "
        f"(best of 5; {best_cpu / len(trajs) * 1e6:.0f} us/session); wall clock "
        f"{len(trajs) / best:,.0f} sessions/s best, {len(trajs) / median:,.0f} median "
        f"(batch of {len(trajs)})"
    )


if __name__ == "__main__":
    main()
