"""The one HTTP client: httpx (sync and async, pooled) with one retry policy (tenacity).

Used by the containment backends and notifiers (``incident_lab.adapters``) and by the
release gate's HTTP and OpenAI targets (``regression_suite.targets.transport``).

The rules, the same for every caller:

- retried: a connection error, a timeout, a cut answer (a body shorter than its
  ``Content-Length``), ``429`` and ``5xx``; the wait is the answer's ``Retry-After``
  (seconds or an HTTP date, capped at ``max_wait``) or an exponential backoff;
- never retried: any other ``4xx``;
- redirects are never followed (a ``3xx`` is a failure naming the ``Location``), so a
  request and its credentials never go to another origin, and a POST never turns
  into a GET without its body;
- success is a ``2xx`` whose whole body arrived; answers are read up to ``max_body``
  bytes (a larger one is a failure, not a truncation).
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import select
import time
import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime
from typing import Any, cast

import httpcore
import httpx

# httpcore imports sniffio on every async lock it creates; were it missing, each of those
# imports would scan sys.path (~1 ms a request): imported here to fail at once instead
import sniffio  # noqa: F401
import tenacity

#: Answers larger than this are refused (no caller needs more).
MAX_BODY = 64 * 1024 * 1024


def parse_retry_after(value: str | None, *, default: float, cap: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), within 0..cap."""
    seconds, text = default, (value or "").strip()
    try:
        seconds = float(text or "nan")
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError):
            pass
    if seconds != seconds:  # absent or NaN
        seconds = default
    return max(0.0, min(seconds, cap))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, how long each may take, and how long to wait between them.

    Attributes:
        attempts: Attempts in all (1 = no retry).
        timeout: Seconds per attempt (connect, read, write and pool each).
        backoff: First wait in seconds when the answer gives no ``Retry-After`` (doubling).
        max_wait: Cap on any single wait, ``Retry-After`` included.
    """

    attempts: int = 3
    timeout: float = 30.0
    backoff: float = 0.5
    max_wait: float = 60.0


@dataclass(slots=True)
class HttpResponse:
    """A complete ``2xx`` answer."""

    status: int
    headers: dict[str, str]
    body: bytes
    attempts: int

    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


@dataclass(eq=False, repr=False)  # compared and shown as an exception, by identity and reason
class HttpFailure(Exception):
    """A request that did not get a complete ``2xx`` answer, after the retry policy.

    Attributes:
        reason: One sentence: what happened.
        status: The last HTTP status, or None when there was no (complete) answer.
        body: The start of the last answer's body, if any.
        retryable: Whether the last failure was of a retried kind.
        retry_after: The last answer's ``Retry-After`` value, if any.
        attempts: Attempts made.
    """

    reason: str
    _: KW_ONLY
    status: int | None = None
    body: bytes = b""
    retryable: bool = False
    retry_after: str | None = None
    attempts: int = 0

    def __post_init__(self) -> None:
        super().__init__(self.reason)


def _failure_for(status: int, headers: httpx.Headers, body: bytes) -> HttpFailure:
    if 300 <= status < 400:
        where = headers.get("location", "?")
        return HttpFailure(
            f"answered HTTP {status} redirecting to {where}; redirects are not followed",
            status=status,
            body=body,
        )
    retryable = status == 429 or status >= 500
    return HttpFailure(
        f"answered HTTP {status}",
        status=status,
        body=body,
        retryable=retryable,
        retry_after=headers.get("retry-after"),
    )


#: Where transport errors come from: httpx, and the httpcore/h11 layer below it, whose
#: errors httpx normally re-raises as its own but, seen here under load, not always.
_TRANSPORT_MODULES = ("httpx", "httpcore", "h11", "anyio", "ssl", "socket")


def _is_transport_error(exc: BaseException) -> bool:
    return isinstance(exc, httpx.HTTPError | OSError) or any(
        cls.__module__.split(".")[0] in _TRANSPORT_MODULES for cls in type(exc).__mro__[:-2]
    )


def _wire_failure(exc: Exception, timeout: float) -> HttpFailure:
    """The HttpFailure for an error raised while sending or reading; anything that is not
    a transport or request error (a bug) is re-raised as it is."""
    request_errors = httpx.HTTPError | httpx.InvalidURL | ValueError | TypeError
    if isinstance(exc, request_errors) or _is_transport_error(exc):
        return _transport_failure(exc, timeout)
    raise exc


def _transport_failure(exc: Exception, timeout: float) -> HttpFailure:
    """Name what went wrong on the wire: by the error's kind in httpx's terms, or by its
    class name when it arrives from the layer below unconverted."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, httpx.TimeoutException | TimeoutError) or any("Timeout" in n for n in names):
        return HttpFailure(f"timed out after {timeout:g} s", retryable=True)
    if isinstance(exc, httpx.RemoteProtocolError) or "RemoteProtocolError" in names:
        return HttpFailure(f"answer cut off or malformed ({exc})", retryable=True)
    if isinstance(exc, httpx.TransportError) or _is_transport_error(exc):
        return HttpFailure(f"cannot connect ({exc})", retryable=True)
    return HttpFailure(f"invalid request ({exc})")  # a bad URL or header: not retried


