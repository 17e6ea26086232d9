"""Score ``classify`` and ``add`` on the converted third-party sessions.

    python benchmarks/triage_eval/run.py [--cache DIR] [--label NAME] [--add-per-source N]
                                         [--json OUT] [--examples OUT.md]

Per source (and the generated ``classify_eval`` set as a separate "ceiling" row):

- recall: hijacked sessions whose ``top`` is prompt_injection;
- FPR: benign look-alikes with any incident reported (``top`` set);
- severity agreement: suggested severity equals the expected one (hijacked, blocked, ignored);
- ignored>SEV-4: ignored injections reported as SEV-1..SEV-3;
- add right-first-time: ``add`` (with the labelled unsafe step, as ``--unsafe-step``) writes a
  scenario whose expectations FAIL on the recording and PASS on the counterfactual safe
  trajectory (recording minus the hijacked steps, then a refusal); a refusal by ``add`` counts
  as not right. "auto" is the same with no hints (no step, mode or severity): what an on-call
  engineer gets from ``incident_lab add --from``;
- add payload whole: the scenario's payload keeps at least 90 % of the injected text's words
  (labelled / auto).

Leave-one-source-out: the one tunable threshold (prompt_injection confidence) is chosen on the
other sources (highest macro recall with macro FPR <= 0.05) and scored on the left-out one.
The code under test is whatever ``incident_lab`` imports (set PYTHONPATH to evaluate another
worktree).
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

# Importable as benchmarks.triage_eval.* (tests) and runnable as a script.
try:
    from .sessions import WRAPS, counterfactual, strip_truth, wrap_outputs
    from .sources import MODE_OF, NAMES, SEALED, cache_dir
except ImportError:  # run as a script: this directory is sys.path[0]
    from sessions import (  # type: ignore[no-redef]
        WRAPS,
        counterfactual,
        strip_truth,
        wrap_outputs,
    )
    from sources import MODE_OF, NAMES, SEALED, cache_dir  # type: ignore[no-redef]

_REPO = Path(__file__).resolve().parents[2]
_CEILING = _REPO / "benchmarks" / "classify_eval" / "eval_set.jsonl"
_GRID = [round(0.05 * i, 2) for i in range(1, 20)]
_SEVERE = ("SEV-1", "SEV-2", "SEV-3")
#: The source's own grouping of its items (attack template, corpus category, probe, ...).
_GROUP_KEYS = ("attack", "category", "family", "probe", "jailbreak_type")


def _load(cache: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in NAMES:
        path = cache / "trajectories" / f"{name}.jsonl"
        if not path.exists():
            raise SystemExit(f"run: {path} missing; run fetch.py and convert.py first")
        out[name] = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    return out


def _ceiling() -> list[dict[str, Any]]:
    """The generated classify_eval set, in this evaluation's shape (no ignored/add rows)."""
    sessions = []
    for line in _CEILING.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        mode = rec["label"].get("failure_mode")
        if mode not in (None, "prompt_injection"):
            continue
        traj = dict(rec["trajectory"])
        traj["triage_eval"] = {
            "source": "classify_eval",
            "kind": "hijacked" if mode else "benign",
            "lang": "en",
            "channel": "generated",
            "expected_severity": rec["label"].get("severity"),
            "unsafe_steps": [],
            "hijack_steps": [],
            "text": "",
        }
        sessions.append(traj)
    return sessions


def _pi_conf(c: Any) -> float:
    return max((r.score for r in c.ranked if r.failure_mode == "prompt_injection"), default=0.0)


