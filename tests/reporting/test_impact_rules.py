"""Matched-pair rules of GET /impact, each pinned on read-model rows written directly."""

import io
from datetime import date
from typing import Any
from uuid import UUID

from openpyxl import load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import Api
from tests.reporting.analytics_support import ILO_ANALYST, Rows


async def impact(api: Api, project_id: UUID, **params: Any) -> dict[str, Any]:
    response = await api.get(
        "/impact", params={"project": str(project_id), **params}, as_=ILO_ANALYST
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def only_row(body: dict[str, Any], indicator: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [row for row in body["rows"] if row["indicator"] == indicator]
    assert len(rows) == 1, body["rows"]
    return rows[0]


async def pakistan(rows: Rows, enterprises: int) -> tuple[UUID, UUID, list[UUID]]:
    efp = rows.organisation("EFP")
    project = rows.project("ILES Pakistan", "PK", [efp])
    ids = [rows.enterprise(partner_id=efp, project_id=project) for _ in range(enterprises)]
    await rows.flush()
    return efp, project, ids


async def test_lower_is_better_counts_decreases_as_improvements(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 4)
    rows.indicator("defect_rate", direction="down")
    for enterprise, (base, end) in zip(ids, [(10, 5), (8, 8), (4, 6), (20, 10)], strict=True):
        await rows.pair(enterprise, project, "defect_rate", base, end)
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "defect_rate")

    assert (row["n"], row["improved"], row["improved_pct"]) == (4, 2, 50.0)
    # Relative changes -50, 0, +50, -50: quartiles by linear interpolation.
    assert (row["q1_change_pct"], row["median_change_pct"], row["q3_change_pct"]) == (
        -50.0,
        -25.0,
        12.5,
    )
    assert row["median_abs_change"] == -2.5
    assert row["direction"] == "down"


async def test_relative_changes_round_half_to_even_as_the_pairs_behind_them_do(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 2)
    rows.indicator("pieces_checked", direction="up", kind="count", unit="pieces")
    # 2000 -> 2007 is +0.35% (a float just below it), which half to even is 0.4.
    for enterprise in ids:
        await rows.pair(enterprise, project, "pieces_checked", 2000, 2007)
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "pieces_checked")
    explained = await reporting_api.get(
        "/impact/pairs",
        params={"indicator": "pieces_checked", "project": str(project)},
        as_=ILO_ANALYST,
    )

    assert (row["q1_change_pct"], row["median_change_pct"], row["q3_change_pct"]) == (
        0.4,
        0.4,
        0.4,
    )
    assert explained.status_code == 200, explained.text
    assert {pair["relative_change_pct"] for pair in explained.json()["pairs"]} == {"0.4"}


async def test_enterprise_with_baseline_only_is_not_a_pair(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 3)
    rows.indicator("productivity", direction="up")
    await rows.pair(ids[0], project, "productivity", 100, 150)
    await rows.pair(ids[1], project, "productivity", 100, 90)
    await rows.value(ids[2], project, "productivity", "baseline", 50)
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "productivity")

    assert (row["n"], row["improved"], row["median_change_pct"]) == (2, 1, 20.0)


async def test_baseline_zero_is_counted_but_left_out_of_relative_change(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 3)
    rows.indicator("jobs_created", direction="up", kind="count", unit="jobs")
    await rows.pair(ids[0], project, "jobs_created", 0, 4)
    await rows.pair(ids[1], project, "jobs_created", 10, 12)
    await rows.pair(ids[2], project, "jobs_created", 10, 14)
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "jobs_created")

    assert (row["n"], row["improved"], row["base_zero_excluded"]) == (3, 3, 1)
    assert row["median_change_pct"] == 30.0  # of +20% and +40% only
    assert row["median_abs_change"] == 4.0  # of 4, 2, 4: every pair


