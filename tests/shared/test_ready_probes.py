"""Readiness probes (`score up`'s, and the test and benchmark harness's) share one HTTP
client: a client made per probe builds an SSL context, about 20 ms of CPU, a hundred times the
probe, taken from the processes starting. Each probe still opens a connection of its own."""

import http.server
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.processes import ready
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


def test_score_up_probes_with_one_client(
    server: http.server.ThreadingHTTPServer, ssl_contexts: list[ssl.SSLContext]
) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE)
    started = cli.Started(SERVICES[0], server.server_address[1], process)
    process.wait(timeout=60)
    cli._prober.cache_clear()

    answers = [started.answers_ready() for _ in range(PROBES)]

    assert answers == [True] * PROBES
    assert len(ssl_contexts) <= 1
    assert len(Readyz.connections) == PROBES


def test_the_harness_probes_with_one_client(
    server: http.server.ThreadingHTTPServer, ssl_contexts: list[ssl.SSLContext]
) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"

    answers = [ready(base) for _ in range(PROBES)]

    assert answers == [True] * PROBES
    assert len(ssl_contexts) <= 1
    assert len(Readyz.connections) == PROBES
