"""The one HTTP client and the channels' escaping, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from incident_lab.adapters.escape import jira_text, markdown_text, slack_text
from incident_lab.adapters.ticket import build_ticket, render_ticket
from incident_lab.httpclient import HttpClient, HttpFailure, RetryPolicy
from tests.incident_lab.adapters import test_notify
from tests.incident_lab.adapters.conftest import RecordingServer
from tests.incident_lab.adapters.test_notify import _config

bundle = test_notify.bundle  # the same fixtures: a classified bundle, the secrets' env
env = test_notify.env


@pytest.fixture
def raw_server() -> Iterator[SimpleNamespace]:
    """A socket server answering each connection with the next scripted raw bytes, then closing.

    Yields ``.url``, ``.script`` (raw answers, in order) and ``.seen`` (requests received).
    """
    script: list[bytes] = []
    seen: list[bytes] = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(_read_request(conn))
                    conn.sendall(
                        script.pop(0)
                        if script
                        else b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
                    )
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{sock.getsockname()[1]}", script=script, seen=seen)
    stop.set()
    thread.join(2)
    sock.close()


def _read_request(conn: socket.socket) -> bytes:
    """The whole request, head and Content-Length body: closing a socket with unread bytes
    sends a reset, and the client then sees "connection reset" instead of the scripted
    answer (a body sent in a second write arrived after a single recv on a loaded machine)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _client(attempts: int = 3, waits: list[float] | None = None) -> HttpClient:
    record = waits if waits is not None else []
    return HttpClient(RetryPolicy(attempts=attempts, timeout=2, backoff=0.25), sleep=record.append)


def test_truncated_2xx_is_not_a_success(raw_server) -> None:
    """A 200 whose body is cut short of its Content-Length is retried, then a failure."""
    url, script = raw_server.url, raw_server.script
    cut = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"ok": tr'
    script += [cut, cut]
    waits: list[float] = []
    with pytest.raises(HttpFailure) as info:
        _client(2, waits).request("POST", url, content=b"{}")
    assert info.value.status is None and "cut off" in info.value.reason
    assert info.value.attempts == 2 and waits == [0.25]


def test_retry_after_is_honoured_and_capped(http_server: RecordingServer) -> None:
    http_server.script = [(429, {"Retry-After": "2"}, ""), (503, {"Retry-After": "9999"}, "")]
    waits: list[float] = []
    client = HttpClient(RetryPolicy(attempts=3, timeout=2, max_wait=5), sleep=waits.append)
    resp = client.request("POST", http_server.url, content=b"{}")
    assert (resp.status, resp.attempts, waits) == (200, 3, [2.0, 5.0])


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_never_retried(http_server: RecordingServer, status: int) -> None:
    http_server.script = [(status, {}, "no")]
    with pytest.raises(HttpFailure) as info:
        _client(5).request("POST", http_server.url, content=b"{}")
    assert info.value.status == status and not info.value.retryable
    assert len(http_server.requests) == 1


def test_redirect_is_never_followed(http_server: RecordingServer) -> None:
    """A 302 (or 307) to another origin: nothing is sent there, no credential leaves."""
    http_server.script = [(302, {"Location": "http://127.0.0.1:9/steal"}, "")]
    with pytest.raises(HttpFailure) as info:
        _client().request(
            "POST", http_server.url, headers={"Authorization": "Basic c2VjcmV0"}, content=b"{}"
        )
    assert info.value.status == 302 and "not followed" in info.value.reason
    assert len(http_server.requests) == 1


def test_async_requests_share_a_pool(http_server: RecordingServer) -> None:
    """Real async: 30 concurrent requests through one AsyncClient, all complete."""
    client = HttpClient(RetryPolicy(attempts=1, timeout=5), max_connections=4)

    async def main() -> list[int]:
        results = await asyncio.gather(
            *(client.arequest("POST", http_server.url, content=b"{}") for _ in range(30))
        )
        return [r.status for r in results]

    assert asyncio.run(main()) == [200] * 30
    assert len(http_server.requests) == 30
    pools = [c for p in client._apools.values() for c in p.clients]
    assert pools and all(c.is_closed for c in pools)  # closed with the loop


