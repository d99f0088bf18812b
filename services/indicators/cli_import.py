"""`score import`: send a CSV or XLSX value file to the indicators service in chunks.

Each chunk carries an Idempotency-Key made from the file's hash and the chunk's place, so
re-running an interrupted import resends nothing twice. In all-or-nothing mode every chunk
is validated (dry run) before the first one is written.
"""

import asyncio
import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from services.indicators.imports.parsing import (
    FileUnreadable,
    SheetRow,
    cell_text,
    detect_format,
    read_sheet,
)
from services.indicators.imports.schemas import ImportMode

DEFAULT_URL = "http://127.0.0.1:8002"
SHOWN_ERRORS = 200
_DUPLICATE_ROWS = re.compile(r"\brow (\d+(?:, \d+)*)")
# Rows that differ only in sex or role are parts of one value.
_GROUP_COLUMNS = ("enterprise_id", "indicator_code", "round_id", "month", "project_id")


class ImportFailed(Exception):
    """The service refused the import as a whole (authentication, conflict, server error)."""


@dataclass
class ImportSummary:
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    flagged_outliers: int = 0
    chunks_sent: int = 0
    # Whether values were written (not a dry run, and not refused for errors).
    written: bool = False
    # Errors by the file's own row numbers: row, column, rule, message, value.
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Errors the service counted but did not list (past its limit per answer).
    errors_unlisted: int = 0


@dataclass
class _Chunk:
    index: int
    rows: list[SheetRow]
    body: bytes


def _group_key(row: SheetRow) -> tuple[str, ...]:
    return tuple(cell_text(row.cells.get(name)).strip().lower() for name in _GROUP_COLUMNS)


def _chunks(columns: Sequence[str], rows: Sequence[SheetRow], size: int) -> list[_Chunk]:
    """CSV bodies of about ``size`` rows that never split a value's sex / role parts.

    The parts of one value are judged together (female and male both given, parts adding
    up to the total), so they travel in the same request even when the file scatters them.
    """
    groups: dict[tuple[str, ...], list[SheetRow]] = {}
    for row in rows:
        groups.setdefault(_group_key(row), []).append(row)
    packed: list[list[SheetRow]] = []
    for group in groups.values():
        if packed and len(packed[-1]) + len(group) <= size:
            packed[-1].extend(group)
        else:
            packed.append(list(group))
    chunks = []
    for index, part in enumerate(packed):
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in part:
            writer.writerow([cell_text(row.cells.get(column)) for column in columns])
        chunks.append(_Chunk(index, part, buffer.getvalue().encode()))
    return chunks


def _file_row(server_row: Any, chunk: _Chunk) -> int | None:
    """A chunk's row number (header = 1) as the row number in the original file."""
    if not isinstance(server_row, int):
        return None
    if server_row < 2:
        return server_row
    return chunk.rows[server_row - 2].number if server_row - 2 < len(chunk.rows) else None


