"""Regenerate a new service's initial migration from its models, while it is unreleased.

Usage: uv run python scripts/regenerate_initial_migration.py indicators
Refused once a service has any other migration: from then on, changes get new migrations.
"""

import asyncio
import sys
import tempfile
from pathlib import Path

from alembic import command

from shared.embedded_pg import embedded_url, ensure_database, start_embedded_server
from shared.migrate import SERVICES_DIR, alembic_config


def main(service: str) -> None:
    versions = SERVICES_DIR / service / "migrations" / "versions"
    others = [p for p in versions.glob("*.py") if "_initial_" not in p.name]
    if others:
        sys.exit(f"{service} has released migrations ({others[0].name}); add a new one instead")
    for old in versions.glob("*_initial_*.py"):
        old.unlink()
    socket_dir = start_embedded_server(Path(tempfile.mkdtemp(prefix="score-regen-")) / "pg")
    url = embedded_url(socket_dir, f"{service}_regen")
    asyncio.run(ensure_database(url))
    command.revision(
        alembic_config(service, url),
        message=f"initial {service} schema",
        autogenerate=True,
        rev_id="0001",
    )


if __name__ == "__main__":
    main(sys.argv[1])
