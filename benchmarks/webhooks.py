"""Webhook delivery on real processes: throughput of a backlog, and the time from a write
through the gateway to its signed delivery at a receiver (p50, p95).

Run: ``uv run python -m benchmarks.webhooks`` (`score seed --demo` and `score up` under a
temporary folder, see benchmarks/processes.py; ``--help``). A partner registers a webhook
with a real HTTP receiver in this process. Latency: one enterprise profile change at a
time, timed from sending the PATCH to the receiver holding the signed event (the event
travels enrolment's outbox and feed, reporting's consumer and publisher, then the
delivery worker). Throughput: the endpoint is disabled while ``--backlog`` changes are
written and published, then re-enabled; the time to deliver the whole backlog, against
the same number of plain sequential POSTs to the receiver (the ratio is the worker's
overhead per delivery: queueing, signing, logging).
"""

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from benchmarks.processes import Platform, eventually, running_platform


class Receiver:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # enterprise.updated's name -> arrival time
        self.count = 0
        self.lock = threading.Lock()


@contextmanager
def receiving() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            now = time.perf_counter()
            with receiver.lock:
                receiver.count += 1
                marker = body.split(b'"name":"', 1)[-1].split(b'"', 1)[0].decode()
                receiver.arrived.setdefault(marker, now)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(platform: Platform, writes: int, backlog: int) -> None:
    ilo = httpx.Client(
        base_url=platform.gateway,
        headers={"X-API-Key": platform.api_key("ilo_global", name="bench-ilo")},
        timeout=60,
    )
    partner_id = ilo.post(
        "/enrolment/organisations",
        json={
            "name": f"Bench {uuid4().hex[:6]}",
            "kind": "implementation_partner",
            "country": "PK",
        },
    ).json()["id"]
    partner = httpx.Client(
        base_url=platform.gateway,
        headers={"X-API-Key": platform.api_key("partner_staff", org=partner_id, name="bench")},
        timeout=60,
    )
    enterprise = partner.post(
        "/enrolment/enterprises",
        json={"name": "Bench Knitwear", "country": "PK", "sector": "textile"},
    ).json()["id"]
    with receiving() as (receiver, url):
        hook = partner.post(
            "/reporting/webhooks", json={"url": url, "event_types": ["enterprise.updated"]}
        ).json()

        # Latency: write to signed delivery, one at a time.
        latencies: list[float] = []
        for index in range(writes):
            marker = f"lat{index}"
            started = time.perf_counter()
            partner.patch(f"/enrolment/enterprises/{enterprise}", json={"name": marker})
            assert eventually(lambda m=marker: m in receiver.arrived, timeout=60), marker  # type: ignore[misc]
            latencies.append(receiver.arrived[marker] - started)

        # Throughput: a backlog written while the endpoint is disabled, then delivered.
        partner.patch(f"/reporting/webhooks/{hook['id']}", json={"status": "disabled"})
        for index in range(backlog):
            partner.patch(f"/enrolment/enterprises/{enterprise}", json={"name": f"bulk{index}"})
        last = f"bulk{backlog - 1}"

        def published() -> bool:
            return _published(partner, last)

        assert eventually(published, timeout=300)
        before = receiver.count
        started = time.perf_counter()
        partner.patch(f"/reporting/webhooks/{hook['id']}", json={"status": "active"})
        assert eventually(lambda: receiver.count - before >= backlog, timeout=600)
        delivered_in = time.perf_counter() - started

        # Baseline: the same number of plain POSTs to the receiver, one after another.
        with httpx.Client(timeout=10) as plain:
            started = time.perf_counter()
            for _ in range(backlog):
                plain.post(url, content=b'{"name":"baseline"}')
            plain_in = time.perf_counter() - started

    rate = backlog / delivered_in
    print(f"write -> delivery latency over {writes} writes: "
          f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
          f"mean {statistics.mean(latencies) * 1000:.0f} ms")  # fmt: skip
    print(f"backlog of {backlog}: delivered in {delivered_in:.2f} s = {rate:.0f} deliveries/s; "
          f"plain sequential POSTs {backlog / plain_in:.0f}/s; "
          f"ratio worker/plain {rate / (backlog / plain_in):.2f}x")  # fmt: skip


def _published(client: httpx.Client, last: str) -> bool:
    """Whether the change to ``last`` is in the partner feed (read page by page)."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"type": "enterprise.updated", "limit": 500}
        if cursor:
            params["after"] = cursor
        page = client.get("/reporting/feed", params=params).json()
        if any(event["data"].get("name") == last for event in page["events"]):
            return True
        if not page["events"]:
            return False
        cursor = page["next_cursor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=50, help="writes timed one by one")
    parser.add_argument("--backlog", type=int, default=500, help="deliveries for throughput")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="score-bench-"))
    with running_platform(
        data_dir,
        SCORE_LOG_LEVEL="WARNING",
        SCORE_GATEWAY_RATE_LIMIT_PER_SECOND="1000000",
        SCORE_GATEWAY_RATE_LIMIT_BURST="1000000",
    ) as platform:
        measure(platform, args.writes, args.backlog)


if __name__ == "__main__":
    main()