class _Body:
    """An answer's body as it arrives, refused past :data:`MAX_BODY` (sync and async)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_BODY:
            raise HttpFailure(f"answer larger than {MAX_BODY:,} bytes; refused")
        self.chunks.append(chunk)

    def response(self, status: int, headers: httpx.Headers, attempts: int) -> HttpResponse:
        """The complete 2xx answer, or the HttpFailure its status means."""
        body = b"".join(self.chunks)
        if 200 <= status < 300:
            return HttpResponse(status, dict(headers), body, attempts)
        raise _failure_for(status, headers, body[:4096])


class HttpClient:
    """A pooled httpx client with the one retry policy, sync and async.

    Args:
        policy: Attempts, timeout and backoff.
        max_connections: Connection pool size (per client and event loop).
        sleep: Blocking sleep between attempts (tests pass a recorder).
        asleep: Async sleep between attempts.
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        max_connections: int = 64,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        # every connection the pool may open is kept alive: with httpx's default of 20
        # kept, at 64 in flight the pool closes a connection each time one goes idle
        # (and opens another for the next request) instead of reusing it
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._sleep, self._asleep = sleep, asleep
        self._max_connections = max_connections
        self._ssl: Any = None
        self._client: httpx.Client | None = None
        self._apools: dict[tuple[asyncio.AbstractEventLoop, bool], _Pools] = {}
        self._closers: list[Any] = []
        self._timeouts = httpx.Timeout(self.policy.timeout).as_dict()
        self._retrying: dict[str, Any] = {  # the policy is frozen: its tenacity parts too
            "stop": tenacity.stop_after_attempt(max(1, self.policy.attempts)),
            "wait": self._wait,
            "retry": tenacity.retry_if_exception(
                lambda e: isinstance(e, HttpFailure) and e.retryable
            ),
            "reraise": True,
        }
        self._prepared_cache: dict[Any, tuple[httpx.URL, httpx.Headers]] = {}
        self._aclients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        # like httpx's clients, read once: a proxy named in the environment routes every
        # async request through an AsyncClient, which honours it and NO_PROXY
        self._env_proxies = any(k != "no" for k in urllib.request.getproxies_environment())

    # -- the policy -----------------------------------------------------------------
    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        default = self.policy.backoff * 2 ** (state.attempt_number - 1)
        retry_after = exc.retry_after if isinstance(exc, HttpFailure) else None
        return parse_retry_after(retry_after, default=default, cap=self.policy.max_wait)

    def _options(self) -> dict[str, Any]:
        return {
            "timeout": httpx.Timeout(self.policy.timeout),
            "limits": self._limits,
            "follow_redirects": False,
        }

    # -- sync -----------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        """Send one request under the retry policy; return the complete 2xx answer.

        Raises:
            HttpFailure: no complete 2xx answer (``attempts`` says how many were made).
        """
        if self._client is None:
            self._client = httpx.Client(**self._options())
        client = self._client
        attempts = 0

        def attempt() -> HttpResponse:
            nonlocal attempts
            attempts += 1
            try:
                with client.stream(method, url, headers=headers, content=content) as resp:
                    body = _Body()
                    for chunk in resp.iter_bytes():
                        body.add(chunk)
                    return body.response(resp.status_code, resp.headers, attempts)
            except HttpFailure:
                raise
            except Exception as exc:
                raise _wire_failure(exc, self.policy.timeout) from None

        try:
            return tenacity.Retrying(sleep=self._sleep, **self._retrying)(attempt)
        except HttpFailure as failure:
            failure.attempts = attempts
            raise

    # -- async ----------------------------------------------------------------------
    async def _acquire(self, plain: bool) -> tuple[_Pools, int]:
        """A pool of the running loop for one request (opened when the ones open are
        full), counted as busy until :meth:`_Pools.release`. ``plain``: an ``http://``
        request, sent over :class:`_AsyncioBackend` (``https://`` goes through httpx's
        own transport, TLS included)."""
        key = (asyncio.get_running_loop(), plain)
        pools = self._apools.get(key)
        if pools is None:
            pools = self._apools[key] = _Pools(_shard_sizes(self._max_connections))
        shard = pools.free()
        if shard is None and len(pools.clients) < len(pools.sizes):
            n = pools.sizes[len(pools.clients)]
            limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
            transport: httpx.AsyncBaseTransport
            if plain:
                transport = _PlainTransport(limits)
            else:
                if self._ssl is None:  # one TLS context for every pool (~20 ms of CPU each)
                    self._ssl = httpx.create_ssl_context()
                transport = httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits)
            pool = _Pool(transport)
            shard = pools.add(pool)
            await self._close_at_loop_end(pool)
        if shard is None:  # every pool is full: wait in the least busy one
            shard = min(range(len(pools.clients)), key=pools.busy.__getitem__)
        pools.busy[shard] += 1
        return pools, shard

    async def _close_at_loop_end(self, pool: _Pool | httpx.AsyncClient) -> None:
        """Close ``pool`` when the running loop shuts its async generators down (asyncio.run
        does): the pool lives as long as the loop, whoever owns the loop."""
        closer = _closing(pool)
        await closer.__anext__()
        self._closers.append(closer)

    async def arequest(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        """Async :meth:`request` (waits with ``asleep``).

        Sent straight to an httpx transport (an httpcore connection pool), as
        ``AsyncClient.stream`` would send it with this client's options (the same
        default headers and timeouts; redirects are not followed either way), minus the
        client's per-request work this caller never uses: auth flows, event hooks and a
        cookie jar (answers' cookies are not sent back with later requests, so one gate
        case cannot leak a session into the next).
        """
        if self._env_proxies:  # the environment names a proxy: httpx's client routes it
            return await self._arequest_via_client(method, url, headers, content)
        target, sent = self._prepared(url, headers)
        pools, shard = await self._acquire(target.scheme == "http")
        transport = pools.clients[shard].transport
        extensions = {"timeout": self._timeouts}

        async def send(attempts: int) -> HttpResponse:
            request = httpx.Request(
                method, target, headers=sent, content=content, extensions=extensions
            )
            resp = await transport.handle_async_request(request)
            resp.request = request
            try:
                return await _aread(resp, attempts)
            finally:
                await resp.aclose()

        try:
            return await self._aretry(send)
        finally:
            pools.release(shard)

    async def _arequest_via_client(
        self, method: str, url: str, headers: dict[str, str] | None, content: bytes | None
    ) -> HttpResponse:
        """:meth:`arequest` through an ``httpx.AsyncClient`` of the running loop, which
        applies ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY`` exactly as the
        sync path's client does (a bare transport would connect directly)."""
        loop = asyncio.get_running_loop()
        client = self._aclients.get(loop)
        if client is None:
            client = self._aclients[loop] = httpx.AsyncClient(**self._options())
            await self._close_at_loop_end(client)

        async def send(attempts: int) -> HttpResponse:
            async with client.stream(method, url, headers=headers, content=content) as resp:
                return await _aread(resp, attempts)

        return await self._aretry(send)

    async def _aretry(self, send: Callable[[int], Awaitable[HttpResponse]]) -> HttpResponse:
        """``send(attempt number)`` under the retry policy; a wire error becomes an
        :class:`HttpFailure`, and the failure says how many attempts were made.

        The first attempt is made before tenacity is set up (its per-attempt
        bookkeeping was ~8 % of a gate case's CPU, and nearly every request succeeds
        at once); a retryable failure of it is handed to tenacity as its first attempt,
        so the waits, ``Retry-After`` and the count are tenacity's as before.
        """
        attempts = 0

        async def attempt() -> HttpResponse:
            nonlocal attempts
            attempts += 1
            try:
                return await send(attempts)
            except HttpFailure:
                raise
            except Exception as exc:
                raise _wire_failure(exc, self.policy.timeout) from None

        try:
            return await attempt()
        except HttpFailure as failure:
            if not failure.retryable or self.policy.attempts <= 1:
                failure.attempts = attempts
                raise
            first: HttpFailure | None = failure

        async def again() -> HttpResponse:
            nonlocal first
            if first is not None:  # tenacity's attempt 1: the one already made
                failed, first = first, None
                raise failed
            return await attempt()

        try:
            return await tenacity.AsyncRetrying(sleep=self._asleep, **self._retrying)(again)
        except HttpFailure as failure:
            failure.attempts = attempts
            raise

    def _prepared(
        self, url: str, headers: dict[str, str] | None
    ) -> tuple[httpx.URL, httpx.Headers]:
        """``url`` parsed and the headers to send, each built once per distinct value (a
        gate sends thousands of requests to one URL with the same headers; both are
        copied, never changed, by each request). Credentials in the URL
        (``http://user:pass@host/``) become an ``Authorization: Basic`` header, as
        httpx's client sends them, unless the caller set one."""
        key = (url, tuple(headers.items()) if headers else ())
        found = self._prepared_cache.get(key)
        if found is None:
            if len(self._prepared_cache) >= _PREPARED_MAX:
                self._prepared_cache.clear()
            target = httpx.URL(url)
            sent = httpx.Headers(_request_headers(headers))
            if (target.username or target.password) and "authorization" not in sent:
                pair = f"{target.username}:{target.password}".encode()
                sent["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            found = (target, sent)
            self._prepared_cache[key] = found
        return found

    def close(self) -> None:
        """Close the sync pool (async pools close with their event loop)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the pools of the running loop now."""
        loop = asyncio.get_running_loop()
        for plain in (True, False):
            pools = self._apools.pop((loop, plain), None)
            for pool in pools.clients if pools is not None else ():
                await pool.aclose()
        client = self._aclients.pop(loop, None)
        if client is not None:
            await client.aclose()


#: Distinct (URL, headers) pairs kept parsed per client (emptied when full).
_PREPARED_MAX = 256

#: What ``httpx.AsyncClient`` sends with every request unless the caller overrides it
#: (the encodings are the ones httpx always decodes).
_DEFAULT_HEADERS = {
    "accept": ("Accept", "*/*"),
    "accept-encoding": ("Accept-Encoding", "gzip, deflate"),
    "connection": ("Connection", "keep-alive"),
    "user-agent": ("User-Agent", f"python-httpx/{httpx.__version__}"),
}


def _request_headers(headers: dict[str, str] | None) -> list[tuple[str, str]]:
    """The default headers, each replaced by the caller's of the same name (any case)."""
    if not headers:
        return list(_DEFAULT_HEADERS.values())
    merged = dict(_DEFAULT_HEADERS)
    for name, value in headers.items():
        merged[name.lower()] = (name, value)
    return list(merged.values())


class _Pool:
    """One httpx transport (an httpcore connection pool) and whether it was closed."""

    __slots__ = ("is_closed", "transport")

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self.is_closed = False

    async def aclose(self) -> None:
        """Close every connection of the pool."""
        if not self.is_closed:
            self.is_closed = True
            await self.transport.aclose()


#: Connections per httpx pool. httpcore's pool re-examines every connection it holds
#: (a socket poll each, and a count of all connections per idle one) on every request
#: it queues or releases: at 64 connections that bookkeeping was ~45 % of the client's
#: CPU (encode/httpcore#1035), and still ~30 % with pools of 8 (quadratic in the pool's
#: size). Pools of at most 2 keep it small, whatever the total (measured at 64 in
#: flight: 0.78 ms of client CPU a request with pools of 8, 0.70 with pools of 2).
POOL_SHARD = 2


def _shard_sizes(total: int) -> list[int]:
    """``total`` connections as pools of at most :data:`POOL_SHARD` (sizes differ by <= 1)."""
    count = max(1, -(-total // POOL_SHARD))
    base, extra = divmod(max(1, total), count)
    return [base + (i < extra) for i in range(count)]


class _Pools:
    """An event loop's httpx pools (opened one at a time, as the requests in flight
    need them), and the requests each has in flight."""

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes
        self.clients: list[_Pool] = []
        self.busy: list[int] = []

    def free(self) -> int | None:
        """The open pool with the most free connections, or ``None`` when all are full."""
        best = max(range(len(self.clients)), key=self._free, default=None)
        return best if best is not None and self._free(best) > 0 else None

    def _free(self, shard: int) -> int:
        return self.sizes[shard] - self.busy[shard]

    def add(self, pool: _Pool) -> int:
        """Open the next pool; return its index."""
        self.clients.append(pool)
        self.busy.append(0)
        return len(self.clients) - 1

    def release(self, shard: int) -> None:
        """A request on pool ``shard`` is done."""
        self.busy[shard] -= 1


async def _aread(resp: httpx.Response, attempts: int) -> HttpResponse:
    """The whole body of an async answer, as an :class:`HttpResponse` (or its failure)."""
    body = _Body()
    async for chunk in resp.aiter_bytes():
        body.add(chunk)
    return body.response(resp.status_code, resp.headers, attempts)


async def _closing(pool: _Pool | httpx.AsyncClient) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await pool.aclose()


# -- plain HTTP over asyncio ------------------------------------------------------------
# httpcore runs its connections over a pluggable network backend (its documented
# ``network_backend`` argument). Its default goes through anyio: a cancel scope
# (``fail_after``) and an exception map around every read and write, and a dictionary
# of every socket attribute built each time the pool asks whether an idle connection
# was closed — about a quarter of the async client's CPU per request. This backend
# does the same on asyncio's own transports: plain TCP only (``https://`` keeps
# httpx's transport, TLS included); httpcore still speaks HTTP/1.1 (h11), pools,
# keeps alive and detects closed connections.


#: Bytes a connection takes from its socket before httpcore has read them; past this
#: it stops reading (the sender waits) until half of them are read.
_READ_AHEAD = 256 * 1024


class _Wire(asyncio.Protocol):
    """One TCP connection's asyncio protocol: the bytes received and not yet read, and
    the one reader or writer waiting (httpcore uses a connection for one request at a
    time)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.eof = False
        self.lost: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False  # the socket's send buffer is full
        self.held = False  # reading paused: too much received and not yet read
        self.poller: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a read-write transport, though not always of asyncio's class (uvloop's is not)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received += data
        if len(self.received) > _READ_AHEAD and not self.held:
            self.hold(True)  # a large answer waits in the kernel's buffer
        self._wake()

    def hold(self, held: bool) -> None:
        """Stop (or resume) taking bytes from the socket."""
        transport = self.transport
        if transport is not None and not transport.is_closing():
            (transport.pause_reading if held else transport.resume_reading)()
        self.held = held

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof, self.lost, self.paused = True, exc, False
        self._wake()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._wake()

    def readable(self) -> bool:
        """Whether the socket has bytes (or its end) the event loop has not delivered
        yet: a zero-timeout poll, as httpcore's own backends check an idle connection."""
        if self.poller is None:
            sock = self.transport.get_extra_info("socket") if self.transport else None
            if sock is None or sock.fileno() < 0:
                return True
            self.poller = select.poll()
            self.poller.register(sock.fileno(), select.POLLIN)
        return bool(self.poller.poll(0))

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, timeout: float | None, error: type[Exception]) -> None:
        """Until data, the end of the stream or room to write arrives; ``error`` after
        ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter, error)
        try:
            await waiter
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()


def _expire(waiter: asyncio.Future[None], error: type[Exception]) -> None:
    if not waiter.done():
        waiter.set_exception(error("timed out"))


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """httpcore's view of a :class:`_Wire`: read, write, close, and whether the peer
    has closed it (or sent bytes nobody asked for) while it was idle."""

    def __init__(self, wire: _Wire) -> None:
        self._wire = wire

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        wire = self._wire
        if not wire.received and not wire.eof:
            await wire.wait(timeout, httpcore.ReadTimeout)
        if wire.received:
            data = bytes(wire.received[:max_bytes])
            del wire.received[:max_bytes]
            if wire.held and len(wire.received) <= _READ_AHEAD // 2:
                wire.hold(False)
            return data
        if wire.lost is not None:
            raise httpcore.ReadError(str(wire.lost))
        return b""  # the peer closed the connection: h11 decides what that means

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        wire = self._wire
        if not buffer:
            return
        if wire.transport is None or wire.transport.is_closing():
            raise httpcore.WriteError(f"connection closed ({wire.lost or 'by the peer'})")
        wire.transport.write(buffer)
        while wire.paused:  # the kernel's buffer is full: wait until it drains
            await wire.wait(timeout, httpcore.WriteTimeout)

    async def aclose(self) -> None:
        if self._wire.transport is not None:
            self._wire.transport.close()

    def get_extra_info(self, info: str) -> Any:
        wire, transport = self._wire, self._wire.transport
        if info == "is_readable":  # asked of an idle connection: closed by the server?
            return bool(wire.received) or wire.eof or transport is None or wire.readable()
        if transport is None:
            return None
        names = {"socket": "socket", "client_addr": "sockname", "server_addr": "peername"}
        return transport.get_extra_info(names[info]) if info in names else None


class _AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Plain TCP connections for httpcore on asyncio's transports (see above)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                _, wire = await loop.create_connection(_Wire, host, port, local_addr=local)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        if socket_options and wire.transport is not None:  # asyncio sets TCP_NODELAY
            for option in socket_options:
                wire.transport.get_extra_info("socket").setsockopt(*option)
        return _AsyncioStream(wire)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _PlainTransport(httpx.AsyncBaseTransport):
    """An httpx transport for ``http://`` URLs: an httpcore connection pool on
    :class:`_AsyncioBackend`, otherwise as ``httpx.AsyncHTTPTransport`` sends a request
    (httpcore's errors reach :func:`_wire_failure` unconverted, which names them)."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_AsyncioBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        assert isinstance(request.stream, httpx.AsyncByteStream)
        sent = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        answer = await self._pool.handle_async_request(sent)
        assert isinstance(answer.stream, AsyncIterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_AnswerStream(answer.stream),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _AnswerStream(httpx.AsyncByteStream):
    """httpcore's answer body as httpx's stream (read, then closed back to the pool)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        await self._stream.aclose()
