"""Fakes for the on-call adapters: a recording HTTP server and a fake kubectl on PATH."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@dataclass
class RecordingServer:
    """A real HTTP server on 127.0.0.1 that records requests and replays scripted answers.

    ``script`` is a list of ``(status, headers, body)`` answered in order; once it is
    exhausted every request gets ``default``.
    """

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    default: tuple[int, dict[str, str], str] = (200, {}, '{"ok": true}')


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    """Start a recording server for one test."""
    state = RecordingServer(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            with lock:
                state.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                status, headers, text = state.script.pop(0) if state.script else state.default
            payload = text.encode("utf-8")
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_PUT = do_GET = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


FAKE_KUBECTL = r'''#!{python}
"""Fake kubectl: keeps deployment replicas in $FAKE_KUBE_STATE (JSON), logs argv to $FAKE_KUBE_LOG."""
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_KUBE_LOG"], "a") as fh:
    fh.write(json.dumps(args) + "\n")
mode = os.environ.get("FAKE_KUBE_MODE", "ok")
if mode == "hang":
    time.sleep(30)
if mode == "fail":
    print("error: You must be logged in to the server (Unauthorized)", file=sys.stderr)
    sys.exit(1)
state_path = os.environ["FAKE_KUBE_STATE"]
state = json.load(open(state_path))
while args and args[0] in ("--context", "--namespace"):
    args = args[2:]
if args[:2] == ["get", "deployment"]:
    name = args[2]
    if name not in state:
        print(f'Error from server (NotFound): deployments.apps "{name}" not found', file=sys.stderr)
        sys.exit(1)
    print(state[name], end="")
elif args[0] == "scale":
    name = args[1].split("/", 1)[1]
    state[name] = int(args[2].split("=", 1)[1])
    json.dump(state, open(state_path, "w"))
    print(f"deployment.apps/{name} scaled")
else:
    sys.exit(2)
'''


@dataclass
class FakeKube:
    """Handle on the fake kubectl's state and call log."""

    state_path: Path
    log_path: Path

    def replicas(self, name: str) -> int:
        """Current replicas of a deployment."""
        return int(json.loads(self.state_path.read_text())[name])

    def calls(self) -> list[list[str]]:
        """Every argv kubectl was called with."""
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]


@pytest.fixture
def fake_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKube:
    """Put a fake ``kubectl`` first on PATH with deployment agent-prod at 3 replicas."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "kubectl"
    exe.write_text(FAKE_KUBECTL.replace("{python}", sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    state = tmp_path / "kube_state.json"
    state.write_text(json.dumps({"agent-prod": 3}))
    log = tmp_path / "kube_log.jsonl"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_KUBE_STATE", str(state))
    monkeypatch.setenv("FAKE_KUBE_LOG", str(log))
    return FakeKube(state, log)