async def test_latest_round_of_each_kind_and_only_validated_totals_count(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 2)
    rows.indicator("absenteeism", direction="down")
    enterprise = ids[0]
    await rows.value(enterprise, project, "absenteeism", "baseline", 10)
    await rows.value(enterprise, project, "absenteeism", "baseline", 20, sequence=2)
    await rows.value(enterprise, project, "absenteeism", "endline", 8)
    await rows.value(enterprise, project, "absenteeism", "endline", 15, sequence=2)
    # Neither a submitted endline nor a women-only value may stand in for the total.
    await rows.value(
        enterprise, project, "absenteeism", "endline", 1, sequence=3, status="submitted"
    )
    await rows.value(enterprise, project, "absenteeism", "endline", 2, sequence=4, sex="female")
    await rows.value(ids[1], project, "absenteeism", "baseline", 5)
    await rows.value(ids[1], project, "absenteeism", "endline", 1, status="returned")
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "absenteeism")

    assert row["n"] == 1
    assert row["median_abs_change"] == -5.0  # 20 -> 15: the second rounds
    assert row["median_change_pct"] == -25.0


async def test_a_suppliers_indicator_change_and_its_stated_method_use_the_latest_baseline(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, [enterprise] = await pakistan(rows, 1)
    rows.indicator("absenteeism", direction="down")
    await rows.value(enterprise, project, "absenteeism", "baseline", 10)
    # The comprehensive baseline of Level 2: a second baseline round.
    await rows.value(enterprise, project, "absenteeism", "baseline", 20, sequence=2)
    await rows.value(enterprise, project, "absenteeism", "endline", 15)
    await rows.flush()

    status = await reporting_api.get(f"/suppliers/{enterprise}", as_=ILO_ANALYST)
    export = await reporting_api.get("/exports/suppliers.xlsx", as_=ILO_ANALYST)

    assert status.status_code == 200, status.text
    [change] = status.json()["indicator_changes"]
    assert (change["baseline"], change["endline"]) == ("20", "15")
    assert export.status_code == 200, export.text
    sheet = load_workbook(io.BytesIO(export.content))["Method and filters"]
    method = str({row[0].value: row[1].value for row in sheet.iter_rows()}["Method"])
    assert "latest baseline round" in method
    assert "first baseline" not in method


async def test_pair_needs_both_sides_in_the_same_project(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp, project, ids = await pakistan(rows, 1)
    other = rows.project("Second phase", "PK", [efp])
    rows.enrol(ids[0], other, efp, stage="level1")
    rows.indicator("waste", direction="down")
    await rows.value(ids[0], project, "waste", "baseline", 10)
    await rows.value(ids[0], other, "waste", "endline", 5)
    await rows.flush()

    body = await impact(reporting_api, project)

    assert [row for row in body["rows"] if row["indicator"] == "waste"] == []


async def test_yes_no_indicator_reports_adoption_before_and_after(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 4)
    rows.indicator("osh_policy", kind="yes_no", direction="up", unit="yes/no")
    for enterprise, (base, end) in zip(
        ids, [(False, True), (False, True), (True, True), (False, False)], strict=True
    ):
        await rows.pair(enterprise, project, "osh_policy", base, end)
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "osh_policy")

    assert (row["n"], row["improved"], row["improved_pct"]) == (4, 2, 50.0)
    assert (row["adoption_before_pct"], row["adoption_after_pct"]) == (25.0, 75.0)
    assert row["median_change_pct"] is None
    assert row["base_zero_excluded"] is None


async def test_indicator_without_direction_has_no_improved_share(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 2)
    rows.indicator("overtime_hours", direction="none", kind="duration", unit="hours")
    await rows.pair(ids[0], project, "overtime_hours", 10, 20)
    await rows.pair(ids[1], project, "overtime_hours", 10, 5)
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "overtime_hours")

    assert row["n"] == 2
    assert row["improved"] is None
    assert row["improved_pct"] is None
    assert row["median_change_pct"] == 25.0


