"""SQL lives in repositories: a module of ``services/`` or ``shared/`` that is not a
repository, a migration or declared plumbing may not use SQLAlchemy's query API.

The query API, for this check, is two things:

1. Importing from ``sqlalchemy`` or ``sqlmodel`` anything but

   * the session type and exceptions (``AsyncSession``, ``sqlalchemy.exc``): services take
     the session and catch a unique violation; and what makes sessions (engines, pools);
   * the table-definition API (``SQLModel``, ``Field``, ``Column``, ``Table``, column
     types, constraints, indexes, ``MetaData``): what ``models.py`` declares tables with;
     a module declaring tables may also use ``text`` and ``func`` for what the database
     evaluates itself (a partial index's predicate, a server default).

   So ``select``, ``insert``, ``update``, ``delete``, ``text``, ``func``, ``col``,
   ``and_``/``or_``, ``exists``, ``case``, ``literal``, ``any_``, ``aliased``, dialect
   ``insert``, ``Select`` and ``ColumnElement`` (a query's parts) ... are refused, as is
   ``import sqlalchemy`` as a whole.
2. Running or loading through a session (or connection): calling ``execute``, ``exec``,
   ``scalar``, ``scalars``, ``stream``, ``stream_scalars``, ``get``, ``get_one``,
   ``refresh`` or ``merge`` on a name ending in ``session`` or ``connection``.

Adding and flushing objects (``session.add``, ``flush``, ``delete``, ``begin_nested``) is
the unit of work a service owns, not a query, and stays in services.

Where SQL may live: any ``repository.py`` (or module of a ``repository/`` package), a
service's ``tenancy.py`` (its visibility predicates, which its repositories put in every
WHERE clause), ``migrations/``, and the plumbing listed in ``PLUMBING`` with its reason.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("services", "shared")

PLUMBING: dict[str, str] = {
    "shared/sql.py": "the SQL helpers repositories share (= ANY(array), period labels)",
    "shared/pagination.py": "keyset paging applied by repositories to their statements",
    "shared/outbox.py": "the transactional outbox, audit log and event feed tables",
    "shared/consumer.py": "a feed consumer's cursor, advanced in the handler's transaction",
    "shared/idempotency.py": "stored answers of Idempotency-Key requests",
    "shared/service_app.py": "the readiness probe's SELECT 1",
    "shared/db.py": "the pool's ping of a connection on checkout",
    "services/gateway/health.py": "the gateway's readiness probe",
}

# The session a service takes, and what builds it (engines, pools, registries).
_SESSIONS = {
    "AsyncSession",
    "AsyncEngine",
    "AsyncConnection",
    "Connection",
    "create_async_engine",
    "async_sessionmaker",
    "pool",
    "registry",
    "exc",
}
_TABLE_DEFINITION = {
    "SQLModel",
    "Field",
    "Relationship",
    "Column",
    "MetaData",
    "UniqueConstraint",
    "CheckConstraint",
    "PrimaryKeyConstraint",
    "ForeignKey",
    "ForeignKeyConstraint",
    "Index",
    "String",
    "Text",
    "DateTime",
    "Date",
    "Numeric",
    "Integer",
    "BigInteger",
    "SmallInteger",
    "Boolean",
    "Float",
    "Uuid",
    "ARRAY",
    "JSON",
    "JSONB",
    "Enum",
    "LargeBinary",
    "Interval",
    "Table",
    "Identity",
}
# Modules that declare tables may also write SQL for the database to evaluate on its own:
# a server default (``func.now()``), the predicate of a partial index (``text``).
_TABLE_MODULES = ("models.py", "shared/plumbing.py", "shared/columns.py")
_SERVER_SIDE = {"text", "func"}
_RUNNING = {
    "execute",
    "exec",
    "scalar",
    "scalars",
    "stream",
    "stream_scalars",
    "get",
    "get_one",
    "refresh",
    "merge",
}


def _is_query_module(relative: str) -> bool:
    parts = relative.split("/")
    return (
        parts[-1] in ("repository.py", "tenancy.py")
        or "repository" in parts[:-1]
        or "migrations" in parts
        or relative in PLUMBING
    )


def _from_sqlalchemy(module: str | None) -> bool:
    root = (module or "").split(".")[0]
    return root in ("sqlalchemy", "sqlmodel")


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def offences(relative: str, source: str) -> list[str]:
    """What in one module's source uses the query API, as ``path:line what``."""
    found: list[str] = []
    declares_tables = relative.endswith(_TABLE_MODULES)
    allowed = _SESSIONS | _TABLE_DEFINITION | (_SERVER_SIDE if declares_tables else set())
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"{relative}:{node.lineno} import {alias.name}"
                for alias in node.names
                if _from_sqlalchemy(alias.name)
            ]
        elif isinstance(node, ast.ImportFrom) and _from_sqlalchemy(node.module):
            if (node.module or "").startswith("sqlalchemy.exc"):
                continue
            found += [
                f"{relative}:{node.lineno} from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name not in allowed
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _RUNNING
            and _receiver(node.func.value).lower().endswith(("session", "connection"))
        ):
            receiver = _receiver(node.func.value)
            found.append(f"{relative}:{node.lineno} {receiver}.{node.func.attr}()")
    return found


def test_only_repositories_use_the_query_api() -> None:
    found: list[str] = []
    for folder in CHECKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not _is_query_module(relative):
                found += offences(relative, path.read_text(encoding="utf-8"))
    assert not found, "SQL outside repositories:\n" + "\n".join(found)


def test_declared_plumbing_exists() -> None:
    # A stale entry would let a new module of that name through unnoticed.
    assert [name for name in PLUMBING if not (ROOT / name).is_file()] == []


def test_the_check_catches_a_query_in_a_service() -> None:
    source = (
        "from sqlmodel import select\n"
        "async def f(session):\n"
        "    return await session.exec(select(1))\n"
    )
    assert offences("services/x/service.py", source) == [
        "services/x/service.py:1 from sqlmodel import select",
        "services/x/service.py:3 session.exec()",
    ]
    assert offences("services/x/models.py", "from sqlalchemy import Index, text\n") == []
    assert offences("services/x/service.py", "from sqlalchemy.exc import IntegrityError\n") == []
