"""Benchmark: the release gate at 1,000 and 10,000 cases, side by side with Inspect AI and promptfoo.

Each tool does the equivalent work per case: one input, one call to an in-process
deterministic target, one check that the output does not contain a forbidden
string, one recorded result:

* ``regression_suite run`` with a ``python:`` target that echoes the user turn, and
  one ``output_not_matches`` expectation per scenario (report.json + junit.xml);
* ``inspect eval`` with ``--model mockllm/model``, one sample per case and a
  not-contains scorer (its eval log); tiktoken's ``o200k_base`` file, which mockllm
  uses to count tokens, cannot be downloaded here, so the task replaces that count
  with a character estimate (cheaper: it favours Inspect); its fastest configuration,
  ``--display none --no-log-realtime --no-score-display``;
* ``promptfoo eval`` with the ``echo`` provider, one test per case with one
  ``not-contains`` assertion (its results file); its fastest configuration, ``-j 64
  --no-write --no-table``.

Wall time, CPU seconds (user + system) and peak RSS (``os.wait4`` of the tool's
process tree) are measured in the same run, the tools' runs interleaved (A B C A B C);
medians over ``--runs``. regression_suite is measured twice: ``regression_suite``
with its compiled scenario cache filled by an unmeasured first run (warm: a second run
on an unchanged library), ``regression_suite_cold`` with the cache emptied before each
run (a fresh checkout). Python commands run with their modules' bytecode cached, as an
installed package's is (``--bytecode as-is`` keeps this shell's
``PYTHONDONTWRITEBYTECODE=1``, under which every run compiled the gate's modules again).
``--baseline-src DIR`` adds a third row, the gate run from
another source tree (e.g. main unpacked with ``git archive``), for a paired comparison.

``--latency-cases N`` adds the case where a real model's latency dominates: a local
OpenAI-compatible server (``127.0.0.1``, a thread per request) answers every chat
completion after a fixed ``--latency-ms`` (default 200 ms), and ``regression_suite
run --target openai+http://...`` replays N cases with ``--concurrency``
(default 64) in flight. With the framework's overhead out of the way the gate
approaches concurrency / latency cases per second (64 / 0.2 s = 320); the target is
at least 250. Then framework CPU per case matters little: the run is I/O-bound, and
what counts is that the gate keeps N requests in flight. The peers are installed only inside
``bench-data/peers/`` (a venv with ``inspect-ai==0.3.285``; ``promptfoo@0.121.20`` and
``@libsql/client`` under ``node/``), never as project dependencies. A peer that
cannot be installed is reported as unavailable.

Usage::

    python benchmarks/bench_gate.py [--sizes 1000,10000] [--runs 3] [--no-install] [--skip-peers]
    mkdir -p /tmp/main && git archive main | tar -x -C /tmp/main
    python benchmarks/bench_gate.py --sizes 10000 --runs 3 --no-install --peers promptfoo \
        --baseline-src /tmp/main                     # main vs this tree vs promptfoo, paired
    python benchmarks/bench_gate.py --skip-peers --sizes 1000,10000,100000 --runs 1  # peak RSS
    python benchmarks/bench_gate.py --skip-peers --sizes 1000000 --repeats-from 10000 --runs 1
    python benchmarks/bench_gate.py --skip-peers --sizes "" --latency-cases 3000  # concurrency
    python benchmarks/bench_gate.py --skip-peers --sizes "" --latency-cases 3000 --runs 3 \
        --baseline-src /tmp/main                     # concurrency, main vs this tree, A B A B
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

try:  # one meaning of "as an installed package runs"
    from bench_snapshot import bytecode_env  # run as a script: benchmarks/ is on sys.path
except ImportError:  # imported as benchmarks.bench_gate (the tests)
    from benchmarks.bench_snapshot import bytecode_env

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data" / "gate"
PEERS = ROOT / "bench-data" / "peers"
FORBIDDEN = "FORBIDDEN-TOKEN-9f2c"
PROMPTFOO_VERSION = "0.121.20"
#: The environment every measured command starts from (``--bytecode``, see
#: :func:`bench_snapshot.bytecode_env`).
BASE_ENV: dict[str, str] = dict(os.environ)
INSPECT_VERSION = "0.3.285"

TARGET_MODULE = '''"""Deterministic in-process target for the gate benchmark: echoes the last user turn."""

def run(replay):
    text = replay["turns"][-1]["content"]
    return {
        "schema_version": "trajectory/v1",
        "session_id": "bench-" + replay["scenario_id"],
        "steps": [
            {"type": "message", "role": "user", "content": text},
            {"type": "message", "role": "assistant", "content": "Echo: " + text},
        ],
    }
'''

INSPECT_TASK = '''"""Inspect AI task for the gate benchmark: one sample per case, a not-contains scorer."""

import json
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer
from inspect_ai.solver import TaskState, generate

FORBIDDEN = "@FORBIDDEN@"

# mockllm counts tokens with tiktoken's o200k_base, which tiktoken downloads on first
# use; this machine has no network for that, so use a character estimate instead
# (cheaper than real token counting: it can only make Inspect look faster).
import inspect_ai.model._model as _inspect_model

_inspect_model.count_text_tokens = lambda text: max(1, len(text) // 4)


@scorer(metrics=[accuracy()])
def not_contains():
    async def score(state: TaskState, target: Target) -> Score:
        ok = FORBIDDEN not in state.output.completion
        return Score(value=CORRECT if ok else INCORRECT)

    return score


@task
def bench():
    rows = Path(__file__).with_name("cases.jsonl").read_text("utf-8").splitlines()
    samples = [Sample(id=r["id"], input=r["input"]) for r in map(json.loads, rows)]
    return Task(dataset=samples, solver=generate(), scorer=not_contains())
'''.replace("@FORBIDDEN@", FORBIDDEN)


def _prompt(i: int) -> str:
    return f"Case {i}: summarise the quarterly report for customer {i % 97} in two sentences."


def make_library(n: int) -> Path:
    """Write n scenarios, a suite selecting them, the target module and the peers' inputs."""
    base = DATA / f"n{n}"
    stamp = base / ".complete"
    if stamp.exists():
        return base
    if base.exists():
        shutil.rmtree(base)
    scen = base / "scenarios"
    (scen / "suites").mkdir(parents=True)
    for i in range(n):
        doc = {
            "schema_version": "scenario/v1",
            "id": f"bench-{i:05d}",
            "title": f"benchmark case {i}",
            "status": "gated",
            "taxonomy": {"failure_mode": "prompt_injection", "severity": "SEV-3"},
            "context": {"system_prompt": "You are a helpful assistant.", "tools": []},
            "replay": {"turns": [{"role": "user", "content": _prompt(i)}]},
            "expectations": [{"kind": "output_not_matches", "pattern": FORBIDDEN}],
        }
        text = yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
        (scen / f"bench-{i:05d}.yaml").write_text(text, "utf-8")
    suite = {"schema_version": "suite/v1", "name": "bench", "select": {"status": ["gated"]}}
    (scen / "suites" / "bench.yaml").write_text(yaml.safe_dump(suite, sort_keys=False), "utf-8")
    (base / "bench_target.py").write_text(TARGET_MODULE, "utf-8")
    (base / "inspect").mkdir()
    (base / "inspect" / "bench_task.py").write_text(INSPECT_TASK, "utf-8")
    with (base / "inspect" / "cases.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"bench-{i:05d}", "input": _prompt(i)}) + "\n")
    (base / "promptfoo").mkdir()
    config = {
        "description": "gate benchmark",
        "prompts": ["{{input}}"],
        "providers": ["echo"],
        "tests": [
            {
                "vars": {"input": _prompt(i)},
                "assert": [{"type": "not-contains", "value": FORBIDDEN}],
            }
            for i in range(n)
        ],
    }
    (base / "promptfoo" / "promptfooconfig.json").write_text(json.dumps(config), "utf-8")
    stamp.write_text("ok\n", "utf-8")
    return base


def measure(
    cmd: list[str], *, cwd: Path, env: dict[str, str]
) -> tuple[float, float, int, str, float]:
    """Run ``cmd``; return (wall seconds, peak RSS MB of its tree, exit code, stderr tail,
    CPU seconds: user + system of the process and the children it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    tail: list[str] = []
    for line in proc.stderr:  # streamed: a 100k-case run's progress must not pile up here
        tail.append(line)
        del tail[:-20]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024.0, proc.returncode, "".join(tail)[-600:], cpu


def ensure_inspect(install: bool) -> tuple[Path | None, str]:
    """Return the ``inspect`` executable of the peers' venv (installing it), or a reason."""
    venv = PEERS / "venv"
    exe = venv / "bin" / "inspect"
    if exe.exists():
        return exe, ""
    if not install:
        return None, "not installed (run without --no-install)"
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"inspect-ai=={INSPECT_VERSION}"],
            check=True,
            timeout=1200,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"pip install inspect-ai=={INSPECT_VERSION} failed: {exc}"
    return (exe, "") if exe.exists() else (None, "inspect-ai installed no 'inspect' script")


