"""Blast radius over a large log: the streaming local engine vs Dask on a two-worker LocalCluster.

Generates ``bench-data/blast/log-<MB>mb.jsonl`` (native trajectory/v1 JSONL) from the
example agent's production traffic (4,000 sessions, 12 of them the injection incident),
replicated with fresh session ids, days and actors until the file reaches ``--size-mb``.
Then, each in a fresh process so peak RSS is its own:

- ``local``: ``incident_lab blast-radius --engine local`` (the baseline);
- ``dask``: the same search with ``--engine dask`` on a ``LocalCluster`` of ``--workers``
  worker processes (one thread each; ``--workers 1,2`` runs one cluster of each size, to
  show the speed-up) started by this script; peak RSS is the driver's plus the largest
  worker's, CPU seconds are the workers' and the driver's own during the search.

On a machine whose cores are shared (a loaded 2-core box) wall time cannot show the
speed-up: each worker gets a fraction of a core. So the Dask rows also report what can
be shown honestly: each worker's CPU seconds (the task balance) and its tasks (count and
busy wall seconds, from dask's task stream), the driver's CPU, the load average during
the run, the CPU of all workers and the driver against the local engine's whole command
(the Dask overhead), and with ``--workers 1,2`` the CPU-bound speed-up ``CPU(1 worker) /
busiest worker's CPU (2 workers)``: the wall-time speed-up each worker would give with a
core of its own. The wall-time speed-up is printed beside it with the load it ran under.
``--dask-malloc-trim off`` starts the workers without the ``MALLOC_TRIM_THRESHOLD_=65536``
that ``distributed``'s nannies set by default (the allocator then keeps freed memory for
the next batch of sessions instead of faulting it in again).

All must report the same matches. One untimed local run on the log's first line comes
first; by default (``--bytecode cached``) every command runs with its modules' bytecode
cached, as an installed package's is. Prints wall time (median of ``--repeats``), CPU
seconds, MB/s (wall) and MB/s per core (CPU), peak RSS and the ratios, as text and as
JSON on the last line. ``--log FILE --bundle DIR`` scans a log of your own (e.g. the
non-repeating text of ``gen_day.py --tools 7``, with the bundle ``bench_story.py``
leaves in ``<data>/walk/incident``) instead of the generated one.

Usage::

    python benchmarks/bench_blast.py                 # 1 GB
    python benchmarks/bench_blast.py --size-mb 200 --repeats 3
    python benchmarks/bench_blast.py --log bench-data/text/day.jsonl \
        --bundle bench-data/text/bundle --workers 1,2
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


def _peak_rss_of(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, dict]:
    """Run ``cmd`` in a fresh process: wall and CPU seconds, its peak RSS (KiB) and its JSON."""
    wrapper = (
        "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "sys.stderr.write('\\n@@ %.3f %d' % (u.ru_utime + u.ru_stime, u.ru_maxrss)); sys.exit(rc)"
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, env=env, check=False
    )
    wall = time.perf_counter() - t0
    stderr, _, tail = proc.stderr.decode().rpartition("\n@@ ")
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {stderr[-2000:]}")
    cpu, peak = tail.split()
    return wall, float(cpu), int(peak), json.loads(proc.stdout)


#: The measured commands' environment (see :func:`bytecode_env`).
CHILD_ENV: dict[str, str] = dict(os.environ)


def bytecode_env(cached: bool) -> dict[str, str]:
    """The environment the measured commands run in: with ``cached``, their modules'
    bytecode is written once (under ``bench-data/pycache``, no source tree is written
    to) and reused, as an installed package's is; else this shell's as it is (with
    ``PYTHONDONTWRITEBYTECODE=1`` every command compiles incident-lab's modules again)."""
    env = dict(os.environ)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(ROOT / "bench-data" / "pycache")
    return env


def run_local(log: Path, bundle: Path) -> tuple[float, float, int, dict]:
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
    return _peak_rss_of(cmd, CHILD_ENV)


_DASK_DRIVER = """
import json, os, resource, sys, time
from dask.utils import key_split
from distributed import Client, LocalCluster, get_task_stream
from incident_lab.blast import blast_radius
from incident_lab.blast.signature import load_signature

def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

if __name__ == "__main__":
    log, bundle, workers, blocksize = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if sys.argv[5] == "off":  # the nannies' MALLOC_TRIM_THRESHOLD_ (65536 by default) unset
        import dask
        env = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
        env.pop("MALLOC_TRIM_THRESHOLD_", None)
        dask.config.set({"distributed.nanny.pre-spawn-environ": env})
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", memory_limit=0) as cluster, Client(cluster) as client:
        signature = load_signature(bundle)
        client.run(lambda: __import__("incident_lab.blast.scan"))  # imports before the clock
        before = client.run(cpu)
        load_before = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), cpu()
        with get_task_stream(client) as stream:
            result = blast_radius(signature, [log], engine="dask", blocksize=blocksize or None)
        wall, driver_cpu = time.perf_counter() - t0, cpu() - c0
        after = client.run(cpu)
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    names = {w: f"w{i}" for i, w in enumerate(sorted(after))}
    tasks = {}
    for t in stream.data:
        kind = key_split(t["key"])  # _scan_unit, _count_unit, blast-matcher, from_sequence
        row = tasks.setdefault(names.get(t["worker"], t["worker"]), {})
        busy = sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute")
        n, secs = row.get(kind, (0, 0.0))
        row[kind] = (n + 1, secs + busy)
    print(json.dumps({"wall": wall, "cpu": sum(after[w] - before[w] for w in after) + driver_cpu,
                      "driver_cpu": driver_cpu,
                      "worker_cpu": {names[w]: after[w] - before[w] for w in after},
                      "tasks": tasks,
                      "load": [load_before, os.getloadavg()[0]],
                      "worker_peak_kib": max(peaks.values()),
                      "matches": [m["session_id"] for m in result["matches"]],
                      "scanned": result["scanned"], "risk": result["risk"]["level"]}))
"""


def run_dask(
    log: Path, bundle: Path, workers: int, blocksize: int, trim: str = "default"
) -> tuple[float, float, int, dict]:
    """The search on a LocalCluster of ``workers`` processes: its own wall and CPU seconds."""
    script = DATA / "dask_driver.py"
    script.write_text(_DASK_DRIVER)
    cmd = [sys.executable, str(script), str(log), str(bundle), str(workers), str(blocksize), trim]
    _, _, driver_peak, out = _peak_rss_of(cmd, CHILD_ENV)
    return out["wall"], out["cpu"], driver_peak + out["worker_peak_kib"], out


def dask_report(results: dict[str, dict]) -> dict[str, object]:
    """What a loaded 2-core machine can show of the Dask engine's scaling, honestly.

    Wall time on shared cores says little (each worker gets a fraction of a core), so
    beside the wall-time speed-up this reports CPU seconds: each worker's (the task
    balance), their sum against the local engine's whole command (the Dask overhead:
    cluster, serialisation, the newline-counting pass, per-worker start), and the
    speed-up the split would give on idle cores, ``CPU(1 worker) / busiest worker's CPU
    (n workers)``: the wall time's bound when each worker has a core of its own.
    """
    out: dict[str, object] = {}
    local = results.get("local")
    for label, r in results.items():
        if not label.startswith("dask-"):
            continue
        cpu = r["worker_cpu_s"]
        row: dict[str, object] = {
            "worker_cpu_s": cpu,
            "driver_cpu_s": r["driver_cpu_s"],
            "busiest_worker_share": round(max(cpu.values()) / max(sum(cpu.values()), 1e-9), 3),
            "tasks": r["tasks"],
            "load_during": r["load"],
        }
        if local:
            row["cpu_vs_local"] = round(r["cpu_s"] / local["cpu_s"], 2)
        out[label] = row
    one, two = results.get("dask-1w"), results.get("dask-2w")
    if one and two:
        out["cpu_bound_speedup_2w_vs_1w"] = round(
            sum(one["worker_cpu_s"].values()) / max(max(two["worker_cpu_s"].values()), 1e-9), 2
        )
        out["wall_speedup_2w_vs_1w"] = round(one["wall_s"] / two["wall_s"], 2)
    return out


def _dask_details(dask_runs: list[tuple[float, dict]]) -> dict[str, object]:
    """The run of median CPU: its workers' CPU seconds, tasks and the load it ran under."""
    _, mid = sorted(dask_runs, key=lambda r: r[0])[len(dask_runs) // 2]
    details: dict[str, object] = {
        "worker_cpu_s": {k: round(v, 3) for k, v in mid["worker_cpu"].items()},
        "driver_cpu_s": round(mid["driver_cpu"], 3),
        "tasks": {
            w: {k: [n, round(t, 3)] for k, (n, t) in kinds.items()}
            for w, kinds in mid["tasks"].items()
        },
        "load": [round(x, 1) for x in mid["load"]],
    }
    print(f"          workers' CPU {details['worker_cpu_s']}  driver {mid['driver_cpu']:.2f} s  "
          f"tasks (count, busy wall s) {details['tasks']}  load {details['load']}",
          file=sys.stderr)  # fmt: skip
    return details


def print_dask_report(results: dict[str, dict]) -> dict[str, object]:
    """:func:`dask_report`, printed."""
    report = dask_report(results)
    if "wall_speedup_2w_vs_1w" in report:
        print(f"dask speed-up, 2 workers vs 1: wall {report['wall_speedup_2w_vs_1w']}x "
              f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: the workers share "
              f"them), CPU-bound {report['cpu_bound_speedup_2w_vs_1w']}x (on idle cores: "
              "1 worker's CPU / the busiest of 2)", file=sys.stderr)  # fmt: skip
    for k, row in report.items():
        if isinstance(row, dict) and "cpu_vs_local" in row:
            print(f"{k}: CPU {row['cpu_vs_local']}x the local engine's whole command; busiest "
                  f"worker {row['busiest_worker_share']:.0%} of the workers' CPU",
                  file=sys.stderr)  # fmt: skip
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024, help="log size in MB (default 1024)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per engine (median reported)")
    parser.add_argument("--engines", default="local,dask", help="comma-separated: local,dask")
    parser.add_argument("--workers", default="2", help="dask cluster sizes, e.g. 1,2 (default 2)")
    parser.add_argument(
        "--blocksize-mb",
        type=int,
        default=0,
        help="dask bytes per task, in MiB (default 0: the engine's own, ~4 tasks per worker)",
    )
    parser.add_argument(
        "--dask-malloc-trim",
        choices=["default", "off"],
        default="default",
        help="default: the workers run with distributed's MALLOC_TRIM_THRESHOLD_=65536 (as "
        "users' clusters do); off: unset (the allocator keeps freed memory: 30x fewer page "
        "faults in a scan)",
    )
    parser.add_argument("--log", type=Path, help="scan this log instead of generating one")
    parser.add_argument("--bundle", type=Path, help="the incident bundle (with --log)")
    parser.add_argument(
        "--bytecode",
        choices=["cached", "as-is"],
        default="cached",
        help="cached (default): modules' bytecode written once under bench-data/pycache and "
        "reused, as for an installed package (one untimed run first); as-is: this shell's "
        "environment",
    )
    args = parser.parse_args()
    global CHILD_ENV
    CHILD_ENV = bytecode_env(args.bytecode == "cached")
    if args.log is not None:
        if args.bundle is None:
            parser.error("--log needs --bundle")
        log, bundle, expected = args.log, args.bundle, None
        DATA.mkdir(parents=True, exist_ok=True)
    else:
        log, bundle, expected = generate(args.size_mb)
    size_mb = log.stat().st_size / 1e6
    print(f"log: {log} ({size_mb:.0f} MB); expected incident matches: {expected}", file=sys.stderr)
    warm = DATA / "warm.jsonl"  # one untimed run: imports (and bytecode) before the clock
    with open(log, "rb") as fh:
        warm.write_bytes(fh.readline())
    run_local(warm, bundle)
    runs: list[tuple[str, int]] = []
    for engine in args.engines.split(","):
        if engine == "dask":
            runs.extend(("dask", int(w)) for w in args.workers.split(","))
        else:
            runs.append((engine, 0))
    results: dict[str, dict] = {}
    for engine, workers in runs:
        label = engine if engine == "local" else f"dask-{workers}w"
        walls, cpus, peaks, found = [], [], [], None
        dask_runs: list[tuple[float, dict]] = []
        for _ in range(args.repeats):
            if engine == "local":
                wall, cpu, peak, out = run_local(log, bundle)
                matches = [m["session_id"] for m in out["matches"]]
            else:
                wall, cpu, peak, out = run_dask(
                    log, bundle, workers, args.blocksize_mb << 20, args.dask_malloc_trim
                )
                matches = out["matches"]
                dask_runs.append((cpu, out))
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
            found = matches
        med, cpu_med = statistics.median(walls), statistics.median(cpus)
        results[label] = {
            "wall_s": round(med, 2),
            "cpu_s": round(cpu_med, 2),
            "mb_per_s": round(size_mb / med, 1),
            "mb_per_s_per_core": round(size_mb / cpu_med, 1),
            "peak_rss_mb": round(max(peaks) / 1024, 1),
            "matches": len(found or []),
        }
        print(f"{label:8s}: {med:7.1f} s wall  {cpu_med:7.1f} s CPU  {size_mb / med:6.1f} MB/s  "
              f"{size_mb / cpu_med:6.1f} MB/s per core  peak RSS {max(peaks) / 1024:7.1f} MB  "
              f"matches {len(found or [])}", file=sys.stderr)  # fmt: skip
        results[label]["_ids"] = sorted(found or [])
        if dask_runs:
            results[label].update(_dask_details(dask_runs))
    labels = list(results)
    same = all(results[k]["_ids"] == results[labels[0]]["_ids"] for k in labels)
    print(f"same matches in every run: {same}", file=sys.stderr)
    summary: dict[str, object] = {"same_matches": same}
    if "local" in results:
        for k in labels:
            if k != "local":
                ratio = results[k]["wall_s"] / results["local"]["wall_s"]
                summary[f"{k}_vs_local_wall"] = round(ratio, 2)
    if any(k.startswith("dask-") for k in results):
        summary["dask"] = print_dask_report(results)
    for r in results.values():
        r.pop("_ids", None)
    summary["bytecode"] = args.bytecode
    summary["dask_malloc_trim"] = args.dask_malloc_trim
    print(json.dumps({"benchmark": "blast_radius", "log_mb": round(size_mb), "cores": os.cpu_count(),
                      "load_avg": [round(x, 1) for x in os.getloadavg()],
                      "expected_matches": expected, **results, "summary": summary}))  # fmt: skip


if __name__ == "__main__":
    main()
