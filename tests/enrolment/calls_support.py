"""Helpers for call and application tests: open a call, apply, read stages."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.calls.models import Call
from services.enrolment.calls.presets import load_preset
from services.enrolment.lifecycle.models import Enrolment
from shared.identity import Principal
from tests.enrolment.support import ILO, Api, World

# The declarations that, with the garment factory's profile, pass every Pakistan criterion.
DECLARED: dict[str, Any] = {
    "willing_to_share_order_status": True,
    "willing_to_share_baseline_data": True,
    "ceo_attends_workshops": True,
}

GHANA_PRIORITIES: list[dict[str, Any]] = [
    {
        "key": "women_led",
        "label": "Women-led business",
        "kind": "priority",
        "weight": 2,
        "rule": {"type": "is_true", "field": "women_led"},
    },
    {
        "key": "waste_or_recycling",
        "label": "Waste management or recycling firm",
        "kind": "priority",
        "weight": 3,
        "rule": {
            "type": "value_in",
            "field": "sub_sector",
            "allowed": ["waste_management", "recycling"],
        },
    },
]


def pakistan_criteria() -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in load_preset("pakistan_2018")]


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def open_call(
    api: Api,
    world: World,
    *,
    as_: Principal = ILO,
    criteria: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": str(world.pakistan_project_id),
        "title": "SCORE Pakistan call for expression of interest",
        "deadline": in_days(30),
        "capacity": 20,
        "criteria": pakistan_criteria() if criteria is None else criteria,
    }
    body.update(overrides)
    result: dict[str, Any] = await api.created("/calls", body, as_=as_)
    return result


async def apply(
    api: Api,
    call_id: str,
    enterprise_id: str,
    as_: Principal,
    answers: dict[str, Any] | None = None,
) -> httpx.Response:
    body = {"enterprise_id": enterprise_id, "answers": DECLARED if answers is None else answers}
    return await api.post(f"/calls/{call_id}/applications", json=body, as_=as_)


def criterion(application: dict[str, Any], key: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = [r for r in application["evaluation"] if r["key"] == key]
    [result] = results
    return result


async def stage_of(session: AsyncSession, project_id: UUID, enterprise_id: str) -> str | None:
    statement = select(Enrolment.stage).where(
        Enrolment.project_id == project_id, Enrolment.enterprise_id == UUID(enterprise_id)
    )
    stage = (await session.exec(statement)).first()
    return None if stage is None else str(stage)


async def close_call(session: AsyncSession, call_id: str) -> None:
    """Move a call's deadline into the past, as time would."""
    past = datetime.now(UTC) - timedelta(hours=1)
    await session.execute(update(Call).where(col(Call.id) == UUID(call_id)).values(deadline=past))


async def count_rows(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --------------------------------------------------------------------------- calls
