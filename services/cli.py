"""The `score` command: run the platform, migrate, seed demo data, issue development tokens."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from typing import Annotated
from uuid import UUID

import httpx
import typer
from rich.console import Console
from rich.table import Table

from services.gateway.cli import keys_app
from services.gateway.graph.cli import graph_app
from services.indicators.cli_import import import_command
from services.registry import ENTRY_POINT, SERVICES, ServiceEntry
from shared.embedded_pg import embedded_url, ensure_database, start_embedded_server
from shared.enums import Role
from shared.identity import Principal, issue_token
from shared.migrate import upgrade
from shared.settings import Environment, PlatformSettings

app = typer.Typer(help="SCORE platform: run, migrate, seed and issue development tokens.")
console = Console()


def _database_urls(*, stop_on_exit: bool) -> dict[str, str]:
    """Each service's database URL: configured, or a database on the embedded server."""
    urls: dict[str, str] = {}
    socket_dir: str | None = None
    for service in SERVICES:
        configured = service.settings().database_url
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


def _migrate(urls: dict[str, str]) -> None:
    for service in SERVICES:
        console.print(f"migrating [bold]{service.name}[/bold]")
        upgrade(service.name, urls[service.name])
        added = asyncio.run(service.ensure_reference_data(urls[service.name]))
        if added:
            console.print(f"  {service.name}: {added} reference records added")


@app.command()
def migrate() -> None:
    """Apply every service's migrations (starting the embedded Postgres if needed)."""
    _migrate(_database_urls(stop_on_exit=True))


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    return False


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface the services listen on")] = "127.0.0.1",
) -> None:
    """Start the embedded Postgres if needed, migrate, and run every service until Ctrl-C."""
    urls = _database_urls(stop_on_exit=True)
    _migrate(urls)
    processes: list[tuple[ServiceEntry, int, subprocess.Popen[bytes]]] = []
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
    for service in SERVICES:
        port = ports[service.name]
        env = {
            **peers,
            **os.environ,
            f"{service.env_prefix}DATABASE_URL": urls[service.name],
        }
        command = [
            sys.executable, "-m", "uvicorn", service.app_factory, "--factory",
            "--host", host, "--port", str(port), "--no-access-log",
            # Long-polling feeds would hold Ctrl-C for their whole wait otherwise.
            "--timeout-graceful-shutdown", "3",
        ]  # fmt: skip
        processes.append((service, port, subprocess.Popen(command, env=env)))

    table = Table(title="SCORE platform")
    table.add_column("service")
    table.add_column("listens on")
    table.add_column("status")
    failed = False
    for service, port, process in processes:
        ready = _wait_ready(port, process)
        failed |= not ready
        base = f"http://{host}:{port}"
        table.add_row(
            f"[bold]{service.name}[/bold] (entry point)"
            if service.name == ENTRY_POINT
            else service.name,
            f"{base}  (docs {base}/docs, GraphQL {base}/graphql)",
            "[green]ready[/green]" if ready else "[red]failed[/red]",
        )
    console.print(table)
    if failed:
        _stop(processes)
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

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        while all(process.poll() is None for _, _, process in processes):
            time.sleep(0.5)
        console.print("[red]a service stopped; shutting down[/red]")
    except KeyboardInterrupt:
        pass
    finally:
        _stop(processes)


def _stop(processes: list[tuple[ServiceEntry, int, subprocess.Popen[bytes]]]) -> None:
    for _, _, process in processes:
        if process.poll() is None:
            process.terminate()
    for _, _, process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="Which process: gateway or a service's name")],
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
        entry.app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        access_log=False,  # the platform's own JSON access log carries the request id
        # Client addresses from X-Forwarded-For only when the proxy is trusted: uvicorn reads
        # FORWARDED_ALLOW_IPS (default 127.0.0.1), so set it to the load balancer's address.
        proxy_headers=True,
        log_config=None,  # keep the JSON logging the app configures
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
) -> None:
    """Print a signed identity token, the kind the gateway forwards (development only)."""
    settings = PlatformSettings()
    if settings.environment is Environment.production:
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
    typer.echo(issue_token(principal, settings, ttl_seconds=ttl))


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


app.command("import", help="Import indicator values from a CSV or XLSX file, with progress.")(
    import_command
)
app.add_typer(keys_app, name="keys")
app.add_typer(graph_app, name="graph")


if __name__ == "__main__":
    app()
