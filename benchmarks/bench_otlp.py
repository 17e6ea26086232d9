"""Benchmark: the OTLP readers (``otel``, ``openinference``) on large exports — MB/s and peak RSS.

The input is generated from the fixtures that the real instrumentations wrote
(``tests/fixtures/otel_genai``, ``tests/fixtures/openinference``): each copy gets its own
trace and span ids and its own system prompt (so no two copies' histories stitch
together), and every 50th copy adds a line that is not JSON and a metrics export
(two rejects). For ``otel`` the span and log files are written separately, as the
collector's file exporter writes them, and read together.

Each measurement reads the files in a fresh process (``read_paths``, every record
consumed and counted) and reports CPU seconds, wall, MB/s per CPU-second, peak RSS
(``wait4``), the counts (read = accepted + rejected, and accepted/rejected against
what the copies must give) and a SHA-256 of the record stream (path, line, entry,
reason, trajectory), so two checkouts can be compared output for output.

Usage::

    python benchmarks/bench_otlp.py [--sizes 100,1000] [--formats otel,openinference]
        [--dir /tmp/bench_otlp] [--runs 1] [--json]

The generated files go to ``--dir`` (never commit them); they are reused when present.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
_IDS = re.compile(rb'"(traceId|spanId|parentSpanId)":"([0-9a-fA-F]+)"')
_BAD = b'{"resourceMetrics":[]}\nnot json at all\n'


def _templates(fmt: str) -> dict[str, list[bytes]]:
    """The fixture lines a copy is made from, per output file name."""
    out: dict[str, list[bytes]] = {"traces.jsonl": [], "logs.jsonl": []}
    if fmt == "openinference":
        out["traces.jsonl"] = (FIXTURES / "openinference" / "spans.jsonl").read_bytes().splitlines()
        return out
    for mode in (
        "v2.1b0_capture_true",
        "v2.4b0_event_only",
        "v2.4b0_span_only",
        "v2.4b0_no_content",
    ):
        for name in out:
            path = FIXTURES / "otel_genai" / mode / name
            if path.exists():
                out[name].extend(path.read_bytes().splitlines())
    return out


def _copy(line: bytes, i: int) -> bytes:
    def ident(m: re.Match[bytes]) -> bytes:
        digest = hashlib.blake2b(m.group(2) + b"/%d" % i, digest_size=len(m.group(2)) // 2)
        return b'"%s":"%s"' % (m.group(1), digest.hexdigest().encode())

    line = _IDS.sub(ident, line)
    return line.replace(b"MailPilot", b"MailPilot-%d" % i).replace(b"sess-oi-", b"sess-oi-%d-" % i)


def generate(fmt: str, mb: int, out_dir: Path) -> tuple[list[Path], int]:
    """Write about ``mb`` MB of ``fmt`` exports into ``out_dir``; return the files and copies."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {name: out_dir / name for name in ("traces.jsonl", "logs.jsonl")}
    done = out_dir / "copies.txt"
    templates = _templates(fmt)
    used = [files[name] for name, lines in templates.items() if lines]
    if done.exists():
        return used, int(done.read_text())
    limit, size, copies = mb * 1_000_000, 0, 0
    handles = {name: files[name].open("wb") for name in templates if templates[name]}
    try:
        while copies == 0 or size < limit:
            for name, lines in templates.items():
                if not lines:
                    continue
                chunk = b"".join(_copy(line, copies) + b"\n" for line in lines)
                if name == "traces.jsonl" and copies % 50 == 49:
                    chunk += _BAD
                handles[name].write(chunk)
                size += len(chunk)
            copies += 1
    finally:
        for handle in handles.values():
            handle.close()
    done.write_text(str(copies))
    return used, copies


