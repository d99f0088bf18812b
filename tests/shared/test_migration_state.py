"""`score up` / `score migrate` skip Alembic for a database already at head, and only then:
a database behind (a new revision in the code, or a downgrade) is still upgraded."""

import asyncio
import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from services.cli import app as score
from services.registry import SERVICES
from shared.embedded_pg import embedded_url, ensure_database
from shared.migrate import alembic_config, upgrade_async
from shared.migration_state import SERVICES_DIR, at_head, script_heads

NEXT_REVISION = '''"""a revision the database has not seen yet"""

revision: str = "20991231_next"
down_revision: str | None = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


@pytest.mark.parametrize("service", [service.name for service in SERVICES])
def test_the_heads_read_from_the_version_files_are_alembics(service: str) -> None:
    alembic_heads = ScriptDirectory.from_config(alembic_config(service, "postgresql://x/y"))
    assert script_heads(service) == frozenset(alembic_heads.get_heads())


async def test_a_database_at_head_is_at_head_and_a_new_revision_makes_it_behind(
    pg_socket_dir: str, tmp_path: Path
) -> None:
    url = embedded_url(pg_socket_dir, "state_reporting")
    await ensure_database(url)
    await upgrade_async("reporting", url)
    assert await at_head("reporting", url)

    # The code gains a revision: the database is behind, so Alembic must run.
    versions = tmp_path / "reporting" / "migrations" / "versions"
    shutil.copytree(SERVICES_DIR / "reporting" / "migrations" / "versions", versions)
    heads = script_heads("reporting")
    assert heads is not None
    (head,) = heads
    (versions / "20991231_next.py").write_text(NEXT_REVISION.format(head=head))
    assert script_heads("reporting", services_dir=tmp_path) == frozenset({"20991231_next"})
    assert not await at_head("reporting", url, services_dir=tmp_path)


async def test_a_database_never_migrated_is_not_at_head(pg_socket_dir: str) -> None:
    url = embedded_url(pg_socket_dir, "state_empty")
    await ensure_database(url)
    assert not await at_head("gateway", url)


def test_a_version_file_not_stating_its_ids_literally_leaves_the_decision_to_alembic(
    tmp_path: Path,
) -> None:
    versions = tmp_path / "gateway" / "migrations" / "versions"
    shutil.copytree(SERVICES_DIR / "gateway" / "migrations" / "versions", versions)
    (versions / "20991231_computed.py").write_text(
        'revision = "20991231_" + "computed"\ndown_revision = None\n'
    )
    assert script_heads("gateway", services_dir=tmp_path) is None


def test_score_migrate_upgrades_only_the_databases_behind(
    pg_socket_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = {
        service.name: embedded_url(pg_socket_dir, f"skip_{service.name}") for service in SERVICES
    }
    for service in SERVICES:
        monkeypatch.setenv(f"{service.env_prefix}DATABASE_URL", urls[service.name])
        asyncio.run(ensure_database(urls[service.name]))

    first = CliRunner().invoke(score, ["migrate"])
    assert first.exit_code == 0, first.output
    for service in SERVICES:
        assert f"migrating {service.name}" in first.output
        assert asyncio.run(at_head(service.name, urls[service.name]))

    # One revision back, as a database restored from an older backup would be.
    command.downgrade(alembic_config("reporting", urls["reporting"]), "-1")
    assert not asyncio.run(at_head("reporting", urls["reporting"]))

    again = CliRunner().invoke(score, ["migrate"])
    assert again.exit_code == 0, again.output
    assert "migrating reporting" in again.output
    assert asyncio.run(at_head("reporting", urls["reporting"]))
    for name in ("enrolment", "indicators", "gateway"):
        assert f"{name} database at head" in again.output
        assert f"migrating {name}" not in again.output