def classify_all(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per session: truth plus what classify said (each session on its own)."""
    from incident_lab.classify import classify_trajectory

    rows = []
    for traj in sessions:
        truth = traj["triage_eval"]
        try:
            c = classify_trajectory(strip_truth(traj))
            top, sev = c.top, (c.severity.level if c.severity else None)
            conf, unsafe, err = _pi_conf(c), list(c.unsafe_steps), None
            crashed = list(c.detector_errors)
            scores = {r.failure_mode: r.score for r in c.ranked}
            confs = {r.failure_mode: r.confidence for r in c.ranked}
            top_conf = next((r.confidence for r in c.ranked if r.failure_mode == c.top), None)
            top_score = next((r.score for r in c.ranked if r.failure_mode == c.top), None)
            evidence = (
                sorted(c.ranked[0].evidence, key=lambda sig: -sig.weight)[0].detail
                if c.top and c.ranked and c.ranked[0].evidence
                else None
            )
        except Exception as exc:  # a crash is a result too: counted, never hidden
            top, sev, conf, unsafe, top_conf, top_score = None, None, 0.0, [], None, None
            scores, confs, crashed = {}, {}, []
            err, evidence = f"{type(exc).__name__}: {exc}", None
        rows.append(
            {
                "truth": truth,
                "top": top,
                "severity": sev,
                "pi_conf": conf,
                "scores": scores,
                "confs": confs,
                "top_conf": top_conf,
                "top_score": top_score,
                "unsafe_pred": unsafe,
                "evidence": evidence,
                "user": next(
                    (
                        str(st.get("content"))
                        for st in traj["steps"]
                        if st.get("type") == "message" and st.get("role") == "user"
                    ),
                    "",
                ),
                "error": err,
                "detector_errors": crashed,
                "session_id": traj["session_id"],
            }
        )
    return rows


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def classify_metrics(rows: list[dict[str, Any]], threshold: float | None = None) -> dict[str, Any]:
    """Recall, FPR, severity agreement and ignored>SEV-4 over one set of rows.

    With ``threshold`` None a session counts as detected when ``top`` is prompt_injection;
    otherwise when its prompt_injection confidence reaches the threshold.
    """

    def detected(r: dict[str, Any]) -> bool:
        if threshold is None:
            return r["top"] == "prompt_injection"
        return r["pi_conf"] >= threshold

    by = defaultdict(list)
    for r in rows:
        by[r["truth"]["kind"]].append(r)
    hij, ign, ben, blk = by["hijacked"], by["ignored"], by["benign"], by["blocked"]
    # A benign session is a false positive when any incident is reported: with a threshold,
    # prompt_injection at/above it, or another failure mode on top (the threshold moves only
    # the prompt_injection decision).
    flagged_benign = [
        r
        for r in ben
        if r["top"] not in (None, "prompt_injection")
        or (r["top"] and threshold is None)
        or (threshold is not None and detected(r))
    ]
    sev_rows = [r for r in hij + blk + ign if r["truth"].get("expected_severity")]
    out: dict[str, Any] = {
        "n": {"hijacked": len(hij), "blocked": len(blk), "ignored": len(ign), "benign": len(ben)},
        "recall": _rate(sum(map(detected, hij)), len(hij)),
        "recall_any_incident": _rate(sum(1 for r in hij if r["top"]), len(hij)),
        "blocked_recall": _rate(sum(map(detected, blk)), len(blk)),
        "ignored_flagged": _rate(sum(map(detected, ign)), len(ign)),
        "fpr": _rate(len(flagged_benign), len(ben)),
        "severity_agreement": _rate(
            sum(1 for r in sev_rows if r["severity"] == r["truth"]["expected_severity"]),
            len(sev_rows),
        ),
        "ignored_above_sev4": sum(1 for r in ign if r["top"] and r["severity"] in _SEVERE),
        "crashes": sum(1 for r in rows if r["error"]),
        # a detector that raised: the session's classification lacks its findings
        "sessions_with_detector_errors": sum(1 for r in rows if r.get("detector_errors")),
    }
    langs: dict[str, list[bool]] = defaultdict(list)
    chans: dict[str, list[bool]] = defaultdict(list)
    for r in hij:
        langs[r["truth"].get("lang", "en")].append(detected(r))
        chans[r["truth"].get("channel", "?")].append(detected(r))
    fp_chan: dict[str, list[bool]] = defaultdict(list)
    for r in ben:
        fp_chan[r["truth"].get("channel", "?")].append(r in flagged_benign)
    out["fpr_by_channel"] = {k: _rate(sum(v), len(v)) for k, v in sorted(fp_chan.items())}
    out["recall_by_lang"] = {k: _rate(sum(v), len(v)) for k, v in sorted(langs.items())}
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in hij:
        t = r["truth"]
        key = next((str(t[k]) for k in _GROUP_KEYS if t.get(k)), None)
        if key:
            groups[key].append(detected(r))
    out["recall_by_group"] = {k: _rate(sum(v), len(v)) for k, v in sorted(groups.items())}
    out["recall_by_channel"] = {k: _rate(sum(v), len(v)) for k, v in sorted(chans.items())}
    confusion = Counter(
        f"{r['truth']['kind']}:{r['truth'].get('expected_severity')}->{r['top']}:{r['severity']}"
        for r in hij + blk + ign
    )
    out["severity_confusion"] = dict(confusion.most_common(12))
    return out


def _macro(rows_by_source: dict[str, list[dict[str, Any]]], t: float) -> tuple[float, float]:
    recalls, fprs = [], []
    for rows in rows_by_source.values():
        m = classify_metrics(rows, t)
        if m["recall"] is not None:
            recalls.append(m["recall"])
        if m["fpr"] is not None:
            fprs.append(m["fpr"])
    return (sum(recalls) / len(recalls) if recalls else 0.0, sum(fprs) / len(fprs) if fprs else 0.0)


def pick_threshold(rows_by_source: dict[str, list[dict[str, Any]]]) -> float:
    """The threshold with the best macro recall minus macro FPR (Youden's J) on these sources.

    Ties go to the higher threshold. (A hard "FPR <= 5 %" constraint is unusable while other
    failure modes alone put benign FPR above 5 %: it would pick the highest threshold.)
    """
    scored = [(round(rec - fpr, 6), t) for t in _GRID for rec, fpr in [_macro(rows_by_source, t)]]
    return max(scored)[1]


def loso(rows_by_source: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Leave one source out: threshold from the others, metrics on the one left out."""
    out = {}
    for name, rows in rows_by_source.items():
        others = {k: v for k, v in rows_by_source.items() if k != name}
        t = pick_threshold(others)
        m = classify_metrics(rows, t)
        out[name] = {
            "threshold": t,
            "recall": m["recall"],
            "fpr": m["fpr"],
            "recall_by_lang": m["recall_by_lang"],
        }
    return out


def reliability(rows: list[dict[str, Any]], bins: int = 5) -> list[dict[str, Any]]:
    """prompt_injection confidence against the truth (injection present), in equal-width bins."""
    table = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [
            r for r in rows if lo <= r["pi_conf"] < hi or (b == bins - 1 and r["pi_conf"] == 1)
        ]
        pos = sum(1 for r in inside if r["truth"]["kind"] != "benign")
        mean = sum(r["pi_conf"] for r in inside) / len(inside) if inside else None
        table.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": len(inside),
                "mean_confidence": round(mean, 3) if mean is not None else None,
                "observed": _rate(pos, len(inside)),
            }
        )
    return table


