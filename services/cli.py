"""The `score` command: run the platform, migrate, seed demo data, issue development tokens."""

import asyncio
import collections
import http.client
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table
from typer._click import Command
from typer.core import TyperGroup

from services.registry import ENTRY_POINT, SERVICES, ServiceEntry
from shared.embedded_pg import embedded_url, ensure_database, start_embedded_server
from shared.enums import Role
from shared.migration_state import at_head
from shared.settings import Environment, PlatformSettings

# Sub-commands imported only when asked for: `score up` then starts without importing the
# key store, the graph composer and the import parsers (a second of CPU on its critical path).
LAZY_COMMANDS = {
    "import": "services.indicators.cli_import:import_command",
    "keys": "services.gateway.cli:keys_app",
    "graph": "services.gateway.graph.cli:graph_app",
    "signing-keys": "services.gateway.signing_cli:signing_keys_app",
}
IMPORT_HELP = "Import indicator values from a CSV or XLSX file, with progress."


def _load_command(name: str) -> Command:
    module, attribute = LAZY_COMMANDS[name].split(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        group = typer.main.get_group(found)
        group.name = name  # as `add_typer(..., name=name)` names it
        return group
    single = typer.Typer()
    single.command(name, help=IMPORT_HELP)(found)
    return typer.main.get_command(single)


class _Commands(MutableMapping[str, Command]):  # Typer's bundled Click, not `click`'s
    """The group's commands, the lazy ones imported on first access (so help, completion
    and suggestions for a mistyped name still know every name)."""

    def __init__(self, loaded: MutableMapping[str, Command]) -> None:
        self._loaded = loaded

    def __getitem__(self, name: str) -> Command:
        if name not in self._loaded and name in LAZY_COMMANDS:
            self._loaded[name] = _load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._loaded
        yield from (name for name in LAZY_COMMANDS if name not in self._loaded)

    def __len__(self) -> int:
        return len(set(self._loaded) | set(LAZY_COMMANDS))


class _LazyGroup(TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self.commands)


app = typer.Typer(
    cls=_LazyGroup, help="SCORE platform: run, migrate, seed and issue development tokens."
)
console = Console()


def _database_urls(*, stop_on_exit: bool) -> dict[str, str]:
    """Each service's database URL: configured, or a database on the embedded server."""
    urls: dict[str, str] = {}
    socket_dir: str | None = None
    for service in SERVICES:
        configured = service.database_url()
        if configured is not None:
            urls[service.name] = configured.get_secret_value()
            continue
        if socket_dir is None:
            pgdata = PlatformSettings().embedded_pg_dir
            console.print(f"[dim]embedded Postgres under {pgdata}[/dim]")
            socket_dir = start_embedded_server(pgdata, stop_on_exit=stop_on_exit)
        urls[service.name] = embedded_url(socket_dir, service.name)
    for url in urls.values():
        asyncio.run(ensure_database(url))
    return urls


def _upgrade(service: ServiceEntry, url: str) -> None:
    # Alembic (and the service's models, which its env.py imports) costs a second or two
    # of CPU per service: skipped when the database is already at head.
    if asyncio.run(at_head(service.name, url)):
        console.print(f"[bold]{service.name}[/bold] database at head")
    else:
        console.print(f"migrating [bold]{service.name}[/bold]")
        from shared.migrate import upgrade

        upgrade(service.name, url)


def _load_reference_data(service: ServiceEntry, url: str) -> None:
    added = asyncio.run(service.ensure_reference_data(url))
    if added:
        console.print(f"  {service.name}: {added} reference records added")


def _migrate(urls: dict[str, str]) -> None:
    for service in SERVICES:
        _upgrade(service, urls[service.name])
        _load_reference_data(service, urls[service.name])


@app.command()
def migrate() -> None:
    """Apply every service's migrations (starting the embedded Postgres if needed)."""
    _migrate(_database_urls(stop_on_exit=True))


# Seconds a starting process may go without progress (output, CPU time) before `score up`
# calls it stuck; generous, since a loaded machine can take minutes to start everything.
DEFAULT_READY_TIMEOUT = 600.0
# How often `score up` says which processes it is still waiting for.
WAITING_NOTICE_EVERY = 10.0
# How often `score up` asks the starting processes whether they are ready: a probe costs a
# refused connection or one /readyz, while each tick waited is start-up time lost.
READY_POLL_EVERY = 0.1
# Seconds a readiness probe waits for its answer.
PROBE_TIMEOUT = 2.0
LOG_TAIL_LINES = 15
# A process's output is relayed in chunks read at most this often: far below what a person
# notices, and the pipe's buffer (64 KiB) holds what a busy service logs meanwhile.
RELAY_EVERY = 0.02
RELAY_CHUNK = 1 << 16

# Seconds a stopping process lets its requests in flight finish. The event feed's long polls
# (a consumer waits up to 20 s for the next event) would otherwise hold every stop - Ctrl-C,
# a container's SIGTERM - for their whole wait, past the 10 s `docker compose stop` gives
# before it kills; a consumer cut off asks again from the position it applied.
GRACEFUL_SHUTDOWN_SECONDS = 3
GracefulShutdown = Annotated[
    int,
    typer.Option(
        envvar="SCORE_GRACEFUL_SHUTDOWN_SECONDS",
        min=0,
        help="Seconds a stopping process lets its requests in flight finish (long polls "
        "of the event feeds included) before it cuts them off",
    ),
]


def _cpu_ticks(pid: int) -> int:
    """CPU time the process has used, in clock ticks (Linux /proc; elsewhere 0, and only
    output counts as progress)."""
    try:
        # Fields after the command name: state is field 3, utime 14, stime 15 (proc(5)).
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


class Started:
    """A process `score up` started: its output relayed line by line, the last lines kept
    (to show when it fails), and when it last showed progress (output or CPU time)."""

    def __init__(self, service: ServiceEntry, port: int, process: subprocess.Popen[bytes]):
        self.service = service
        self.port = port
        self.process = process
        self.tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL_LINES)
        self.started_at = self.last_progress = time.monotonic()
        self.ready_after: float | None = None
        self.cpu = _cpu_ticks(process.pid)
        self.relay = threading.Thread(target=self._relay, daemon=True)
        self.relay.start()

    def _relay(self) -> None:
        """Copy the process's output, each line named after it. What has come is read at
        once, at most RELAY_EVERY apart: a busy service logs a line per request, and relaying
        each line as it came (a wake-up, a read and a write) cost `score up` about 20 us of
        CPU per line, taken from the services it runs."""
        assert self.process.stdout is not None
        output = self.process.stdout.fileno()
        prefix = f"{self.service.name} | "
        partial = b""
        while chunk := os.read(output, RELAY_CHUNK):
            *complete, partial = (partial + chunk).split(b"\n")
            if complete:
                self._show([raw.decode("utf-8", "replace").rstrip() for raw in complete], prefix)
            time.sleep(RELAY_EVERY)
        if partial:  # the last line, without its line break
            self._show([partial.decode("utf-8", "replace").rstrip()], prefix)

    def _show(self, lines: list[str], prefix: str) -> None:
        self.tail.extend(lines)
        self.last_progress = time.monotonic()
        sys.stdout.write("".join(f"{prefix}{line}\n" for line in lines))
        sys.stdout.flush()

    @property
    def name(self) -> str:
        return self.service.name

    def answers_ready(self) -> bool:
        """GET /readyz answers 200, on a connection of the probe's own, as a new caller's.
        Plain http.client: httpx, a client made per probe (its SSL context, ~20 ms of CPU)
        took most of a core from four starting processes probed every 0.1 s, and imported
        only for these probes it cost `score up` 0.1 s of CPU at every start."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=PROBE_TIMEOUT)
        try:
            connection.request("GET", "/readyz")
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):  # refused, reset, timed out, garbled
            return False
        finally:
            connection.close()

    def idle_for(self) -> float:
        """Seconds since the process last showed progress: a line of output, or CPU time
        spent (importing, migrating, answering probes); a hung process shows neither."""
        cpu = _cpu_ticks(self.process.pid)
        if cpu != self.cpu:
            self.cpu = cpu
            self.last_progress = time.monotonic()
        return time.monotonic() - self.last_progress

    def show_tail(self, why: str) -> None:
        console.print(f"[red]{self.name} {why}; its last lines:[/red]", highlight=False)
        for line in self.tail or ["(no output)"]:
            console.print(f"  {line}", markup=False, highlight=False)


def _wait_ready(processes: list[Started], *, ready_timeout: float) -> Started | None:
    """Wait until every process answers ready; the first that stopped or made no progress
    for ``ready_timeout`` seconds, if any. A process that keeps working (writing output)
    is waited for however long it takes, and the ready ones are left running."""
    waiting = list(processes)
    last_notice = time.monotonic()
    while waiting:
        for started in list(waiting):
            if started.answers_ready():
                started.ready_after = time.monotonic() - started.started_at
                console.print(f"{started.name} ready after {started.ready_after:.0f} s")
                waiting.remove(started)
            elif started.process.poll() is not None:
                started.show_tail(f"stopped (exit code {started.process.returncode})")
                return started
            elif started.idle_for() > ready_timeout:
                started.show_tail(f"made no progress for {ready_timeout:g} s and is not ready")
                return started
        if waiting and time.monotonic() - last_notice >= WAITING_NOTICE_EVERY:
            last_notice = time.monotonic()
            for started in waiting:
                last = started.tail[-1] if started.tail else "(no output yet)"
                console.print(
                    f"[yellow]still waiting for {started.name}[/yellow] "
                    f"({time.monotonic() - started.started_at:.0f} s; last line: {last[:160]})",
                    highlight=False,
                )
        time.sleep(READY_POLL_EVERY)
    return None


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface the services listen on")] = "127.0.0.1",
    ready_timeout: Annotated[
        float,
        typer.Option(
            envvar="SCORE_UP_READY_TIMEOUT",
            min=1,
            help="Seconds a starting process may go without progress (no output, no CPU "
            "time) before it is called stuck; a process that keeps working is waited for",
        ),
    ] = DEFAULT_READY_TIMEOUT,
    graceful_shutdown: GracefulShutdown = GRACEFUL_SHUTDOWN_SECONDS,
) -> None:
    """Start the embedded Postgres if needed, migrate, and run every service until Ctrl-C."""
    urls = _database_urls(stop_on_exit=True)
    processes: list[Started] = []
    ports = {service.name: service.settings().port for service in SERVICES}
    # Each service learns where the others listen (e.g. SCORE_INDICATORS_ENROLMENT_URL),
    # unless the environment already says.
    peers = {
        f"{service.env_prefix}{other.upper()}_URL": f"http://127.0.0.1:{port}"
        for service in SERVICES
        for other, port in ports.items()
        if other != service.name
    }
    # The entry point fronts every other service: one map of name -> URL.
    gateway = next(service for service in SERVICES if service.name == ENTRY_POINT)
    peers[f"{gateway.env_prefix}SERVICES"] = json.dumps(
        {name: f"http://127.0.0.1:{port}" for name, port in ports.items() if name != ENTRY_POINT}
    )

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        # Each process starts as soon as its own database is ready, importing (seconds of
        # CPU) while the next database migrates or the slowest loads its reference data.
        for service in sorted(SERVICES, key=lambda service: service.has_reference_data):
            _upgrade(service, urls[service.name])
            _load_reference_data(service, urls[service.name])
            port = ports[service.name]
            env = {
                **peers,
                **os.environ,
                f"{service.env_prefix}DATABASE_URL": urls[service.name],
            }
            command = [
                sys.executable, "-m", "uvicorn", service.process_factory, "--factory",
                "--host", host, "--port", str(port), "--no-access-log", "--no-proxy-headers",
                "--timeout-graceful-shutdown", str(graceful_shutdown),
            ]  # fmt: skip
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            processes.append(Started(service, port, process))
        processes.sort(key=lambda started: SERVICES.index(started.service))
        failed = _wait_ready(processes, ready_timeout=ready_timeout)
        _print_table(processes, host)
        if failed is not None:
            console.print(f"[red]{failed.name} did not start; stopping the platform[/red]")
            raise typer.Exit(1)
        entry = f"http://{host}:{ports[ENTRY_POINT]}"
        console.print(
            f"Entry point: [bold]{entry}[/bold]  (REST {entry}/<service>/..., "
            f"GraphQL {entry}/graphql, docs {entry}/docs)",
            highlight=False,
        )
        console.print(
            "Create an API key with [bold]uv run score keys create --role ilo_global[/bold] "
            "(services reached directly take [bold]uv run score token[/bold]); Ctrl-C stops."
        )
        while all(started.process.poll() is None for started in processes):
            time.sleep(0.5)
        console.print("[red]a service stopped; shutting down[/red]")
    except KeyboardInterrupt:
        pass
    finally:
        _stop([started.process for started in processes])


def _print_table(processes: list[Started], host: str) -> None:
    table = Table(title="SCORE platform")
    table.add_column("service")
    table.add_column("listens on")
    table.add_column("status")
    for started in processes:
        base = f"http://{host}:{started.port}"
        if started.ready_after is not None:
            status = f"[green]ready[/green] ({started.ready_after:.0f} s)"
        elif started.process.poll() is None:
            status = "[yellow]not ready[/yellow]"
        else:
            status = "[red]failed[/red]"
        table.add_row(
            f"[bold]{started.name}[/bold] (entry point)"
            if started.name == ENTRY_POINT
            else started.name,
            f"{base}  (docs {base}/docs, GraphQL {base}/graphql)",
            status,
        )
    console.print(table)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="Which process: gateway or a service's name")],
    graceful_shutdown: GracefulShutdown = GRACEFUL_SHUTDOWN_SECONDS,
) -> None:
    """Run one process in the foreground, configured by its environment (for containers).

    Unlike `up`, it neither migrates nor starts a database: in production the migration
    step runs first (`score migrate`) and every database URL comes from the environment.
    """
    entry = next((candidate for candidate in SERVICES if candidate.name == service), None)
    if entry is None:
        names = ", ".join(candidate.name for candidate in SERVICES)
        console.print(f"[red]unknown service {service!r}; one of: {names}[/red]")
        raise typer.Exit(2)
    settings = entry.settings()
    import uvicorn

    uvicorn.run(
        entry.process_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        access_log=False,  # the platform's own JSON access log carries the request id
        # Client addresses come from X-Forwarded-For only through a proxy the gateway trusts
        # (SCORE_GATEWAY_TRUSTED_PROXIES, default nobody), never uvicorn's loopback default.
        proxy_headers=False,
        log_config=None,  # keep the JSON logging the app configures
        timeout_graceful_shutdown=graceful_shutdown,
    )


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="Role of the caller")],
    org: Annotated[UUID | None, typer.Option(help="Organisation id (partner staff, buyer)")] = None,
    project: Annotated[UUID | None, typer.Option(help="Project id (programme manager)")] = None,
    enterprise: Annotated[UUID | None, typer.Option(help="Enterprise id (enterprise user)")] = None,
    trainer: Annotated[UUID | None, typer.Option(help="Trainer id (trainer)")] = None,
    subject: Annotated[str, typer.Option(help="Who the token is for")] = "developer",
    ttl: Annotated[int, typer.Option(help="Seconds the token is valid")] = 3600,
    graphql: Annotated[
        bool, typer.Option("--graphql", help="For a service's /graphql (the gateway's audience)")
    ] = False,
) -> None:
    """Print a signed identity token, the kind the gateway forwards (development only)."""
    from services.gateway.settings import GatewaySettings
    from shared.identity import Principal, issue_token

    settings = GatewaySettings()
    if settings.platform.environment is Environment.production:
        console.print(
            "[red]score token is for development; production tokens come from the gateway[/red]"
        )
        raise typer.Exit(1)
    try:
        principal = Principal(
            subject=subject,
            role=role,
            organisation_id=org,
            project_id=project,
            enterprise_id=enterprise,
            trainer_id=trainer,
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    platform = settings.platform
    audience = platform.identity_graph_audience if graphql else platform.identity_audience
    typer.echo(
        issue_token(
            principal, settings.identity_signing_key, platform, audience=audience, ttl_seconds=ttl
        )
    )


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data set")] = False,
) -> None:
    """Load data sets; `--demo` loads the SCORE demo (idempotent)."""
    if not demo:
        console.print("Nothing to do: pass --demo to load the demo data set.")
        raise typer.Exit(0)
    from services.enrolment.demo import load_demo
    from services.indicators.demo import load_indicator_demo

    urls = _database_urls(stop_on_exit=True)
    _migrate(urls)
    summary = asyncio.run(load_demo(urls["enrolment"]))
    summary |= asyncio.run(load_indicator_demo(urls["enrolment"], urls["indicators"]))
    table = Table(title="demo data")
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, count in summary.items():
        table.add_row(what, str(count))
    console.print(table)


files_app = typer.Typer(help="Files kept outside the databases (SCORE_STORAGE_*)")


@files_app.command("sweep")
def sweep_files(
    older_than_hours: Annotated[
        float,
        typer.Option(
            min=0, help="Only files at least this old (a younger one may await its commit)"
        ),
    ] = 1.0,
) -> None:
    """Delete stored files no row names: what a crash between a file and its commit left."""
    from services.enrolment.materials.service import sweep_orphan_materials
    from services.enrolment.trainer_evidence.service import sweep_orphan_assignments
    from services.indicators.business_cases.service import sweep_orphan_photos
    from shared.db import Database
    from shared.storage import make_store, storage_settings

    urls = _database_urls(stop_on_exit=True)
    store = make_store(storage_settings())
    older_than = timedelta(hours=older_than_hours)

    async def run() -> dict[str, int]:
        deleted = {}
        for service, what, swept in (
            ("enrolment", "training materials", sweep_orphan_materials),
            ("enrolment", "trainer assignments", sweep_orphan_assignments),
            ("indicators", "business case photos", sweep_orphan_photos),
        ):
            database = Database(urls[service], pool_size=1)
            try:
                deleted[f"{service} ({what})"] = await swept(database, store, older_than=older_than)
            finally:
                await database.dispose()
        return deleted

    for label, count in asyncio.run(run()).items():
        console.print(f"{label}: {count} orphaned file(s) deleted")


app.add_typer(files_app, name="files")


if __name__ == "__main__":
    app()
