"""Benchmark ``incident_lab snapshot --last 1000`` and ``verify`` against the pandas baseline.

Generates realistic native trajectory logs (system/user/assistant messages, tool calls
and results of varied sizes, safeguard decisions) of the requested sizes under
``bench-data/`` (gitignored; reused between runs), then measures, each in its own
subprocess so wall time and peak RSS are the whole program's:

- ``incident_lab snapshot --from LOG --last 1000`` (wall s, MB/s, peak RSS);
- the baseline a user would otherwise write: ``pandas.read_json(LOG, lines=True)``,
  sort by ``started_at``, keep the last 1,000 sessions, write them out;
- ``incident_lab verify`` on the ``--last 1000`` bundle and on a full bundle
  (``snapshot`` without ``--last``), MB/s over the bundle's bytes.

Every command first runs once untimed on a one-session log, and by default
(``--bytecode cached``) all run with their modules' bytecode cached, as installed
packages do (``--bytecode as-is`` keeps this shell's ``PYTHONDONTWRITEBYTECODE``).

Medians over ``--runs`` runs (default 3). Usage::

    python benchmarks/bench_snapshot.py                 # 100 MB and 1 GB
    python benchmarks/bench_snapshot.py --sizes 100     # 100 MB only
    python benchmarks/bench_snapshot.py --quick         # 20 MB, one run (smoke test)

Targets: snapshot >= 100 MB/s, peak RSS <= 200 MB and flat from 100 MB to 1 GB,
>= 3x the pandas baseline; verify >= 300 MB/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
KEEP = 1000

_WORDS = [
    "the",
    "agent",
    "tool",
    "email",
    "report",
    "customer",
    "data",
    "please",
    "summarise",
    "quarterly",
    "revenue",
    "send",
    "attached",
    "file",
    "config",
    "error",
    "retry",
    "invoice",
    "account",
    "refund",
    "policy",
    "escalate",
    "ticket",
    "review",
    "draft",
    "meeting",
    "calendar",
    "contract",
    "vendor",
    "payment",
    "approve",
    "reject",
    "password",
    "reset",
    "database",
    "query",
    "results",
    "table",
]
_TOOLS = ["read_document", "send_email", "search_web", "query_db", "create_ticket", "get_calendar"]
_SAFEGUARDS = ["prompt-shield", "egress-filter", "pii-redactor", "output-moderation"]
_STAGES = ["input", "pre_action", "post_action", "output"]


def _text(rng: random.Random, n: int) -> str:
    words = rng.choices(_WORDS, k=max(1, n // 6))
    lines = [" ".join(words[i : i + 14]) for i in range(0, len(words), 14)]
    return ".\n".join(lines) + "."


def _size(rng: random.Random, median: int) -> int:
    return int(min(rng.lognormvariate(0, 1.0) * median, median * 40))


def make_session(rng: random.Random, i: int, t0: float) -> dict[str, Any]:
    """One realistic agent session (varied sizes, tools, safeguard decisions)."""
    steps: list[dict[str, Any]] = [
        {"type": "message", "role": "system", "content": _text(rng, _size(rng, 1500))},
        {"type": "message", "role": "user", "content": _text(rng, _size(rng, 300))},
    ]
    for turn in range(rng.randint(1, 8)):
        tool = rng.choice(_TOOLS)
        call_id = f"call_{i}_{turn}"
        steps.append(
            {
                "type": "tool_call",
                "name": tool,
                "arguments": {"query": _text(rng, 40), "limit": rng.randint(1, 50)},
                "call_id": call_id,
            }
        )
        if rng.random() < 0.5:
            decision = rng.choices(["allow", "block", "flag", "redact"], [85, 5, 8, 2])[0]
            steps.append(
                {
                    "type": "safeguard",
                    "safeguard": rng.choice(_SAFEGUARDS),
                    "stage": rng.choice(_STAGES),
                    "decision": decision,
                    "score": round(rng.random(), 3),
                    "rule_id": f"r{rng.randint(1, 40)}",
                    "target_step": len(steps) - 1,
                }
            )
        steps.append(
            {
                "type": "tool_result",
                "call_id": call_id,
                "name": tool,
                "output": _text(rng, _size(rng, 2500)),
                "is_error": rng.random() < 0.03,
            }
        )
        steps.append(
            {"type": "message", "role": "assistant", "content": _text(rng, _size(rng, 400))}
        )
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i * 7 + rng.randint(-30, 30)))
    return {
        "schema_version": "trajectory/v1",
        "session_id": f"sess-{i:08d}",
        "started_at": started,
        "actor": {
            "user_id": f"u_{rng.randint(1, 5000):05d}",
            "tenant_id": rng.choice(["acme", "globex", "initech"]),
        },
        "agent": {
            "name": "ops-assistant",
            "model": {
                "name": "gpt-4o",
                "version": rng.choice(["2024-08-06", "2024-11-20"]),
                "provider": "openai",
            },
            "policy": {
                "id": "ops-policy",
                "version": "12",
                "hash": "sha256:" + f"{rng.getrandbits(8):064x}",
            },
            "tools": [
                {"name": t, "description": f"{t} tool", "parameters": {"type": "object"}}
                for t in _TOOLS
            ],
        },
        "steps": steps,
        "request_id": f"req-{rng.getrandbits(64):016x}",
    }


def ensure_log(size_mb: int) -> Path:
    """Generate (once) a native log of about ``size_mb`` MB."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"native_{size_mb}MB.jsonl"
    if path.exists():
        return path
    rng = random.Random(size_mb)
    target, written, i = size_mb * 1_000_000, 0, 0
    tmp = path.with_suffix(".partial")
    with open(tmp, "wb") as fh:
        while written < target:
            line = (
                json.dumps(make_session(rng, i, 1_769_900_000.0), ensure_ascii=False).encode()
                + b"\n"
            )
            fh.write(line)
            written += len(line)
            i += 1
    tmp.rename(path)
    return path


