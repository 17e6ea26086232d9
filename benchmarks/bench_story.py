"""The on-call walk on a generated day of traffic: one story from respond to blast radius.

Generates (or reuses) ``bench-data/day/day.jsonl`` with :mod:`gen_day` (50,000
sessions, a burst of 32 hijacks in the last hour, one attack, 30 users in 3
tenants, exposure != harm), then runs the commands an on-call engineer types, each
in a fresh process, and checks the story they tell against the generator's truth:

1. ``incident_lab respond --from day.jsonl --since 2026-02-01T23:00:00Z --yes ...``
   (containment: a harmless local command; Slack and PagerDuty: a recording HTTP
   server on 127.0.0.1, so the page's real payload is captured);
2. ``incident_lab blast-radius --incident BUNDLE --from day.jsonl``;
3. ``incident_lab report BUNDLE --json``.

Prints the machine time per phase (from the timeline), the wall time and peak RSS of
each command, whether ticket, page and report agree on mode, severity, victims and
the attacker value, and the blast radius's exposure and harm against the truth. The
last line is the whole result as JSON.

Usage::

    python benchmarks/bench_story.py                    # 50,000 sessions (~330 MB)
    python benchmarks/bench_story.py --sessions 5000 --exposed 60
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _recorder() -> tuple[ThreadingHTTPServer, list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.append({"path": self.path, "body": json.loads(body or b"null")})
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "success"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got


def _run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command in a fresh process: wall seconds, CPU seconds, peak RSS, outputs."""
    # A wrapper process per command, so the peak RSS is that command's own.
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "rc = subprocess.run(sys.argv[1:]).returncode; w = time.perf_counter() - t; "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "sys.stderr.write('\\n@@ %d %.3f %.3f %d' % (rc, w, u.ru_utime + u.ru_stime, u.ru_maxrss)); "
        "sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env, check=False
    )
    stderr, _, tail = proc.stderr.rpartition("\n@@ ")
    rc, wall, cpu, rss = tail.split()
    shown = " ".join(str(c).replace(str(BIN) + "/", "") for c in cmd)
    return {
        "command": shown,
        "exit_code": int(rc),
        "wall_s": round(float(wall), 2),
        "cpu_s": round(float(cpu), 2),
        "peak_rss_mb": round(int(rss) / 1024, 1),
        "stdout": proc.stdout,
        "stderr": stderr,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=50_000)
    ap.add_argument("--exposed", type=int, default=435)
    ap.add_argument("--harm", type=int, default=32)
    ap.add_argument("--data", type=Path, default=ROOT / "bench-data" / "day")
    args = ap.parse_args()
    data = args.data
    log = data / "day.jsonl"
    if (
        not log.is_file()
        or json.loads((data / "truth.json").read_text())["sessions"] != args.sessions
    ):
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "gen_day.py"), "--out", str(log),
             "--sessions", str(args.sessions), "--exposed", str(args.exposed),
             "--harm", str(args.harm)],
            check=True,
        )  # fmt: skip
    truth = json.loads((data / "truth.json").read_text())
    work = data / "walk"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server, got = _recorder()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    config = work / "incident_lab.toml"
    config.write_text(
        f"""
[contain.actions.disable-tools]
backend = "command"
command = ["{sys.executable}", "-c", "pass"]
undo_command = ["{sys.executable}", "-c", "pass"]

[notify.slack]
url = "{url}/slack"

[notify.pagerduty]
url = "{url}/pagerduty"
routing_key = "bench-key"
"""
    )
    env = {**os.environ, "INCIDENT_LAB_NO_PROGRESS": "1"}
    bundle = work / "incident"
    il = str(BIN / "incident_lab")
    runs = [
        _run(
            [
                il,
                "respond",
                "--from",
                str(log),
                "--since",
                "2026-02-01T23:00:00Z",
                "--yes",
                "--out",
                str(bundle),
                "--config",
                str(config),
                "--scenarios-dir",
                str(work / "scenarios"),
                "--json",
            ],
            env,
        ),
    ]
    runs.append(
        _run([il, "blast-radius", "--incident", str(bundle), "--from", str(log), "--json"], env)
    )
    runs.append(_run([il, "report", str(bundle), "--json"], env))
    for r in runs:
        if r["exit_code"] != 0:
            print(r["command"], "->", r["exit_code"], r["stderr"][-2000:], file=sys.stderr)
    blast = json.loads(runs[1]["stdout"]) if runs[1]["exit_code"] == 0 else {}
    report = json.loads(runs[2]["stdout"]) if runs[2]["exit_code"] == 0 else {}
    record = json.loads((bundle / "followup" / "incident.json").read_text())
    ticket = (bundle / "followup" / "ticket.md").read_text()
    pages = [g for g in got if g["path"] == "/pagerduty"]
    page = json.dumps(pages[0]["body"]) if pages else ""
    slack = json.dumps([g["body"] for g in got if g["path"] == "/slack"])
    mode, sev = record["failure_mode"]["value"], record["severity"]["value"]
    victims = {v["user_id"] for v in record["victims"]}
    harm_truth = set(truth["harm"])
    exposed_truth = set(truth["exposed"])
    found = {m["session_id"] for m in blast.get("matches", [])}
    harmed = {m["session_id"] for m in blast.get("matches", []) if m["harm"]}
    phases = {row["key"]: row["seconds"] for row in report.get("timeline", {}).get("phases", [])}
    out = {
        "log": {"path": str(log), "sessions": truth["sessions"], "bytes": truth["bytes"]},
        "commands": [
            {k: r[k] for k in ("command", "exit_code", "wall_s", "cpu_s", "peak_rss_mb")}
            for r in runs
        ],
        "phases_s": phases,
        "record": {
            "failure_mode": mode,
            "severity": sev,
            "sessions": len(record["sessions"]),
            "incident_sessions_that_are_harm": len({s["session_id"] for s in record["sessions"]} & harm_truth),
            "victims": len(victims),
            "tenants": record["tenants"],
            "attacker_values": [v["value"] for v in record["attacker_values"]],
        },
        "agree": {
            "ticket_mode_severity": f"({sev}, confirmed)" in ticket and f"{mode} (confirmed" in ticket,
            "page_severity": f"[{sev}]" in page and mode in page,
            "slack_severity": sev in slack and mode in slack,
            "report_mode_severity": report.get("status", {}).get("failure_mode") == mode
            and report.get("status", {}).get("severity") == sev,
            "ticket_victims": all(v in ticket for v in victims),
            "page_attacker_value": "collector[@]evil[.]example" in page or "collector[@]evil[.]example" in slack,
            "ticket_attacker_value": truth["attacker"] in ticket,
        },
        "blast": {
            "scanned_sessions": blast.get("scanned", {}).get("sessions"),
            "mb_per_s_wall": round(truth["bytes"] / 1e6 / max(runs[1]["wall_s"], 1e-9), 1),
            "mb_per_s_per_core": round(truth["bytes"] / 1e6 / max(runs[1]["cpu_s"], 1e-9), 1),
            "exposure": {k: blast.get("exposure", {}).get(k) for k in ("sessions", "users", "tenants")},
            "harm": {k: blast.get("harm", {}).get(k) for k in ("sessions", "users", "tenants", "attempts_blocked", "attempts_failed")},
            "risk": blast.get("risk", {}).get("level"),
            "truth": {
                "exposed": len(exposed_truth), "harm": len(harm_truth), "harm_users": truth["harm_users"],
                "harm_tenants": len(truth["harm_tenants"]), "blocked": len(truth["blocked"]), "failed": len(truth["failed"]),
            },
            "exposure_tp": len(found & exposed_truth), "exposure_fp": len(found - exposed_truth),
            "exposure_fn": len(exposed_truth - found),
            "harm_tp": len(harmed & harm_truth), "harm_fp": len(harmed - harm_truth), "harm_fn": len(harm_truth - harmed),
        },
    }  # fmt: skip
    server.shutdown()
    for r in out["commands"]:
        print(
            f"{r['command'][:110]}\n    exit {r['exit_code']}  wall {r['wall_s']} s  cpu {r['cpu_s']} s"
            f"  peak RSS {r['peak_rss_mb']} MB"
        )
    print("phases (s):", phases)
    print("record:", out["record"])
    print("agree:", out["agree"])
    print("blast:", out["blast"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
