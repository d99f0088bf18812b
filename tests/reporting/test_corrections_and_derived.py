"""Published figures through corrections and derived rates: a validated value keeps counting
while its correction awaits review; a defect rate derived from defects and pieces checked
reaches the impact report and follows a validated correction; a withdrawal removes it."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.standard import ensure_standard_indicators
from tests.conftest import Baseline, BaselineGround
from tests.enrolment.support import ILO, Api, World
from tests.indicators.baseline import BaselineParts, module_baseline
from tests.indicators.fixtures import enrol_for_measurement, sync_replica
from tests.indicators.test_catalogue import new_indicator
from tests.indicators.values_support import accepted_ids, make_round, value
from tests.reporting.fixtures import sync_reporting

# Per enterprise: (defects, pieces checked) at baseline and at endline.
BASELINE = [(40, 1000), (30, 1000), (60, 2000), (20, 500), (10, 1000)]
ENDLINE = [(20, 1000), (30, 1000), (30, 2000), (25, 500), (5, 1000)]


class Project:
    def __init__(self, world: World, enterprises: list[UUID], rounds: dict[str, str]) -> None:
        self.world = world
        self.enterprises = enterprises
        self.rounds = rounds


async def _measured(parts: BaselineParts) -> Project:
    world = parts.world
    await ensure_standard_indicators(parts.indicators_session)
    await parts.indicators_session.commit()
    enterprises = [
        await enrol_for_measurement(
            parts.enrolment_api,
            parts.enrolment_session,
            as_=world.efp_staff,
            project_id=world.pakistan_project_id,
        )
        for _ in BASELINE
    ]
    await sync_replica(parts.enrolment_api, parts.indicators_session)
    rounds = {
        kind: await make_round(parts.indicators_api, world.pakistan_project_id, kind=kind)
        for kind in ("baseline", "endline")
    }
    return Project(world, enterprises, rounds)


@pytest.fixture(scope="module")
async def measured_baseline(
    baseline_ground: BaselineGround,
) -> AsyncIterator[Baseline[Project]]:
    """The project's five enterprises, enrolled and replicated, and its two rounds: built
    once for the module through the same APIs, each test in a savepoint rolled back after it."""
    async for baseline in module_baseline(_measured, baseline_ground):
        yield baseline


@pytest.fixture
def measured(measured_baseline: Baseline[Project]) -> Project:
    return measured_baseline.data


async def record(api: Api, project: Project, values: list[dict[str, Any]]) -> list[str]:
    world = project.world
    ids = await accepted_ids(api, values, as_=world.efp_staff, submit=True)
    validated = await api.post(
        "/values/validate", json={"value_ids": ids}, as_=world.pakistan_manager
    )
    assert validated.status_code == 200, validated.text
    return ids


def counts(project: Project, figures: list[tuple[int, int]], kind: str) -> list[dict[str, Any]]:
    return [
        value(enterprise, code, amount, round_id=project.rounds[kind])
        for enterprise, (defects, pieces) in zip(project.enterprises, figures, strict=True)
        for code, amount in (("defects", defects), ("pieces_checked", pieces))
    ]


async def impact(
    reporting_api: Api, project: Project, code: str, *, unfiltered: bool = False
) -> dict[str, Any]:
    """The project's row; ``unfiltered``: the ILO's report over every enterprise (figures
    cached between changes), the same here, as only this project has values."""
    params = {"indicator": code}
    if not unfiltered:
        params["project"] = str(project.world.pakistan_project_id)
    response = await reporting_api.get("/impact", params=params, as_=ILO)
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    result: dict[str, Any] = row
    return result


async def test_a_derived_defect_rate_reaches_the_impact_report(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    measured: Project,
) -> None:
    await record(indicators_api, measured, counts(measured, BASELINE, "baseline"))
    await record(indicators_api, measured, counts(measured, ENDLINE, "endline"))
    await sync_reporting(api, indicators_api, reporting_session)

    row = await impact(reporting_api, measured, "defect_rate")

    # Rates 4 -> 2, 3 -> 3, 3 -> 1.5, 4 -> 5, 1 -> 0.5 (% of pieces checked).
    assert (row["n"], row["improved"], row["improved_pct"]) == (5, 3, 60.0)
    assert row["median_change_pct"] == -50.0


async def test_a_validated_value_keeps_counting_while_its_correction_is_under_review(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    measured: Project,
) -> None:
    await record(indicators_api, measured, counts(measured, BASELINE, "baseline"))
    endline_ids = await record(indicators_api, measured, counts(measured, ENDLINE, "endline"))
    await sync_reporting(api, indicators_api, reporting_session)
    before = await impact(reporting_api, measured, "defects")
    assert (before["n"], before["improved"]) == (5, 3)

    # The fourth enterprise's endline defects (25) are corrected to 15: under review ...
    correction = await indicators_api.post(
        f"/values/{endline_ids[6]}/corrections",
        json={"value": 15, "reason": "Rework counted twice"},
        as_=measured.world.efp_staff,
    )
    assert correction.status_code == 201, correction.text
    await sync_reporting(api, indicators_api, reporting_session)
    during = await impact(reporting_api, measured, "defects")
    assert (during["n"], during["improved"]) == (5, 3)
    rate_during = await impact(reporting_api, measured, "defect_rate")
    assert (rate_during["n"], rate_during["improved"]) == (5, 3)

    # ... returned: still the validated figure ...
    returned = await indicators_api.post(
        f"/values/{correction.json()['id']}/return",
        json={"reason": "Attach the rework register"},
        as_=measured.world.pakistan_manager,
    )
    assert returned.status_code == 200
    await indicators_api.patch(
        f"/values/{correction.json()['id']}",
        json={"value": 15, "reason": "register attached"},
        as_=measured.world.efp_staff,
    )
    await indicators_api.post(
        f"/values/{correction.json()['id']}/submit", as_=measured.world.efp_staff
    )
    await sync_reporting(api, indicators_api, reporting_session)
    assert (await impact(reporting_api, measured, "defects"))["n"] == 5

    # ... and validated: the corrected figure counts, and the rate is recomputed (3% now).
    validated = await indicators_api.post(
        f"/values/{correction.json()['id']}/validate", as_=measured.world.pakistan_manager
    )
    assert validated.status_code == 200, validated.text
    await sync_reporting(api, indicators_api, reporting_session)
    after = await impact(reporting_api, measured, "defects")
    assert (after["n"], after["improved"]) == (5, 4)
    rate_after = await impact(reporting_api, measured, "defect_rate")
    assert (rate_after["n"], rate_after["improved"]) == (5, 4)


async def test_a_withdrawn_input_takes_its_derived_rate_out_of_the_report(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    measured: Project,
) -> None:
    await record(indicators_api, measured, counts(measured, BASELINE, "baseline"))
    endline_ids = await record(indicators_api, measured, counts(measured, ENDLINE, "endline"))
    withdrawn = await indicators_api.post(
        f"/values/{endline_ids[1]}/withdraw",
        json={"reason": "Pieces of another factory"},
        as_=measured.world.pakistan_manager,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await sync_reporting(api, indicators_api, reporting_session)

    rate = await impact(reporting_api, measured, "defect_rate")
    assert rate["n"] == 4
    pieces = await impact(reporting_api, measured, "pieces_checked")
    assert pieces["n"] == 4


async def test_the_unfiltered_report_follows_a_validated_correction_and_a_withdrawal(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    measured: Project,
) -> None:
    """The ILO's report over every enterprise is kept between changes: asked twice, then
    after each change, it gives the figures of the values as they are now."""
    await record(indicators_api, measured, counts(measured, BASELINE, "baseline"))
    endline_ids = await record(indicators_api, measured, counts(measured, ENDLINE, "endline"))
    await sync_reporting(api, indicators_api, reporting_session)
    for _ in range(2):
        before = await impact(reporting_api, measured, "defects", unfiltered=True)
        assert (before["n"], before["improved"], before["median_change_pct"]) == (5, 3, -50.0)
        rate = await impact(reporting_api, measured, "defect_rate", unfiltered=True)
        assert (rate["n"], rate["improved"]) == (5, 3)

    # The fourth enterprise's endline defects, 25, corrected to 15 and validated.
    correction = await indicators_api.post(
        f"/values/{endline_ids[6]}/corrections",
        json={"value": 15, "reason": "Rework counted twice"},
        as_=measured.world.efp_staff,
    )
    assert correction.status_code == 201, correction.text
    validated = await indicators_api.post(
        f"/values/{correction.json()['id']}/validate", as_=measured.world.pakistan_manager
    )
    assert validated.status_code == 200, validated.text
    await sync_reporting(api, indicators_api, reporting_session)
    after = await impact(reporting_api, measured, "defects", unfiltered=True)
    assert (after["n"], after["improved"], after["median_change_pct"]) == (5, 4, -50.0)
    assert after["q3_change_pct"] != before["q3_change_pct"]
    rate = await impact(reporting_api, measured, "defect_rate", unfiltered=True)
    assert (rate["n"], rate["improved"]) == (5, 4)

    # The second enterprise's endline pieces withdrawn: its rate is no pair any more.
    withdrawn = await indicators_api.post(
        f"/values/{endline_ids[3]}/withdraw",
        json={"reason": "Pieces of another factory"},
        as_=measured.world.pakistan_manager,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await sync_reporting(api, indicators_api, reporting_session)
    assert (await impact(reporting_api, measured, "defect_rate", unfiltered=True))["n"] == 4
    assert (await impact(reporting_api, measured, "pieces_checked", unfiltered=True))["n"] == 4
    assert (await impact(reporting_api, measured, "defects", unfiltered=True))["n"] == 5


async def test_accidents_recorded_only_by_sex_follow_their_parts_corrections_and_withdrawals(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    measured: Project,
) -> None:
    """Accidents entered as female and male parts without a total (a normal batch): each
    enterprise's total is the sum of its validated parts, and follows them as they change."""
    # Per enterprise: (female, male) at baseline, then at endline.
    figures = [
        ((3, 5), (1, 2)),
        ((2, 2), (1, 1)),
        ((0, 4), (0, 2)),
        ((1, 1), (2, 2)),
        ((6, 0), (3, 0)),
    ]
    ids: dict[str, list[str]] = {}
    for position, kind in enumerate(("baseline", "endline")):
        ids[kind] = await record(
            indicators_api,
            measured,
            [
                value(enterprise, "accidents", amount, round_id=measured.rounds[kind], sex=sex)
                for enterprise, sides in zip(measured.enterprises, figures, strict=True)
                for sex, amount in zip(("female", "male"), sides[position], strict=True)
            ],
        )
    await sync_reporting(api, indicators_api, reporting_session)
    for unfiltered in (False, True):
        row = await impact(reporting_api, measured, "accidents", unfiltered=unfiltered)
        # 8 -> 3, 4 -> 2, 4 -> 2, 2 -> 4, 6 -> 3.
        assert (row["n"], row["improved"], row["median_change_pct"]) == (5, 4, -50.0)

    # The first enterprise's endline female part, 1, corrected to 6: 8 -> 8 once validated.
    correction = await indicators_api.post(
        f"/values/{ids['endline'][0]}/corrections",
        json={"value": 6, "reason": "Injuries of the night shift left out"},
        as_=measured.world.efp_staff,
    )
    assert correction.status_code == 201, correction.text
    await sync_reporting(api, indicators_api, reporting_session)
    assert (await impact(reporting_api, measured, "accidents"))["improved"] == 4
    validated = await indicators_api.post(
        f"/values/{correction.json()['id']}/validate", as_=measured.world.pakistan_manager
    )
    assert validated.status_code == 200, validated.text
    await sync_reporting(api, indicators_api, reporting_session)
    for unfiltered in (False, True):
        row = await impact(reporting_api, measured, "accidents", unfiltered=unfiltered)
        assert (row["n"], row["improved"]) == (5, 3)

    # The second enterprise's endline male part withdrawn: that round has no total any more.
    withdrawn = await indicators_api.post(
        f"/values/{ids['endline'][3]}/withdraw",
        json={"reason": "Accidents of another factory"},
        as_=measured.world.pakistan_manager,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await sync_reporting(api, indicators_api, reporting_session)
    for unfiltered in (False, True):
        row = await impact(reporting_api, measured, "accidents", unfiltered=unfiltered)
        assert (row["n"], row["improved"]) == (4, 2)


async def test_an_indicator_given_by_role_only_counts_the_sum_of_its_role_parts(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    measured: Project,
) -> None:
    created = await indicators_api.post(
        "/indicators",
        json=new_indicator("trained_staff", kind="count", direction="up", disaggregations=["role"]),
        as_=ILO,
    )
    assert created.status_code == 201, created.text
    for kind, (managers, workers) in (("baseline", (2, 8)), ("endline", (3, 17))):
        await record(
            indicators_api,
            measured,
            [
                value(
                    enterprise, "trained_staff", amount, round_id=measured.rounds[kind], role=role
                )
                for enterprise in measured.enterprises
                for role, amount in (("manager", managers), ("worker", workers))
            ],
        )
    await sync_reporting(api, indicators_api, reporting_session)

    row = await impact(reporting_api, measured, "trained_staff")

    assert (row["n"], row["improved"], row["median_change_pct"]) == (5, 5, 100.0)


async def test_an_accident_rate_of_accidents_recorded_only_by_sex_reaches_the_impact_report(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    measured: Project,
) -> None:
    """Accidents entered as female and male parts without a total: each enterprise's total
    accident rate is derived from their sum, so none is left out of the figures."""
    hours = [("female", 100_000), ("male", 100_000), (None, 200_000)]
    # Per enterprise: (female, male) accidents at baseline, then at endline.
    figures = [
        ((3, 5), (1, 2)),
        ((2, 2), (1, 1)),
        ((0, 4), (0, 2)),
        ((1, 1), (2, 2)),
        ((6, 0), (3, 0)),
    ]
    for position, kind in enumerate(("baseline", "endline")):
        round_id = measured.rounds[kind]
        await record(
            indicators_api,
            measured,
            [
                value(enterprise, "hours_worked", n, round_id=round_id, sex=sex)
                for enterprise in measured.enterprises
                for sex, n in hours
            ]
            + [
                value(enterprise, "accidents", n, round_id=round_id, sex=sex)
                for enterprise, sides in zip(measured.enterprises, figures, strict=True)
                for sex, n in zip(("female", "male"), sides[position], strict=True)
            ],
        )
    await sync_reporting(api, indicators_api, reporting_session)

    for unfiltered in (False, True):
        row = await impact(reporting_api, measured, "accident_rate", unfiltered=unfiltered)
        # Per 200,000 hours, the accidents themselves: 8 -> 3, 4 -> 2, 4 -> 2, 2 -> 4, 6 -> 3.
        assert (row["n"], row["improved"], row["median_change_pct"]) == (5, 4, -50.0)
