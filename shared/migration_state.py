"""Whether a service's database is already at the head of its Alembic history, told cheaply:
the revision ids are read from the version files' source (no Alembic, SQLAlchemy or model
import) and the stored one with one query. `score up` on an initialised data folder then
skips Alembic altogether; anything this cannot read for certain answers "not at head", and
Alembic decides.
"""

import ast
from pathlib import Path

import asyncpg

from shared.embedded_pg import asyncpg_dsn

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def _revision_ids(value: object) -> tuple[str, ...] | None:
    """``down_revision``'s ids: one, none, or several (a merge); None if not literal ids."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _identifiers(source: str) -> tuple[str, tuple[str, ...]] | None:
    """A version file's ``revision`` and ``down_revision``, if both are literal."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = found.get("revision"), _revision_ids(found.get("down_revision"))
    if not isinstance(revision, str) or down is None or "down_revision" not in found:
        return None
    return revision, down


def script_heads(service: str, *, services_dir: Path = SERVICES_DIR) -> frozenset[str] | None:
    """The heads of the service's migration history (revisions no other revision follows);
    None when a version file does not state its ids literally."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (services_dir / service / "migrations" / "versions").glob("*.py"):
        identifiers = _identifiers(path.read_text(encoding="utf-8"))
        if identifiers is None:
            return None
        revisions.add(identifiers[0])
        followed.update(identifiers[1])
    return frozenset(revisions - followed) or None


async def stored_revisions(url: str) -> frozenset[str]:
    """The revisions Alembic recorded in the database; empty for a database never migrated."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if await connection.fetchval("SELECT to_regclass('alembic_version')") is None:
            return frozenset()
        rows = await connection.fetch("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    return frozenset(row["version_num"] for row in rows)


async def at_head(service: str, url: str, *, services_dir: Path = SERVICES_DIR) -> bool:
    """Whether the database holds exactly the head revisions of the service's history."""
    heads = script_heads(service, services_dir=services_dir)
    return heads is not None and await stored_revisions(url) == heads
