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
must agree: a memo that changed an answer would show here. The script re-runs itself with
``PYTHONHASHSEED=0`` so that anything decided by the iteration order of a set of strings is
the same in both checkouts.

A detector that raised during any classification is named on stderr (the first few) and
the script exits 1: its silence must not be pinned as the identity.

Usage::

    python benchmarks/classify_identity.py [--cache DIR] [--verbose] [--dump OUT.jsonl] [--any-seed]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.classify_eval.generate import DEFAULT_SEED, generate
from benchmarks.triage_eval.sessions import strip_truth
from benchmarks.triage_eval.sources import NAMES, SEALED, cache_dir
from incident_lab.classify import classify_many, classify_trajectory
from incident_lab.classify.session import clear_memo


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


def _digest(
    results: list[Any],
    dump: list[str] | None = None,
    errors: list[str] | None = None,
    where: str = "",
) -> str:
    h = hashlib.sha256()
    for c in results:
        if errors is not None:
            errors.extend(f"{where}: {c.session_id}: {e}" for e in c.detector_errors)
        line = json.dumps(c.to_dict(), sort_keys=True, ensure_ascii=True)
        h.update(line.encode())
        h.update(b"\n")
        if dump is not None:
            dump.append(line)
    return h.hexdigest()


def digests(
    sessions: dict[str, list[dict[str, Any]]],
    dump: list[str] | None = None,
    errors: list[str] | None = None,
) -> dict[str, str]:
    """``{"<source>/<mode>": sha256}`` for every source and mode, plus ``"all"``.

    ``dump``: a list that receives every classification's JSON line, in order.
    ``errors``: a list that receives ``SOURCE/MODE: SESSION: DETECTOR: Type: message`` for
    every detector that raised (its findings are missing from the digest).
    """
    out: dict[str, str] = {}
    clear_memo()
    for name, trajs in sessions.items():
        single = [classify_trajectory(t) for t in trajs]
        out[f"{name}/single"] = _digest(single, dump, errors, f"{name}/single")
    for name, trajs in sessions.items():
        batch = _digest(classify_many(trajs), dump, errors, f"{name}/batch")
        clear_memo()
        cold = _digest(classify_many(trajs))
        if cold != batch:
            raise SystemExit(f"classify_identity: {name}: warm and cold batches differ")
        out[f"{name}/batch"] = batch
    overall = hashlib.sha256("".join(f"{k}={v}\n" for k, v in out.items()).encode())
    out["all"] = overall.hexdigest()
    return out


#: String hashing is seeded per process; a fixed seed makes set-order ties reproducible, so
#: two checkouts are compared on the same footing (``--any-seed`` keeps the process's own).
HASH_SEED = "0"
#: How many detector errors are named when some occurred.
_MAX_NAMED = 5


def main() -> None:
    """Print the digests."""
    if "--any-seed" not in sys.argv and os.environ.get("PYTHONHASHSEED") != HASH_SEED:
        env = {**os.environ, "PYTHONHASHSEED": HASH_SEED}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description="digest of classify's output on a fixed corpus")
    parser.add_argument("--cache", type=Path, default=None, help="triage-eval cache directory")
    parser.add_argument("--verbose", action="store_true", help="one digest per source and mode")
    parser.add_argument(
        "--any-seed", action="store_true", help="keep this process's PYTHONHASHSEED (not 0)"
    )
    parser.add_argument(
        "--dump", type=Path, default=None, help="write every classification as a JSON line"
    )
    args = parser.parse_args()
    sessions = corpus(args.cache or cache_dir())
    lines: list[str] | None = [] if args.dump else None
    errors: list[str] = []
    found = digests(sessions, lines, errors)
    if args.dump and lines is not None:
        args.dump.write_text("".join(f"{line}\n" for line in lines), "utf-8")
    total = sum(len(v) for v in sessions.values())
    if args.verbose:
        for key, value in found.items():
            if key != "all":
                print(f"{key:32} {value}")
    seed = os.environ.get("PYTHONHASHSEED", "random")
    print(
        f"classify identity digest ({total} sessions, single + batch, "
        f"PYTHONHASHSEED={seed}): {found['all']}"
    )
    print(f"detector errors: {len(errors)}")
    if errors:
        for line in errors[:_MAX_NAMED]:
            print(f"detector error: {' '.join(line.splitlines())[:300]}", file=sys.stderr)
        # A detector that raised says nothing: the digest would pin its silence as identity.
        sys.exit(1)


if __name__ == "__main__":
    main()
