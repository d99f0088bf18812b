"""The key service and `score keys`: secrets shown once and stored only as a keyed hash,
refusals for keys that could never work, audit entries for creation and revocation."""

import hashlib
import hmac
from datetime import timedelta
from uuid import uuid4

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import Headers
from typer.testing import CliRunner

from services.cli import app as score
from services.gateway.auth.authenticator import Authenticator
from services.gateway.db import plumbing
from services.gateway.keys.schemas import ApiKeyCreate, ApiKeyStatus
from services.gateway.keys.service import api_key_service
from shared.columns import utcnow
from shared.enums import Role
from shared.problems import Conflict, NotFound, Unauthenticated
from tests.conftest import SessionSource
from tests.enrolment.support import KEY_ENVIRONMENT
from tests.gateway.support import OPERATOR, TEST_PEPPER, gateway_settings, key_row, make_key


async def test_only_a_keyed_hash_of_the_secret_is_stored(gateway_session: AsyncSession) -> None:
    secret = await make_key(gateway_session, role=Role.ilo_global)
    row = await key_row(gateway_session, secret)

    expected = hmac.new(TEST_PEPPER.encode(), secret.encode(), hashlib.sha256).hexdigest()
    assert row.secret_hash == expected
    assert secret.startswith(f"score_{row.prefix}_")
    assert len(secret) > 50  # 32 random bytes behind the prefix
    assert secret not in (row.prefix, row.secret_hash, row.name)


async def test_creation_and_revocation_are_audited_without_the_secret(
    gateway_session: AsyncSession,
) -> None:
    org = uuid4()
    created = await api_key_service.create(
        gateway_session,
        ApiKeyCreate(role=Role.lead_buyer, organisation_id=org, name="Inditex supplier portal"),
        principal=OPERATOR,
        pepper=SecretStr(TEST_PEPPER),
    )
    revoked = await api_key_service.revoke(
        gateway_session, created.key.prefix, principal=OPERATOR, reason="portal retired"
    )

    audit = plumbing.audit
    rows = (
        await gateway_session.execute(
            select(audit).where(audit.c.entity_id == created.key.id).order_by(audit.c.id)
        )
    ).mappings()
    entries = [dict(row) for row in rows]
    assert [entry["action"] for entry in entries] == ["api_key.created", "api_key.revoked"]
    assert all(entry["actor"] == OPERATOR.actor for entry in entries)
    assert entries[0]["after"]["organisation_id"] == str(org)
    assert entries[1]["before"]["status"] == "active"
    assert entries[1]["after"]["status"] == "revoked"
    assert entries[1]["reason"] == "portal retired"
    assert created.secret not in repr(entries)
    assert revoked.status is ApiKeyStatus.revoked


async def test_revoking_twice_is_a_conflict_and_an_unknown_key_is_not_found(
    gateway_session: AsyncSession,
) -> None:
    secret = await make_key(gateway_session)
    row = await key_row(gateway_session, secret)
    await api_key_service.revoke(gateway_session, str(row.id), principal=OPERATOR)
    with pytest.raises(Conflict, match="already revoked"):
        await api_key_service.revoke(gateway_session, f"score_{row.prefix}", principal=OPERATOR)
    with pytest.raises(NotFound):
        await api_key_service.revoke(gateway_session, "score_ffffffffffff", principal=OPERATOR)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "partner_staff"}, "requires organisation_id"),
        ({"role": "service"}, "service role"),
        ({"role": "ilo_global", "scopes": ["read", "superuser"]}, "unknown scopes"),
        ({"role": "ilo_global", "expires_at": utcnow() - timedelta(days=1)}, "future"),
        ({"role": "ilo_global", "scopes": []}, "at least 1"),
    ],
)
def test_a_key_that_could_never_work_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ApiKeyCreate.model_validate(fields)


async def test_a_remembered_key_is_refused_once_its_cache_time_has_passed(
    gateway_session: AsyncSession,
) -> None:
    """Verified keys are kept for ``api_key_cache_ttl`` seconds; a revocation shows after."""
    now = [1000.0]
    authenticator = Authenticator(
        gateway_settings(api_key_cache_ttl=5),
        lambda: SessionSource(gateway_session),
        None,
        clock=lambda: now[0],
    )
    secret = await make_key(gateway_session)
    headers = {"x-api-key": secret}
    assert (await authenticator.authenticate(Headers(headers))).principal.role is Role.ilo_global
    await api_key_service.revoke(
        gateway_session, (await key_row(gateway_session, secret)).prefix, principal=OPERATOR
    )

    now[0] += 4
    assert (await authenticator.authenticate(Headers(headers))).principal.role is Role.ilo_global
    now[0] += 2
    with pytest.raises(Unauthenticated, match="revoked"):
        await authenticator.authenticate(Headers(headers))


# --- score keys, as an operator runs it ------------------------------------------------


@pytest.fixture
def cli_env(committed_gateway_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEY_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SCORE_GATEWAY_API_KEY_PEPPER", TEST_PEPPER)
    monkeypatch.setenv("SCORE_GATEWAY_DATABASE_URL", committed_gateway_db_url)


@pytest.mark.usefixtures("cli_env")
def test_score_keys_create_prints_the_secret_once_then_list_and_revoke_it() -> None:
    runner = CliRunner()
    org = str(uuid4())

    created = runner.invoke(
        score,
        ["keys", "create", "--role", "partner_staff", "--org", org, "--scope", "read",
         "--expires-in", "90d", "--name", "EFP MIS"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("score_")
    prefix = "_".join(secret.split("_")[:2])

    listed = runner.invoke(score, ["keys", "list", "--org", org])
    assert listed.exit_code == 0, listed.output
    assert prefix in listed.output
    assert "active" in listed.output
    assert secret not in listed.output

    revoked = runner.invoke(score, ["keys", "revoke", prefix, "--reason", "rotated"])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in revoked.output
    again = runner.invoke(score, ["keys", "revoke", prefix])
    assert again.exit_code == 1
    assert "already revoked" in again.output
    assert "revoked" in runner.invoke(score, ["keys", "list", "--org", org]).output


@pytest.mark.usefixtures("cli_env")
def test_score_keys_create_refuses_a_key_without_its_tenant() -> None:
    result = CliRunner().invoke(score, ["keys", "create", "--role", "lead_buyer"])
    assert result.exit_code == 2
    assert "requires organisation_id" in result.output


@pytest.mark.usefixtures("cli_env")
def test_score_keys_create_refuses_an_unreadable_expiry() -> None:
    result = CliRunner().invoke(
        score, ["keys", "create", "--role", "ilo_global", "--expires-in", "soon"]
    )
    assert result.exit_code != 0
    assert "not a duration" in result.output