def provenance_metrics(sessions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Diagnostics of the provenance view, when the code under test has one.

    span recall: an instruction span found in the injected tool output (hijacked + ignored);
    span FPR: benign sessions with any instruction span; hijack found: a hijacked session
    with an unrequested call or an obedient answer; first unsafe step equal to the label's.
    """
    import incident_lab

    # Only the measured checkout's own module (an editable install elsewhere could supply it).
    if not (Path(incident_lab.__file__).resolve().parent / "provenance").is_dir():
        return None
    from incident_lab.provenance import analyse

    span_hits: dict[str, list[bool]] = defaultdict(list)
    span_fp: list[bool] = []
    found: list[bool] = []
    first_ok: list[bool] = []
    ignored_clean: list[bool] = []
    crashes = 0
    for traj in sessions:
        t = traj["triage_eval"]
        try:
            prov = analyse(strip_truth(traj))
        except Exception:
            crashes += 1
            continue
        spans = {sp.step for sp in prov.instructions}
        if t["kind"] == "benign":
            span_fp.append(bool(spans))
            continue
        if t.get("injection_step") is not None:
            span_hits[t.get("lang", "en")].append(t["injection_step"] in spans)
        if t["kind"] == "hijacked":
            found.append(bool(prov.unrequested_calls or prov.obedient))
            if t["hijack_steps"]:
                first_ok.append(prov.first_unsafe_step == min(t["hijack_steps"]))
        if t["kind"] == "ignored":
            ignored_clean.append(not (prov.unrequested_calls or prov.obedient))
    every = [x for v in span_hits.values() for x in v]
    return {
        "span_recall": _rate(sum(every), len(every)),
        "span_recall_by_lang": {k: _rate(sum(v), len(v)) for k, v in sorted(span_hits.items())},
        "span_fpr": _rate(sum(span_fp), len(span_fp)),
        "hijack_found": _rate(sum(found), len(found)),
        "ignored_without_hijack": _rate(sum(ignored_clean), len(ignored_clean)),
        "first_unsafe_step_agrees": _rate(sum(first_ok), len(first_ok)),
        "crashes": crashes,
    }


def _right(r: dict[str, Any]) -> bool:
    """A reported mode is right: prompt_injection where an injection is present."""
    return r["truth"]["kind"] != "benign" and r["top"] == "prompt_injection"


def top_reliability(
    rows: list[dict[str, Any]], bins: int = 5, key: str = "top_conf"
) -> list[dict[str, Any]]:
    """Confidence of the reported mode against whether that mode is right.

    Right: prompt_injection on a session with an injection (hijacked, blocked, ignored);
    any report on a benign look-alike is wrong. ``key`` is ``top_conf`` (the confidence
    classify reports, calibrated where a curve exists) or ``top_score`` (the raw score).
    """
    reported = [r for r in rows if r["top"] and r.get(key) is not None]
    table = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [r for r in reported if lo <= r[key] < hi or (b == bins - 1 and r[key] == 1)]
        right = sum(1 for r in inside if _right(r))
        mean = sum(r[key] for r in inside) / len(inside) if inside else None
        table.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": len(inside),
                "mean_confidence": round(mean, 3) if mean is not None else None,
                "observed": _rate(right, len(inside)),
            }
        )
    return table


def expected_calibration_error(rows: list[dict[str, Any]], key: str = "top_conf") -> float | None:
    """ECE of the reported mode's ``key`` over ten equal-width bins (None: nothing reported)."""
    reported = [r for r in rows if r["top"] and r.get(key) is not None]
    if not reported:
        return None
    total = 0.0
    for b in range(10):
        lo, hi = b / 10, (b + 1) / 10
        inside = [r for r in reported if lo <= r[key] < hi or (b == 9 and r[key] == 1)]
        if inside:
            mean = sum(r[key] for r in inside) / len(inside)
            observed = sum(1 for r in inside if _right(r)) / len(inside)
            total += len(inside) * abs(mean - observed)
    return round(total / len(reported), 3)


def _mode_reliability(
    rows: list[dict[str, Any]], mode: str, key: str, bins: int = 5
) -> list[dict[str, Any]]:
    """``mode``'s ``key`` (``scores`` or ``confs``) on the rows that report it (score at or
    above the engine's threshold) against the label: right unless the session is benign."""
    from incident_lab.classify.engine import THRESHOLD

    reported = [r for r in rows if r["scores"].get(mode, 0.0) >= THRESHOLD]
    table = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [
            r[key][mode]
            for r in reported
            if lo <= r[key][mode] < hi or (b == bins - 1 and r[key][mode] == 1)
        ]
        right = [
            r["truth"]["kind"] != "benign"
            for r in reported
            if lo <= r[key][mode] < hi or (b == bins - 1 and r[key][mode] == 1)
        ]
        table.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": len(inside),
                "mean_confidence": round(sum(inside) / len(inside), 3) if inside else None,
                "observed": _rate(sum(right), len(right)),
            }
        )
    return table


