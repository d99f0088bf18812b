"""Projection writes of many rows at once: one statement per batch, compiled once
(shared.sql.execute_for_each), never a multi-row VALUES with a parameter per cell, which the
protocol caps at 32,767 parameters and SQLAlchemy compiled again for every batch size."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.models import RmEnterprise, RmValue
from services.reporting.readmodels.repository import read_model_repository
from shared.sql import upsert

AT = datetime(2026, 12, 6, tzinfo=UTC)
# 13 columns a row: 39,000 parameters in one multi-row VALUES, past the cap.
ENTERPRISES = 3_000


def enterprise(number: int, name: str) -> dict[str, object]:
    return {
        "id": uuid4(),
        "name": f"{name} {number}",
        "country": "PK",
        "sector": "garments",
        "sub_sector": None,
        "partner_id": None,
        "workforce_total": 120,
        "workforce_female": 70,
        "workforce_male": 50,
        "buyer_ids": [],
        "registered_at": AT,
        "updated_at": AT,
    }


async def test_an_upsert_of_more_cells_than_one_statement_may_carry_writes_every_row(
    reporting_session: AsyncSession,
) -> None:
    rows = [enterprise(number, "Karachi Knits") for number in range(ENTERPRISES)]
    await upsert(reporting_session, RmEnterprise, rows, keep=("registered_at",))
    # Applied again with new names, as a replayed or corrected event would be: every row
    # updated in place, none added.
    renamed = [{**row, "name": f"Renamed {row['name']}"} for row in rows]
    await upsert(reporting_session, RmEnterprise, renamed, keep=("registered_at",))
    ids = [row["id"] for row in rows]
    names = dict(
        (
            await reporting_session.execute(
                select(col(RmEnterprise.id), col(RmEnterprise.name)).where(
                    col(RmEnterprise.id).in_(ids)
                )
            )
        ).all()
    )
    assert len(names) == ENTERPRISES
    assert names[rows[0]["id"]] == "Renamed Karachi Knits 0"
    assert names[rows[-1]["id"]] == f"Renamed Karachi Knits {ENTERPRISES - 1}"


async def test_values_past_the_parameter_cap_are_stored_and_a_validated_version_keeps_counting(
    reporting_session: AsyncSession,
) -> None:
    enterprise_id, project_id, indicator_id = uuid4(), uuid4(), uuid4()

    def value(month: int, *, status: str) -> dict[str, object]:
        return {
            "value_id": uuid4(),
            "enterprise_id": enterprise_id,
            "project_id": project_id,
            "indicator_id": indicator_id,
            "indicator_code": "defect_rate",
            "indicator_version": 1,
            "round_id": None,
            "round_kind": None,
            "round_sequence": None,
            # One slot a month: 2,000 slots of 20 columns, 40,000 parameters.
            "month": date(2000 + month // 12, month % 12 + 1, 1),
            "sex": None,
            "role": None,
            "value": Decimal("4.5"),
            "value_bool": None,
            "currency": None,
            "status": status,
            "value_version": 1,
            "derived": False,
            "pending_value_id": None,
            "pending_status": None,
            "updated_at": AT,
        }

    validated = [value(month, status="validated") for month in range(2_000)]
    await read_model_repository.upsert_values(reporting_session, validated, counted=True)
    # A correction submitted for every slot: noted as pending, the validated version keeps
    # its place (and keeps counting) until its successor is validated.
    corrections = [
        {**value(month, status="submitted"), "value": Decimal("9")} for month in range(2_000)
    ]
    await read_model_repository.upsert_values(reporting_session, corrections)
    stored = (
        await reporting_session.execute(
            select(
                func.count(),
                func.count().filter(col(RmValue.status) == "validated"),
                func.count().filter(col(RmValue.pending_status) == "submitted"),
                func.max(col(RmValue.value)),
            ).where(col(RmValue.enterprise_id) == enterprise_id)
        )
    ).one()
    assert tuple(stored) == (2_000, 2_000, 2_000, Decimal("4.5"))
