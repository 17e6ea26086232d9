"""Benchmark: the fixed cost of small commands (imports), with ``python -X importtime``.

On call, most incidents are small: a snapshot of a one-line log should cost little more
than starting Python. For each command below, run as a fresh process (median of
``--runs``): CPU seconds (user + sys of the child) and wall; then one run under
``python -X importtime``: modules imported, the import time they took, the heaviest
top-level imports, and whether pandas, numpy, jsonschema or regression_suite were
imported at all.

- ``bare``: ``python -c pass`` (the floor); ``pandas``: ``python -c "import pandas"``;
- ``snapshot``: ``incident_lab snapshot`` of a one-line log (target <= 0.4 s CPU);
- ``verify``, ``classify``: on the bundle that snapshot wrote;
- ``add``: ``incident_lab add --from`` that bundle's trajectories into an empty library.

Usage::

    python benchmarks/bench_startup.py [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "examples" / "incidents" / "2026-02-11-unknown-memorised-credential.jsonl"
TARGET_SNAPSHOT_CPU = 0.4
WATCH = ("pandas", "numpy", "jsonschema", "regression_suite")
ENTRY = "from incident_lab.cli.main import main; main()"


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], cwd: Path, *, importtime: bool = False) -> tuple[float, float, str]:
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), *args]
    before, start = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - start, _child_cpu() - before
    if proc.returncode not in (0, 5):
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr[-400:]}")
    return cpu, wall, proc.stderr


def parse_importtime(stderr: str) -> dict[str, Any]:
    """Summarise ``-X importtime`` output: modules, total µs, heaviest top-level imports."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative, name = line[len("import time:") :].split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2  # two spaces per level
        rows.append((name.strip(), int(self_us), int(cumulative), depth))
    top = sorted((r for r in rows if r[3] == 0), key=lambda r: -r[2])
    names = {r[0] for r in rows}
    return {
        "modules": len(rows),
        "import_s": sum(r[1] for r in rows) / 1e6,
        "top": [(name, cumulative / 1e6) for name, _, cumulative, _ in top[:8]],
        "imported": {w: any(n == w or n.startswith(w + ".") for n in names) for w in WATCH},
    }


def _commands(tmp: Path) -> dict[str, list[str]]:
    one = tmp / "one.jsonl"
    one.write_text(LOG.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    bundle = tmp / "bundle"
    return {
        "bare": ["-c", "pass"],
        "pandas": ["-c", "import pandas"],  # context: what importing pandas alone costs
        "snapshot": ["-c", ENTRY, "snapshot", "--from", str(one), "--out", str(bundle)],
        "verify": ["-c", ENTRY, "verify", str(bundle)],
        "classify": ["-c", ENTRY, "classify", str(bundle)],
        "add": [
            "-c",
            ENTRY,
            "add",
            "--from",
            str(bundle / "trajectories.jsonl"),
            "--scenarios-dir",
            str(tmp / "lib"),
            "--force",
        ],
    }


def measure(runs: int) -> dict[str, Any]:
    """CPU/wall medians and an import-time summary per command."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        commands = _commands(tmp)
        for name, args in commands.items():
            cpus, walls = [], []
            for _ in range(runs):
                if name == "snapshot":
                    subprocess.run(["rm", "-rf", str(tmp / "bundle")], check=True)
                cpu, wall, _ = _run(args, tmp)
                cpus.append(cpu)
                walls.append(wall)
            if name == "snapshot":
                subprocess.run(["rm", "-rf", str(tmp / "bundle")], check=True)
            _, _, stderr = _run(args, tmp, importtime=True)
            results[name] = {
                "cpu_s": statistics.median(cpus),
                "wall_s": statistics.median(walls),
                **parse_importtime(stderr),
            }
    return results


def main(argv: list[str] | None = None) -> int:
    """Measure and print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args, _ = parser.parse_known_args(argv)  # run_all.py passes every script the same args
    results = measure(args.runs)
    print(
        f"Fixed cost per command (fresh process, median of {args.runs}; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs)"
    )
    print(
        f"  {'command':9} {'CPU s':>6} {'wall s':>7} {'modules':>8} {'import s':>9}  imports "
        + "/".join(WATCH)
    )
    for name, row in results.items():
        flags = " ".join("yes" if row["imported"][w] else "no" for w in WATCH)
        print(
            f"  {name:9} {row['cpu_s']:6.3f} {row['wall_s']:7.3f} {row['modules']:8d} "
            f"{row['import_s']:9.3f}  {flags}"
        )
    snap = results["snapshot"]["cpu_s"]
    verdict = "meets" if snap <= TARGET_SNAPSHOT_CPU else "misses"
    print(
        f"\nsnapshot of a one-line log: {snap:.3f} s CPU, {verdict} the target <= {TARGET_SNAPSHOT_CPU} s "
        f"(bare interpreter {results['bare']['cpu_s']:.3f} s)"
    )
    for name in ("snapshot", "classify", "add"):
        heavy = ", ".join(f"{m} {s * 1000:.0f} ms" for m, s in results[name]["top"][:6])
        print(f"  heaviest top-level imports of {name}: {heavy}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
