"""Readiness probes make no HTTP client per probe: one made per probe builds an SSL context,
about 20 ms of CPU, a hundred times the probe, taken from the processes starting. `score up`
probes with plain http.client (no client at all), the test and benchmark harness with one
shared httpx client. Each probe still opens a connection of its own."""

import http.server
import socketserver
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.processes import free_port, ready
from services import cli
from services.registry import SERVICES

PROBES = 20


class Readyz(http.server.BaseHTTPRequestHandler):
    connections: set[int] = set()

    def do_GET(self) -> None:
        Readyz.connections.add(self.client_address[1])  # a connection per source port
        self.send_response(200 if self.path == "/readyz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    Readyz.connections = set()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Readyz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ssl_contexts(monkeypatch: pytest.MonkeyPatch) -> list[ssl.SSLContext]:
    """The SSL contexts made while the test runs (httpx makes one per client)."""
    made: list[ssl.SSLContext] = []
    original = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = original(*args, **kwargs)
        made.append(context)
        return context

    monkeypatch.setattr(ssl, "create_default_context", counted)
    return made


def started_on(port: int) -> cli.Started:
    process = subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE)
    started = cli.Started(SERVICES[0], port, process)
    process.wait(timeout=60)
    return started


def test_score_up_probes_without_a_client_per_probe(
    server: http.server.ThreadingHTTPServer, ssl_contexts: list[ssl.SSLContext]
) -> None:
    started = started_on(server.server_address[1])

    answers = [started.answers_ready() for _ in range(PROBES)]

    assert answers == [True] * PROBES
    assert ssl_contexts == []
    assert len(Readyz.connections) == PROBES


class HangsUp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.close()


def test_score_up_reads_no_answer_as_not_ready() -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), HangsUp) as hangs_up:
        thread = threading.Thread(target=hangs_up.serve_forever, daemon=True)
        thread.start()
        try:
            assert not started_on(hangs_up.server_address[1]).answers_ready()
        finally:
            hangs_up.shutdown()
    nobody = free_port()  # refused: nothing listens there
    assert not started_on(nobody).answers_ready()


def test_the_harness_probes_with_one_client(
    server: http.server.ThreadingHTTPServer, ssl_contexts: list[ssl.SSLContext]
) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"

    answers = [ready(base) for _ in range(PROBES)]

    assert answers == [True] * PROBES
    assert len(ssl_contexts) <= 1
    assert len(Readyz.connections) == PROBES