class _Importer:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        token: str,
        mode: ImportMode,
        submit: bool,
        key_prefix: str,
    ) -> None:
        self.client = client
        self.token = token
        self.mode = mode
        self.submit = submit
        self.key_prefix = key_prefix

    async def send(self, chunk: _Chunk, *, dry_run: bool, summary: ImportSummary) -> bool:
        """Send one chunk; adds its counts and errors to ``summary``. False: it was refused."""
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "text/csv"}
        if not dry_run:
            headers["Idempotency-Key"] = f"{self.key_prefix}-{chunk.index}"
        response = await self.client.post(
            "/imports",
            params={
                "format": "csv",
                "mode": self.mode,
                "dry_run": str(dry_run).lower(),
                "submit": str(self.submit).lower(),
            },
            content=chunk.body,
            headers=headers,
        )
        summary.chunks_sent += 1
        body = _json(response)
        if response.status_code == 200:
            summary.rows_read += int(body.get("rows_read", 0))
            summary.accepted += int(body.get("accepted", 0))
            summary.rejected += int(body.get("rejected", 0))
            summary.skipped += int(body.get("skipped", 0))
            summary.flagged_outliers += int(body.get("flagged_outliers", 0))
            self._add_errors(body, chunk, summary)
            return True
        # 409: rows whose slots cannot change now (awaiting review, locked): row errors too.
        if response.status_code in (409, 422) and isinstance(body.get("errors"), list):
            summary.rows_read += int(body.get("rows_read", len(chunk.rows)))
            summary.rejected += int(body.get("rejected", 0))
            summary.skipped += int(body.get("skipped", 0))
            self._add_errors(body, chunk, summary)
            return False
        detail = body.get("detail") or response.text
        raise ImportFailed(f"{response.status_code} {body.get('title', '')}: {detail}".strip())

    @staticmethod
    def _add_errors(body: dict[str, Any], chunk: _Chunk, summary: ImportSummary) -> None:
        errors = body.get("errors", [])
        summary.errors_unlisted += max(0, int(body.get("errors_total", len(errors))) - len(errors))
        for error in errors:
            message = error.get("message")
            if error.get("rule") == "duplicate_in_batch" and isinstance(message, str):
                # The other rows it names are the chunk's too.
                message = _DUPLICATE_ROWS.sub(
                    lambda rows: (
                        "row "
                        + ", ".join(str(_file_row(int(n), chunk)) for n in rows[1].split(", "))
                    ),
                    message,
                )
            summary.errors.append(
                {**error, "row": _file_row(error.get("row"), chunk), "message": message}
            )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def import_file(
    path: Path,
    *,
    url: str = DEFAULT_URL,
    token: str,
    mode: ImportMode = "all_or_nothing",
    dry_run: bool = False,
    submit: bool = False,
    chunk_size: int = 1000,
    client: httpx.AsyncClient | None = None,
    console: Console | None = None,
) -> ImportSummary:
    """Import ``path`` through the service's REST API, showing progress, errors and totals.

    ``client`` (tests, embedding) is used as given; otherwise one is opened on ``url``.
    """
    console = console or Console()
    content = await asyncio.to_thread(path.read_bytes)
    summary = ImportSummary()
    try:
        sheet = read_sheet(content, detect_format(content, filename=path.name))
    except FileUnreadable as exc:
        summary.errors = [error.as_dict() for error in exc.errors]
        _print_errors(console, summary.errors)
        console.print("[red]The file cannot be imported; nothing was sent.[/red]")
        return summary
    chunks = _chunks(sheet.columns, sheet.rows, max(1, chunk_size))
    options = f"{mode}-{'submit' if submit else 'draft'}-{chunk_size}"
    key_prefix = f"score-import-{hashlib.sha256(content).hexdigest()[:40]}-{options}"
    if client is None:
        async with httpx.AsyncClient(base_url=url, timeout=300) as own:
            await _run(own, chunks, summary, console, token, mode, dry_run, submit, key_prefix)
    else:
        await _run(client, chunks, summary, console, token, mode, dry_run, submit, key_prefix)
    # Chunks keep a value's parts together, not the file's order: show errors in file order.
    summary.errors.sort(key=lambda error: error.get("row") or 0)
    _print_errors(console, summary.errors)
    if summary.errors_unlisted:
        console.print(
            f"... and {summary.errors_unlisted} more the service counted but did not list "
            "(send fewer rows per request: --chunk-size)"
        )
    _print_totals(console, summary, dry_run=dry_run, total=len(sheet.rows))
    return summary


async def _run(
    client: httpx.AsyncClient,
    chunks: list[_Chunk],
    summary: ImportSummary,
    console: Console,
    token: str,
    mode: ImportMode,
    dry_run: bool,
    submit: bool,
    key_prefix: str,
) -> None:
    importer = _Importer(client, token=token, mode=mode, submit=submit, key_prefix=key_prefix)
    total = sum(len(chunk.rows) for chunk in chunks)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        # Chunks are separate transactions: all-or-nothing checks them all before writing one.
        if mode == "all_or_nothing" and not dry_run:
            checked = ImportSummary()
            task = progress.add_task("validating", total=total)
            clean = await _pass(importer, chunks, progress, task, dry_run=True, summary=checked)
            if not clean:
                summary.rows_read = checked.rows_read
                summary.rejected = checked.rejected
                summary.skipped = checked.skipped
                summary.chunks_sent = checked.chunks_sent
                summary.errors = checked.errors
                summary.errors_unlisted = checked.errors_unlisted
                return
        task = progress.add_task("checking" if dry_run else "importing", total=total)
        clean = await _pass(importer, chunks, progress, task, dry_run=dry_run, summary=summary)
        summary.written = not dry_run and (clean or mode == "per_row")