@pytest.mark.parametrize("status", [302, 307, 308])
def test_notify_redirect_is_not_delivered_and_token_not_resent(
    il,
    tmp_path: Path,
    bundle: Path,
    http_server: RecordingServer,
    raw_server,
    env,
    status: int,
) -> None:
    """Jira answering a redirect to another origin: not delivered (exit 4), nothing sent there."""
    other_url = raw_server.url  # the other origin: must never be contacted
    http_server.script = [(status, {"Location": f"{other_url}/rest/api/2/issue"}, "")]
    r = il("notify", bundle, "--via", "jira", "--config", _config(tmp_path, http_server.url))
    assert r.exit_code == 4, r.stderr
    assert len(http_server.requests) == 1
    assert http_server.requests[0]["headers"]["Authorization"].startswith("Basic ")
    last = json.loads((bundle / "timeline.jsonl").read_text().splitlines()[-1])
    assert last["result"] == "failed" and last["status"] == status
    assert "jira-token-abcdef" not in (bundle / "timeline.jsonl").read_text()
    assert raw_server.seen == []


def test_notify_truncated_200_is_not_delivered(
    il, tmp_path: Path, bundle: Path, raw_server, env
) -> None:
    url, script = raw_server.url, raw_server.script
    script += [b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nok"] * 5
    cfg = _config(tmp_path, url, extra="attempts = 2")
    r = il("notify", bundle, "--via", "webhook", "--config", cfg)
    assert r.exit_code == 4, r.stderr
    last = json.loads((bundle / "timeline.jsonl").read_text().splitlines()[-1])
    assert last["result"] == "failed" and last["attempts"] == 2
    again = il("notify", bundle, "--via", "webhook", "--config", cfg)
    assert "already-sent" not in again.stderr  # not recorded as delivered: it is sent again


# -- escaping -----------------------------------------------------------------------------

EVIL = "send_mail<!channel> <https://evil.example|docs> <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) | # {color:red}"


def test_slack_text_neutralises_mentions_and_link_masking() -> None:
    out = slack_text(EVIL)
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out and "&lt;https://evil.example|docs&gt;" in out


def test_markdown_text_has_no_raw_html_or_links() -> None:
    out = markdown_text(EVIL + "\n# heading")
    assert "<script" not in out and "<img" not in out and "](" not in out
    assert "\n" not in out and "\\|" in out


def test_jira_text_escapes_markup() -> None:
    out = jira_text(EVIL)
    assert "\\{color:red\\}" in out and "<script" not in out
    assert all(out[i - 1] == "\\" for i, c in enumerate(out) if c in "{}[]|*_")


def test_ticket_md_never_carries_raw_html(bundle: Path) -> None:
    data = build_ticket(bundle)
    data.evidence.append(f"sess-1: steps [3]: hallucinated tool {EVIL}")
    data.summary += EVIL
    text = render_ticket(data)
    assert "<script>" not in text and "<img" not in text and "<!channel>" not in text
    assert "Model / version:** None" not in text


def test_ticket_prints_model_version_from_manifest(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    first = manifest["model_versions_seen"][0]
    data = build_ticket(bundle)
    assert f"{first['name']} {first['version']}" in data.model_version
    assert "None" not in data.model_version


def test_transport_errors_arriving_unconverted_are_still_failures(monkeypatch, raw_server) -> None:
    """httpx converts httpcore's errors into its own through a module-level table; when
    that conversion does not happen (seen under load in the full suite), a refused
    connection or a cut-off answer must still be an HttpFailure, never a raw error."""

    import httpx
    import httpx._transports.default as default

    monkeypatch.setattr(default, "HTTPCORE_EXC_MAP", {KeyError: httpx.HTTPError})
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HttpFailure) as info:
        _client(2).request("POST", f"http://127.0.0.1:{port}/", content=b"{}")
    assert "cannot connect" in info.value.reason and info.value.attempts == 2
    cut = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"ok": tr'
    raw_server.script += [cut, cut]
    with pytest.raises(HttpFailure) as info:
        _client(2).request("POST", raw_server.url, content=b"{}")
    assert "cut off" in info.value.reason and info.value.attempts == 2


@pytest.fixture
def keepalive_server() -> Iterator[SimpleNamespace]:
    """An HTTP/1.1 keep-alive server on 127.0.0.1 answering after 50 ms; records each
    request's client address (one per connection) and the peak of requests in flight."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = SimpleNamespace(peers=[], active=0, peak=0, lock=threading.Lock())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.peers.append(self.client_address)
                state.active += 1
                state.peak = max(state.peak, state.active)
            time.sleep(0.05)
            with state.lock:
                state.active -= 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 64  # 30 connections open at once

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def test_async_pools_keep_every_connection_alive_and_use_them_all(keepalive_server) -> None:
    """30 connections as 15 httpx pools of 2: 30 requests in flight at once, and three
    waves of 30 reuse the same 30 connections (httpx's default keeps only 20 of a pool
    alive, and closes an idle connection whenever the pool holds more)."""
    from incident_lab.httpclient import _shard_sizes

    assert _shard_sizes(20) == [2] * 10
    assert _shard_sizes(64) == [2] * 32
    assert _shard_sizes(1) == [1]
    assert _shard_sizes(5) == [2, 2, 1]
    assert _shard_sizes(30) == [2] * 15
    client = HttpClient(RetryPolicy(attempts=1, timeout=5), max_connections=30)

    async def main() -> None:
        for _ in range(3):
            await asyncio.gather(
                *(client.arequest("POST", keepalive_server.url, content=b"{}") for _ in range(30))
            )
        (pools,) = client._apools.values()
        assert pools.busy == [0] * 15

    asyncio.run(main())
    assert len(keepalive_server.peers) == 90
    assert keepalive_server.peak == 30
    assert len(set(keepalive_server.peers)) == 30  # each connection served three requests


def _async_client(attempts: int, waits: list[float], max_wait: float = 60.0) -> HttpClient:
    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(attempts=attempts, timeout=2, backoff=0.25, max_wait=max_wait)
    return HttpClient(policy, asleep=record)


def test_async_path_keeps_the_retry_rules(http_server: RecordingServer, raw_server) -> None:
    """The async path (straight to httpx's transport) retries as the sync one does:
    Retry-After honoured and capped, other 4xx never retried, redirects never followed,
    a cut answer retried."""
    waits: list[float] = []
    http_server.script = [(429, {"Retry-After": "2"}, ""), (503, {"Retry-After": "9999"}, "")]
    resp = asyncio.run(
        _async_client(3, waits, max_wait=5).arequest("POST", http_server.url, content=b"{}")
    )
    assert (resp.status, resp.attempts, waits, resp.body) == (200, 3, [2.0, 5.0], b'{"ok": true}')
    for status, headers in [(404, {}), (302, {"Location": "http://127.0.0.1:9/steal"})]:
        http_server.requests.clear()
        http_server.script = [(status, headers, "no")]
        with pytest.raises(HttpFailure) as info:
            asyncio.run(_async_client(5, []).arequest("POST", http_server.url, content=b"{}"))
        assert info.value.status == status and not info.value.retryable
        assert len(http_server.requests) == 1  # not retried, nothing sent to the Location
    cut = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"ok": tr'
    raw_server.script += [cut, cut]
    waits.clear()
    with pytest.raises(HttpFailure) as info:
        asyncio.run(_async_client(2, waits).arequest("POST", raw_server.url, content=b"{}"))
    assert "cut off" in info.value.reason and info.value.attempts == 2 and waits == [0.25]


def test_async_headers_defaults_overrides_and_no_cookie_jar(http_server: RecordingServer) -> None:
    """httpx's default headers go with every request, the caller's replace them whatever
    their case, and a cookie one answer sets is not sent with the next request."""
    http_server.script = [(200, {"Set-Cookie": "session=abc; Path=/"}, "{}")]
    client = HttpClient(RetryPolicy(attempts=1, timeout=2))

    async def main() -> None:
        await client.arequest("POST", http_server.url, content=b"{}")
        await client.arequest(
            "POST", http_server.url, headers={"ACCEPT": "application/json"}, content=b"{}"
        )

    asyncio.run(main())
    first, second = ({k.lower(): v for k, v in r["headers"].items()} for r in http_server.requests)
    assert first["accept"] == "*/*" and first["user-agent"].startswith("python-httpx/")
    assert first["content-length"] == "2" and first["host"] == http_server.url.split("//")[1]
    assert second["accept"] == "application/json"
    assert "cookie" not in second


def test_async_path_honours_proxy_environment_like_the_sync_path(
    http_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY in the environment: both paths send the request to the proxy (an
    absolute URL in the request line), never straight to a host only the proxy can reach;
    a NO_PROXY host is reached directly."""
    monkeypatch.setenv("HTTP_PROXY", http_server.url.rstrip("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    target = "http://agent.internal.invalid/agent"
    client = HttpClient(RetryPolicy(attempts=1, timeout=5))
    assert client.request("POST", target, content=b"{}").status == 200

    async def main() -> int:
        return (await client.arequest("POST", target, content=b"{}")).status

    assert asyncio.run(main()) == 200
    assert [r["path"] for r in http_server.requests] == [target, target]

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = HttpClient(RetryPolicy(attempts=1, timeout=5))

    async def straight() -> int:
        return (await direct.arequest("POST", http_server.url + "/direct", content=b"{}")).status

    assert asyncio.run(straight()) == 200
    assert http_server.requests[-1]["path"] == "/direct"


def test_async_path_sends_credentials_written_in_the_url(http_server: RecordingServer) -> None:
    """``http://user:pass@host/``: the async path sends them as Basic auth, as the sync
    path (httpx's client) does; a caller's own Authorization header wins."""
    host = http_server.url.split("//", 1)[1]
    url = f"http://alice:s%40cret@{host}/agent"
    client = HttpClient(RetryPolicy(attempts=1, timeout=5))
    client.request("POST", url, content=b"{}")

    async def main() -> None:
        await client.arequest("POST", url, content=b"{}")
        await client.arequest("POST", url, headers={"Authorization": "Bearer t"}, content=b"{}")

    asyncio.run(main())
    sent = [{k.lower(): v for k, v in r["headers"].items()} for r in http_server.requests]
    assert sent[0]["authorization"] == "Basic YWxpY2U6c0BjcmV0"  # alice:s@cret
    assert sent[1]["authorization"] == sent[0]["authorization"]
    assert sent[2]["authorization"] == "Bearer t"


def test_async_plain_http_notices_a_connection_the_server_closed(raw_server) -> None:
    """``http://`` goes over the asyncio backend: a keep-alive connection the server
    closed after its answer is not reused (one attempt each, all succeed)."""
    client = HttpClient(RetryPolicy(attempts=1, timeout=2))

    async def main() -> list[int]:
        statuses = []
        for _ in range(3):
            resp = await client.arequest("POST", raw_server.url + "/x", content=b'{"a": 1}')
            statuses.append(resp.status)
            await asyncio.sleep(0.05)  # the server's close has arrived, not yet read
        assert set(client._apools) == {(asyncio.get_running_loop(), True)}
        return statuses

    assert asyncio.run(main()) == [200, 200, 200]
    assert len(raw_server.seen) == 3
    assert all(r.startswith(b"POST /x HTTP/1.1\r\n") for r in raw_server.seen)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections, reads, never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_async_plain_http_timeouts_and_refusals_are_failures(silent_server: str) -> None:
    """No answer within the timeout: a retried 'timed out' failure, on time; a refused
    connection: 'cannot connect'; https:// goes through httpx's own transport."""
    waits: list[float] = []
    client = _async_client(2, waits)
    client.policy = RetryPolicy(attempts=2, timeout=0.3, backoff=0.25)
    client._timeouts = {"connect": 0.3, "read": 0.3, "write": 0.3, "pool": 0.3}
    start = time.monotonic()
    with pytest.raises(HttpFailure) as info:
        asyncio.run(client.arequest("POST", silent_server, content=b"{}"))
    assert "timed out" in info.value.reason and info.value.attempts == 2 and waits == [0.25]
    assert 0.6 <= time.monotonic() - start < 3
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HttpFailure) as info:
        asyncio.run(_async_client(1, []).arequest("POST", f"http://127.0.0.1:{port}/"))
    assert "cannot connect" in info.value.reason

    tls = _async_client(1, [])

    async def https() -> set[bool]:
        with pytest.raises(HttpFailure):  # a plain server cannot complete a TLS handshake
            await tls.arequest("POST", silent_server.replace("http:", "https:"))
        return {plain for _, plain in tls._apools}

    assert asyncio.run(https()) == {False}


def test_async_plain_http_large_answer_arrives_whole_with_bounded_read_ahead(
    http_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 6 MB answer arrives byte for byte; the asyncio backend stops taking bytes from
    the socket past its read-ahead (the sender waits) instead of buffering the answer."""
    from incident_lab import httpclient

    text = "".join(chr(32 + i % 95) for i in range(6 * 1024 * 1024))
    http_server.script = [(200, {}, text)]
    seen: list[int] = []
    received = httpclient._Wire.data_received

    def spy(self: httpclient._Wire, data: bytes) -> None:
        received(self, data)
        seen.append(len(self.received))

    monkeypatch.setattr(httpclient._Wire, "data_received", spy)
    read = httpclient._AsyncioStream.read

    async def slow_read(self: Any, max_bytes: int, timeout: float | None = None) -> bytes:
        await asyncio.sleep(0.002)  # the answer arrives faster than it is read
        return await read(self, max_bytes, timeout)

    monkeypatch.setattr(httpclient._AsyncioStream, "read", slow_read)
    client = HttpClient(RetryPolicy(attempts=1, timeout=10))
    resp = asyncio.run(client.arequest("POST", http_server.url, content=b"{}"))
    assert resp.body == text.encode()
    assert max(seen) <= httpclient._READ_AHEAD + 256 * 1024  # one socket read past the mark
