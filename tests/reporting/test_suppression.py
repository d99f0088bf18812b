"""Small groups are hidden from anyone outside the owning partner and the ILO."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import Database
from tests.enrolment.support import Api
from tests.reporting.analytics_support import (
    ILO_ANALYST,
    Rows,
    lead_buyer,
    partner_staff,
    programme_manager,
    report,
    reporting_api_with,
)


async def four_enterprises_improving(rows: Rows) -> tuple[UUID, UUID, UUID, list[UUID]]:
    """EFP's project with four enterprises, each halving its defects; all supply one buyer."""
    efp = rows.organisation("EFP")
    buyer = rows.organisation("Inditex", kind="lead_buyer")
    project = rows.project("ILES Pakistan", "PK", [efp])
    ids = [rows.enterprise(partner_id=efp, project_id=project, buyer_ids=[buyer]) for _ in range(4)]
    rows.indicator("defect_rate", direction="down")
    await rows.flush()
    for enterprise in ids:
        rows.consent(enterprise, buyer)
        await rows.pair(enterprise, project, "defect_rate", 10, 5)
    await rows.flush()
    return efp, buyer, project, ids


async def test_group_of_four_is_suppressed_for_a_programme_manager_and_a_buyer(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    efp, buyer, project, _ = await four_enterprises_improving(Rows(reporting_session))

    for outsider in (programme_manager(project), lead_buyer(buyer)):
        body = await report(reporting_api, "/impact", outsider, indicator="defect_rate")
        [row] = body["rows"]
        assert row["suppressed"] is True
        assert row["indicator"] == "defect_rate"  # the row keeps what it is about
        assert row["n"] is None
        assert row["improved_pct"] is None
        assert row["median_change_pct"] is None
        assert "fewer than 5 enterprises" in row["suppression_reason"]
        assert body["suppressed_rows"] == 1
        assert body["min_group_size"] == 5

    for insider in (partner_staff(efp), ILO_ANALYST):
        body = await report(reporting_api, "/impact", insider, indicator="defect_rate")
        [row] = body["rows"]
        assert row["suppressed"] is False
        assert (row["n"], row["improved_pct"], row["median_change_pct"]) == (4, 100.0, -50.0)
        assert body["suppressed_rows"] == 0
        assert body["min_group_size"] is None


async def test_a_fifth_enterprise_lifts_the_suppression(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp, _, project, _ = await four_enterprises_improving(rows)
    fifth = rows.enterprise(partner_id=efp, project_id=project)
    await rows.flush()
    await rows.pair(fifth, project, "defect_rate", 10, 10)
    await rows.flush()

    body = await report(reporting_api, "/impact", programme_manager(project))

    [row] = body["rows"]
    assert (row["suppressed"], row["n"], row["improved_pct"]) == (False, 5, 80.0)


async def test_minimum_group_size_is_a_setting(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    _, _, project, _ = await four_enterprises_improving(Rows(reporting_session))

    async with reporting_api_with(reporting_session, reporting_database, min_group_size=4) as api:
        body = await report(api, "/impact", programme_manager(project))
        assert body["rows"][0]["n"] == 4
        assert body["min_group_size"] == 4
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=10) as api:
        for_manager = await report(api, "/impact", programme_manager(project))
        assert for_manager["rows"][0]["suppressed"] is True
        assert "fewer than 10 enterprises" in for_manager["rows"][0]["suppression_reason"]
        for_ilo = await report(api, "/impact", ILO_ANALYST, project=str(project))
        assert for_ilo["rows"][0]["n"] == 4


async def test_callers_cannot_lower_the_minimum_through_the_query(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    _, buyer, _, _ = await four_enterprises_improving(Rows(reporting_session))

    response = await reporting_api.get(
        "/impact", params={"min_group_size": "1"}, as_=lead_buyer(buyer)
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.min_group_size"


async def test_a_large_group_is_suppressed_too_when_the_total_would_give_away_a_small_one(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp, buyer, project, _ = await four_enterprises_improving(rows)
    fifth = rows.enterprise(partner_id=efp, project_id=project, buyer_ids=[buyer])
    mdpi = rows.organisation("MDPI")
    ghana = rows.project("Ghana III", "GH", [mdpi])
    ghanaian = [
        rows.enterprise(partner_id=mdpi, project_id=ghana, country="GH", buyer_ids=[buyer])
        for _ in range(2)
    ]
    await rows.flush()
    for enterprise, project_id in [(fifth, project), *((g, ghana) for g in ghanaian)]:
        rows.consent(enterprise, buyer)
        await rows.pair(enterprise, project_id, "defect_rate", 10, 8)
    await rows.flush()

    body = await report(reporting_api, "/impact", lead_buyer(buyer), group_by="country")

    # Seven suppliers in all: showing Pakistan's five would give Ghana's two away.
    by_country = {row["country"]: row for row in body["rows"]}
    assert by_country["GH"]["suppressed"] is True
    assert "fewer than 5 enterprises" in by_country["GH"]["suppression_reason"]
    assert by_country["PK"]["suppressed"] is True
    assert by_country["PK"]["n"] is None
    assert "complementary suppression" in by_country["PK"]["suppression_reason"]
    assert body["suppressed_rows"] == 2
    [total] = (await report(reporting_api, "/impact", lead_buyer(buyer)))["rows"]
    assert (total["n"], total["suppressed"]) == (7, False)
    assert "whole blocks" in body["method"]


async def test_reach_hides_enterprise_figures_of_small_groups_but_not_trainer_counts(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp, _, project, ids = await four_enterprises_improving(rows)
    cohort = rows.cohort(project, efp, "WCOOP", ids)
    for enterprise in ids:
        rows.participant(cohort, enterprise, "worker", "female")
    rows.trainer("female", organisation_id=efp)
    await rows.flush()
    body = await report(reporting_api, "/reach", programme_manager(project))

    [row] = body["rows"]
    assert row["suppressed"] is True
    assert row["participants"] is None
    assert row["workers_benefiting"] is None
    assert row["share_women_pct"] is None
    assert "participants" in row["suppression_reason"]
    # The partner sees its own figures in full.
    [own] = (await report(reporting_api, "/reach", partner_staff(efp)))["rows"]
    assert (own["participants"], own["workers_benefiting"], own["suppressed"]) == (4, 1200, False)