#: The children's environment (see :func:`bytecode_env`).
CHILD_ENV: dict[str, str] | None = None


def bytecode_env(cached: bool) -> dict[str, str]:
    """The environment the measured commands run in.

    ``cached``: as an installed package runs, with its modules' bytecode written once and
    reused (pip compiles what it installs; pandas' is in site-packages), under
    ``bench-data/pycache`` so no source tree is written to. Otherwise the caller's
    environment as it is: with ``PYTHONDONTWRITEBYTECODE=1`` set (as on the development
    machines), incident-lab's own ~100 modules are compiled again by every command.
    """
    env = dict(os.environ)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    return env


def run_measured(cmd: list[str]) -> tuple[float, float, int, float]:
    """Run ``cmd``; return (wall s, peak RSS MB, exit code, CPU s user+sys) of that child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=CHILD_ENV)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 5):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
    return wall, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


_CLI = [sys.executable, "-c", "from incident_lab.cli.main import main; main()"]
_BASELINE = """
import sys, pandas as pd
df = pd.read_json(sys.argv[1], lines=True)
df["_t"] = pd.to_datetime(df["started_at"], utc=True)
df.sort_values("_t", kind="stable").tail(1000).drop(columns="_t").to_json(sys.argv[2], orient="records", lines=True)
"""


def bundle_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_size(size_mb: int, runs: int, work: Path, baseline: bool) -> dict[str, Any]:
    log = ensure_log(size_mb)
    mb = log.stat().st_size / 1e6
    res: dict[str, Any] = {"size_mb": mb}
    snaps, verifies, base = [], [], []
    for r in range(runs):
        out = work / f"s{size_mb}_{r}"
        snaps.append(
            run_measured(
                [*_CLI, "snapshot", "--from", str(log), "--last", str(KEEP), "--out", str(out)]
            )
        )
        verifies.append((*run_measured([*_CLI, "verify", str(out)]), bundle_bytes(out)))
        if baseline:
            base.append(
                run_measured(
                    [sys.executable, "-c", _BASELINE, str(log), str(work / f"pd{r}.jsonl")]
                )
            )
        if r:
            shutil.rmtree(out)
    res["snapshot_s"] = statistics.median(s[0] for s in snaps)
    res["snapshot_rss"] = statistics.median(s[1] for s in snaps)
    res["snapshot_cpu"] = statistics.median(s[3] for s in snaps)
    res["verify_small_s"] = statistics.median(v[0] for v in verifies)
    res["verify_small_cpu"] = statistics.median(v[3] for v in verifies)
    res["verify_small_mb"] = verifies[0][4] / 1e6
    if base:
        res["pandas_s"] = statistics.median(b[0] for b in base)
        res["pandas_rss"] = statistics.median(b[1] for b in base)
        res["pandas_cpu"] = statistics.median(b[3] for b in base)
    # verify over a full bundle (every session kept): the per-byte cost of verify
    full = work / f"full{size_mb}"
    run_measured([*_CLI, "snapshot", "--from", str(log), "--out", str(full)])
    fulls = [run_measured([*_CLI, "verify", str(full)]) for _ in range(runs)]
    res["verify_full_s"] = statistics.median(f[0] for f in fulls)
    res["verify_full_cpu"] = statistics.median(f[3] for f in fulls)
    res["verify_full_rss"] = statistics.median(f[1] for f in fulls)
    res["verify_full_mb"] = bundle_bytes(full) / 1e6
    shutil.rmtree(full)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="log sizes in MB, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 MB, one run")
    parser.add_argument(
        "--baseline-max-mb", type=int, default=1000, help="skip pandas above this size (RAM)"
    )
    parser.add_argument(
        "--bytecode",
        choices=["cached", "as-is"],
        default="cached",
        help="cached (default): modules' bytecode written once under bench-data/pycache and "
        "reused, as for an installed package; as-is: this shell's environment (with "
        "PYTHONDONTWRITEBYTECODE=1 every command compiles incident-lab's modules again)",
    )
    args = parser.parse_args()
    sizes = [20] if args.quick else [int(s) for s in args.sizes.split(",")]
    runs = 1 if args.quick else args.runs
    rows = []
    global CHILD_ENV
    DATA.mkdir(exist_ok=True)
    CHILD_ENV = bytecode_env(args.bytecode == "cached")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=DATA if DATA.exists() else None) as tmp:
        warm = Path(tmp) / "warm.jsonl"  # one untimed run of each command writes the bytecode
        warm.write_text(json.dumps(make_session(random.Random(0), 0, 1_769_900_000.0)) + "\n")
        run_measured([*_CLI, "snapshot", "--from", str(warm), "--out", str(Path(tmp) / "w")])
        run_measured([*_CLI, "verify", str(Path(tmp) / "w")])
        run_measured([sys.executable, "-c", _BASELINE, str(warm), str(Path(tmp) / "w.jsonl")])
        for size in sizes:
            rows.append(bench_size(size, runs, Path(tmp), size <= args.baseline_max_mb))
    print(
        f"\nsnapshot --last {KEEP} vs pandas.read_json(lines=True) + keep last {KEEP}; medians of {runs} run(s)"
    )
    print(
        f"{'log MB':>8} {'snap s':>8} {'snap MB/s':>10} {'snap RSS MB':>12} {'pandas s':>9} {'pd MB/s':>8} {'pd RSS MB':>10} {'speed-up':>9}"
    )
    for r in rows:
        mbps = r["size_mb"] / r["snapshot_s"]
        if "pandas_s" in r:
            pd_cols = f"{r['pandas_s']:9.2f} {r['size_mb'] / r['pandas_s']:8.1f} {r['pandas_rss']:10.0f} {r['pandas_s'] / r['snapshot_s']:8.1f}x"
        else:
            pd_cols = f"{'-':>9} {'-':>8} {'-':>10} {'-':>9}"
        print(
            f"{r['size_mb']:8.0f} {r['snapshot_s']:8.2f} {mbps:10.1f} {r['snapshot_rss']:12.0f} {pd_cols}"
        )
    print("\nverify")
    print(f"{'log MB':>8} {'bundle':>14} {'bundle MB':>10} {'verify s':>9} {'MB/s':>8}")
    for r in rows:
        print(
            f"{r['size_mb']:8.0f} {'--last ' + str(KEEP):>14} {r['verify_small_mb']:10.1f} {r['verify_small_s']:9.2f} {r['verify_small_mb'] / r['verify_small_s']:8.1f}"
        )
        print(
            f"{r['size_mb']:8.0f} {'all sessions':>14} {r['verify_full_mb']:10.1f} {r['verify_full_s']:9.2f} {r['verify_full_mb'] / r['verify_full_s']:8.1f}"
        )
    print(
        "\nCPU seconds (user+sys; the machine is shared, so wall time includes waiting for a core)"
    )
    for r in rows:
        pd_cpu = (
            f"pandas {r['pandas_cpu']:.2f} s (speed-up {r['pandas_cpu'] / r['snapshot_cpu']:.1f}x)"
            if "pandas_cpu" in r
            else "pandas -"
        )
        print(
            f"{r['size_mb']:8.0f} MB: snapshot {r['snapshot_cpu']:.2f} s ({r['size_mb'] / r['snapshot_cpu']:.1f} MB/s), "
            f"{pd_cpu}, verify(--last) {r['verify_small_cpu']:.2f} s "
            f"({r['verify_small_mb'] / r['verify_small_cpu']:.1f} MB/s), "
            f"verify(all) {r['verify_full_cpu']:.2f} s ({r['verify_full_mb'] / r['verify_full_cpu']:.1f} MB/s, "
            f"RSS {r['verify_full_rss']:.0f} MB)"
        )
    load_after = os.getloadavg()
    print(
        f"\nload average (1/5/15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {' '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} CPUs"
    )
    print(f"bytecode: {args.bytecode} (--bytecode)")
    print(
        "\ntargets: snapshot >= 100 MB/s, RSS <= 200 MB and flat, >= 3x pandas; verify >= 300 MB/s"
    )


if __name__ == "__main__":
    main()
