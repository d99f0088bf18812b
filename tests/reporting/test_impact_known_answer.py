"""The known-answer test: a data set built through enrolment's and indicators' public APIs,
carried to reporting by its feed consumers, must give exactly the hand-computed impact."""

from typing import Any
from uuid import UUID, uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.identity import Principal
from tests.enrolment.support import ILO, Api, World
from tests.indicators.fixtures import enrol_for_measurement, sync_replica
from tests.indicators.values_support import accepted_ids, make_round, value
from tests.reporting.fixtures import sync_reporting

# Per enterprise: (baseline, endline); None means no value of that kind is validated.
PRODUCTIVITY = [(100, 150), (80, 100), (50, 45), (60, 60), (40, 60), (70, None)]
DEFECTS = [(10, 5), (8, 6), (4, 4), (5, 6), (20, 10), (9, None)]
OSH_POLICY = [(False, True), (False, True), (True, True), (False, False), (False, True)]


async def create_indicator(api: Api, kind: str, direction: str, unit: str) -> str:
    code = f"ka_{kind}_{uuid4().hex[:8]}"
    body = {
        "code": code,
        "name_en": f"Known answer {kind}",
        "name_fr": f"Réponse connue {kind}",
        "name_es": f"Respuesta conocida {kind}",
        "kind": kind,
        "unit": unit,
        "direction": direction,
    }
    await api.created("/indicators", body, as_=ILO)
    return code


async def record(
    indicators_api: Api,
    values: list[dict[str, Any]],
    *,
    enterer: Principal,
    reviewer: Principal,
    validate: bool = True,
) -> None:
    """Enter and submit values as the partner; the programme manager validates them."""
    ids = await accepted_ids(indicators_api, values, as_=enterer, submit=True)
    if validate:
        response = await indicators_api.post(
            "/values/validate", json={"value_ids": ids}, as_=reviewer
        )
        assert response.status_code == 200, response.text


def pairs_to_values(
    enterprises: list[UUID],
    code: str,
    pairs: list[tuple[Any, Any]],
    baseline_round: str,
    endline_round: str,
) -> list[dict[str, Any]]:
    values = []
    for enterprise, (base, end) in zip(enterprises, pairs, strict=False):
        values.append(value(enterprise, code, base, round_id=baseline_round))
        if end is not None:
            values.append(value(enterprise, code, end, round_id=endline_round))
    return values


async def test_impact_reproduces_the_hand_computed_figures(
    api: Api,
    world: World,
    enrolment_session: AsyncSession,
    indicators_api: Api,
    indicators_session: AsyncSession,
    reporting_api: Api,
    reporting_session: AsyncSession,
) -> None:
    project = world.pakistan_project_id
    enterprises = [
        await enrol_for_measurement(api, enrolment_session, as_=world.efp_staff, project_id=project)
        for _ in range(6)
    ]
    await sync_replica(api, indicators_session)
    productivity = await create_indicator(indicators_api, "rate", "up", "pieces per hour")
    defects = await create_indicator(indicators_api, "percentage", "down", "% defective")
    osh = await create_indicator(indicators_api, "yes_no", "up", "yes/no")
    baseline = await make_round(indicators_api, project, kind="baseline")
    endline = await make_round(indicators_api, project, kind="endline")

    values = [
        *pairs_to_values(enterprises, productivity, PRODUCTIVITY, baseline, endline),
        *pairs_to_values(enterprises, defects, DEFECTS, baseline, endline),
        *pairs_to_values(enterprises, osh, OSH_POLICY, baseline, endline),
    ]
    await record(indicators_api, values, enterer=world.efp_staff, reviewer=world.pakistan_manager)
    # The sixth enterprise's defect endline is submitted but never validated: still no pair.
    await record(
        indicators_api,
        [value(enterprises[5], defects, 2, round_id=endline)],
        enterer=world.efp_staff,
        reviewer=world.pakistan_manager,
        validate=False,
    )

    assert await sync_reporting(api, indicators_api, reporting_session) > 0
    response = await reporting_api.get(
        "/impact",
        params={"project": str(project), "indicator": f"{productivity},{defects},{osh}"},
        as_=ILO,
    )
    assert response.status_code == 200, response.text
    rows = {row["indicator"]: row for row in response.json()["rows"]}

    # Productivity (higher is better): +50, +25, -10, 0, +50 %; the sixth has no endline.
    assert rows[productivity]["n"] == 5
    assert rows[productivity]["improved"] == 3
    assert rows[productivity]["improved_pct"] == 60.0
    assert rows[productivity]["median_change_pct"] == 25.0
    assert (rows[productivity]["q1_change_pct"], rows[productivity]["q3_change_pct"]) == (
        0.0,
        50.0,
    )
    assert rows[productivity]["median_abs_change"] == 20.0
    assert rows[productivity]["base_zero_excluded"] == 0

    # Defect rate (lower is better): -50, -25, 0, +20, -50 %: a 25% median reduction.
    assert rows[defects]["n"] == 5
    assert rows[defects]["improved"] == 3
    assert rows[defects]["improved_pct"] == 60.0
    assert rows[defects]["median_change_pct"] == -25.0
    assert rows[defects]["median_abs_change"] == -2.0

    # OSH policy (yes/no): adopted by 1 of 5 before, 4 of 5 after; 3 newly adopted.
    assert rows[osh]["n"] == 5
    assert rows[osh]["improved_pct"] == 60.0
    assert rows[osh]["adoption_before_pct"] == 20.0
    assert rows[osh]["adoption_after_pct"] == 80.0

    # The project's manager sees the same figures: five enterprises meet the minimum.
    as_manager = await reporting_api.get(
        "/impact",
        params={"indicator": productivity},
        as_=world.pakistan_manager,
    )
    assert as_manager.status_code == 200, as_manager.text
    [manager_row] = as_manager.json()["rows"]
    assert (manager_row["n"], manager_row["median_change_pct"]) == (5, 25.0)
    assert manager_row["suppressed"] is False
