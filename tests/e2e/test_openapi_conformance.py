"""The gateway's merged OpenAPI tells the truth: schemathesis, on real processes, generates
requests for every REST operation and checks each answer is no server error and has a
documented status, content type and schema.

GraphQL operations are left out: GraphQL over HTTP answers its own error format, which the
GraphQL-over-HTTP audit (tests/gateway/graph/audit) checks instead.

Bounded in cases, not in time: every operation gets the examples and coverage phases in full
and ``FUZZING_CASES`` generated cases, derandomized, so a loaded CI machine runs the same
cases as a quiet one (a time budget, ``--max-time``, silently fuzzed only some of the
operations there).

One platform, the operations in ``PARTS``: one schemathesis process per part, all at once.
A run sends one request at a time and waits for each answer (``--workers 1``: CPython 3.11's
ast.parse is not thread-safe, python/cpython#106905), so alone it left a core idle, and one
of its cases waits 25 s for an event that never comes (a long-poll of ``GET
/enrolment/events``). A second platform would cost ~20 s of CPU; processes sharing this one
measured no more CPU than one run. Each command is printed so a failure can be replayed
against a platform of your own (``benchmarks.processes.running_platform``), e.g. the part of
the calls (its whole pattern in ``PARTS``):

    uv run python -m tests.tuned_gc schemathesis.cli run http://127.0.0.1:8000/openapi.json \\
        --header "X-API-Key: $KEY" --checks not_a_server_error,status_code_conformance,\\
        content_type_conformance,response_schema_conformance --phases examples,coverage,fuzzing \\
        --max-examples 5 --generation-deterministic --request-timeout 60 --workers 1 \\
        --no-color --include-name-regex '^[A-Z]+ /enrolment/(calls...'
"""

import re
import shlex
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
# The parts the REST operations run in, by name ("METHOD /path"), about equal in time; the
# last part is every operation none of the others names. Each part keeps whole what
# schemathesis links (an operation whose answers give the ids another's requests use, the
# resource pool: its `POST /enrolment/calls` before `PUT .../criteria`), so the ids an
# operation is sent come from the same operations as in one run; the test checks it.
PARTS: dict[str, str | None] = {
    # The feed's long-poll (25 s waiting) beside the reports' and indicators' operations that
    # are not about an enterprise.
    "event feed, reports and indicators": (
        r"^(GET /enrolment/events"
        r"|[A-Z]+ /reporting/(charts|costs|events|exports|feed|impact|reach|targets|webhooks)(/.*)?"
        r"|[A-Z]+ /indicators/(business-cases|events|improvement-plans|indicators|projects"
        r"|replica|review-policies|rounds|suggestions)(/.*)?)$"
    ),
    # A call's criteria (~2,600 coverage cases) and enrolment's operations of its own.
    "calls": (
        r"^[A-Z]+ /enrolment/(calls(/\{call_id\}(/criteria(/\{version\})?)?)?"
        r"|(applications|assessments|materials|modules|projects|sessions|trainers)(/.*)?)$"
    ),
    # Enterprises, what every service keeps about them, and the rest.
    "enterprises and the rest": None,
}


def rest_operations(document: dict[str, Any]) -> list[str]:
    """The REST operations' names ("METHOD /path"), as schemathesis names them."""
    return [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        if not re.search(GRAPHQL, path)
        for method in ("get", "put", "post", "patch", "delete")
        if method in item
    ]


def part_of(operation: str) -> str:
    """The part an operation runs in: the one pattern that names it, else the last part."""
    named = [part for part, pattern in PARTS.items() if pattern and re.search(pattern, operation)]
    assert len(named) <= 1, (operation, named)
    return named[0] if named else list(PARTS)[-1]


def selection(part: str) -> list[str]:
    """The filter options choosing a part's operations (GraphQL's left out of every part)."""
    pattern = PARTS[part]
    if pattern is not None:
        return ["--include-name-regex", pattern, "--exclude-path-regex", GRAPHQL]
    # One pattern for all that is left out: schemathesis requires every exclude option to
    # match, not any of them.
    others = [named for named in PARTS.values() if named is not None]
    return ["--exclude-name-regex", "|".join(f"(?:{named})" for named in [*others, GRAPHQL])]


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
        # Stopped within a second, not the default 3 s its consumers' long polls hold.
        SCORE_GRACEFUL_SHUTDOWN_SECONDS="1",
    ) as running:
        yield running


def merged_document(platform: Platform) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{platform.gateway}/openapi.json", timeout=120).json()
    # The whole platform described: no service missing from the merged document.
    assert "x-score-unavailable-services" not in document["info"], document["info"]
    return document


