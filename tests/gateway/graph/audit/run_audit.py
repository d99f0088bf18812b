"""Serves the gateway's /graphql router over real HTTP (uvicorn, the composed schema of the
services' code, no subgraph needed) and runs the graphql-http audits against it.

    (cd tests/gateway/graph/audit && npm ci)
    uv run python -m tests.gateway.graph.audit.run_audit
"""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from benchmarks.processes import free_port
from services.gateway.graph.composer import compose
from services.gateway.graph.local import local_sdls
from tests.enrolment.support import token_for
from tests.gateway.graph.support import ADMIN, graph_app, runtime_for

HERE = Path(__file__).resolve().parent


def main() -> int:
    http = httpx.AsyncClient()
    runtime = runtime_for({}, http)
    runtime.use(compose(local_sdls()))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(graph_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        # The audits ask for __type: introspection needs the admin scope.
        headers = {"Authorization": f"Bearer {token_for(ADMIN)}"}
        completed = subprocess.run(
            ["node", str(HERE / "audit.mjs"), f"http://127.0.0.1:{port}/graphql"],
            env={
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "GRAPHQL_AUDIT_HEADERS": json.dumps(headers),
            },
            cwd=HERE,
            check=False,
        )
        return completed.returncode
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
