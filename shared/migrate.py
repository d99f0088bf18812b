"""Alembic, driven from code: each service keeps its own history under ``migrations/``."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


async def upgrade_async(service: str, url: str, revision: str = "head") -> None:
    # Alembic's env.py runs its own event loop; keep it off the caller's.
    await asyncio.to_thread(upgrade, service, url, revision)


def revision(service: str, url: str, message: str) -> None:
    command.revision(alembic_config(service, url), message=message, autogenerate=True)
