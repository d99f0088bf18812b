"""Suppliers of two lead buyers, built through enrolment's and indicators' public APIs and
projected into reporting by its consumers; shared by the supplier, scorecard, export and
subgraph tests (a module of helpers: it holds no tests)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from shared.enums import Role
from shared.identity import Principal
from tests.conftest import Baseline, BaselineGround
from tests.enrolment.support import ILO, Api, World
from tests.indicators.baseline import BaselineParts, module_baseline
from tests.indicators.fixtures import enrol_for_measurement, sync_replica
from tests.indicators.values_support import accepted_ids, make_round, value
from tests.reporting.fixtures import sync_reporting


async def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def owner_of(enterprise_id: UUID) -> Principal:
    return Principal(subject="owner", role=Role.enterprise_user, enterprise_id=enterprise_id)


@dataclass
class Suppliers:
    """Enterprises and what was recorded about them, by id and code."""

    world: World
    # EFP's, Pakistan: lists Inditex and Adidas as buyers, consents to Inditex only.
    # Two modules completed, an EIT in place, one of two improvement projects completed,
    # three indicators with validated baseline and endline values.
    supplier_id: UUID
    supplier_name: str
    # EFP's, lists Inditex, consents to it; nothing recorded yet.
    second_id: UUID
    # EFP's, lists Inditex, never consented.
    silent_id: UUID
    # MDPI's, Ghana: consents to Inditex without listing it among its buyers.
    unlisted_id: UUID
    defect_code: str  # rate, lower is better: 8 -> 5
    output_code: str  # count, higher is better: 100 -> 90
    practice_code: str  # yes/no, adopted: no -> yes
    absenteeism_code: str  # baseline only: no pair
    turnover_code: str  # endline submitted but never validated: no pair
    cohort_ids: list[UUID]
    baseline_round_id: str
    endline_round_id: str

    @property
    def inditex(self) -> Principal:
        return self.world.inditex

    @property
    def adidas(self) -> Principal:
        return self.world.adidas


async def indicator(api: Api, name: str, kind: str, direction: str, unit: str | None) -> str:
    code = f"{name}_{uuid4().hex[:8]}"
    body: dict[str, Any] = {
        "code": code,
        "name_en": name.replace("_", " ").capitalize(),
        "name_fr": name,
        "name_es": name,
        "kind": kind,
        "direction": direction,
        "disaggregations": [],
    }
    if unit is not None:
        body["unit"] = unit
    await ok(await api.post("/indicators", json=body))
    return code


async def enterprise(
    api: Api,
    session: AsyncSession,
    *,
    world: World,
    name: str,
    buyers: list[UUID],
    consents: list[UUID],
    mdpi: bool = False,
) -> UUID:
    staff = world.mdpi_staff if mdpi else world.efp_staff
    project = world.ghana_project_id if mdpi else world.pakistan_project_id
    enterprise_id = await enrol_for_measurement(api, session, as_=staff, project_id=project)
    await ok(
        await api.patch(
            f"/enterprises/{enterprise_id}",
            json={"name": name, "buyer_ids": [str(buyer) for buyer in buyers]},
            as_=staff,
        )
    )
    for buyer in consents:
        await ok(
            await api.post(
                f"/enterprises/{enterprise_id}/consents",
                json={"buyer_id": str(buyer)},
                as_=owner_of(enterprise_id),
            )
        )
    return enterprise_id


async def complete_module(
    api: Api, world: World, enterprise_id: UUID, module_code: str, completed_on: str | None
) -> UUID:
    cohort = await ok(
        await api.post(
            "/cohorts",
            json={
                "project_id": str(world.pakistan_project_id),
                "module_code": module_code,
                "name": f"Karachi {module_code} batch",
                "start_date": "2019-02-04",
                "trainer_ids": [],
                "enterprise_ids": [str(enterprise_id)],
                "partner_id": str(world.efp_id),
                # The supplier stays at Level 1 in these stories: its manager lets it in.
                "override_reason": "Level 2 modules taken early at the buyer's request",
            },
            as_=world.pakistan_manager,
        )
    )
    progress = (
        {"status": "completed", "completed_on": completed_on}
        if completed_on is not None
        else {"status": "classroom_completed"}
    )
    await ok(
        await api.put(
            f"/cohorts/{cohort['id']}/progress/{enterprise_id}", json=progress, as_=world.efp_staff
        )
    )
    return UUID(cohort["id"])


async def build_suppliers(
    api: Api,
    indicators_api: Api,
    world: World,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
    reporting_session: AsyncSession,
) -> Suppliers:
    await ensure_standard_modules(enrolment_session)
    await enrolment_session.commit()
    inditex, adidas = world.inditex_id, world.adidas_id
    supplier_name = f"Lahore Denim {uuid4().hex[:6]}"

    async def make(name: str, buyers: list[UUID], consents: list[UUID], **kw: Any) -> UUID:
        return await enterprise(
            api, enrolment_session, world=world, name=name, buyers=buyers, consents=consents, **kw
        )

    supplier_id = await make(supplier_name, [inditex, adidas], [inditex])
    second_id = await make(f"Sialkot Sports {uuid4().hex[:6]}", [inditex], [inditex])
    silent_id = await make(f"Faisalabad Towels {uuid4().hex[:6]}", [inditex], [])
    unlisted_id = await make(f"Accra Prints {uuid4().hex[:6]}", [], [inditex], mdpi=True)

    cohort_ids = [
        await complete_module(api, world, supplier_id, "workplace_cooperation", "2019-05-30"),
        await complete_module(api, world, supplier_id, "quality_management", "2020-03-15"),
        await complete_module(api, world, supplier_id, "osh", None),
    ]
    await sync_replica(api, indicators_session)

    staff, manager = world.efp_staff, world.pakistan_manager
    defect = await indicator(indicators_api, "defect_rate", "rate", "down", "% of pieces")
    output = await indicator(indicators_api, "daily_output", "count", "up", "pieces")
    practice = await indicator(indicators_api, "suggestion_scheme", "yes_no", "up", None)
    absenteeism = await indicator(indicators_api, "absenteeism", "rate", "down", "%")
    turnover = await indicator(indicators_api, "labour_turnover", "rate", "down", "%")
    baseline = await make_round(indicators_api, world.pakistan_project_id, kind="baseline")
    endline = await make_round(indicators_api, world.pakistan_project_id, kind="endline")
    validated = await accepted_ids(
        indicators_api,
        [
            value(supplier_id, defect, "8", round_id=baseline),
            value(supplier_id, defect, "5", round_id=endline),
            value(supplier_id, output, 100, round_id=baseline),
            value(supplier_id, output, 90, round_id=endline),
            value(supplier_id, practice, False, round_id=baseline),
            value(supplier_id, practice, True, round_id=endline),
            value(supplier_id, absenteeism, "6.5", round_id=baseline),
            value(supplier_id, turnover, "4", round_id=baseline),
        ],
        as_=staff,
        submit=True,
    )
    await ok(
        await indicators_api.post("/values/validate", json={"value_ids": validated}, as_=manager)
    )
    # Submitted, never validated: reports count validated values only.
    await accepted_ids(
        indicators_api,
        [value(supplier_id, turnover, "3", round_id=endline)],
        as_=staff,
        submit=True,
    )

    await ok(
        await indicators_api.put(
            f"/enterprises/{supplier_id}/eit",
            json={"formed_on": "2019-03-01", "meeting_frequency": "twice a month"},
            as_=staff,
        )
    )
    for role, sex in (("manager", "female"), ("worker", "male"), ("worker", "female")):
        await ok(
            await indicators_api.post(
                f"/enterprises/{supplier_id}/eit/members",
                json={"name": f"{role} {sex}", "role": role, "sex": sex},
                as_=staff,
            )
        )
    await ok(
        await indicators_api.post(
            f"/enterprises/{supplier_id}/eit/meetings",
            json={"held_on": "2019-03-15", "attendees_female": 2, "attendees_male": 1},
            as_=staff,
        )
    )
    done = await ok(
        await indicators_api.post(
            f"/enterprises/{supplier_id}/improvement-projects",
            json={
                "module_code": "workplace_cooperation",
                "title": "5S in the warehouse",
                "category": "five_s",
            },
            as_=staff,
        )
    )
    url = f"/improvement-projects/{done['id']}"
    await ok(
        await indicators_api.patch(
            url, json={"status": "in_progress", "started_on": "2019-06-01"}, as_=staff
        )
    )
    await ok(
        await indicators_api.patch(
            url,
            json={
                "status": "completed",
                "completed_on": "2019-08-01",
                "savings": "120000",
                "currency": "PKR",
            },
            as_=staff,
        )
    )
    await ok(
        await indicators_api.post(
            f"/enterprises/{supplier_id}/improvement-projects",
            json={
                "module_code": "workplace_cooperation",
                "title": "Suggestion box",
                "category": "suggestion_scheme",
            },
            as_=staff,
        )
    )

    # Its suggestion scheme: one adopted and rewarded, one still under consideration.
    for decision in (
        {"status": "adopted", "decided_on": "2019-07-01", "reward_paid": "2000", "currency": "PKR"},
        {},
    ):
        await ok(
            await indicators_api.post(
                f"/enterprises/{supplier_id}/suggestions",
                json={
                    "submitted_on": "2019-06-10",
                    "title": "Needle counts at shift change",
                    "role": "worker",
                    "sex": "female",
                    **decision,
                },
                as_=staff,
            )
        )

    # Its improvement plan, carried out in full.
    await ok(
        await indicators_api.post(
            f"/enterprises/{supplier_id}/improvement-plans",
            json={
                "module_code": "workplace_cooperation",
                "title": "Workplace cooperation plan",
                "agreed_on": "2019-03-01",
                "actions": [
                    {
                        "objective": "Worker-manager dialogue",
                        "action": "Monthly EIT meeting",
                        "owner": "HR manager",
                        "due_on": "2019-04-01",
                        "status": "done",
                        "done_on": "2019-03-15",
                    }
                ],
            },
            as_=staff,
        )
    )

    await sync_reporting(api, indicators_api, reporting_session)
    return Suppliers(
        world=world,
        supplier_id=supplier_id,
        supplier_name=supplier_name,
        second_id=second_id,
        silent_id=silent_id,
        unlisted_id=unlisted_id,
        defect_code=defect,
        output_code=output,
        practice_code=practice,
        absenteeism_code=absenteeism,
        turnover_code=turnover,
        cohort_ids=cohort_ids,
        baseline_round_id=baseline,
        endline_round_id=endline,
    )


async def _suppliers(parts: BaselineParts) -> Suppliers:
    return await build_suppliers(
        parts.enrolment_api,
        parts.indicators_api,
        parts.world,
        parts.enrolment_session,
        parts.indicators_session,
        parts.reporting_session,
    )


@pytest.fixture(scope="module")
async def suppliers_baseline(
    baseline_ground: BaselineGround,
) -> AsyncIterator[Baseline[Suppliers]]:
    """The suppliers, built and projected once per test module, through the same APIs and
    consumers as before: about a second of requests no test is about. Each test that
    stands on them runs in a savepoint of these transactions (``shared_transactions``), so
    what one test writes (a withdrawal, more values) is gone for the next."""
    async for baseline in module_baseline(_suppliers, baseline_ground):
        yield baseline


@pytest.fixture
def suppliers(suppliers_baseline: Baseline[Suppliers]) -> Suppliers:
    return suppliers_baseline.data


async def validated_pairs(
    indicators_api: Api,
    suppliers: Suppliers,
    enterprise_id: UUID,
    pairs: dict[str, tuple[Any, Any]],
) -> None:
    """Validated baseline and endline values of ``enterprise_id``, by indicator code."""
    values = []
    for code, (before, after) in pairs.items():
        values.append(value(enterprise_id, code, before, round_id=suppliers.baseline_round_id))
        values.append(value(enterprise_id, code, after, round_id=suppliers.endline_round_id))
    ids = await accepted_ids(indicators_api, values, as_=suppliers.world.efp_staff, submit=True)
    await ok(
        await indicators_api.post(
            "/values/validate",
            json={"value_ids": ids},
            as_=suppliers.world.pakistan_manager,
        )
    )


async def withdraw(api: Api, enterprise_id: UUID, buyer_id: UUID) -> None:
    await ok(
        await api.post(
            f"/enterprises/{enterprise_id}/consents/{buyer_id}/withdraw",
            json={"reason": "No longer supplying this buyer"},
            as_=owner_of(enterprise_id),
        )
    )


__all__ = [
    "ILO",
    "Suppliers",
    "build_suppliers",
    "ok",
    "owner_of",
    "suppliers",
    "suppliers_baseline",
    "validated_pairs",
    "withdraw",
]