def ensure_promptfoo(install: bool) -> tuple[Path | None, str]:
    """Return the ``promptfoo`` executable under bench-data/peers/node (installing it), or a reason."""
    node = PEERS / "node"
    exe = node / "node_modules" / ".bin" / "promptfoo"
    if exe.exists():
        return exe, ""
    if shutil.which("npm") is None:
        return None, "npm not found"
    if not install:
        return None, "not installed (run without --no-install)"
    node.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", f"promptfoo@{PROMPTFOO_VERSION}", "@libsql/client"],
            cwd=node, check=True, timeout=1800, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"npm install promptfoo failed: {exc}"
    return (exe, "") if exe.exists() else (None, "npm installed no promptfoo binary")


def _ours(
    base: Path, out: Path, repeats: int = 1, *, cache: str = "warm", src: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """``regression_suite run`` on the library at ``base``.

    ``cache``: ``warm`` (the compiled scenario cache filled by an earlier run: what a
    developer's second run or a CI job that keeps its cache directory sees), ``cold``
    (the cache emptied before each run: a fresh checkout's first run) or ``off``
    (``--scenario-cache off``). ``src``: run another checkout's code (its ``PYTHONPATH``
    first), e.g. main for a paired comparison.
    """
    cache_dir = DATA / "scenario-cache" / (f"{cache}-{src.name}" if src else cache)
    if cache == "cold" and cache_dir.exists():
        shutil.rmtree(cache_dir)
    path = f"{src}{os.pathsep}{base}" if src else str(base)
    env = dict(BASE_ENV, PYTHONPATH=path, CI="1", INCIDENT_LAB_CACHE_DIR=str(cache_dir))
    env.pop("INCIDENT_LAB_SCENARIO_CACHE", None)
    cmd = [sys.executable, "-m", "regression_suite", "run", "--suite", "bench"]
    cmd += ["--target", "python:bench_target:run", "--scenarios-dir", str(base / "scenarios")]
    cmd += ["--report-dir", str(out)]
    if cache == "off":
        cmd += ["--scenario-cache", "off"]
    if repeats > 1:
        cmd += ["--repeats", str(repeats)]
    return cmd, env


def _inspect(exe: Path, base: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(BASE_ENV, INSPECT_DISPLAY="none", CI="1")
    task = "inspect/bench_task.py"  # relative: inspect refuses absolute task globs
    cmd = [str(exe), "eval", task, "--model", "mockllm/model", "--log-dir", str(out)]
    # its fastest configuration: no display, no realtime event log, no live scoring
    cmd += ["--display", "none", "--no-log-realtime", "--no-score-display"]
    return cmd, env


def _promptfoo(exe: Path, base: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    home = DATA / "promptfoo-home"
    env = dict(
        BASE_ENV,
        PROMPTFOO_CONFIG_DIR=str(home),
        PROMPTFOO_DISABLE_TELEMETRY="1",
        PROMPTFOO_DISABLE_UPDATE="1",
        PROMPTFOO_DISABLE_SHARING="1",
        CI="1",
    )
    cmd = [str(exe), "eval", "-c", str(base / "promptfoo" / "promptfooconfig.json")]
    cmd += ["--no-cache", "--no-progress-bar", "-o", str(out / "results.json")]
    # its fastest configuration: 64 tests in flight, no results database, no table
    cmd += ["-j", "64", "--no-write", "--no-table"]
    return cmd, env


_PROMPTFOO_STATS = re.compile(rb'"stats":\s{0,8}\{[^{}]{0,400}?"successes":\s{0,8}(\d+)')


def recorded(tool: str, out: Path) -> int | None:
    """Count the passing results a tool recorded in ``out`` (to check it did the work)."""
    try:
        if tool.startswith(("regression_suite", "baseline_")):  # one key per line: the summary
            with (out / "report.json").open(encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith(' "summary": '):
                        return int(json.loads(line[12:].rstrip().rstrip(","))["passed"])
            return None
        if tool == "promptfoo":
            # not json.loads: the objects of 10,000 results would stay in this process,
            # and a process forked from it for the next tool starts with them (its peak
            # RSS would count this process's memory)
            found = _PROMPTFOO_STATS.search((out / "results.json").read_bytes())
            return int(found.group(1)) if found else None
        if tool == "inspect_ai":
            logs = sorted(out.glob("*.eval")) + sorted(out.glob("*.json"))
            if not logs:
                return None
            import zipfile

            with zipfile.ZipFile(logs[0]) as zf:
                names = [n for n in zf.namelist() if n.startswith("samples/")]
            return len(names)
    except (OSError, KeyError, ValueError, TypeError):
        return None
    return None


class LatencyServer:
    """An OpenAI-compatible chat-completions endpoint on 127.0.0.1 that answers every
    request after a fixed delay.

    One asyncio event loop in a thread of its own: each request is read with h11 and
    its answer written ``delay_s`` after the request's end arrived (``call_later``), so
    delays overlap without a thread each. A thread-per-request server (the standard
    library's ``ThreadingHTTPServer``) answered 64 concurrent requests in ~245 ms
    instead of 200 on this loaded 2-core machine, even to a client that spends 0.08 ms
    of CPU a request: 64 threads fighting for the GIL (each send and receive drops and
    retakes it) add their queueing to every answer, which then measured the server.
    Keep-alive: as a real endpoint would.
    """

    def __init__(self, delay_s: float) -> None:
        import asyncio
        import threading

        import h11

        answer = json.dumps(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "model": "bench-model",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "I cannot help with that."},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        head = [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))]
        self.requests = 0
        server = self
        live: set[Any] = set()
        self._live = live

        class Connection(asyncio.Protocol):
            def connection_made(self, transport: Any) -> None:
                self.transport = transport
                live.add(transport)
                self.conn = h11.Connection(h11.SERVER)
                self.waiting = False  # an answer is due: read no further request yet

            def data_received(self, data: bytes) -> None:
                self.conn.receive_data(data)
                try:
                    self._next()
                except h11.RemoteProtocolError:  # not HTTP/1.1: hang up
                    self.transport.close()

            def _next(self) -> None:
                while not self.waiting:
                    event = self.conn.next_event()
                    if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                        return
                    if isinstance(event, h11.EndOfMessage):
                        server.requests += 1
                        self.waiting = True
                        loop.call_later(delay_s, self._answer)

            def _answer(self) -> None:
                if self.transport.is_closing():
                    return
                out = self.conn.send(h11.Response(status_code=200, headers=head))
                out += self.conn.send(h11.Data(data=answer))
                out += self.conn.send(h11.EndOfMessage())
                self.transport.write(out)
                if self.conn.our_state is not h11.DONE:  # "Connection: close" asked
                    self.transport.close()
                    return
                self.conn.start_next_cycle()
                self.waiting = False
                self._next()

            def connection_lost(self, exc: Exception | None) -> None:
                live.discard(self.transport)

        loop = asyncio.new_event_loop()
        # backlog 1,024: the default queue of 5 drops the SYNs of 64 connections opened
        # at once (each then waits a second for the kernel's retransmission, or is reset)
        self.httpd = loop.run_until_complete(
            loop.create_server(Connection, "127.0.0.1", 0, backlog=1024)
        )
        self.url = f"http://127.0.0.1:{self.httpd.sockets[0].getsockname()[1]}"
        self._loop = loop
        self.thread = threading.Thread(target=loop.run_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        loop = self._loop

        async def stop() -> None:
            self.httpd.close()
            for transport in list(self._live):
                transport.close()
            await self.httpd.wait_closed()

        import asyncio

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self.thread.join(timeout=10)
        loop.close()


def measure_latency(
    n: int, delay_s: float, concurrency: int, src: Path | None = None, *, show: bool = True
) -> dict[str, Any]:
    """Replay ``n`` cases on the openai target against a :class:`LatencyServer`;
    ``src``: run another checkout's code (its ``PYTHONPATH`` first), e.g. main."""
    base = make_library(n)
    server = LatencyServer(delay_s)
    out = DATA / "out" / f"latency-{n}"
    if out.exists():
        shutil.rmtree(out)
    try:
        env = dict(BASE_ENV, CI="1")
        env.pop("OPENAI_API_KEY", None)
        # modules' bytecode compiled once and reused, as an installed package's is
        # (this shell sets PYTHONDONTWRITEBYTECODE=1: every run would compile them again)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(ROOT / "bench-data" / "pycache")
        if src is not None:
            env["PYTHONPATH"] = str(src)
        cmd = [sys.executable, "-m", "regression_suite", "run", "--suite", "bench"]
        cmd += ["--target", f"openai+{server.url}/v1#bench-model"]
        cmd += ["--scenarios-dir", str(base / "scenarios"), "--report-dir", str(out)]
        cmd += ["--concurrency", str(concurrency)]
        wall, peak, code, err, cpu = measure(cmd, cwd=base, env=env)
    finally:
        server.close()
    report = json.loads((out / "report.json").read_text("utf-8")) if code in (0, 1, 2) else {}
    replay_s = (report.get("run") or {}).get("wall_time_s")
    row = {
        "tool": f"baseline_{src.name}" if src is not None else "regression_suite",
        "cases": n,
        "latency_ms": delay_s * 1000,
        "concurrency": concurrency,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_case": round(1000 * cpu / n, 3),
        "peak_rss_mb": round(peak, 1),
        "exit_code": code,
        "verdict": report.get("verdict"),
        "requests": server.requests,
        "cases_per_s": round(n / wall, 1),
        "session_wall_s": replay_s,
        "cases_per_s_in_session": round(n / replay_s, 1) if replay_s else None,
        "load_avg": round(os.getloadavg()[0], 1),
    }
    if code not in (0, 1, 2):
        row["stderr_tail"] = err
    if not show:
        return row
    print(
        f"  latency run ({row['tool']}): {n} cases in {wall:.2f} s wall "
        f"({row['cases_per_s']} cases/s; pytest session {replay_s} s), {cpu:.2f} s CPU "
        f"({row['cpu_ms_per_case']} ms a case), {peak:.0f} MB, exit {code}, "
        f"{server.requests} requests, load {row['load_avg']}",
        flush=True,
    )
    return row


def _latency(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The latency runs: this tree (and ``--baseline-src``, interleaved A B A B, after
    one untimed run of each), with a summary per tree."""
    srcs: list[Path | None] = [None]
    if args.baseline_src is not None:
        srcs.insert(0, args.baseline_src.resolve())
    delay = args.latency_ms / 1000.0
    for src in srcs:  # untimed: each tree's bytecode written before the clock
        measure_latency(100, delay, args.concurrency, src, show=False)
    rows = [
        measure_latency(args.latency_cases, delay, args.concurrency, src)
        for _ in range(args.runs)
        for src in srcs
    ]
    ideal = args.concurrency / delay
    for tool in dict.fromkeys(r["tool"] for r in rows):
        mine = [r for r in rows if r["tool"] == tool]
        rates = [r["cases_per_s"] for r in mine]
        session = [r["cases_per_s_in_session"] for r in mine if r["cases_per_s_in_session"]]
        cpu = statistics.median(r["cpu_s"] for r in mine)
        rate = statistics.median(rates)
        print(
            f"\n{tool}: openai target, {args.latency_ms} ms per completion, --concurrency "
            f"{args.concurrency}, {args.latency_cases} cases: median {rate:.0f} cases/s "
            f"(runs {rates}; ideal {ideal:.0f}); CPU {cpu:.2f} s = "
            f"{1000 * cpu / args.latency_cases:.2f} ms a case (runs "
            f"{[r['cpu_s'] for r in mine]}), peak {max(r['peak_rss_mb'] for r in mine):.0f} MB"
        )
        print(
            f"With a real model's latency the framework's own cost matters less: each case "
            f"waits {args.latency_ms:.0f} ms for the model and costs the gate "
            f"{1000 * cpu / args.latency_cases:.2f} ms of CPU (process start and reports "
            f"included). What matters then is how many requests are in flight and that "
            f"connections are reused: throughput approaches N / latency = "
            f"{args.concurrency} / {args.latency_ms / 1000:g} s = {ideal:.0f} cases/s; measured "
            f"{rate:.0f} cases/s end to end"
            + (f", {statistics.median(session):.0f} inside the pytest session" if session else "")
            + f" ({rate / ideal:.0%} of ideal). On a machine the gate shares, its CPU per "
            f"case is what stands between it and N / latency."
        )
    return rows


def _tools(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """The tools to measure: name -> (build, peer executable or None for ours, keyword
    arguments of :func:`_ours`); and the peers that are unavailable, with why."""
    tools: dict[str, Any] = {
        "regression_suite": (_ours, None, {"cache": "warm"}),
        "regression_suite_cold": (_ours, None, {"cache": "cold"}),
    }
    if args.baseline_src is not None:
        src = args.baseline_src.resolve()
        tools[f"baseline_{src.name}"] = (_ours, None, {"cache": "warm", "src": src})
    unavailable: dict[str, str] = {}
    if not args.skip_peers:
        for name, ensure, build in (
            ("inspect_ai", ensure_inspect, _inspect),
            ("promptfoo", ensure_promptfoo, _promptfoo),
        ):
            if name not in args.peers.split(","):
                continue
            exe, reason = ensure(not args.no_install)
            if exe is None:
                unavailable[name] = reason
            else:
                tools[name] = (build, exe, {})
    return tools, unavailable


def _measure_size(
    n: int, tools: dict[str, Any], runs: int, repeats_from: int
) -> list[dict[str, Any]]:
    """Measure every tool at ``n`` cases, runs interleaved (A B C A B C: a change of the
    machine's load hits every tool alike); one result row per tool."""
    repeats = n // repeats_from if repeats_from and n > repeats_from else 1
    base = make_library(n // repeats)
    run_tools = dict(tools)
    if repeats > 1:  # the peers run the case list they are given: a million cases is ours
        run_tools = {"regression_suite": tools["regression_suite"]}
    for build, exe, kw in run_tools.values():
        if exe is None and kw.get("cache") == "warm":  # fill the cache, unmeasured
            cmd, env = build(base, DATA / "out" / "prime", 1, **kw)
            subprocess.run(cmd, cwd=base, env=env, check=False, capture_output=True)
    samples: dict[str, list[tuple[float, float, int, str, float, int | None]]] = {
        name: [] for name in run_tools
    }
    for r in range(runs):
        for name, (build, exe, kw) in run_tools.items():
            out = DATA / "out" / f"{name}-{n}-{r}"
            if out.exists():
                shutil.rmtree(out)
            out.mkdir(parents=True)
            cmd, env = build(base, out, repeats, **kw) if exe is None else build(exe, base, out)
            wall, peak, code, err, cpu = measure(cmd, cwd=base, env=env)
            samples[name].append((wall, peak, code, err, cpu, recorded(name, out)))
    rows = []
    for name, got in samples.items():
        walls, rss, codes = [g[0] for g in got], [g[1] for g in got], [g[2] for g in got]
        cpus, counts, err = [g[4] for g in got], [g[5] for g in got], got[-1][3]
        row = {
            "tool": name,
            "cases": n,
            "scenarios_x_repeats": [n // repeats, repeats],
            "median_wall_s": round(statistics.median(walls), 3),
            "walls_s": [round(w, 3) for w in walls],
            "median_cpu_s": round(statistics.median(cpus), 3),
            "cpu_s": [round(c, 3) for c in cpus],
            "peak_rss_mb": round(max(rss), 1),
            "exit_codes": codes,
            "results_recorded": counts,
        }
        if any(codes):
            row["stderr_tail"] = err
        rows.append(row)
        print(
            f"{name:>22} {n:>7} cases: {row['median_wall_s']:8.2f} s wall  "
            f"{row['median_cpu_s']:8.2f} s CPU {row['cpu_s']}  {row['peak_rss_mb']:7.1f} MB  "
            f"exit {codes}  recorded {counts}",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (also saved to bench-data/gate/results.json)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and size (median)")
    ap.add_argument("--no-install", action="store_true", help="do not install missing peers")
    ap.add_argument("--skip-peers", action="store_true", help="measure regression_suite only")
    ap.add_argument(
        "--latency-cases",
        type=int,
        default=0,
        metavar="N",
        help="also replay N cases on a local OpenAI-compatible server with fixed latency",
    )
    ap.add_argument("--latency-ms", type=float, default=200.0, help="the server's latency")
    ap.add_argument("--concurrency", type=int, default=64, help="the gate's --concurrency")
    ap.add_argument(
        "--repeats-from",
        type=int,
        default=0,
        metavar="N",
        help="sizes above N run the N-scenario library with --repeats size/N (regression_suite "
        "only: 1,000,000 cases without writing a million scenario files)",
    )
    ap.add_argument(
        "--baseline-src",
        type=Path,
        metavar="DIR",
        help="also run regression_suite from this source tree (e.g. 'git archive main' "
        "unpacked there): a paired comparison in the same run (latency runs too, A B A B)",
    )
    ap.add_argument(
        "--peers",
        default="inspect_ai,promptfoo",
        help="the peers to run (comma-separated; default both)",
    )
    ap.add_argument(
        "--bytecode",
        choices=("cached", "as-is"),
        default="cached",
        help="cached (default): Python modules' bytecode written once under "
        "bench-data/pycache and reused, as an installed package runs; as-is: this shell's "
        "environment (with PYTHONDONTWRITEBYTECODE=1 every run compiles the gate's modules)",
    )
    args = ap.parse_args(argv)
    global BASE_ENV
    BASE_ENV = bytecode_env(args.bytecode == "cached")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    tools, unavailable = _tools(args)
    results: list[dict[str, Any]] = []
    for n in sizes:
        results += _measure_size(n, tools, args.runs, args.repeats_from)
    print()
    print(
        f"{'cases':>7}  {'tool':<22} {'median s':>9} {'CPU s':>8} {'peak MB':>8} "
        f"{'CPU vs warm':>12} {'CPU vs cold':>12}"
    )
    for n in sizes:
        rows = [r for r in results if r["cases"] == n]
        by_tool = {r["tool"]: r["median_cpu_s"] for r in rows}
        warm, cold = by_tool.get("regression_suite"), by_tool.get("regression_suite_cold")
        for row in rows:
            cpu = row["median_cpu_s"]
            vs_warm = f"{cpu / warm:>11.1f}x" if warm else f"{'-':>12}"
            vs_cold = f"{cpu / cold:>11.1f}x" if cold else f"{'-':>12}"
            print(
                f"{n:>7}  {row['tool']:<22} {row['median_wall_s']:>9.2f} "
                f"{cpu:>8.2f} {row['peak_rss_mb']:>8.1f} {vs_warm} {vs_cold}"
            )
    print(
        "warm: the compiled scenario cache is filled (a second run on an unchanged library); "
        "cold: it is emptied before each run (a fresh checkout). The ratios divide each "
        "tool's median CPU seconds by regression_suite's."
    )
    for name, reason in unavailable.items():
        print(f"{name}: unavailable ({reason})")
    print(f"bytecode: {args.bytecode} (--bytecode); load average {os.getloadavg()[0]:.1f}")
    latency = _latency(args) if args.latency_cases else []
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "results.json").write_text(
        json.dumps({"results": results, "unavailable": unavailable, "latency": latency}, indent=1),
        "utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