_CHILD = r"""
import hashlib, json, sys, time
from incident_lab.readers import read_paths
fmt, files = sys.argv[1], sys.argv[2:]
digest, accepted, rejected = hashlib.sha256(), 0, 0
start = time.process_time()
for _fmt, record in read_paths(files, fmt):
    row = [record.path, record.line, record.entry, record.reason, record.trajectory]
    digest.update(json.dumps(row, sort_keys=True, default=str).encode() + b"\n")
    if record.accepted:
        accepted += 1
    else:
        rejected += 1
print(json.dumps({"accepted": accepted, "rejected": rejected, "sha256": digest.hexdigest(),
                  "read_cpu_s": time.process_time() - start}))
"""


def _run_child_with_rusage(fmt: str, files: list[Path]) -> dict[str, Any]:
    """Read ``files`` in a fresh process, reaped with ``wait4``: its own CPU and peak RSS."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, fmt, *map(str, files)],
            stdout=subprocess.PIPE,
            stderr=devnull,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"reading {fmt} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result.update(
        wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024
    )
    return result


def expected_counts(fmt: str, tmp: Path) -> tuple[int, int]:
    """Accepted and rejected records of one copy (read from a one-copy file)."""
    files, copies = generate(fmt, 0, tmp)  # a 0 MB target still writes one copy
    assert copies == 1
    one = _run_child_with_rusage(fmt, files)
    return one["accepted"], one["rejected"]


def measure(fmt: str, mb: int, base: Path, runs: int) -> dict[str, Any]:
    """Generate (or reuse) ``mb`` MB of ``fmt`` and read it ``runs`` times."""
    files, copies = generate(fmt, mb, base / f"{fmt}-{mb}mb")
    per_accepted, per_rejected = expected_counts(fmt, base / f"{fmt}-one")
    size = sum(f.stat().st_size for f in files)
    rows = [_run_child_with_rusage(fmt, files) for _ in range(runs)]
    cpu = statistics.median(r["cpu_s"] for r in rows)
    first = rows[0]
    bad = copies // 50
    return {
        "format": fmt,
        "mb": size / 1e6,
        "copies": copies,
        "cpu_s": cpu,
        "wall_s": statistics.median(r["wall_s"] for r in rows),
        "mb_per_cpu_s": size / 1e6 / cpu,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        "accepted": first["accepted"],
        "rejected": first["rejected"],
        "expected_accepted": per_accepted * copies,
        "expected_rejected": per_rejected * copies + 2 * bad,
        "same_output_every_run": len({r["sha256"] for r in rows}) == 1,
        "sha256": first["sha256"],
    }


def main(argv: list[str] | None = None) -> int:
    """Generate, measure, print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="MB, comma-separated")
    parser.add_argument("--formats", default="otel,openinference")
    parser.add_argument("--dir", default="/tmp/bench_otlp")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args, _ = parser.parse_known_args(argv)  # run_all.py passes every script the same args
    base = Path(args.dir)
    results = [
        measure(fmt, int(mb), base, args.runs)
        for fmt in args.formats.split(",")
        for mb in args.sizes.split(",")
        if mb
    ]
    print(f"OTLP readers (fresh process per run, median of {args.runs}; {os.cpu_count()} CPUs)")
    print(
        f"  {'format':14} {'MB':>7} {'CPU s':>7} {'wall s':>7} {'MB/CPU-s':>9} {'peak RSS MB':>12} "
        f"{'accepted':>9} {'rejected':>9}  counts  sha256"
    )
    for r in results:
        ok = (r["accepted"], r["rejected"]) == (r["expected_accepted"], r["expected_rejected"])
        print(
            f"  {r['format']:14} {r['mb']:7.1f} {r['cpu_s']:7.2f} {r['wall_s']:7.2f} "
            f"{r['mb_per_cpu_s']:9.1f} {r['peak_rss_mb']:12.1f} {r['accepted']:9d} "
            f"{r['rejected']:9d}  {'ok' if ok else 'MISMATCH'}  {r['sha256'][:16]}"
        )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
