"""A digest of everything ``classify`` says about a fixed corpus: speed work must not change it.

Classifies every converted third-party session of the triage-eval cache (every source
except the sealed one, which nobody opens) and the generated ``classify_eval`` set, two
ways each: one session at a time (:func:`classify_trajectory`, as the triage evaluation
does) and as one batch per source (:func:`classify_many`, which adds the cross-session
detectors). The full JSON of every classification (``Classification.to_dict()``) is
hashed; the script prints one SHA-256 per source and mode and an overall digest.

Two checkouts that print the same overall digest classify this corpus identically:
same ranking, confidences, evidence text, severity and unsafe steps. The spans are
memoised across sessions, so the batch is classified twice (cold, then warm) and both
must agree: a memo that changed an answer would show here.

Usage::

    python benchmarks/classify_identity.py [--cache DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.classify_eval.generate import DEFAULT_SEED, generate
from benchmarks.triage_eval.sessions import strip_truth
from benchmarks.triage_eval.sources import NAMES, SEALED, cache_dir
from incident_lab.classify import classify_many, classify_trajectory
from incident_lab.provenance.cues import clear_memo


def corpus(cache: Path) -> dict[str, list[dict[str, Any]]]:
    """The sessions to classify, by source: the triage-eval cache (no sealed) and the
    generated set, ground truth stripped."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in NAMES:
        if name in SEALED:
            continue  # held out: never opened
        path = cache / "trajectories" / f"{name}.jsonl"
        if not path.exists():
            raise SystemExit(f"classify_identity: {path} missing; run triage_eval fetch/convert")
        lines = path.read_text("utf-8").splitlines()
        out[name] = [strip_truth(json.loads(line)) for line in lines if line.strip()]
    out["classify_eval"] = [r["trajectory"] for r in generate(DEFAULT_SEED)]
    return out


def _digest(results: list[Any]) -> str:
    h = hashlib.sha256()
    for c in results:
        h.update(json.dumps(c.to_dict(), sort_keys=True, ensure_ascii=True).encode())
        h.update(b"\n")
    return h.hexdigest()


def digests(sessions: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """``{"<source>/<mode>": sha256}`` for every source and mode, plus ``"all"``."""
    out: dict[str, str] = {}
    clear_memo()
    for name, trajs in sessions.items():
        out[f"{name}/single"] = _digest([classify_trajectory(t) for t in trajs])
    for name, trajs in sessions.items():
        batch = _digest(classify_many(trajs))
        clear_memo()
        cold = _digest(classify_many(trajs))
        if cold != batch:
            raise SystemExit(f"classify_identity: {name}: warm and cold batches differ")
        out[f"{name}/batch"] = batch
    overall = hashlib.sha256("".join(f"{k}={v}\n" for k, v in out.items()).encode())
    out["all"] = overall.hexdigest()
    return out


def main() -> None:
    """Print the digests."""
    parser = argparse.ArgumentParser(description="digest of classify's output on a fixed corpus")
    parser.add_argument("--cache", type=Path, default=None, help="triage-eval cache directory")
    parser.add_argument("--verbose", action="store_true", help="one digest per source and mode")
    args = parser.parse_args()
    sessions = corpus(args.cache or cache_dir())
    found = digests(sessions)
    total = sum(len(v) for v in sessions.values())
    if args.verbose:
        for key, value in found.items():
            if key != "all":
                print(f"{key:32} {value}")
    print(f"classify identity digest ({total} sessions, single + batch): {found['all']}")


if __name__ == "__main__":
    main()
