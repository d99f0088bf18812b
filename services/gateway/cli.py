"""`score keys`: create, list and revoke the API keys partner systems call the gateway with."""

import asyncio
import getpass
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar
from uuid import UUID

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.keys.schemas import ApiKeyCreate, ApiKeyPublic, CreatedApiKey
from services.gateway.keys.service import api_key_service
from services.gateway.settings import KNOWN_SCOPES, GatewaySettings
from shared.db import Database, resolve_database_url
from shared.enums import Role
from shared.identity import Principal
from shared.migration_state import at_head
from shared.problems import Problem

keys_app = typer.Typer(help="API keys for partner systems (stored hashed; shown once).")
console = Console()
T = TypeVar("T")

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w``, ``30m``, ``45s``."""
    match = _DURATION.match(text.lower())
    if match is None or int(match.group(1)) == 0:
        raise typer.BadParameter(f"{text!r} is not a duration like 90d, 12h, 2w or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_instant(text: str) -> datetime:
    """An ISO date or date-time; without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an ISO date or date-time") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def operator() -> Principal:
    """Who the audit trail names for a key created or revoked from the command line."""
    return Principal(subject=f"score-cli:{getpass.getuser()}", role=Role.service)


async def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = GatewaySettings()
    url = await resolve_database_url(settings)
    # Alembic (its import and its env.py) is most of a second of CPU: skipped when the
    # database is already at head, as `score up` skips it.
    if not await at_head("gateway", url):
        from shared.migrate import upgrade_async

        await upgrade_async("gateway", url)
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            return await work(session)
    finally:
        await database.dispose()


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_in_transaction(work))
    except Problem as problem:
        console.print(f"[red]{problem.title}: {problem.detail}[/red]")
        raise typer.Exit(1) from problem


def _describe(key: ApiKeyPublic) -> str:
    anchors = [
        f"{label} {value}"
        for label, value in (
            ("organisation", key.organisation_id),
            ("project", key.project_id),
            ("enterprise", key.enterprise_id),
            ("trainer", key.trainer_id),
        )
        if value is not None
    ]
    return ", ".join([key.role.value, *anchors])


@keys_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="Role of the partner system")],
    org: Annotated[UUID | None, typer.Option(help="Organisation id (partner, buyer)")] = None,
    project: Annotated[UUID | None, typer.Option(help="Project id (programme manager)")] = None,
    enterprise: Annotated[UUID | None, typer.Option(help="Enterprise id (enterprise user)")] = None,
    trainer: Annotated[UUID | None, typer.Option(help="Trainer id (trainer)")] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(help=f"Repeat for each scope: {', '.join(sorted(KNOWN_SCOPES))}"),
    ] = None,
    expires_in: Annotated[str | None, typer.Option(help="Lifetime, e.g. 90d, 12h, 2w")] = None,
    expires_at: Annotated[str | None, typer.Option(help="Expiry, ISO date or date-time")] = None,
    name: Annotated[str | None, typer.Option(help="What the key is for")] = None,
) -> None:
    """Create a key and print it once: it cannot be shown again."""
    if expires_in is not None and expires_at is not None:
        raise typer.BadParameter("give --expires-in or --expires-at, not both")
    expiry = None
    if expires_in is not None:
        expiry = datetime.now(UTC) + parse_duration(expires_in)
    elif expires_at is not None:
        expiry = parse_instant(expires_at)
    fields: dict[str, object] = {
        "role": role,
        "organisation_id": org,
        "project_id": project,
        "enterprise_id": enterprise,
        "trainer_id": trainer,
        "name": name,
        "expires_at": expiry,
    }
    if scope:
        fields["scopes"] = scope
    try:
        data = ApiKeyCreate.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "key"
            console.print(f"[red]{where}: {error['msg']}[/red]")
        raise typer.Exit(2) from exc
    pepper = GatewaySettings().api_key_pepper

    async def work(session: AsyncSession) -> CreatedApiKey:
        return await api_key_service.create(session, data, principal=operator(), pepper=pepper)

    created = _run(work)
    key = created.key
    console.print(
        f"[green]API key {key.prefix} created[/green] ({_describe(key)})", highlight=False
    )
    console.print(
        f"scopes {', '.join(key.scopes)}; "
        + (f"expires {key.expires_at.isoformat()}" if key.expires_at else "no expiry"),
        highlight=False,
    )
    console.print("[bold]Store it now; it is not shown again:[/bold]")
    # Plain stdout, alone on its line, so scripts can capture it.
    typer.echo(created.secret)


@keys_app.command("list")
def list_keys(
    org: Annotated[UUID | None, typer.Option(help="Only this organisation's keys")] = None,
) -> None:
    """Every key with its status (no secrets: they are not stored)."""

    async def work(session: AsyncSession) -> list[ApiKeyPublic]:
        return await api_key_service.get_all(session, organisation_id=org)

    keys = _run(work)
    table = Table(title="API keys")
    # What an operator types next (the prefix) and acts on (the status) is never cut short.
    table.add_column("prefix", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for column in ("name", "bound to", "scopes", "created", "expires", "id"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.prefix,
            key.status.value,
            key.name or "",
            _describe(key),
            " ".join(key.scopes),
            f"{key.created_at:%Y-%m-%d %H:%M} by {key.created_by}",
            f"{key.expires_at:%Y-%m-%d %H:%M}" if key.expires_at else "never",
            str(key.id),
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(help="The key's id or its prefix (score_...)")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit trail")] = None,
) -> None:
    """Revoke a key; the gateway refuses it from then on (within its key cache time)."""

    async def work(session: AsyncSession) -> ApiKeyPublic:
        return await api_key_service.revoke(session, key, principal=operator(), reason=reason)

    revoked = _run(work)
    console.print(
        f"[green]API key {revoked.prefix} revoked[/green] ({_describe(revoked)})", highlight=False
    )
