"""Evaluate ``incident_lab classify`` on the labelled evaluation set: precision/recall/F1 per mode.

Regenerates the set from its seed (so the numbers are reproducible), classifies it as one
batch, prints the per-mode table, the confusion matrix and the confidence calibration, and
the median classification time per session over 5 runs.

Usage::

    python benchmarks/bench_classify.py [--seed N]
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


def main() -> None:
    """Run the evaluation and the timing."""
    parser = argparse.ArgumentParser(description="classify evaluation")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    records = generate(args.seed)
    print(f"classify evaluation: {len(records)} labelled sessions (seed {args.seed})")
    print(format_report(evaluate(records)))
    trajs = [r["trajectory"] for r in records]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        classify_many(trajs)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"\ntiming: median {median * 1000:.0f} ms per batch of {len(trajs)} ({median / len(trajs) * 1e6:.0f} us/session)"
    )


if __name__ == "__main__":
    main()
