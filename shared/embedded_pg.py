"""The embedded Postgres: a real server from the ``pgserver`` wheel, for machines with no URL.

Production points each service at a server by URL; development and tests get one local
server under the data folder, with one database per service.
"""

import atexit
import logging
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg

with warnings.catch_warnings():
    # pgserver probes XDG_RUNTIME_DIR at import and warns when a server machine has none.
    warnings.simplefilter("ignore")
    import pgserver
    from pgserver.utils import PostmasterInfo

log = logging.getLogger(__name__)


def start_embedded_server(pgdata: Path, *, stop_on_exit: bool = True) -> str:
    """Start (or join) the server under ``pgdata``; returns the directory of its socket.

    pgserver counts the processes holding the server and stops it when the last one
    exits, unless ``stop_on_exit`` is false.
    """
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)
    if stop_on_exit:
        # Registered after pgserver's own exit hook, so it runs before it (last in, first out).
        atexit.register(_follow_restart, server)
    query = parse_qs(urlsplit(server.get_uri()).query)
    return str(query["host"][0])


def stop_embedded_server(pgdata: Path) -> None:
    """Release this process's hold on the server under ``pgdata``: it stops if no other
    process holds it."""
    server = pgserver.get_server(pgdata)
    _follow_restart(server)
    server.cleanup()


def _follow_restart(server: pgserver.PostgresServer) -> None:
    """Point pgserver's stop at the server running now. pgserver remembers the postmaster it
    found at start-up; once the server was restarted under it (a database outage and its
    recovery), that process is gone, and pgserver would skip the stop and leave the new one
    running after the last holder exits."""
    running = PostmasterInfo.read_from_pgdata(server.pgdata)
    server._postmaster_info = running if running is not None and running.is_running() else None


def running_socket_dir(pgdata: Path) -> str | None:
    """The socket directory of the server running under ``pgdata`` (None if none runs), read
    from its postmaster.pid without joining it as a holder."""
    running = PostmasterInfo.read_from_pgdata(pgdata)
    if running is None or not running.is_running() or running.socket_dir is None:
        return None
    return str(running.socket_dir)


def embedded_url(socket_dir: str, database: str) -> str:
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """asyncpg wants a plain libpq URL, SQLAlchemy one with its driver name."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(sqlalchemy_url: str, database: str) -> str:
    parts = urlsplit(sqlalchemy_url)
    return parts._replace(path=f"/{database}").geturl()


async def ensure_database(sqlalchemy_url: str) -> None:
    """Create the URL's database if it does not exist yet (connecting to ``postgres``)."""
    name = urlsplit(sqlalchemy_url).path.lstrip("/")
    admin = await asyncpg.connect(asyncpg_dsn(with_database(sqlalchemy_url, "postgres")))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            log.info("creating database %s", name)
            # Identifiers cannot be bound parameters; the name is quoted by Postgres' rules.
            await admin.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
    finally:
        await admin.close()
