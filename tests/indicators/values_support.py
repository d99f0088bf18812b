"""Helpers for value capture tests: catalogue rows made directly, rounds, batch requests."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator
from services.indicators.db import plumbing
from services.indicators.replica.models import ReplicaEnrolment, ReplicaEnterprise
from services.indicators.values.models import IndicatorValue
from services.indicators.values.validation import IndicatorInfo
from shared.identity import Principal
from shared.ids import new_id
from tests.enrolment.support import ILO, Api

# A month safely in the past, so month_not_future never interferes unless a test wants it.
LAST_YEAR = date(date.today().year - 1, 3, 1)


def count_indicator(code: str, *, disaggregations: tuple[str, ...] = ()) -> IndicatorInfo:
    """A count indicator (0 or more, no maximum) as the batch rules see it, for tests that
    judge rows without a database."""
    return IndicatorInfo(
        id=uuid4(),
        code=code,
        version=1,
        kind="count",
        min_value=Decimal(0),
        max_value=None,
        disaggregations=disaggregations,
    )


@dataclass(frozen=True)
class IndicatorRef:
    """What tests need of an indicator (ORM rows expire when a refused request rolls back)."""

    id: UUID
    code: str
    kind: str


async def make_indicator(
    session: AsyncSession,
    *,
    kind: str = "count",
    code: str | None = None,
    min_value: Decimal | int | None = None,
    max_value: Decimal | int | None = None,
    disaggregations: list[str] | None = None,
    direction: str = "down",
    active: bool = True,
) -> IndicatorRef:
    """An indicator row made directly (the catalogue API is another module's), committed so
    a later refused request's rollback does not take it away."""
    indicator = Indicator(
        code=code or f"{kind}_{uuid4().hex[:10]}",
        name_en=f"Test {kind} indicator",
        name_fr=f"Indicateur {kind}",
        name_es=f"Indicador {kind}",
        kind=kind,
        unit={"percentage": "%", "amount": "currency", "yes_no": "yes/no"}.get(kind, "units"),
        direction=direction,
        min_value=Decimal(min_value) if min_value is not None else None,
        max_value=Decimal(max_value) if max_value is not None else None,
        disaggregations=disaggregations or [],
        active=active,
    )
    session.add(indicator)
    await session.commit()
    return IndicatorRef(id=indicator.id, code=indicator.code, kind=indicator.kind)


async def make_enterprises(
    session: AsyncSession,
    *,
    partner_id: UUID,
    project_id: UUID,
    count: int,
    stage: str = "level1",
) -> list[UUID]:
    """Enterprises put straight into the replica (peers for outlier tests, bulk batches)."""
    ids = []
    for number in range(count):
        enterprise = ReplicaEnterprise(
            id=new_id(),
            name=f"Peer Garments {number}",
            country="PK",
            sector="textile",
            partner_id=partner_id,
        )
        session.add(enterprise)
        session.add(
            ReplicaEnrolment(
                id=new_id(),
                enterprise_id=enterprise.id,
                project_id=project_id,
                partner_id=partner_id,
                stage=stage,
            )
        )
        ids.append(enterprise.id)
    await session.commit()
    return ids


def value(
    enterprise_id: UUID,
    indicator: IndicatorRef | str,
    amount: Any,
    *,
    month: date | None = LAST_YEAR,
    round_id: UUID | str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ValueIn as JSON; monthly (last year) unless a round is given."""
    body: dict[str, Any] = {
        "enterprise_id": str(enterprise_id),
        "indicator_code": indicator if isinstance(indicator, str) else indicator.code,
        "value": amount,
    }
    if round_id is not None:
        body["round_id"] = str(round_id)
    elif month is not None:
        body["month"] = month.isoformat()
    body.update(extra)
    return body


async def post_batch(
    api: Api,
    values: list[dict[str, Any]],
    *,
    as_: Principal = ILO,
    submit: bool = False,
    mode: str | None = None,
    dry_run: bool = False,
    key: str | None = None,
) -> httpx.Response:
    params: dict[str, str] = {}
    if mode:
        params["mode"] = mode
    if dry_run:
        params["dry_run"] = "true"
    headers = {"Idempotency-Key": key} if key else {}
    return await api.post(
        "/values/batches",
        json={"values": values, "submit": submit},
        params=params,
        headers=headers,
        as_=as_,
    )


async def accepted_ids(
    api: Api, values: list[dict[str, Any]], *, as_: Principal = ILO, submit: bool = False
) -> list[str]:
    """Post a batch that must be fully accepted; the value ids in batch order."""
    response = await post_batch(api, values, as_=as_, submit=submit)
    assert response.status_code == 201, response.text
    return [row["value_id"] for row in response.json()["results"]]


async def make_round(
    api: Api,
    project_id: UUID,
    *,
    kind: str = "baseline",
    sequence: int = 1,
    as_: Principal = ILO,
) -> str:
    body = {
        "project_id": str(project_id),
        "kind": kind,
        "sequence": sequence,
        "name": f"{kind} {sequence}",
        "starts_on": "2018-09-01",
        "ends_on": "2018-10-31",
    }
    created: dict[str, Any] = await api.created("/rounds", body, as_=as_)
    return str(created["id"])


async def count_values(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(IndicatorValue)) or 0)


async def count_events(session: AsyncSession, event_type: str | None = None) -> int:
    statement = select(func.count()).select_from(plumbing.outbox)
    if event_type is not None:
        statement = statement.where(plumbing.outbox.c.event_type == event_type)
    return int(await session.scalar(statement) or 0)


async def events_of(session: AsyncSession, event_type: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(plumbing.outbox.c.payload)
        .where(plumbing.outbox.c.event_type == event_type)
        .order_by(plumbing.outbox.c.position)
    )
    return [row[0] for row in rows]


def errors_of(response: httpx.Response) -> set[tuple[str, str]]:
    """(field, rule) of each error a problem lists."""
    return {(error["field"], error["rule"]) for error in response.json()["errors"]}


def rules_at(response: httpx.Response, index: int) -> set[str]:
    """The rules broken by the value at ``index`` of a rejected batch."""
    prefix = f"body.values.{index}."
    return {
        error["rule"] for error in response.json()["errors"] if error["field"].startswith(prefix)
    }