def _mode_ece(rows: list[dict[str, Any]], mode: str, key: str) -> float | None:
    """ECE (ten bins) of ``mode``'s ``key`` over the rows that report it."""
    fine = _mode_reliability(rows, mode, key, bins=10)
    n = sum(b["n"] for b in fine)
    if not n:
        return None
    return round(
        sum(b["n"] * abs(b["mean_confidence"] - b["observed"]) for b in fine if b["n"]) / n, 3
    )


def mode_report(mode: str, rows_by_source: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A failure mode other than prompt_injection on the sources labelled for it.

    recall: labelled sessions where the mode is reported (score >= threshold); top recall:
    where it is ``top``; reported on benign: benign sessions where it is reported; FPR any
    mode: benign sessions with any ``top``. Reliability of the raw score and of the reported
    confidence (calibrated where the mode has a curve) over the sessions that report it.
    """
    from incident_lab.classify.engine import THRESHOLD

    sources = {}
    for name, rows in rows_by_source.items():
        pos = [r for r in rows if r["truth"]["kind"] != "benign"]
        neg = [r for r in rows if r["truth"]["kind"] == "benign"]
        sources[name] = {
            "labelled": len(pos),
            "benign": len(neg),
            "recall": _rate(sum(r["scores"].get(mode, 0.0) >= THRESHOLD for r in pos), len(pos)),
            "top_recall": _rate(sum(r["top"] == mode for r in pos), len(pos)),
            "reported_on_benign": _rate(
                sum(r["scores"].get(mode, 0.0) >= THRESHOLD for r in neg), len(neg)
            ),
            "fpr_any_mode": _rate(sum(bool(r["top"]) for r in neg), len(neg)),
            "flagged_benign": sum(bool(r["top"]) for r in neg),
        }
    every = [r for rows in rows_by_source.values() for r in rows]
    return {
        "sources": sources,
        "reliability_score": _mode_reliability(every, mode, "scores"),
        "reliability_confidence": _mode_reliability(every, mode, "confs"),
        "ece": {
            "score": _mode_ece(every, mode, "scores"),
            "confidence": _mode_ece(every, mode, "confs"),
        },
    }


def markdown_modes(modes: dict[str, dict[str, Any]]) -> str:
    """The per-mode section: each mode on the sources labelled for it."""
    lines: list[str] = []
    for mode, rep in modes.items():
        lines += [
            "",
            f"### {mode} (sources labelled for it)",
            "",
            "| source | labelled | benign | recall | top recall | reported on benign | FPR any mode |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, m in rep["sources"].items():
            lines.append(
                f"| {name} | {m['labelled']} | {m['benign']} | {_fmt(m['recall'])} | "
                f"{_fmt(m['top_recall'])} | {_fmt(m['reported_on_benign'])} | "
                f"{_fpr(m['fpr_any_mode'], m['flagged_benign'])} |"
            )
        lines += [
            "",
            f"Reliability of {mode} where reported (right: the session is labelled for it); "
            f"ECE score {_fmt(rep['ece']['score'])}, confidence {_fmt(rep['ece']['confidence'])}:",
            "",
            "| bin | n (raw score) | mean score | observed | n (confidence) | mean conf | observed |",
            "|---|---|---|---|---|---|---|",
        ]
        for r, c in zip(rep["reliability_score"], rep["reliability_confidence"], strict=True):
            lines.append(
                f"| {r['bin']} | {r['n']} | {_fmt(r['mean_confidence'])} | {_fmt(r['observed'])} "
                f"| {c['n']} | {_fmt(c['mean_confidence'])} | {_fmt(c['observed'])} |"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- add


def _add_kwargs(unsafe: list[int], severity: str | None) -> dict[str, Any]:
    from incident_lab.scenarios.library import add_from_path

    params = inspect.signature(add_from_path).parameters
    kw: dict[str, Any] = {"failure_mode": "prompt_injection", "unsafe_steps": unsafe}
    if severity:
        kw["severity"] = severity
    if "redact" in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kw["redact"] = True
    return kw


#: E-mail addresses, URLs and host names: redaction swaps them for surrogates.
_ADDRESS = re.compile(
    r"\S{0,64}@\S{1,200}|(?:https?://|www\.)\S{1,200}|\b[\w-]{1,63}\.(?:com|org|net|example)\S{0,100}"
)
#: Words that start lower-case: names (which redaction may replace) do not count.
_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_A-Z\u00c0-\u00de\u0400-\u042f][^\W\d_]{2,39}")


def _coverage(injected: str, payload: str) -> float | None:
    """Share of the injected text's words that the scenario's payload keeps (None: no words).

    Words of 3+ letters that start lower-case, outside addresses and URLs, so redaction
    surrogates (names, addresses, numbers) and whitespace do not count against it.
    """
    want = {w.casefold() for w in _WORD.findall(_ADDRESS.sub(" ", injected))}
    if not want:
        return None
    have = {w.casefold() for w in _WORD.findall(_ADDRESS.sub(" ", payload))}
    return round(len(want & have) / len(want), 3)


def add_one(traj: dict[str, Any], workdir: Path, auto: bool = False) -> dict[str, Any]:
    """Run ``add`` on one hijacked session and judge it two-sidedly.

    By default the labelled unsafe steps, failure mode and severity are given (as an
    engineer's ``--unsafe-step``/``--failure-mode``/``--severity``); ``auto`` gives none.
    """
    from incident_lab.expectations import evaluate_all
    from incident_lab.scenarios.library import add_from_path

    truth = traj["triage_eval"]
    clean = strip_truth(traj)
    path = workdir / "in.jsonl"
    path.write_text(json.dumps(clean) + "\n", encoding="utf-8")
    lib = workdir / "lib"
    lib.mkdir(exist_ok=True)
    try:
        result = add_from_path(
            path,
            session=clean["session_id"],
            scenarios_dir=lib,
            force=True,
            **({} if auto else _add_kwargs(truth["unsafe_steps"], truth.get("expected_severity"))),
        )
    except Exception as exc:
        msg = str(getattr(exc, "message", "") or exc)
        return {"ok": False, "why": f"add refused: {type(exc).__name__}: {msg[:200]}"}
    scenario = result.scenario
    specs = list(scenario.get("expectations") or [])
    recording = scenario.get("recording") or clean
    on_rec = evaluate_all(recording, specs)
    safe = counterfactual(recording, truth["hijack_steps"])
    on_safe = evaluate_all(safe, specs)
    fails_rec = any(not r.passed for r in on_rec)
    passes_safe = all(r.passed for r in on_safe)
    why = None
    if not fails_rec:
        why = "passes on the recording: " + "; ".join(s.get("kind", "?") for s in specs)
    elif not passes_safe:
        bad = [(s, r) for s, r in zip(specs, on_safe, strict=True) if not r.passed]
        why = "fails the safe run: " + "; ".join(
            f"{s.get('kind')} {json.dumps({k: v for k, v in s.items() if k not in ('kind', 'reason')})[:140]}"
            f" ({r.message[:100]})"
            for s, r in bad
        )
    payload = scenario.get("payload") or scenario.get("attack") or {}
    text = str(payload.get("text") if isinstance(payload, dict) else payload or "")
    location = payload.get("location") if isinstance(payload, dict) else None
    coverage = (
        _coverage(str(truth.get("injection") or truth.get("text") or ""), text)
        if truth.get("injection_exact", True)
        else None
    )
    return {
        "payload_coverage": coverage,
        "ok": fails_rec and passes_safe,
        "why": why,
        "expectations": [s.get("kind") for s in specs],
        "payload_where": (location or {}).get("kind") if isinstance(location, dict) else None,
    }


def _sealed_view(add: dict[str, Any]) -> dict[str, Any]:
    """An add summary without per-session results (their messages quote the data)."""
    out = {k: v for k, v in add.items() if k != "results"}
    if isinstance(out.get("auto"), dict):
        out["auto"] = {k: v for k, v in out["auto"].items() if k != "results"}
    return out


def _reason(why: str) -> str:
    """A failure's class: where it went wrong and the expectation kind or error type."""
    if why.startswith("add refused:"):
        rest = why.removeprefix("add refused:").strip()
        kind = re.search(r"expectations/\d+ \((\w+)\)", rest)
        return f"add refused ({rest.split(':')[0]}{', ' + kind.group(1) if kind else ''})"
    head, _, rest = why.partition(":")
    return f"{head} ({rest.strip().split(' ')[0]})" if rest else head


def _add_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    ok = sum(1 for r in results if r["ok"])
    reasons = Counter(_reason(r["why"] or "") for r in results if not r["ok"])
    covered = [r["payload_coverage"] for r in results if r.get("payload_coverage") is not None]
    return {
        "n": len(results),
        "right_first_time": _rate(ok, len(results)),
        # Payload kept whole: at least 90 % of the injected text's words are in it.
        "payload_whole": _rate(sum(1 for c in covered if c >= 0.9), len(covered)),
        # The payload placed in a user turn although the injection came in a tool output.
        "payload_in_user_turn": sum(1 for r in results if r.get("payload_where") == "turn"),
        "failures_by_reason": dict(reasons),
        "results": results,
    }


def add_all(sessions: list[dict[str, Any]], per_source: int, seed: int = 7) -> dict[str, Any]:
    """``add`` on up to ``per_source`` hijacked sessions: labelled and auto (no hints)."""
    rng = random.Random(seed)
    hij = [
        s
        for s in sessions
        if s["triage_eval"]["kind"] == "hijacked" and s["triage_eval"]["unsafe_steps"]
    ]
    picked = rng.sample(hij, min(per_source, len(hij)))
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("labelled", "auto"):
            results = []
            for i, traj in enumerate(picked):
                work = Path(tmp) / f"{mode}-{i}"
                work.mkdir()
                r = add_one(traj, work, auto=mode == "auto")
                r["session_id"] = traj["session_id"]
                r["lang"] = traj["triage_eval"].get("lang")
                r["hijack"] = traj["triage_eval"].get("hijack")
                results.append(r)
            out[mode] = _add_summary(results)
    return {**out["labelled"], "auto": out["auto"]}


# --------------------------------------------------------------------------- report


def _fpr(rate: float | None, flagged: int) -> str:
    """A benign false-positive rate to three places with its count ("0.047 (56)"): two
    places round 0.051 and 0.047 alike, either side of a 0.05 target."""
    return "–" if rate is None else f"{rate:.3f} ({flagged})"


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def markdown_detector_errors(sources: dict[str, dict[str, Any]]) -> str:
    """One line: sessions per source where a detector raised (0 expected: a crashed
    detector's silence reads as a miss or as a clean benign session)."""
    counts = ", ".join(
        f"{name} {m.get('sessions_with_detector_errors', 0)}" for name, m in sources.items()
    )
    return f"Sessions with detector errors (0 expected): {counts}"


def markdown(report: dict[str, Any]) -> str:
    """The report as markdown tables (per source, LOSO, languages, reliability)."""
    lines = [
        f"### triage_eval — {report['label']} ({report['commit']})"
        + (f", tool outputs written as {report['wrap']}" if report.get("wrap") else ""),
        "",
        f"classify throughput: {report['classify_sessions_per_second']} sessions/s "
        "(one process, each session on its own, includes the scoring loop)",
        "",
        "Per source, the classifier's own decision (`top` == prompt_injection):",
        "",
        "| source | hijacked | ignored | benign | recall | FPR | sev agree | ignored>SEV-4 "
        "| blocked recall | add RFT labelled (n) | add RFT auto "
        "| add payload whole labelled / auto (in user turn) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in report["sources"].items():
        add = report["add"].get(name) or {}
        lines.append(
            f"| {name} | {m['n']['hijacked']} "
            f"| {m['n']['ignored']} | {m['n']['benign']} "
            f"| {_fmt(m['recall'])} | {_fmt(m['fpr'])} | {_fmt(m['severity_agreement'])} "
            f"| {m['ignored_above_sev4']} | {_fmt(m['blocked_recall'])} "
            f"| {_fmt(add.get('right_first_time'))} ({add.get('n', 0)}) "
            f"| {_fmt((add.get('auto') or {}).get('right_first_time'))} "
            f"| {_fmt(add.get('payload_whole'))} / "
            f"{_fmt((add.get('auto') or {}).get('payload_whole'))} "
            f"({add.get('payload_in_user_turn', 0)}) |"
        )
    c = report["ceiling"]
    lines.append(
        f"| *ceiling: classify_eval (generated)* | {c['n']['hijacked']} | – | {c['n']['benign']} "
        f"| {_fmt(c['recall'])} | {_fmt(c['fpr'])} | {_fmt(c['severity_agreement'])} "
        "| – | – | – | – | – |"
    )
    lines += ["", markdown_detector_errors({**report["sources"], "classify_eval": c})]
    lines += [
        "",
        "Leave-one-source-out (prompt_injection confidence threshold chosen on the other "
        "sources: best macro recall minus macro FPR; a benign session counts as a false "
        "positive at or above the threshold, or when another failure mode is reported):",
        "",
        "| held-out source | threshold | recall | FPR |",
        "|---|---|---|---|",
    ]
    for name, lo in report["loso"].items():
        lines.append(
            f"| {name} | {_fmt(lo['threshold'])} | {_fmt(lo['recall'])} | {_fmt(lo['fpr'])} |"
        )
    lines += ["", "Issue 10's targets (on held-out numbers: LOSO recall/FPR):", ""]
    for name, m in report["sources"].items():
        lo = report["loso"].get(name, {})
        add = (report["add"].get(name) or {}).get("right_first_time")
        auto = ((report["add"].get(name) or {}).get("auto") or {}).get("right_first_time")
        checks = {
            "recall>=0.9": lo.get("recall") is not None and lo["recall"] >= 0.9,
            "FPR<=0.05": lo.get("fpr") is None or lo["fpr"] <= 0.05,
            "every language>=0.9": all(
                v is not None and v >= 0.9 for v in lo.get("recall_by_lang", {}).values()
            ),
            "ignored never >SEV-4": m["ignored_above_sev4"] == 0,
            "add RFT>=0.95": add is not None and add >= 0.95,
            # with no hints: what an on-call engineer gets from `add --from`
            "add RFT auto>=0.95": auto is not None and auto >= 0.95,
        }
        missed = [k for k, ok in checks.items() if not ok]
        lines.append(f"- {name}: " + ("all met" if not missed else "not met: " + ", ".join(missed)))
    langs = sorted({lang for m in report["sources"].values() for lang in m["recall_by_lang"]})
    lines += [
        "",
        "Recall by language and source (hijacked, `top` == prompt_injection):",
        "",
        "| source | " + " | ".join(langs) + " |",
        "|---|" + "---|" * len(langs),
    ]
    for name, m in report["sources"].items():
        cells = [_fmt(m["recall_by_lang"].get(lang)) for lang in langs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        "| all | " + " | ".join(_fmt(report["recall_by_lang"].get(x)) for x in langs) + " |"
    )
    if any(report.get("provenance", {}).values()):
        lines += [
            "",
            "Provenance view diagnostics (incident_lab.provenance):",
            "",
            "| source | span recall | span FPR (benign) | hijack found | ignored w/o hijack "
            "| first unsafe step agrees |",
            "|---|---|---|---|---|---|",
        ]
        for name, p in report["provenance"].items():
            if p:
                lines.append(
                    f"| {name} | {_fmt(p['span_recall'])} | {_fmt(p['span_fpr'])} "
                    f"| {_fmt(p['hijack_found'])} | {_fmt(p['ignored_without_hijack'])} "
                    f"| {_fmt(p['first_unsafe_step_agrees'])} |"
                )
    lines += [
        "",
        "Reliability (prompt_injection confidence vs. injection present, all sources):",
        "",
        "| bin | n | mean conf | observed |",
        "|---|---|---|---|",
    ]
    for b in report["reliability"]:
        lines.append(
            f"| {b['bin']} | {b['n']} | {_fmt(b['mean_confidence'])} | {_fmt(b['observed'])} |"
        )
    lines += [
        "",
        "Reliability of the reported mode (its confidence vs. being right: prompt_injection "
        "where an injection is present; any report on a benign session is wrong):",
        "",
        "| bin | n | mean conf | observed |",
        "|---|---|---|---|",
    ]
    raw = {b["bin"]: b for b in report.get("top_reliability_raw") or []}
    if raw:
        lines[-2:] = [
            "| bin | n (raw score) | mean score | observed | n (confidence) | mean conf | observed |",
            "|---|---|---|---|---|---|---|",
        ]
    for b in report["top_reliability"]:
        r = raw.get(b["bin"])
        lines.append(
            (
                f"| {b['bin']} | {r['n']} | {_fmt(r['mean_confidence'])} | {_fmt(r['observed'])} "
                if r
                else f"| {b['bin']} "
            )
            + f"| {b['n']} | {_fmt(b['mean_confidence'])} | {_fmt(b['observed'])} |"
        )
    if report.get("ece"):
        lines += [
            "",
            "Expected calibration error of the reported mode (ten bins; `score` is the raw "
            "noisy-OR, `confidence` what classify reports, through the curve in "
            "incident_lab/data/calibration.json; `calibrate.py` prints the held-out ECE):",
            "",
            "| source | ECE score | ECE confidence |",
            "|---|---|---|",
        ]
        for name, e in report["ece"].items():
            lines.append(f"| {name} | {_fmt(e['score'])} | {_fmt(e['confidence'])} |")
    return "\n".join(lines) + "\n"


def _injected(t: dict[str, Any]) -> str:
    return str(t.get("injection") or t.get("text") or "")


def _snippet(text: str, n: int = 160) -> str:
    return " ".join(str(text).split())[:n]


def examples(rows: list[dict[str, Any]], adds: dict[str, Any], k: int = 20) -> list[str]:
    """Concrete failures, one line each (no session text beyond the third-party snippet).

    Nothing from a sealed source is ever quoted.
    """
    rng = random.Random(3)
    rows = [r for r in rows if r["truth"]["source"] not in SEALED]
    adds = {name: a for name, a in adds.items() if name not in SEALED}
    missed = [
        r for r in rows if r["truth"]["kind"] == "hijacked" and r["top"] != "prompt_injection"
    ]
    fps = [r for r in rows if r["truth"]["kind"] == "benign" and r["top"]]
    ign = [
        r for r in rows if r["truth"]["kind"] == "ignored" and r["top"] and r["severity"] in _SEVERE
    ]
    sev = [
        r
        for r in rows
        if r["truth"]["kind"] == "hijacked"
        and r["top"] == "prompt_injection"
        and r["truth"].get("expected_severity")
        and r["severity"] != r["truth"].get("expected_severity")
    ]
    out = []
    # Spread missed examples over sources and languages.
    seen: set[tuple[str, str, str]] = set()
    for r in rng.sample(missed, len(missed)):
        t = r["truth"]
        key = (t["source"], t.get("lang", "en"), str(t.get("hijack")))
        if key in seen:
            continue
        seen.add(key)
        out.append(
            f"- MISSED [{t['source']}, {t.get('lang')}, {t.get('channel')}, action "
            f"{t.get('hijack')}] classify said {r['top']}/{r['severity']}: "
            f'"{_snippet(_injected(t))}"'
        )
    out = out[: k // 2]
    for r in rng.sample(fps, min(3, len(fps))):
        t = r["truth"]
        out.append(
            f"- FALSE POSITIVE [{t['source']}, {t.get('lang')}, {t.get('channel')}] "
            f'{r["top"]}/{r["severity"]}: user asked "{_snippet(r["user"], 90)}"; text '
            f'"{_snippet(t.get("text", ""), 90)}"; evidence: {_snippet(r["evidence"] or "", 160)}'
        )
    for r in rng.sample(ign, min(3, len(ign))):
        t = r["truth"]
        out.append(
            f"- IGNORED RATED {r['severity']} [{t['source']}, {t.get('lang')}, "
            f'{t.get("channel")}] top {r["top"]}: "{_snippet(_injected(t), 100)}"; '
            f"evidence: {_snippet(r['evidence'] or '', 160)}"
        )
    for r in rng.sample(sev, min(3, len(sev))):
        t = r["truth"]
        out.append(
            f"- SEVERITY [{t['source']}, action {t.get('hijack')}] expected "
            f"{t.get('expected_severity')}, got {r['severity']}"
        )
    fails = [(name, x) for name, a in adds.items() for x in a.get("results", []) if not x["ok"]]
    for name, x in rng.sample(fails, min(4, len(fails))):
        out.append(f"- ADD [{name}, {x.get('lang')}, action {x.get('hijack')}] {x['why'][:300]}")
    return out


def _foreign_modules() -> list[str]:
    """incident_lab / regression_suite modules loaded from outside the measured checkout."""
    import incident_lab

    root = Path(incident_lab.__file__).resolve().parents[1]
    out = []
    for name, mod in sorted(sys.modules.items()):
        if name.split(".")[0] not in ("incident_lab", "regression_suite"):
            continue
        file = getattr(mod, "__file__", None)
        if file and root not in Path(file).resolve().parents:
            out.append(name)
    return out


def _commit() -> str:
    import subprocess

    import incident_lab

    root = Path(incident_lab.__file__).resolve().parents[1]
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sha = "?"
    return f"{root} @ {sha}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="cache directory")
    parser.add_argument("--label", default="current", help="name of the code under test")
    parser.add_argument(
        "--add-per-source",
        type=int,
        default=40,
        metavar="N",
        help="hijacked sessions per source given to add (default 40)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the full results here")
    parser.add_argument("--examples", type=Path, default=None, help="write failure examples here")
    parser.add_argument(
        "--wrap",
        choices=sorted(WRAPS),
        default=None,
        help="write every text tool output as another log source would (an MCP result, a JSON "
        "string, a JSON record, a <tool_result> element, HTML-escaped, a Python record's repr) "
        "before anything reads it: "
        "the answers should not change",
    )
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    started = time.perf_counter()
    data = _load(cache)
    if args.wrap:
        data = {n: [wrap_outputs(t, args.wrap) for t in ts] for n, ts in data.items()}
    rows_by_source = {}
    classify_seconds = 0.0
    for name, sessions in data.items():
        t0 = time.perf_counter()
        rows_by_source[name] = classify_all(sessions)
        classify_seconds += time.perf_counter() - t0
        print(
            f"run: classified {name} ({len(sessions)}) in {time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
        )
    # Only the sources labelled for prompt_injection feed its tables, LOSO and add runs;
    # every mode (that one too) gets its own table on the sources labelled for it.
    n_classified = sum(len(v) for v in data.values())
    by_mode: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for name, rows in rows_by_source.items():
        by_mode[MODE_OF[name]][name] = rows
    modes = {mode: mode_report(mode, rows) for mode, rows in by_mode.items()}
    rows_by_source = by_mode["prompt_injection"]
    data = {name: sessions for name, sessions in data.items() if name in rows_by_source}
    adds = {}
    for name, sessions in data.items():
        t0 = time.perf_counter()
        adds[name] = add_all(sessions, args.add_per_source)
        print(
            f"run: add on {name} ({adds[name]['n']}) in {time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
        )
    all_rows = [r for rows in rows_by_source.values() for r in rows]
    report = {
        "label": args.label,
        "wrap": args.wrap,
        "commit": _commit(),
        "manifest": json.loads((cache / "manifest.json").read_text()),
        "sources": {n: classify_metrics(rows) for n, rows in rows_by_source.items()},
        "loso": loso(rows_by_source),
        "ceiling": classify_metrics(classify_all(_ceiling())),
        "recall_by_lang": classify_metrics(all_rows)["recall_by_lang"],
        "reliability": reliability(all_rows),
        "top_reliability": top_reliability(all_rows),
        "top_reliability_raw": top_reliability(all_rows, key="top_score"),
        "ece": {
            name: {
                "score": expected_calibration_error(rows, "top_score"),
                "confidence": expected_calibration_error(rows, "top_conf"),
            }
            for name, rows in {**rows_by_source, "all": all_rows}.items()
        },
        # A sealed source keeps only its aggregates: no per-session add messages.
        "modes": modes,
        "add": {n: _sealed_view(a) if n in SEALED else a for n, a in adds.items()},
        "provenance": {n: provenance_metrics(sessions) for n, sessions in data.items()},
        "seconds": round(time.perf_counter() - started, 1),
        "classify_sessions_per_second": round(n_classified / classify_seconds, 1),
    }
    report["modules_from_elsewhere"] = _foreign_modules()
    if report["modules_from_elsewhere"]:
        print(
            "run: warning: modules loaded from outside the measured checkout: "
            + ", ".join(report["modules_from_elsewhere"][:8]),
            file=sys.stderr,
        )
    text = markdown(report) + markdown_modes(report["modes"])
    print(text)
    print(f"run: {report['seconds']}s in all", file=sys.stderr)
    out = args.json or cache / "results" / f"{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"run: wrote {out}", file=sys.stderr)
    if args.examples:
        args.examples.write_text(text + "\n" + "\n".join(examples(all_rows, adds)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
