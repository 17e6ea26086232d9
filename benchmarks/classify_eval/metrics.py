"""Precision, recall, F1 and a confusion matrix for the classifier on the labelled set."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from incident_lab.classify import classify_many

__all__ = ["BENIGN", "Report", "evaluate", "format_reliability", "format_report", "reliability"]

BENIGN = "benign"


@dataclass
class Report:
    """The evaluation result."""

    classes: list[str]
    confusion: dict[tuple[str, str], int]  # (true, predicted) -> count
    per_class: dict[str, dict[str, float]]
    macro_f1: float
    accuracy: float
    severity_accuracy: float
    severity_n: int
    calibration: list[tuple[str, int, float, float]]  # (bin, n, mean confidence, precision)
    #: Per mode: (bin, n, mean confidence, share of sessions truly of that mode), every
    #: session where the mode has any confidence (reported or not).
    reliability: dict[str, list[tuple[str, int, float, float]]] | None = None


def evaluate(records: list[dict[str, Any]]) -> Report:
    """Classify every record's trajectory (as one batch) and score ``top`` against the label."""
    results = classify_many([r["trajectory"] for r in records])
    truth = [r["label"]["failure_mode"] or BENIGN for r in records]
    pred = [c.top or BENIGN for c in results]
    classes = sorted(set(truth) | set(pred), key=lambda c: (c == BENIGN, c == "unknown", c))
    confusion = Counter(zip(truth, pred, strict=True))
    per_class = {}
    for cls in classes:
        tp = confusion[(cls, cls)]
        fp = sum(confusion[(t, cls)] for t in classes if t != cls)
        fn = sum(confusion[(cls, p)] for p in classes if p != cls)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per_class[cls] = {"precision": p, "recall": r, "f1": f, "support": float(tp + fn)}
    macro = sum(v["f1"] for v in per_class.values()) / len(per_class)
    accuracy = sum(1 for t, p in zip(truth, pred, strict=True) if t == p) / len(truth)
    sev_hits = sev_n = 0
    for record, c in zip(records, results, strict=True):
        want = record["label"].get("severity")
        if want and c.top == (record["label"]["failure_mode"] or BENIGN) and c.severity:
            sev_n += 1
            sev_hits += c.severity.level == want
    bins: dict[str, list[tuple[float, bool]]] = {}
    for t, c in zip(truth, results, strict=True):
        if c.top and c.ranked:
            conf = c.ranked[0].confidence
            label = "0.5-0.7" if conf < 0.7 else "0.7-0.9" if conf < 0.9 else "0.9-1.0"
            bins.setdefault(label, []).append((conf, t == c.top))
    calibration = [
        (b, len(v), sum(x for x, _ in v) / len(v), sum(ok for _, ok in v) / len(v))
        for b, v in sorted(bins.items())
    ]
    return Report(
        classes,
        dict(confusion),
        per_class,
        macro,
        accuracy,
        sev_hits / sev_n if sev_n else 0.0,
        sev_n,
        calibration,
        reliability(truth, results),
    )


def reliability(
    truth: list[str], results: list[Any], width: float = 0.2
) -> dict[str, list[tuple[str, int, float, float]]]:
    """Per failure mode, bin its confidence (every session it appears in) against the truth."""
    per_mode: dict[str, dict[int, list[tuple[float, bool]]]] = {}
    for t, c in zip(truth, results, strict=True):
        for r in c.ranked:
            b = min(int(r.confidence / width), int(1 / width) - 1)
            per_mode.setdefault(r.failure_mode, {}).setdefault(b, []).append(
                (r.confidence, t == r.failure_mode)
            )
    out: dict[str, list[tuple[str, int, float, float]]] = {}
    for mode, bins in sorted(per_mode.items()):
        out[mode] = [
            (
                f"{b * width:.1f}-{(b + 1) * width:.1f}",
                len(v),
                sum(x for x, _ in v) / len(v),
                sum(ok for _, ok in v) / len(v),
            )
            for b, v in sorted(bins.items())
        ]
    return out


def format_reliability(table: dict[str, list[tuple[str, int, float, float]]]) -> str:
    """A text reliability diagram per mode: observed share against mean confidence, with bars."""
    lines = [
        "reliability per mode (bin, n, mean confidence, observed; '#' = observed, '|' = confidence)"
    ]
    for mode, rows in table.items():
        lines.append(f"  {mode}")
        for b, n, conf, obs in rows:
            bar = list(" " * 20)
            for i in range(round(obs * 20)):
                bar[i] = "#"
            mark = min(19, round(conf * 20))
            bar[mark] = "|"
            lines.append(f"    {b:<8} n={n:<4} conf={conf:.2f} observed={obs:.2f} [{''.join(bar)}]")
    return "\n".join(lines)


def format_report(report: Report) -> str:
    """Render the per-class table, the confusion matrix and the calibration bins as text."""
    lines = [f"{'class':<20} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}"]
    for cls in report.classes:
        m = report.per_class[cls]
        lines.append(
            f"{cls:<20} {m['precision']:>6.2f} {m['recall']:>6.2f} {m['f1']:>6.2f} {int(m['support']):>4}"
        )
    lines.append(f"{'macro F1':<20} {report.macro_f1:>20.2f}")
    lines.append(f"{'accuracy (top-1)':<20} {report.accuracy:>20.2f}")
    lines.append(
        f"severity agreement on correctly classified incidents: {report.severity_accuracy:.2f} (n={report.severity_n})"
    )
    lines.append("")
    short = {c: c[:7] for c in report.classes}
    lines.append("confusion (rows = true, columns = predicted)")
    lines.append(f"{'':<20}" + "".join(f"{short[c]:>8}" for c in report.classes))
    for t in report.classes:
        lines.append(
            f"{t:<20}" + "".join(f"{report.confusion.get((t, p), 0):>8}" for p in report.classes)
        )
    lines.append("")
    lines.append("calibration of the top mode's confidence (bin, n, mean confidence, precision)")
    for b, n, conf, prec in report.calibration:
        lines.append(f"  {b:<8} n={n:<4} confidence={conf:.2f} precision={prec:.2f}")
    if report.reliability:
        lines.append("")
        lines.append(format_reliability(report.reliability))
    return "\n".join(lines)
