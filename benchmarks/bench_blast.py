"""Blast radius over a large log: the streaming local engine vs Dask on a two-worker LocalCluster.

Generates ``bench-data/blast/log-<MB>mb.jsonl`` (native trajectory/v1 JSONL) from the
example agent's production traffic (4,000 sessions, 12 of them the injection incident),
replicated with fresh session ids, days and actors until the file reaches ``--size-mb``.
Then, each in a fresh process so peak RSS is its own:

- ``local``: ``incident_lab blast-radius --engine local`` (the baseline);
- ``dask``: the same search with ``--engine dask`` on a ``LocalCluster`` of two worker
  processes (one thread each) started by this script; peak RSS is the driver's plus the
  largest worker's.

Both must report the same matches. Prints wall time (median of ``--repeats``), MB/s,
peak RSS and the dask/local ratio, as text and as JSON on the last line.

Usage::

    python benchmarks/bench_blast.py                 # 1 GB
    python benchmarks/bench_blast.py --size-mb 200 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data" / "blast"
_SESSION = re.compile(rb'"session_id": "(sess-[0-9a-f]+)"')
_USER = re.compile(rb'"user_id": "(u_[0-9a-f]+)"')
_DAY = re.compile(rb'"(2026-02-)(\d\d)T')


def generate(size_mb: int) -> tuple[Path, Path, int]:
    """Write the log (reused if present) and an incident bundle; return paths and expected matches."""
    from incident_lab.evidence import take_snapshot
    from incident_lab.example.traffic import generate_log

    DATA.mkdir(parents=True, exist_ok=True)
    base = DATA / "base.jsonl"
    info_path = DATA / "base.json"
    if not info_path.is_file():
        info = generate_log(
            base, sessions=4000, incidents=12, seed=2026, start="2026-02-01T00:00:00Z"
        )
        info_path.write_text(json.dumps(info, default=str))
    info = json.loads(info_path.read_text())
    bundle = DATA / "incident"
    if not bundle.is_dir():
        take_snapshot([str(base)], out=bundle, sessions=[info["incident_session_ids"][0]])
    log = DATA / f"log-{size_mb}mb.jsonl"
    chunk = base.read_bytes()
    copies = max(1, -(-size_mb * 1024 * 1024 // len(chunk)))
    if not log.is_file() or log.stat().st_size < len(chunk) * copies:
        tmp = log.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            for k in range(copies):
                day = b"%02d" % (1 + k % 28)
                data = _SESSION.sub(
                    lambda m, k=k: b'"session_id": "%s-%d"' % (m.group(1), k), chunk
                )
                data = _USER.sub(lambda m, k=k: b'"user_id": "%s-%d"' % (m.group(1), k % 40), data)
                data = _DAY.sub(lambda m, day=day: b'"' + m.group(1) + day + b"T", data)
                out.write(data)
        os.replace(tmp, log)
    return log, bundle, copies * len(info["incident_session_ids"])


def _peak_rss_of(cmd: list[str], env: dict[str, str]) -> tuple[float, int, dict]:
    """Run ``cmd`` in a fresh process; return wall seconds, its peak RSS (KiB) and its JSON."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before), json.loads(proc.stdout)


def run_local(log: Path, bundle: Path) -> tuple[float, int, dict]:
    exe = Path(sys.executable).with_name("incident_lab")
    cmd = [
        str(exe),
        "blast-radius",
        "--incident",
        str(bundle),
        "--from",
        str(log),
        "--json",
        "--out",
        str(DATA / "out-local"),
    ]
    return _peak_rss_of(cmd, dict(os.environ))


_DASK_DRIVER = """
import json, resource, sys, time
from distributed import Client, LocalCluster
from incident_lab.blast import blast_radius, load_signature
if __name__ == "__main__":
    log, bundle = sys.argv[1], sys.argv[2]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      memory_limit=0) as cluster, Client(cluster) as client:
        t0 = time.perf_counter()
        result = blast_radius(load_signature(bundle), [log], engine="dask")
        wall = time.perf_counter() - t0
        workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print(json.dumps({"wall": wall, "worker_peak_kib": max(workers.values()),
                      "matches": [m["session_id"] for m in result["matches"]],
                      "scanned": result["scanned"], "risk": result["risk"]["level"]}))
"""


def run_dask(log: Path, bundle: Path) -> tuple[float, int, dict]:
    script = DATA / "dask_driver.py"
    script.write_text(_DASK_DRIVER)
    _, driver_peak, out = _peak_rss_of(
        [sys.executable, str(script), str(log), str(bundle)], dict(os.environ)
    )
    return out["wall"], driver_peak + out["worker_peak_kib"], out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024, help="log size in MB (default 1024)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per engine (median reported)")
    parser.add_argument("--engines", default="local,dask", help="comma-separated: local,dask")
    args = parser.parse_args()
    log, bundle, expected = generate(args.size_mb)
    size_mb = log.stat().st_size / 1e6
    print(f"log: {log} ({size_mb:.0f} MB); expected incident matches: {expected}", file=sys.stderr)
    results: dict[str, dict] = {}
    for engine in args.engines.split(","):
        walls, peaks, found = [], [], None
        for _ in range(args.repeats):
            if engine == "local":
                wall, peak, out = run_local(log, bundle)
                matches = [m["session_id"] for m in out["matches"]]
            else:
                wall, peak, out = run_dask(log, bundle)
                matches = out["matches"]
            walls.append(wall)
            peaks.append(peak)
            found = matches
        med = statistics.median(walls)
        results[engine] = {
            "wall_s": round(med, 2),
            "mb_per_s": round(size_mb / med, 1),
            "peak_rss_mb": round(max(peaks) / 1024, 1),
            "matches": len(found or []),
        }
        print(f"{engine:5s}: {med:8.1f} s  {size_mb / med:6.1f} MB/s  peak RSS {max(peaks) / 1024:7.1f} MB  "
              f"matches {len(found or [])}", file=sys.stderr)  # fmt: skip
        results[engine]["_ids"] = sorted(found or [])
    if "local" in results and "dask" in results:
        same = results["local"]["_ids"] == results["dask"]["_ids"]
        ratio = results["dask"]["wall_s"] / results["local"]["wall_s"]
        print(f"dask/local wall-time ratio: {ratio:.2f}; same matches: {same}", file=sys.stderr)
        results["dask_vs_local"] = {"wall_ratio": round(ratio, 2), "same_matches": same}
    for r in results.values():
        r.pop("_ids", None)
    print(json.dumps({"benchmark": "blast_radius", "log_mb": round(size_mb), "cores": os.cpu_count(),
                      "expected_matches": expected, **results}))  # fmt: skip


if __name__ == "__main__":
    main()
