"""The gateway's merged OpenAPI tells the truth: schemathesis, on real processes, generates
requests for every REST operation and checks each answer is no server error and has a
documented status, content type and schema.

GraphQL operations are left out: GraphQL over HTTP answers its own error format, which the
GraphQL-over-HTTP audit (tests/gateway/graph/audit) checks instead.

Bounded in cases, not in time: every operation gets the examples and coverage phases in full
and ``FUZZING_CASES`` generated cases, derandomized, so a loaded CI machine runs the same
cases as a quiet one (a time budget, ``--max-time``, silently fuzzed only some of the
operations there). One run on one platform: split in two, one part per pytest-xdist worker,
it ends sooner but starts a second platform (~20 s of CPU) on a machine whose two cores the
rest of the suite keeps busy anyway. The command is printed so a failure can be replayed
against a platform of your own (``benchmarks.processes.running_platform``):

    uv run python -m tests.tuned_gc schemathesis.cli run http://127.0.0.1:8000/openapi.json \\
        --header "X-API-Key: $KEY" --checks not_a_server_error,status_code_conformance,\\
        content_type_conformance,response_schema_conformance --exclude-path-regex '/graphql$' \\
        --phases examples,coverage,fuzzing --max-examples 5 --generation-deterministic \\
        --workers 1
"""

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from benchmarks.processes import Platform, running_seeded_platform
from tests.e2e.demo_template import demo_data_folder

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Generated cases per operation in the fuzzing phase. The run is ~16,500 requests: ~15,500
# from the coverage phase (boundaries and negative cases of every parameter and field, ~5 ms
# of CPU each, schemathesis and platform together), ~50 examples, and these, ~20 ms each
# (Hypothesis generating whole bodies that reach the database): 5 per operation are ~20 s
# of CPU on top of the ~80 s the other two phases take.
FUZZING_CASES = 5
# Every one of these runs in full for every operation (the examples phase skips operations
# that document no example).
PHASES = ("examples", "coverage", "fuzzing")
GRAPHQL = r"/graphql$"


def rest_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in document["paths"].items()
        if not re.search(GRAPHQL, path)
        for method in ("get", "put", "post", "patch", "delete")
        if method in item
    ]


@pytest.fixture(scope="module")
def fuzzed_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of its own: the generated writes must not change the demo data other
    end-to-end tests count."""
    # A copy of the demo data folder seeded once per run (tests/e2e/demo_template.py): this
    # test is about the answers, not about seeding.
    with running_seeded_platform(
        demo_data_folder(tmp_path_factory, "schemathesis-data"),
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


def schemathesis_command(gateway: str, key: str) -> list[str]:
    """The run: a fixed number of cases per operation, the same on every run and machine."""
    return [
        # The suite's GC tuning (tests/tuned_gc.py): a tenth of the run's CPU was collections.
        sys.executable, "-m", "tests.tuned_gc", "schemathesis.cli",
        "run", f"{gateway}/openapi.json",
        "--header", f"X-API-Key: {key}",
        "--checks", ",".join(CHECKS),
        "--exclude-path-regex", GRAPHQL,
        "--phases", ",".join(PHASES),
        "--max-examples", str(FUZZING_CASES),
        # Hypothesis derandomized: the same cases every run, and no example database (so
        # no cache left in the checkout).
        "--generation-deterministic",
        "--request-timeout", "60",
        # One worker: CPython 3.11's ast.parse is not thread-safe (python/cpython#106905).
        "--workers", "1",
        "--no-color",
    ]  # fmt: skip


def phase_outcome(output: str, phase: str) -> str | None:
    """A finished phase's outcome line (``✅ 186 passed``, ``... ⏭ 36 skipped``)."""
    found = re.search(rf"{phase.capitalize()} \(in [\d.]+s\)\n\s*\n\s*(.+)", output)
    return found.group(1).strip() if found else None


def test_the_run_is_bounded_in_cases_per_operation_not_in_time() -> None:
    command = schemathesis_command("http://127.0.0.1:8000", "score_example")
    assert "--max-time" not in command
    assert command[command.index("--max-examples") + 1] == str(FUZZING_CASES)
    assert "--generation-deterministic" in command


def test_the_run_has_the_suites_gc_tuning() -> None:
    command = schemathesis_command("http://127.0.0.1:8000", "score_example")
    assert command[:4] == [sys.executable, "-m", "tests.tuned_gc", "schemathesis.cli"]


def test_every_rest_operation_answers_as_the_merged_openapi_documents(
    fuzzed_platform: Platform,
) -> None:
    key = fuzzed_platform.api_key(
        "ilo_global", scopes=("read", "write", "admin"), name="schemathesis"
    )
    operations = rest_operations(merged_document(fuzzed_platform))
    command = schemathesis_command(fuzzed_platform.gateway, key)
    print(shlex.join(command))
    # A hang guard only: the run is bounded by its cases, not by this.
    run = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    output = run.stdout + run.stderr
    print(output)  # the figures: operations, cases, failures
    assert run.returncode == 0, output
    tested = re.search(r"Tested: *(\d+)", output)
    assert tested is not None, output
    assert int(tested.group(1)) == len(operations), output
    # Every operation went through the coverage and fuzzing phases to the end: none
    # skipped, none cut short.
    for phase in ("coverage", "fuzzing"):
        assert phase_outcome(output, phase) == f"✅ {len(operations)} passed", output
