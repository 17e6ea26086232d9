"""Fit classify's per-mode calibration curve on third-party data, and score it held out.

    python benchmarks/triage_eval/calibrate.py [--cache DIR] [--write]

For each failure mode with labelled third-party data (``prompt_injection``: most sources label
whether an injection is present; ``tool_hallucination``: bfcl's withheld functions, see
``Source.mode``), the sessions of the sources labelled for that mode where classify *reports*
the mode (score >= the engine's threshold) give pairs (score, right). An isotonic (pool-adjacent-violators) fit, each source weighted equally,
turns the score into the probability of being right. Sealed sources are never fitted on.

Printed per mode: leave-one-source-out expected calibration error (fit on every other unsealed
source, score the one left out) of the raw score and of the calibrated confidence; a mode
labelled by one source only is held out in five folds by item instead (the variants of one
item stay together), which says less: the folds share the source's style, and one source
rarely labels every way a mode is reported, so such a curve is printed but not written.
``--write`` stores the curves fitted on every unsealed source in ``incident_lab/data/calibration.json``
(with the sources, counts, how it was held out and the commit the scores came from); the
engine reads them from there.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.triage_eval.run import _commit, _load, classify_all
from benchmarks.triage_eval.sources import MODE_OF, SEALED, cache_dir

MODE = "prompt_injection"
FOLDS = 5
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


def score(row: dict, mode: str = MODE) -> float:
    """The row's score for ``mode`` (rows from run.classify_all carry every mode's)."""
    scores = row.get("scores")
    if scores is None:
        return float(row["pi_conf"]) if mode == MODE else 0.0
    return float(scores.get(mode, 0.0))


def held_out_groups(
    rows_by_source: dict[str, list[dict]],
) -> tuple[str, dict[str, list[dict]]]:
    """How a mode's calibration is held out: by source when two or more sources are labelled
    for it, else ``FOLDS`` folds of the one source by item (an item's variants together)."""
    if len(rows_by_source) != 1:
        return "source", rows_by_source
    (rows,) = rows_by_source.values()
    folds: dict[str, list[dict]] = {f"fold {k + 1}": [] for k in range(FOLDS)}
    for r in rows:
        k = zlib.crc32(str(r["truth"].get("item", "")).encode("utf-8")) % FOLDS
        folds[f"fold {k + 1}"].append(r)
    return f"{FOLDS} folds by item", folds


def fit(
    rows_by_source: dict[str, list[dict]], threshold: float, mode: str = MODE
) -> dict[str, list[float]]:
    """The curve's knots from the reported rows of these sources.

    Each source carries the same total weight (its rows share it), scaled so that the
    weights sum to the number of rows; each fitted block's value is smoothed with one right
    and one wrong answer of prior (Laplace), so 30 right answers say 0.97, not 1.0. A block
    gives two knots, at its lowest and highest score.
    """
    reported = {
        name: [r for r in rows if score(r, mode) >= threshold]
        for name, rows in rows_by_source.items()
    }
    reported = {name: rows for name, rows in reported.items() if rows}
    total = sum(len(rows) for rows in reported.values())
    pairs: list[Pair] = []
    for rows in reported.values():
        w = total / (len(reported) * len(rows))
        pairs += [(score(r, mode), float(r["truth"]["kind"] != "benign"), w) for r in rows]
    xs: list[float] = []
    ys: list[float] = []
    for lo, hi, y, w in pav(pairs):
        value = round(max((y * w + 1.0) / (w + 2.0), ys[-1] if ys else 0.0), 3)
        for x in (lo, hi) if hi > lo else (lo,):
            xs.append(round(x, 4))
            ys.append(value)
    return {"x": xs, "y": ys}


def ece(
    rows: list[dict], threshold: float, curve=None, mode: str = MODE
) -> tuple[float | None, int]:
    """Expected calibration error (ten bins) of the reported rows, raw or through ``curve``."""
    reported = [r for r in rows if score(r, mode) >= threshold]
    if not reported:
        return None, 0
    conf = [curve(score(r, mode)) if curve else score(r, mode) for r in reported]
    right = [float(r["truth"]["kind"] != "benign") for r in reported]
    total = 0.0
    for b in range(10):
        idx = [i for i, c in enumerate(conf) if b / 10 <= c < (b + 1) / 10 or (b == 9 and c == 1)]
        if idx:
            total += abs(sum(conf[i] for i in idx) - sum(right[i] for i in idx))
    return round(total / len(reported), 3), len(reported)


def calibrate_mode(
    mode: str, labelled: dict[str, list[dict]], threshold: float, curve_of
) -> dict | None:
    """Print one mode's held-out ECE table and return its curve entry (None: nothing reported)."""
    tunable = {k: v for k, v in labelled.items() if k not in SEALED}
    how, groups = held_out_groups(tunable)
    print(f"\ncalibration of {mode} (reported at score >= {threshold}); ECE, ten bins")
    print(f"| held out ({how}) | reported | ECE raw score | ECE calibrated (fit on the others) |")
    print("|---|---|---|---|")
    scored = {**groups, **{k: v for k, v in labelled.items() if k in SEALED}}
    for name, rows in scored.items():
        others = {k: v for k, v in groups.items() if k != name}
        knots = fit(others, threshold, mode)
        raw, n = ece(rows, threshold, mode=mode)
        cal = ece(rows, threshold, curve_of.from_dict(knots), mode)[0] if knots["x"] else None
        print(f"| {name}{' (sealed)' if name in SEALED else ''} | {n} | {raw} | {cal} |")
    knots = fit(tunable, threshold, mode)
    if not knots["x"]:
        print(f"{mode}: never reported on its labelled sources; no curve")
        return None
    print(
        f"curve fitted on {sorted(tunable)}: "
        + ", ".join(f"{x:.2f}->{y:.3f}" for x, y in zip(knots["x"], knots["y"], strict=True))
    )
    return {
        **knots,
        "fitted_on": sorted(tunable),
        "held_out": how,
        "reported_sessions": sum(
            1 for rows in tunable.values() for r in rows if score(r, mode) >= threshold
        ),
        "scores_from_commit": _commit().split(" @ ")[-1],
    }


def writable(entry: dict) -> bool:
    """Whether a mode's curve may be written: only one held out by source (two or more
    unsealed sources labelled for the mode). A single source rarely labels every way the
    mode is reported (bfcl labels calls to functions not offered, never argument-schema
    errors, so its curve sent every schema report to 0.08 while the project's own set has
    them right 9 times in 9); its curve and fold ECE are printed, not shipped."""
    return entry.get("held_out") == "source"


def merged(old: dict, curves: dict[str, dict], modes: list[str] | None) -> dict:
    """The calibration file with ``curves`` written: every mode, or only ``modes`` (the
    other modes' curves kept as they are in ``old``)."""
    keep = {} if modes is None else dict(old.get("modes") or {})
    keep.update({m: c for m, c in curves.items() if modes is None or m in modes})
    return {
        "about": "classify's calibration curves; written by benchmarks/triage_eval/calibrate.py",
        "modes": keep,
    }


def main(argv: list[str] | None = None) -> int:
    from incident_lab.classify.calibration import Curve
    from incident_lab.classify.engine import THRESHOLD

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="cache directory")
    parser.add_argument("--write", action="store_true", help=f"write the curves to {OUT}")
    parser.add_argument(
        "--mode",
        action="append",
        default=None,
        help="with --write: replace only this mode's curve (repeatable; default: every mode)",
    )
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    rows_by_source = {name: classify_all(sessions) for name, sessions in _load(cache).items()}
    curves: dict[str, dict] = {}
    for mode in dict.fromkeys(MODE_OF.values()):
        labelled = {k: v for k, v in rows_by_source.items() if MODE_OF[k] == mode}
        entry = calibrate_mode(mode, labelled, THRESHOLD, Curve)
        if entry is not None and writable(entry):
            curves[mode] = entry
        elif entry is not None:
            print(f"{mode}: one labelled source; curve printed, not written")
    if args.write:
        old = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
        doc = merged(old, curves, args.mode)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"calibrate: wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
