"""The gateway's merged OpenAPI tells the truth: schemathesis, on real processes, generates
requests for every REST operation and checks each answer is no server error and has a
documented status, content type and schema.

GraphQL operations are left out: GraphQL over HTTP answers its own error format, which the
GraphQL-over-HTTP audit (tests/gateway/graph/audit) checks instead.

Bounded in time (``--max-time``); the command is printed so a failure can be replayed:

    uv run python -m schemathesis.cli run http://127.0.0.1:8000/openapi.json \\
        -H "X-API-Key: $KEY" --checks not_a_server_error,status_code_conformance,\\
        content_type_conformance,response_schema_conformance --exclude-path-regex '/graphql$'
"""

import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from benchmarks.processes import Platform, running_platform

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Seconds of generated requests; with the phases below a quiet machine covers every
# operation's examples and boundaries and fuzzes the rest of the budget.
MAX_TIME = 240


@pytest.fixture(scope="module")
def fuzzed_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of its own: the generated writes must not change the demo data other
    end-to-end tests count."""
    with running_platform(
        tmp_path_factory.mktemp("schemathesis-data"),
        # The generated requests come faster than a partner's: no rate limit in their way.
        SCORE_GATEWAY_RATE_LIMIT_PER_SECOND="100000",
        SCORE_GATEWAY_RATE_LIMIT_BURST="100000",
    ) as running:
        yield running


def test_every_rest_operation_answers_as_the_merged_openapi_documents(
    fuzzed_platform: Platform,
) -> None:
    key = fuzzed_platform.api_key(
        "ilo_global", scopes=("read", "write", "admin"), name="schemathesis"
    )
    # The whole platform described: no service missing from the merged document.
    document = httpx.get(f"{fuzzed_platform.gateway}/openapi.json", timeout=120).json()
    assert "x-score-unavailable-services" not in document["info"], document["info"]
    operations = sum(
        method in item
        for path, item in document["paths"].items()
        if not path.endswith("/graphql")
        for method in ("get", "put", "post", "patch", "delete")
    )
    command = [
        sys.executable, "-m", "schemathesis.cli", "run",
        f"{fuzzed_platform.gateway}/openapi.json",
        "--header", f"X-API-Key: {key}",
        "--checks", ",".join(CHECKS),
        "--exclude-path-regex", "/graphql$",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "20",
        "--max-time", str(MAX_TIME),
        "--request-timeout", "60",
        # One worker: CPython 3.11's ast.parse is not thread-safe (python/cpython#106905).
        "--workers", "1",
        "--seed", "20261203",
        "--generation-database", "none",  # no example cache left in the checkout
        "--no-color",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=MAX_TIME + 900)
    output = run.stdout + run.stderr
    print(output)  # the figures: operations, cases, failures
    assert run.returncode == 0, output
    tested = re.search(r"Tested: *(\d+)", output)
    assert tested is not None, output
    assert int(tested.group(1)) == operations, output
