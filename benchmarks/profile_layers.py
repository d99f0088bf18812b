"""Where the time of each layer of `benchmarks.layers` goes: py-spy samples the processes
serving one layer (the bare endpoint, the enrolment service, the gateway) while that layer is
under load, and the samples are grouped into the costs issue #16 asks about.

    uv run --with py-spy python -m benchmarks.profile_layers [--seconds 20] [--layer NAME]

py-spy is not a dependency of the project, hence ``--with``. For every layer and process it
prints the share of busy samples per cost (each sample counted once, under the first cost
in COSTS that its stack shows); py-spy's raw samples (collapsed stacks) stay in ``--output``
for a closer look or a flame graph. Samples are wall-clock: on a busy machine a process
waiting for a CPU is counted where it waits, so compare shares, not absolute counts.
"""

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.layers import PROCESSES, layer_calls, layer_pids, running_layers
from benchmarks.load import Call, throughput

# (cost, pattern in the sampled stack), most specific first: a sample counts under the
# first that matches, so logging inside the HTTP client counts as logging, and so on.
COSTS: tuple[tuple[str, str], ...] = (
    ("idle: thread-pool worker waiting", r"Queue\.get \(queue|Condition\.wait \(threading"),
    ("JSON logging: httpx's line per upstream request", r"httpx/_client\.py[^;]*;Logger\.info"),
    ("JSON logging: access log", r"Logger\.(info|_log|warning)|pythonjsonlogger|Handler\.emit"),
    ("metrics and tracing", r"prometheus_client|opentelemetry"),
    ("event-feed long-polls of the other services' consumers", r"read_events|read_feed"),
    ("pool pre-ping (a SELECT 1 per connection checkout)", r"_async_ping|_do_ping"),
    ("API key authentication", r"auth/authenticator"),
    ("rate limiting", r"auth/ratelimit"),
    ("identity token signing", r"issue_token"),
    ("identity token verification", r"current_principal|verify_token|jwt/"),
    ("thread-pool hop of sync dependencies", r"run_in_threadpool|to_thread|WorkerThread"),
    (
        "transaction begin/commit, connection checkout/return",
        r"Transaction\.(start|commit|__commit)|_start_transaction|AsyncSession\.(commit|close)"
        r"|sqlalchemy/pool/|_connection_for_bind|Database\.transaction",
    ),
    (
        "ORM hydration (rows to objects)",
        r"orm/loading\.py|orm/instrumentation\.py|orm/identity\.py|orm/state\.py",
    ),
    ("SQL compile and execute (SQLAlchemy, asyncpg)", r"sqlalchemy|sqlmodel|asyncpg|greenlet"),
    ("building response objects (build, from_model)", r"\.build \(|from_model|model_construct"),
    ("HTTP client to the services (httpx, httpcore)", r"httpx/|httpcore/|h11/"),
    ("proxy: streaming the response back", r"StreamingResponse|_relay|gateway/proxy\.py"),
    ("gateway GraphQL: plan, merge, render", r"gateway/graph/"),
    (
        "GraphQL parse and validation (strawberry, graphql-core)",
        r"_parse_operation|validation/validate\.py",
    ),
    ("GraphQL execution (strawberry, graphql-core)", r"strawberry|graphql/"),
    ("response serialization", r"serialize_response|dump_json|jsonable_encoder|json/encoder"),
    ("request parameters and dependencies", r"solve_dependencies|request_params_to_args"),
    ("middlewares and routing", r"fastapi|starlette|gateway/edge|shared/observability|anyio"),
    ("HTTP server (uvicorn, httptools)", r"uvicorn/protocols"),
)
EVENT_LOOP = "event loop (uvloop's C code: socket I/O, scheduling) and the rest"


def shares(samples: Path) -> tuple[int, list[tuple[str, float]]]:
    """Busy samples and each cost's share of them, from py-spy's raw output."""
    counts: collections.Counter[str] = collections.Counter()
    patterns = [(cost, re.compile(pattern)) for cost, pattern in COSTS]
    for line in samples.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        cost = next((name for name, pattern in patterns if pattern.search(stack)), EVENT_LOOP)
        counts[cost] += int(count)
    counts.pop(COSTS[0][0], None)  # idle threads are no cost
    busy = sum(counts.values())
    return busy, [(cost, count / busy) for cost, count in counts.most_common()] if busy else []


async def keep_loaded(
    call: Call, concurrency: int, recorders: list[subprocess.Popen[bytes]]
) -> float:
    """Load until every recorder is done; the throughput meanwhile."""
    rates = []
    while any(recorder.poll() is None for recorder in recorders):
        rates.append(await throughput(call, 100, concurrency))
    return sum(rates) / len(rates) if rates else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20, help="of sampling per layer")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight")
    parser.add_argument("--layer", action="append", help="only these (repeatable)")
    parser.add_argument("--log-level", default="INFO", help="the services' SCORE_LOG_LEVEL")
    parser.add_argument("--output", type=Path, help="folder for the raw samples")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        parser.error("py-spy is not installed: uv run --with py-spy python -m benchmarks...")
    output = args.output or Path(tempfile.mkdtemp(prefix="score-profile-"))
    output.mkdir(parents=True, exist_ok=True)
    with running_layers(args.log_level) as (platform, beside, _):
        calls = asyncio.run(layer_calls(platform, beside))
        for layer, call in calls.items():
            if args.layer and layer not in args.layer:
                continue
            asyncio.run(throughput(call, 50, args.concurrency))  # warm
            pids = layer_pids(platform, beside)
            recorded: dict[str, Path] = {}
            recorders = []
            for process in PROCESSES[layer]:
                if process == "postgres" or process not in pids:
                    continue
                slug = re.sub(r"\W+", "-", layer)
                recorded[process] = output / f"{slug}.{process}.txt"
                command = [
                    py_spy, "record", "--pid", str(pids[process][0]), "--duration",
                    str(args.seconds), "--rate", str(args.rate), "--format", "raw",
                    "--output", str(recorded[process]),
                ]  # fmt: skip
                recorders.append(
                    subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                )
            started = time.monotonic()
            rate = asyncio.run(keep_loaded(call, args.concurrency, recorders))
            print(f"\n{layer}: {rate:.1f} req/s while sampled ({time.monotonic() - started:.0f} s)")
            for process, samples in recorded.items():
                busy, costs = shares(samples)
                print(f"  {process}: {busy} busy samples")
                for cost, share in costs:
                    print(f"    {share * 100:5.1f}%  {cost}")
    print(f"\nraw samples in {output}")


if __name__ == "__main__":
    main()
