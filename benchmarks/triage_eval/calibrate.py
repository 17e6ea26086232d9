"""Fit classify's per-mode calibration curve on third-party data, and score it held out.

    python benchmarks/triage_eval/calibrate.py [--cache DIR] [--write]

For each failure mode with labelled third-party data (today only ``prompt_injection``: the
sources label whether an injection is present; no public source labels the other modes), the
sessions where classify *reports* the mode (score >= the engine's threshold) give pairs
(score, right). An isotonic (pool-adjacent-violators) fit, each source weighted equally,
turns the score into the probability of being right. Sealed sources are never fitted on.

Printed: leave-one-source-out expected calibration error (fit on every other unsealed
source, score the one left out) of the raw score and of the calibrated confidence, and a
reliability table before/after on all sources. ``--write`` stores the curve fitted on every
unsealed source in ``incident_lab/data/calibration.json`` (with the sources, counts and the
commit the scores came from); the engine reads it from there.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.triage_eval.run import _commit, _load, classify_all
from benchmarks.triage_eval.sources import SEALED, cache_dir

MODE = "prompt_injection"
OUT = Path(__file__).resolve().parents[2] / "incident_lab" / "data" / "calibration.json"

Pair = tuple[float, float, float]  # (score, right 0/1, weight)


def pav(pairs: Sequence[Pair]) -> list[tuple[float, float, float, float]]:
    """Weighted isotonic regression: blocks ``(low score, high score, value, weight)``.

    Pool-adjacent-violators: walk the pairs in score order and merge a block into its left
    neighbour while the neighbour's value is higher or equal (equal neighbours are one
    block, so a run of right answers is one block however many scores it spans).
    """
    pooled: dict[float, list[float]] = {}  # equal scores are one point: [sum w*y, sum w]
    for x, y, w in pairs:
        acc = pooled.setdefault(x, [0.0, 0.0])
        acc[0] += w * y
        acc[1] += w
    blocks: list[list[float]] = []  # [low x, high x, sum w*y, sum w]
    for x, (wy, w) in sorted(pooled.items()):
        blocks.append([x, x, wy, w])
        while len(blocks) > 1 and (
            blocks[-2][2] / blocks[-2][3] >= blocks[-1][2] / blocks[-1][3] - 1e-12
        ):
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0], last[1], blocks[-1][2] + last[2], blocks[-1][3] + last[3]]
    return [(lo, hi, sy / sw, sw) for lo, hi, sy, sw in blocks]


def fit(rows_by_source: dict[str, list[dict]], threshold: float) -> dict[str, list[float]]:
    """The curve's knots from the reported rows of these sources.

    Each source carries the same total weight (its rows share it), scaled so that the
    weights sum to the number of rows; each fitted block's value is smoothed with one right
    and one wrong answer of prior (Laplace), so 30 right answers say 0.97, not 1.0. A block
    gives two knots, at its lowest and highest score.
    """
    reported = {
        name: [r for r in rows if r["pi_conf"] >= threshold]
        for name, rows in rows_by_source.items()
    }
    reported = {name: rows for name, rows in reported.items() if rows}
    total = sum(len(rows) for rows in reported.values())
    pairs: list[Pair] = []
    for rows in reported.values():
        w = total / (len(reported) * len(rows))
        pairs += [(r["pi_conf"], float(r["truth"]["kind"] != "benign"), w) for r in rows]
    xs: list[float] = []
    ys: list[float] = []
    for lo, hi, y, w in pav(pairs):
        value = round(max((y * w + 1.0) / (w + 2.0), ys[-1] if ys else 0.0), 3)
        for x in (lo, hi) if hi > lo else (lo,):
            xs.append(round(x, 4))
            ys.append(value)
    return {"x": xs, "y": ys}


def ece(rows: list[dict], threshold: float, curve=None) -> tuple[float | None, int]:
    """Expected calibration error (ten bins) of the reported rows, raw or through ``curve``."""
    reported = [r for r in rows if r["pi_conf"] >= threshold]
    if not reported:
        return None, 0
    conf = [curve(r["pi_conf"]) if curve else r["pi_conf"] for r in reported]
    right = [float(r["truth"]["kind"] != "benign") for r in reported]
    total = 0.0
    for b in range(10):
        idx = [i for i, c in enumerate(conf) if b / 10 <= c < (b + 1) / 10 or (b == 9 and c == 1)]
        if idx:
            total += abs(sum(conf[i] for i in idx) - sum(right[i] for i in idx))
    return round(total / len(reported), 3), len(reported)


def main(argv: list[str] | None = None) -> int:
    from incident_lab.classify.calibration import Curve
    from incident_lab.classify.engine import THRESHOLD

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="cache directory")
    parser.add_argument("--write", action="store_true", help=f"write the curve to {OUT}")
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    rows_by_source = {name: classify_all(sessions) for name, sessions in _load(cache).items()}
    tunable = {k: v for k, v in rows_by_source.items() if k not in SEALED}
    print(f"calibration of {MODE} (reported at score >= {THRESHOLD}); ECE, ten bins")
    print("| held-out source | reported | ECE raw score | ECE calibrated (fit on the others) |")
    print("|---|---|---|---|")
    for name, rows in rows_by_source.items():
        others = {k: v for k, v in tunable.items() if k != name}
        curve = Curve.from_dict(fit(others, THRESHOLD))
        raw, n = ece(rows, THRESHOLD)
        cal, _ = ece(rows, THRESHOLD, curve)
        print(f"| {name}{' (sealed)' if name in SEALED else ''} | {n} | {raw} | {cal} |")
    knots = fit(tunable, THRESHOLD)
    print(
        f"curve fitted on {sorted(tunable)}: "
        + ", ".join(f"{x:.2f}->{y:.3f}" for x, y in zip(knots["x"], knots["y"], strict=True))
    )
    if args.write:
        n = sum(1 for rows in tunable.values() for r in rows if r["pi_conf"] >= THRESHOLD)
        doc = {
            "about": "classify's calibration curves; written by benchmarks/triage_eval/calibrate.py",
            "modes": {
                MODE: {
                    **knots,
                    "fitted_on": sorted(tunable),
                    "reported_sessions": n,
                    "scores_from_commit": _commit().split(" @ ")[-1],
                }
            },
        }
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"calibrate: wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
