"""The seven 2018 Pakistan criteria, as data, judged through the API: pass, fail, unknown."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.calls_support import (
    DECLARED,
    apply,
    criterion,
    open_call,
    pakistan_criteria,
    stage_of,
)
from tests.enrolment.support import Api, World, register


@dataclass(frozen=True)
class Case:
    key: str
    outcome: str
    profile: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    observed: Any = None
    expected: str = ""
    # Criteria that read the same missing value and so cannot be decided either.
    also_unknown: tuple[str, ...] = ()


# Sub-totals of the factory's workforce would exceed a smaller total, so they are cleared.
SMALL = {"workforce_female": None, "workforce_male": None}

CASES = [
    Case(
        "sub_sector", "passed", {"sub_sector": "dyeing_knitwear"},
        observed="dyeing_knitwear",
        expected="one of: ready_made_garments, dyeing_woven, dyeing_knitwear",
    ),
    Case(
        "sub_sector", "failed", {"sub_sector": "leather_goods"},
        observed="leather_goods",
        expected="one of: ready_made_garments, dyeing_woven, dyeing_knitwear",
    ),
    Case(
        "sub_sector", "unknown", {"sub_sector": None},
        observed=None,
        expected="one of: ready_made_garments, dyeing_woven, dyeing_knitwear",
    ),
    Case("workforce_size", "passed", {"workforce_total": 300, **SMALL}, observed=300,
         expected=">= 300"),
    Case("workforce_size", "failed", {"workforce_total": 250, "workforce_permanent": 200, **SMALL},
         observed=250, expected=">= 300"),
    Case("workforce_size", "unknown", {"workforce_total": None, **SMALL}, observed=None,
         expected=">= 300", also_unknown=("permanent_share",)),
    Case(
        "permanent_share", "passed", {"workforce_permanent": 113},
        observed={"workforce_permanent": 113, "workforce_total": 450},
        expected=">= 25% of workforce_total",
    ),
    Case(
        "permanent_share", "failed", {"workforce_permanent": 100},
        observed={"workforce_permanent": 100, "workforce_total": 450},
        expected=">= 25% of workforce_total",
    ),
    Case(
        "permanent_share", "unknown", {"workforce_permanent": None},
        observed={"workforce_permanent": None, "workforce_total": 450},
        expected=">= 25% of workforce_total",
    ),
    Case("share_order_status", "passed", answers={"willing_to_share_order_status": True},
         observed=True, expected="true"),
    Case("share_order_status", "failed", answers={"willing_to_share_order_status": False},
         observed=False, expected="true"),
    Case("share_order_status", "unknown", answers={"willing_to_share_order_status": None},
         observed=None, expected="true"),
    Case("share_baseline_data", "passed", answers={"willing_to_share_baseline_data": True},
         observed=True, expected="true"),
    Case("share_baseline_data", "failed", answers={"willing_to_share_baseline_data": False},
         observed=False, expected="true"),
    Case("share_baseline_data", "unknown", answers={"willing_to_share_baseline_data": None},
         observed=None, expected="true"),
    Case(
        "key_staff", "passed", {"has_hr_officer": False},
        answers={"willing_to_hire_key_staff": True},
        observed={"has_hr_officer": False, "has_compliance_officer": True,
                  "has_industrial_engineer": True, "willing_to_hire_key_staff": True},
        expected="(has_hr_officer is true and has_compliance_officer is true and "
        "has_industrial_engineer is true) or willing_to_hire_key_staff is true",
    ),
    Case(
        "key_staff", "failed", {"has_hr_officer": False},
        answers={"willing_to_hire_key_staff": False},
        observed={"has_hr_officer": False, "has_compliance_officer": True,
                  "has_industrial_engineer": True, "willing_to_hire_key_staff": False},
        expected="(has_hr_officer is true and has_compliance_officer is true and "
        "has_industrial_engineer is true) or willing_to_hire_key_staff is true",
    ),
    Case(
        "key_staff", "unknown", {"has_hr_officer": None},
        observed={"has_hr_officer": None, "has_compliance_officer": True,
                  "has_industrial_engineer": True, "willing_to_hire_key_staff": None},
        expected="(has_hr_officer is true and has_compliance_officer is true and "
        "has_industrial_engineer is true) or willing_to_hire_key_staff is true",
    ),
    Case(
        "ceo_commitment", "passed",
        answers={"ceo_attends_workshops": False, "senior_nominee_with_authority": True},
        observed={"ceo_attends_workshops": False, "senior_nominee_with_authority": True},
        expected="ceo_attends_workshops is true or senior_nominee_with_authority is true",
    ),
    Case(
        "ceo_commitment", "failed",
        answers={"ceo_attends_workshops": False, "senior_nominee_with_authority": False},
        observed={"ceo_attends_workshops": False, "senior_nominee_with_authority": False},
        expected="ceo_attends_workshops is true or senior_nominee_with_authority is true",
    ),
    Case(
        "ceo_commitment", "unknown", answers={"ceo_attends_workshops": None},
        observed={"ceo_attends_workshops": None, "senior_nominee_with_authority": None},
        expected="ceo_attends_workshops is true or senior_nominee_with_authority is true",
    ),
]  # fmt: skip

OVERALL = {"passed": "eligible", "failed": "ineligible", "unknown": "needs_information"}


def test_the_cases_cover_every_preset_criterion_three_ways() -> None:
    covered = {(case.key, case.outcome) for case in CASES}
    keys = [c["key"] for c in pakistan_criteria()]
    assert len(keys) == 7
    assert covered == {(key, o) for key in keys for o in ("passed", "failed", "unknown")}


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.key}-{case.outcome}")
async def test_pakistan_criterion_is_explained_with_observed_value_and_threshold(
    api: Api, world: World, enrolment_session: AsyncSession, case: Case
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff, **case.profile)
    response = await apply(
        api, call["id"], enterprise["id"], world.efp_staff, {**DECLARED, **case.answers}
    )
    assert response.status_code == 201, response.text
    application = response.json()

    result = criterion(application, case.key)
    assert result["outcome"] == case.outcome, result
    assert result["observed"] == case.observed
    assert result["expected"] == case.expected
    assert result["kind"] == "hard"
    assert result["label"]
    # Every other criterion passes, so this one alone decides the overall outcome.
    others = {r["key"]: r["outcome"] for r in application["evaluation"] if r["key"] != case.key}
    assert others == {key: "unknown" if key in case.also_unknown else "passed" for key in others}
    assert len(others) == 6
    assert application["outcome"] == OVERALL[case.outcome]
    assert (
        await stage_of(enrolment_session, world.pakistan_project_id, enterprise["id"])
        == (OVERALL[case.outcome])
    )


async def test_workforce_of_250_fails_showing_250_against_at_least_300(
    api: Api, world: World
) -> None:
    call = await open_call(api, world)
    enterprise = await register(
        api, world.efp_staff, workforce_total=250, workforce_permanent=200, **SMALL
    )
    application = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    result = criterion(application, "workforce_size")
    assert (result["outcome"], result["observed"], result["expected"]) == ("failed", 250, ">= 300")
    assert result["explanation"] == "workforce_total is 250, below the threshold of 300"
    assert application["outcome"] == "ineligible"


async def test_missing_workforce_is_unknown_and_needs_information_never_ineligible(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world)
    enterprise = await register(
        api, world.efp_staff, workforce_total=None, workforce_permanent=None, **SMALL
    )
    application = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    assert criterion(application, "workforce_size")["outcome"] == "unknown"
    assert "workforce_total is unknown" in criterion(application, "workforce_size")["explanation"]
    assert criterion(application, "permanent_share")["outcome"] == "unknown"
    assert application["outcome"] == "needs_information"
    stage = await stage_of(enrolment_session, world.pakistan_project_id, enterprise["id"])
    assert stage == "needs_information"
