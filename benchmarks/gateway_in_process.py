"""What one request costs the gateway itself: its app driven in process (ASGI calls, no HTTP
server, no client) in front of the real services of a running platform, for the GraphQL list
of `benchmarks.layers` and the same rows over REST.

    uv run python -m benchmarks.gateway_in_process [--requests 300] [--callgrind]

Prints CPU time per request of the gateway's process; with ``--callgrind`` (valgrind on the
PATH) the instructions per request instead, which a busy machine does not disturb: the
difference between a run of 2N and one of N requests, over N. The platform is `score up` on
demo data with 50 enterprises, as `benchmarks.layers` measures it; the gateway in this
process has the platform gateway's settings, logging included.
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.types import Message

from benchmarks.layers import ENTERPRISES, ROWS, ensure_enterprises
from benchmarks.load import UNLIMITED_GATEWAY, direct_headers
from benchmarks.processes import running_platform

PATHS = ("graphql", "rest")
WARM = 30


def _request(path: str, api_key: str) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope and body of one request, with the headers httpx sends."""
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"accept", b"*/*"),
        (b"accept-encoding", b"gzip, deflate"),
        (b"connection", b"keep-alive"),
        (b"user-agent", b"python-httpx"),
        (b"x-api-key", api_key.encode("latin-1")),
    ]
    if path == "rest":
        body, method, target, query = b"", "GET", "/enrolment/enterprises", f"limit={ROWS}"
    else:
        body = json.dumps(
            {"query": ENTERPRISES, "variables": {"first": ROWS}}, separators=(",", ":")
        ).encode()
        method, target, query = "POST", "/graphql", ""
        headers += [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": target,
        "raw_path": target.encode(),
        "query_string": query.encode(),
        "headers": headers,
    }
    return scope, body


async def _drive(path: str, requests: int) -> float:
    """CPU seconds per request of ``requests`` requests after the warm-up (child process)."""
    from services.gateway.app import create_app

    app = create_app()
    scope, body = _request(path, os.environ["BENCHMARK_API_KEY"])

    async def one() -> None:
        pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[Message] = []

        async def receive() -> Message:
            if pending:
                return pending.pop()
            await asyncio.Event().wait()  # the client never disconnects
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        await app({**scope, "headers": list(scope["headers"]), "state": {}}, receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"{path}: {sent[0]['status']} {sent[1].get('body', b'')[:300]!r}")

    async with app.router.lifespan_context(app):
        await app.state.graph.first_poll_over.wait()
        for _ in range(WARM):
            await one()
        started = time.process_time()
        for _ in range(requests):
            await one()
        return (time.process_time() - started) / requests


def _child(path: str, requests: int, env: dict[str, str], callgrind: bool) -> float:
    """CPU seconds per request, or (``callgrind``) the instructions of the whole run."""
    command = [sys.executable, "-m", "benchmarks.gateway_in_process", "--child", path]
    command += ["--requests", str(requests)]
    if not callgrind:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        found = re.search(r"^per request: (\S+)$", done.stdout, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"the measurement printed no figure:\n{done.stderr}")
        return float(found.group(1))
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "callgrind.out"
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}"]
        subprocess.run(valgrind + command, env=env, capture_output=True, check=True)
        summary = re.search(r"^(?:summary|totals): (\d+)", output.read_text(), re.MULTILINE)
        if summary is None:
            raise RuntimeError("callgrind wrote no summary")
        return float(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="per measurement")
    parser.add_argument("--callgrind", action="store_true", help="instructions, not CPU time")
    parser.add_argument("--path", choices=PATHS, action="append", help="only these")
    parser.add_argument("--child", choices=PATHS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import uvloop

        print(f"per request: {uvloop.run(_drive(args.child, args.requests))}", flush=True)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="score-bench-"))
    with running_platform(data_dir, **UNLIMITED_GATEWAY) as platform:
        ensure_enterprises(platform, direct_headers(platform), ROWS)
        services = {name: url for name, url in platform.urls.items() if name != "gateway"}
        env = platform.env | {
            "SCORE_GATEWAY_SERVICES": json.dumps(services),
            # No schema poll during the measurement.
            "SCORE_GATEWAY_GRAPH_POLL_INTERVAL": "100000",
            # Nor a key verified again in the database when its 5 s in the cache run out:
            # under valgrind a run lasts minutes, so the count of those (and the instructions
            # per request) followed the machine's load.
            "SCORE_GATEWAY_API_KEY_CACHE_TTL": "1000000",
            "BENCHMARK_API_KEY": platform.api_key("ilo_global", name="benchmark"),
            "PYTHONHASHSEED": "0",
        }
        for path in args.path or PATHS:
            if args.callgrind:
                once = _child(path, args.requests, env, callgrind=True)
                twice = _child(path, 2 * args.requests, env, callgrind=True)
                per_request = (twice - once) / args.requests
                print(f"{path}: {per_request / 1e6:.3f}M instructions per request", flush=True)
            else:
                cpu = _child(path, args.requests, env, callgrind=False)
                print(f"{path}: {cpu * 1e6:.0f} us of CPU per request", flush=True)


if __name__ == "__main__":
    main()