async def _pass(
    importer: _Importer,
    chunks: list[_Chunk],
    progress: Progress,
    task: TaskID,
    *,
    dry_run: bool,
    summary: ImportSummary,
) -> bool:
    clean = True
    for chunk in chunks:
        accepted = await importer.send(chunk, dry_run=dry_run, summary=summary)
        clean = clean and accepted
        progress.advance(task, len(chunk.rows))
        if not accepted and not dry_run and importer.mode == "all_or_nothing":
            # A chunk refused after the dry run passed (the data changed meanwhile): stop here.
            return False
    return clean


def _print_errors(console: Console, errors: list[dict[str, Any]]) -> None:
    if not errors:
        return
    table = Table(title=f"{len(errors)} error(s)", title_style="bold red")
    table.add_column("row", justify="right")
    table.add_column("column")
    table.add_column("rule")
    table.add_column("message")
    table.add_column("value")
    for error in errors[:SHOWN_ERRORS]:
        value = error.get("value")
        table.add_row(
            "" if error.get("row") is None else str(error["row"]),
            str(error.get("column") or ""),
            str(error.get("rule", "")),
            str(error.get("message", "")),
            "" if value is None else str(value),
        )
    console.print(table)
    if len(errors) > SHOWN_ERRORS:
        console.print(f"... and {len(errors) - SHOWN_ERRORS} more")


def _print_totals(console: Console, summary: ImportSummary, *, dry_run: bool, total: int) -> None:
    table = Table(title="import (dry run)" if dry_run else "import")
    table.add_column("rows")
    table.add_column("count", justify="right")
    table.add_row("in the file", str(total))
    table.add_row("accepted", str(summary.accepted))
    table.add_row("rejected", str(summary.rejected))
    table.add_row("skipped (no value)", str(summary.skipped))
    table.add_row("flagged as outliers", str(summary.flagged_outliers))
    console.print(table)
    if dry_run:
        console.print("Dry run: nothing was written.")
    elif not summary.written:
        console.print("[red]Nothing was imported: fix the errors above and run it again.[/red]")
    elif summary.rejected:
        console.print("[yellow]The rows above were rejected; the others were imported.[/yellow]")
    else:
        console.print("[green]Imported.[/green]")


def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX file")
    ],
    url: Annotated[
        str, typer.Option(envvar="SCORE_INDICATORS_URL", help="The indicators service")
    ] = DEFAULT_URL,
    token: Annotated[
        str, typer.Option(envvar="SCORE_TOKEN", help="Identity token (score token ...)")
    ] = "",
    per_row: Annotated[
        bool, typer.Option("--per-row", help="Import the good rows, report the others")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only")] = False,
    submit: Annotated[bool, typer.Option("--submit", help="Submit the values for review")] = False,
    chunk_size: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per request")] = 1000,
) -> None:
    """Import indicator values from a CSV or XLSX file in the template layout."""
    console = Console()
    if not token:
        console.print("[red]A token is needed: --token or SCORE_TOKEN (score token ...)[/red]")
        raise typer.Exit(2)
    try:
        summary = asyncio.run(
            import_file(
                file,
                url=url,
                token=token,
                mode="per_row" if per_row else "all_or_nothing",
                dry_run=dry_run,
                submit=submit,
                chunk_size=chunk_size,
                console=console,
            )
        )
    except (ImportFailed, httpx.HTTPError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if summary.errors:
        raise typer.Exit(1)
