"""The gateway's merged OpenAPI tells the truth: schemathesis, on real processes, generates
requests for every REST operation and checks each answer is no server error and has a
documented status, content type and schema.

GraphQL operations are left out: GraphQL over HTTP answers its own error format, which the
GraphQL-over-HTTP audit (tests/gateway/graph/audit) checks instead.

Bounded in time (``--max-time``): the operations are fuzzed in parts (``PARTS``), each its
own pytest-xdist group on a platform of its own, so both workers share the fuzzing; each
part has the share of ``MAX_TIME`` its operations would have had in one run. The command is
printed so a failure can be replayed:

    uv run python -m schemathesis.cli run http://127.0.0.1:8000/openapi.json \\
        -H "X-API-Key: $KEY" --checks not_a_server_error,status_code_conformance,\\
        content_type_conformance,response_schema_conformance --exclude-path-regex '/graphql$'
"""

import math
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from benchmarks.processes import Platform, running_platform

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Seconds of generated requests for all the operations; with the phases below a quiet machine
# covers every operation's examples and boundaries and fuzzes the rest of the budget.
MAX_TIME = 240
# The parts the operations are fuzzed in (path patterns of the merged document), about equal
# in operations: every REST operation is in exactly one (each part checks).
PARTS = {
    "enrolment": r"^/enrolment/",
    "the-rest": r"^/(?!enrolment/)",
}
GRAPHQL = r"/graphql$"


def rest_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in document["paths"].items()
        if not re.search(GRAPHQL, path)
        for method in ("get", "put", "post", "patch", "delete")
        if method in item
    ]


def in_part(operations: list[tuple[str, str]], part: str) -> list[tuple[str, str]]:
    return [(method, path) for method, path in operations if re.search(PARTS[part], path)]


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


def merged_document(platform: Platform) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{platform.gateway}/openapi.json", timeout=120).json()
    # The whole platform described: no service missing from the merged document.
    assert "x-score-unavailable-services" not in document["info"], document["info"]
    return document


# Each part its own group: the two workers fuzz at once, each on a platform of its own.
@pytest.mark.parametrize(
    "part",
    [pytest.param(part, marks=pytest.mark.xdist_group(f"schemathesis-{part}")) for part in PARTS],
)
def test_every_rest_operation_answers_as_the_merged_openapi_documents(
    fuzzed_platform: Platform, part: str
) -> None:
    key = fuzzed_platform.api_key(
        "ilo_global", scopes=("read", "write", "admin"), name="schemathesis"
    )
    operations = rest_operations(merged_document(fuzzed_platform))
    fuzzed = in_part(operations, part)
    # Together the parts fuzz every operation, each once.
    assert sorted(op for each in PARTS for op in in_part(operations, each)) == sorted(operations)
    # The part's share of the whole run's budget: as much time per operation as before.
    max_time = math.ceil(MAX_TIME * len(fuzzed) / len(operations))
    command = [
        sys.executable, "-m", "schemathesis.cli", "run",
        f"{fuzzed_platform.gateway}/openapi.json",
        "--header", f"X-API-Key: {key}",
        "--checks", ",".join(CHECKS),
        "--include-path-regex", PARTS[part],
        "--exclude-path-regex", GRAPHQL,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "20",
        "--max-time", str(max_time),
        "--request-timeout", "60",
        # One worker: CPython 3.11's ast.parse is not thread-safe (python/cpython#106905).
        "--workers", "1",
        "--seed", "20261203",
        "--generation-database", "none",  # no example cache left in the checkout
        "--no-color",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=max_time + 900)
    output = run.stdout + run.stderr
    print(output)  # the figures: operations, cases, failures
    assert run.returncode == 0, output
    tested = re.search(r"Tested: *(\d+)", output)
    assert tested is not None, output
    assert int(tested.group(1)) == len(fuzzed), output
