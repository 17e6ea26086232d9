"""Generate the labelled evaluation set for ``incident_lab classify``, deterministically by seed.

Each JSONL line is ``{"id", "label": {"failure_mode" (None = benign), "severity", "hard",
"note"}, "trajectory"}``. The set is evaluated as one batch (coordinated misuse needs the
other sessions), in a shuffled order.

Usage::

    python -m benchmarks.classify_eval.generate [--seed 20260201] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from benchmarks.classify_eval.attacks import drift_cases, hallucination_cases, injection_cases
from benchmarks.classify_eval.benign import benign_cases
from benchmarks.classify_eval.pressure import (
    campaign_cases,
    erosion_cases,
    safeguard_cases,
    unknown_cases,
)

__all__ = ["DEFAULT_OUT", "DEFAULT_SEED", "generate", "write"]

DEFAULT_SEED = 20260201
DEFAULT_OUT = Path(__file__).with_name("eval_set.jsonl")
PER_MODE = 24
BENIGN = 44


def generate(seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Return the labelled records for ``seed`` (same seed, same records)."""
    rng = random.Random(seed)
    counter = iter(range(1, 100000))

    def sid() -> str:
        return f"eval-{next(counter):04d}-{rng.randrange(16**4):04x}"

    cases = []
    for build in (
        injection_cases,
        erosion_cases,
        drift_cases,
        hallucination_cases,
        campaign_cases,
        safeguard_cases,
        unknown_cases,
    ):
        cases.extend(build(rng, PER_MODE, sid))
    cases.extend(benign_cases(rng, BENIGN, sid))
    rng.shuffle(cases)
    return [{"id": traj["session_id"], "label": label, "trajectory": traj} for traj, label in cases]


def write(records: list[dict[str, Any]], out: Path) -> None:
    """Write ``records`` as JSONL (sorted keys, UTF-8)."""
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    records = generate(args.seed)
    write(records, args.out)
    print(f"wrote {len(records)} labelled sessions to {args.out}")


if __name__ == "__main__":
    main()