async def test_amounts_in_different_currencies_are_not_mixed(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 3)
    rows.indicator("cost_savings", direction="up", kind="amount", unit="currency")
    await rows.pair(ids[0], project, "cost_savings", 100, 200, currency="PKR")
    await rows.pair(ids[1], project, "cost_savings", 100, 300, currency="USD")
    await rows.value(ids[2], project, "cost_savings", "baseline", 100, currency="PKR")
    await rows.value(ids[2], project, "cost_savings", "endline", 900, currency="USD")
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "cost_savings")

    assert row["n"] == 2  # the PKR -> USD enterprise is no pair
    assert row["median_change_pct"] == 150.0  # relative changes are unit-free
    assert row["median_abs_change"] is None
    assert row["currency"] is None

    pkr_only = only_row(
        await impact(reporting_api, project, indicator="cost_savings", country="PK"),
        "cost_savings",
    )
    assert pkr_only["n"] == 2


async def test_breakdown_by_partner_stage_and_period(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp = rows.organisation("EFP")
    npcc = rows.organisation("NPCC")
    project = rows.project("Regional", "PK", [efp, npcc])
    by_efp = rows.enterprise(partner_id=efp, project_id=project, stage="level1")
    by_npcc = rows.enterprise(partner_id=npcc, project_id=project, stage="alumni")
    rows.indicator("accidents", direction="down")
    await rows.flush()
    await rows.pair(by_efp, project, "accidents", 4, 2, ends_on=date(2023, 5, 31))
    await rows.pair(by_npcc, project, "accidents", 4, 3, ends_on=date(2023, 5, 31))
    await rows.flush()

    body = await impact(reporting_api, project, group_by="partner,stage", period_grain="quarter")
    assert sorted((r["partner"], r["stage"], r["n"]) for r in body["rows"]) == [
        ("EFP", "level1", 1),
        ("NPCC", "alumni", 1),
    ]
    assert body["group_by"] == ["partner", "stage"]
    assert {c["key"] for c in body["columns"]} >= {"partner_id", "partner", "stage"}

    by_period = await impact(reporting_api, project, group_by="period", period_grain="quarter")
    assert [(r["period"], r["n"]) for r in by_period["rows"]] == [("2023-Q2", 2)]

    in_2024 = await impact(reporting_api, project, **{"from": "2024-01-01"})
    assert in_2024["rows"] == []
    efp_only = await impact(reporting_api, project, partner=str(efp))
    assert only_row(efp_only, "accidents")["median_abs_change"] == -2.0


async def test_breakdown_by_module_counts_a_pair_in_each_module_taken(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp, project, ids = await pakistan(rows, 2)
    rows.cohort(project, efp, "WCOOP", ids)
    rows.cohort(project, efp, "QUALITY", [ids[0]])
    rows.indicator("defect_rate", direction="down")
    await rows.pair(ids[0], project, "defect_rate", 10, 5)
    await rows.pair(ids[1], project, "defect_rate", 10, 20)
    await rows.flush()

    by_module = await impact(reporting_api, project, group_by="module")
    assert [(r["module"], r["n"]) for r in by_module["rows"]] == [("QUALITY", 1), ("WCOOP", 2)]

    # Filtering by two modules still counts each pair once.
    both = await impact(reporting_api, project, module="WCOOP,QUALITY")
    assert only_row(both, "defect_rate")["n"] == 2


async def test_unknown_indicator_and_dimension_are_refused_naming_the_parameter(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    await pakistan(rows, 1)

    response = await reporting_api.get(
        "/impact", params={"indicator": "no_such_code"}, as_=ILO_ANALYST
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.indicator"
    assert response.json()["errors"][0]["rule"] == "unknown_indicator"

    response = await reporting_api.get("/impact", params={"group_by": "colour"}, as_=ILO_ANALYST)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["rule"], error["value"]) == (
        "query.group_by",
        "unknown_dimension",
        "colour",
    )
    assert "module, country, project, partner, sector, period, stage" in error["message"]


async def test_report_states_its_method_and_filters(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 1)
    rows.indicator("defect_rate", direction="down")
    await rows.pair(ids[0], project, "defect_rate", 10, 5)
    await rows.flush()

    body = await impact(reporting_api, project, indicator="defect_rate")

    assert body["report"] == "impact"
    assert "Matched pairs" in body["method"]
    assert "percentile_cont" in body["method"]
    assert body["filters"] == {"project": [str(project)], "indicator": ["defect_rate"]}
    assert set(body["data_as_of"]) == {"enrolment", "indicators"}
