"""`score keys create` imports only what it needs: end-to-end tests and operators run it often,
and Alembic is most of a second of CPU a database already at head does not need."""

import os
import subprocess
import sys

import pytest

from tests.enrolment.support import KEY_ENVIRONMENT
from tests.gateway.support import TEST_PEPPER


def imported_modules(importtime_log: str) -> set[str]:
    """The modules a ``python -X importtime`` run imported (one per line of its log)."""
    return {
        line.rpartition("|")[2].strip()
        for line in importtime_log.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.fixture
def key_command_env(committed_gateway_db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **KEY_ENVIRONMENT,
        "SCORE_GATEWAY_API_KEY_PEPPER": TEST_PEPPER,
        "SCORE_GATEWAY_DATABASE_URL": committed_gateway_db_url,
    }


def test_score_keys_create_on_a_database_at_head_creates_the_key_without_alembic(
    key_command_env: dict[str, str],
) -> None:
    created = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "services.cli",
         "keys", "create", "--role", "ilo_global", "--scope", "read", "--name", "imports"],
        env=key_command_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    assert created.stdout.strip().splitlines()[-1].startswith("score_"), created.stdout
    imported = imported_modules(created.stderr)
    assert "services.gateway.keys.service" in imported  # the log is read right
    assert not {name for name in imported if name.split(".")[0] == "alembic"}
