"""bench_gate's OpenAI-compatible latency server: answers after its delay, overlapping."""

from __future__ import annotations

import asyncio
import json
import socket
import time

from benchmarks.bench_gate import LatencyServer
from incident_lab.httpclient import HttpClient, RetryPolicy


def test_latency_server_answers_after_its_delay_concurrently() -> None:
    server = LatencyServer(0.2)
    client = HttpClient(RetryPolicy(attempts=1, timeout=10), max_connections=16)
    url = server.url + "/v1/chat/completions"

    async def one() -> tuple[float, bytes]:
        start = time.monotonic()
        resp = await client.arequest("POST", url, content=b'{"model": "m", "messages": []}')
        return time.monotonic() - start, resp.body

    async def main() -> tuple[list[tuple[float, bytes]], float]:
        start = time.monotonic()
        first = await asyncio.gather(*(one() for _ in range(16)))
        second = await asyncio.gather(*(one() for _ in range(16)))
        return first + second, time.monotonic() - start

    try:
        answers, wall = asyncio.run(main())
    finally:
        server.close()
    assert server.requests == 32
    assert all(took >= 0.2 for took, _ in answers)
    assert wall < 0.2 * 32 / 2  # the 16 in flight overlapped (serially: 6.4 s)
    body = json.loads(answers[0][1])
    assert body["choices"][0]["message"]["role"] == "assistant"
    host, port = server.url.split("//")[1].split(":")
    with socket.socket() as sock:  # closed: nothing listens any more
        assert sock.connect_ex((host, int(port))) != 0
