"""A tiny headless-Chromium driver over the DevTools protocol (stdlib only).

Opens a page, waits for it to load, and returns what the page logged (console
messages, uncaught exceptions, browser log entries such as CSP violations) and
every network request it made, plus the value of a JavaScript expression
evaluated in the page (DevTools evaluates it even though the page's own CSP
forbids scripts).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_FLAGS", "PageResult", "find_chromium", "open_page", "record_event"]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
)


def find_chromium() -> str | None:
    """The Chromium executable on PATH (Debian's ``chromium``), if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _WebSocket:
    """Just enough RFC 6455 for DevTools: text frames, client masking, no extensions."""

    def __init__(self, url: str, timeout: float) -> None:
        rest = url.split("://", 1)[1]
        hostport, path = rest.split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"websocket handshake refused: {head[:200]!r}")
        self.buffer = head.split(b"\r\n\r\n", 1)[1]

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, text: str) -> None:
        payload = text.encode()
        header = bytearray([0x81])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(
            bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        )

    def recv(self) -> str:
        message = b""
        while True:
            b1, b2 = self._read(2)
            opcode, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the websocket")
            if opcode == 0x9:  # ping
                continue
            message += payload
            if b1 & 0x80:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


@dataclass
class PageResult:
    """What happened while a page loaded."""

    value: Any = None
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    loaded: bool = False


def open_page(
    path: Path, expression: str, *, timeout: float = 60.0, screenshot: Path | None = None
) -> PageResult:
    """Load ``path`` in headless Chromium and evaluate ``expression`` (returned by value).

    With ``screenshot``, a PNG of the whole page is written there (a test artefact).

    Raises:
        RuntimeError: Chromium is missing, does not start, or the page does not load.
    """
    exe = find_chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="il-chromium-")
    proc = subprocess.Popen(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ws: _WebSocket | None = None
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit {proc.poll()})")
            time.sleep(0.05)
        port, browser_path = port_file.read_text().splitlines()[:2]
        ws = _WebSocket(f"ws://127.0.0.1:{port}{browser_path}", timeout)
        return _drive(ws, path.resolve().as_uri(), expression, deadline, screenshot)
    finally:
        if ws is not None:
            with contextlib.suppress(OSError):
                ws.send(json.dumps({"id": 999999, "method": "Browser.close"}))
            ws.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _drive(
    ws: _WebSocket, url: str, expression: str, deadline: float, screenshot: Path | None = None
) -> PageResult:
    result = PageResult()
    page = _Session(ws, deadline, result)
    page.attach()
    page.call("Page.navigate", {"url": url})
    while not result.loaded:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not load")
        page.receive()
    page.settle(0.5)  # late console or CSP messages
    value = page.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
    result.value = (value.get("result") or {}).get("value")
    if screenshot is not None:
        shot = page.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    # The page itself is the one request allowed.
    result.requests = [r for r in result.requests if r != url]
    return result


class _Session:
    """One DevTools page session: numbered calls, their replies, and page events recorded
    into a :class:`PageResult` as they arrive."""

    def __init__(self, ws: _WebSocket, deadline: float, result: PageResult) -> None:
        self.ws, self.deadline, self.result = ws, deadline, result
        self.ids = iter(range(1, 1_000_000))
        self.replies: dict[int, dict[str, Any]] = {}
        self.session: str | None = None

    def attach(self) -> None:
        """Open a blank target, attach to it (flattened) and enable the domains we watch."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, with_session=False)
        self.session = self.call(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            with_session=False,
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(
        self, method: str, params: dict[str, Any] | None = None, with_session: bool = True
    ) -> dict[str, Any]:
        n = next(self.ids)
        msg: dict[str, Any] = {"id": n, "method": method, "params": params or {}}
        if with_session and self.session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while n not in self.replies:
            if time.monotonic() > self.deadline:
                raise RuntimeError(f"no reply to {method}")
            self.receive()
        reply = self.replies.pop(n)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result") or {}

    def receive(self) -> None:
        """Read one message: a reply is kept for its call, an event is recorded."""
        msg = json.loads(self.ws.recv())
        if "id" in msg:
            self.replies[msg["id"]] = msg
        else:
            record_event(self.result, msg)

    def settle(self, seconds: float) -> None:
        """Keep recording events for ``seconds`` more, then restore the deadline's timeout."""
        settle = time.monotonic() + seconds
        self.ws.sock.settimeout(0.2)
        while time.monotonic() < settle:
            try:
                self.receive()
            except TimeoutError:
                continue
        self.ws.sock.settimeout(max(1.0, self.deadline - time.monotonic()))


def _on_console(result: PageResult, params: dict[str, Any]) -> None:
    args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args") or [])
    result.console.append(f"{params.get('type')}: {args}")


def _on_exception(result: PageResult, params: dict[str, Any]) -> None:
    result.exceptions.append(json.dumps(params.get("exceptionDetails"))[:500])


def _on_log_entry(result: PageResult, params: dict[str, Any]) -> None:
    entry = params.get("entry", {})
    if entry.get("level") in ("error", "warning"):
        result.log_errors.append(f"{entry.get('source')}: {entry.get('text')}")


def _on_request(result: PageResult, params: dict[str, Any]) -> None:
    result.requests.append(str(params.get("request", {}).get("url")))


def _on_load(result: PageResult, params: dict[str, Any]) -> None:
    result.loaded = True


_EVENTS = {
    "Runtime.consoleAPICalled": _on_console,
    "Runtime.exceptionThrown": _on_exception,
    "Log.entryAdded": _on_log_entry,
    "Network.requestWillBeSent": _on_request,
    "Page.loadEventFired": _on_load,
}


def record_event(result: PageResult, msg: dict[str, Any]) -> None:
    """Record one DevTools event in ``result`` (events we do not watch are ignored)."""
    on = _EVENTS.get(str(msg.get("method")))
    if on is not None:
        on(result, msg.get("params") or {})