def schemathesis_command(gateway: str, key: str, part: str) -> list[str]:
    """A part's run: a fixed number of cases per operation, the same on every run and
    machine."""
    return [
        # The suite's GC tuning (tests/tuned_gc.py): a tenth of the run's CPU was collections.
        sys.executable, "-m", "tests.tuned_gc", "schemathesis.cli",
        "run", f"{gateway}/openapi.json",
        "--header", f"X-API-Key: {key}",
        "--checks", ",".join(CHECKS),
        "--phases", ",".join(PHASES),
        "--max-examples", str(FUZZING_CASES),
        # Hypothesis derandomized: the same cases every run, and no example database (so
        # no cache left in the checkout).
        "--generation-deterministic",
        "--request-timeout", "60",
        # One worker: CPython 3.11's ast.parse is not thread-safe (python/cpython#106905).
        "--workers", "1",
        "--no-color",
        *selection(part),
    ]  # fmt: skip


def phase_outcome(output: str, phase: str) -> str | None:
    """A finished phase's outcome line (``✅ 186 passed``, ``... ⏭ 36 skipped``)."""
    found = re.search(rf"{phase.capitalize()} \(in [\d.]+s\)\n\s*\n\s*(.+)", output)
    return found.group(1).strip() if found else None


def crossing_links(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(resource, producer, consumer) of every link schemathesis finds between operations of
    different parts: a producer's answers would not reach its consumer's requests."""
    # Imported here: schemathesis (with Hypothesis) costs ~1.8 s of CPU to import, which every
    # pytest-xdist worker would pay when it collects this module.
    import schemathesis

    schema = schemathesis.openapi.from_dict(document)
    operations = schema.analysis.dependency_graph.serialize()["operations"]
    producers: defaultdict[str, set[str]] = defaultdict(set)
    for name, operation in operations.items():
        for output in operation["outputs"]:
            producers[output["resource"]].add(name)
    return [
        (input["resource"], producer, name)
        for name, operation in operations.items()
        if not re.search(GRAPHQL, name)
        for input in operation["inputs"]
        for producer in sorted(producers[input["resource"]])
        if not re.search(GRAPHQL, producer) and part_of(producer) != part_of(name)
    ]


def test_the_run_is_bounded_in_cases_per_operation_not_in_time() -> None:
    for part in PARTS:
        command = schemathesis_command("http://127.0.0.1:8000", "score_example", part)
        assert "--max-time" not in command
        assert command[command.index("--max-examples") + 1] == str(FUZZING_CASES)
        assert "--generation-deterministic" in command


def test_the_run_has_the_suites_gc_tuning() -> None:
    for part in PARTS:
        command = schemathesis_command("http://127.0.0.1:8000", "score_example", part)
        assert command[:4] == [sys.executable, "-m", "tests.tuned_gc", "schemathesis.cli"]


def test_every_operation_is_in_one_part_and_graphql_in_none() -> None:
    named = {
        "GET /enrolment/events": "event feed, reports and indicators",
        "POST /reporting/webhooks": "event feed, reports and indicators",
        "GET /indicators/events": "event feed, reports and indicators",
        "PUT /enrolment/calls/{call_id}/criteria": "calls",
        "POST /enrolment/calls/{call_id}/applications": "enterprises and the rest",
        "GET /enrolment/enterprises": "enterprises and the rest",
        "GET /indicators/values": "enterprises and the rest",
        "GET /healthz": "enterprises and the rest",
    }
    assert {operation: part_of(operation) for operation in named} == named
    last = schemathesis_command("http://127.0.0.1:8000", "score_example", list(PARTS)[-1])
    left_out = last[last.index("--exclude-name-regex") + 1]
    assert re.search(left_out, "POST /indicators/graphql")
    assert re.search(left_out, "GET /enrolment/events")
    assert not re.search(left_out, "GET /enrolment/enterprises")


def test_every_rest_operation_answers_as_the_merged_openapi_documents(
    fuzzed_platform: Platform,
) -> None:
    key = fuzzed_platform.api_key(
        "ilo_global", scopes=("read", "write", "admin"), name="schemathesis"
    )
    document = merged_document(fuzzed_platform)
    operations: defaultdict[str, list[str]] = defaultdict(list)
    for operation in rest_operations(document):
        operations[part_of(operation)].append(operation)
    assert set(operations) == set(PARTS), operations
    assert crossing_links(document) == []
    commands = {part: schemathesis_command(fuzzed_platform.gateway, key, part) for part in PARTS}
    for part, command in commands.items():
        print(f"{part}: {shlex.join(command)}")

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        # A hang guard only: the run is bounded by its cases, not by this.
        return subprocess.run(command, capture_output=True, text=True, timeout=3600)

    with ThreadPoolExecutor(len(commands)) as parts:
        runs = dict(zip(commands, parts.map(run, commands.values()), strict=True))
    for part, finished in runs.items():
        output = finished.stdout + finished.stderr
        print(f"--- {part}\n{output}")  # the figures: operations, cases, failures
        expected = len(operations[part])
        assert finished.returncode == 0, output
        tested = re.search(r"Tested: *(\d+)", output)
        assert tested is not None, output
        assert int(tested.group(1)) == expected, output
        # Every operation went through the coverage and fuzzing phases to the end: none
        # skipped, none cut short.
        for phase in ("coverage", "fuzzing"):
            assert phase_outcome(output, phase) == f"✅ {expected} passed", output
