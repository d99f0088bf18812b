"""Logframe targets: who sets and reads them, validation, audit, and progress against the
data; training cost entries and the cost recovery they feed."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import plumbing
from services.reporting.targets.service import Actual, MetricKind, Status, assess, elapsed_share
from shared.columns import utcnow
from tests.enrolment.support import Api
from tests.reporting.analytics_support import (
    ILO_ANALYST,
    Rows,
    lead_buyer,
    partner_staff,
    programme_manager,
    report,
)


async def projects(rows: Rows) -> tuple[UUID, UUID, UUID, list[UUID]]:
    """EFP's Pakistan project with three enterprises, and MDPI's Ghana project."""
    efp, mdpi = rows.organisation("EFP"), rows.organisation("MDPI")
    pakistan = rows.project("ILES Pakistan", "PK", [efp])
    ghana = rows.project("Ghana III", "GH", [mdpi])
    ids = [rows.enterprise(partner_id=efp, project_id=pakistan) for _ in range(3)]
    await rows.flush()
    return efp, pakistan, ghana, ids


def target(project: UUID, metric: str = "enterprises_trained", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": str(project),
        "metric": metric,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "target_value": "40",
    }
    body.update(extra)
    return body


async def audit_actions(session: AsyncSession, entity_id: str) -> list[tuple[str, Any, Any]]:
    audit = plumbing.audit
    rows = await session.execute(
        select(audit.c.action, audit.c.before, audit.c.after)
        .where(audit.c.entity_id == UUID(entity_id))
        .order_by(audit.c.id)
    )
    return [(action, before, after) for action, before, after in rows]


async def test_programme_manager_sets_a_target_the_partner_reads(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    efp, pakistan, _, _ = await projects(Rows(reporting_session))
    manager = programme_manager(pakistan)

    created = await reporting_api.created("/targets", target(pakistan), as_=manager)

    assert created["created_by"] == "programme_manager:manager"
    assert Decimal(created["target_value"]) == 40
    [(action, before, after)] = await audit_actions(reporting_session, created["id"])
    assert (action, before, after["metric"]) == ("target.created", None, "enterprises_trained")
    listed = await reporting_api.get("/targets", as_=partner_staff(efp))
    assert [t["id"] for t in listed.json()["items"]] == [created["id"]]
    response = await reporting_api.get(f"/targets/{created['id']}", as_=partner_staff(efp))
    assert response.status_code == 200


async def test_only_the_ilo_and_the_projects_manager_set_targets(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    efp, pakistan, ghana, _ = await projects(Rows(reporting_session))

    for outsider in (partner_staff(efp), programme_manager(ghana), lead_buyer(efp)):
        response = await reporting_api.post("/targets", json=target(pakistan), as_=outsider)
        assert response.status_code == 403, outsider
    assert (await reporting_api.post("/targets", json=target(pakistan))).status_code == 201


async def test_another_projects_target_is_not_found(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    _, pakistan, ghana, _ = await projects(Rows(reporting_session))
    created = await reporting_api.created("/targets", target(pakistan), as_=ILO_ANALYST)

    for outsider in (programme_manager(ghana), lead_buyer(uuid4())):
        response = await reporting_api.get(f"/targets/{created['id']}", as_=outsider)
        assert response.status_code == 404
        listed = await reporting_api.get("/targets", as_=outsider)
        assert listed.json()["items"] == []
    response = await reporting_api.patch(
        f"/targets/{created['id']}", json={"target_value": "1"}, as_=programme_manager(ghana)
    )
    assert response.status_code == 404


async def test_cost_recovery_rounds_half_to_even_on_the_exact_share(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    efp, pakistan, _, _ = await projects(Rows(reporting_session))
    await reporting_api.created(
        "/costs",
        {
            "project_id": str(pakistan),
            "period_start": "2024-03-01",
            "period_end": "2024-03-31",
            "currency": "PKR",
            "total_cost": "2000",
            "non_ilo_contribution": "247",
        },
        as_=partner_staff(efp),
    )
    await reporting_api.created(
        "/targets", target(pakistan, "cost_recovery_pct", target_value="12.4")
    )

    body = await report(reporting_api, "/reach/cost-recovery", ILO_ANALYST)
    progress = await report(reporting_api, "/targets/progress", ILO_ANALYST)

    # 247 / 2000 is 12.35% exactly (the float 12.3499...): 12.4, not 12.3.
    assert [row["cost_recovery_pct"] for row in body["rows"]] == [12.4]
    [row] = progress["rows"]
    assert (row["actual"], row["pct_met"], row["status"]) == (12.4, 100.0, "met")


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"metric": "happiness"}, "body.metric", "unknown_metric"),
        ({"metric": "impact:no_such_indicator"}, "body.metric", "unknown_indicator"),
        ({"period_end": "2023-12-31"}, "body.period_end", "period_order"),
        ({"metric": "share_women_pct", "target_value": "120"}, "body.target_value", "max_100"),
        ({"target_value": "-3"}, "body.target_value", "greater_than_equal"),
        ({"country": "GH"}, "body.country", "country_not_in_project"),
        ({"country": "XX"}, "body.country", "value_error"),
        ({"project_id": str(uuid4())}, "body.project_id", "unknown_project"),
    ],
)
async def test_invalid_target_is_refused_naming_field_and_rule(
    reporting_api: Api,
    reporting_session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    _, pakistan, _, _ = await projects(Rows(reporting_session))

    response = await reporting_api.post("/targets", json=target(pakistan, **overrides))

    assert response.status_code == 422, response.text
    assert (field, rule) in {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert (await reporting_api.get("/targets")).json()["items"] == []


async def test_same_scope_twice_is_a_conflict(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    _, pakistan, _, _ = await projects(Rows(reporting_session))
    await reporting_api.created("/targets", target(pakistan), as_=ILO_ANALYST)

    response = await reporting_api.post("/targets", json=target(pakistan, target_value="50"))

    assert response.status_code == 409
    assert response.json()["errors"][0]["rule"] == "duplicate_target"


async def test_changes_and_removal_are_audited_with_before_and_after(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    _, pakistan, _, _ = await projects(Rows(reporting_session))
    manager = programme_manager(pakistan)
    created = await reporting_api.created("/targets", target(pakistan), as_=manager)

    response = await reporting_api.patch(
        f"/targets/{created['id']}", json={"target_value": "45", "notes": "mid-term review"}
    )
    assert response.status_code == 200, response.text
    refused = await reporting_api.patch(
        f"/targets/{created['id']}", json={"period_end": "2023-01-01"}, as_=manager
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.period_end"
    assert (await reporting_api.delete(f"/targets/{created['id']}", as_=manager)).status_code == 204

    trail = await audit_actions(reporting_session, created["id"])
    assert [action for action, _, _ in trail] == [
        "target.created",
        "target.updated",
        "target.deleted",
    ]
    _, before, after = trail[1]
    assert (Decimal(before["target_value"]), Decimal(after["target_value"])) == (
        Decimal(40),
        Decimal(45),
    )
    assert after["notes"] == "mid-term review"
    assert (await reporting_api.get(f"/targets/{created['id']}")).status_code == 404


def test_elapsed_share_counts_both_ends_of_the_period() -> None:
    start, end = date(2024, 1, 1), date(2024, 1, 10)
    assert elapsed_share(start, end, date(2023, 12, 31)) == 0.0
    assert elapsed_share(start, end, date(2024, 1, 5)) == 0.5
    assert elapsed_share(start, end, date(2024, 2, 1)) == 1.0


@pytest.mark.parametrize(
    ("actual", "kind", "today", "status", "pct_met"),
    [
        (Actual(60.0, 60), MetricKind.cumulative, date(2024, 1, 5), Status.on_track, 60.0),
        (Actual(40.0, 40), MetricKind.cumulative, date(2024, 1, 5), Status.behind, 40.0),
        (Actual(60.0, 60), MetricKind.rate, date(2024, 1, 5), Status.behind, 60.0),
        (Actual(100.0, 100), MetricKind.cumulative, date(2024, 1, 2), Status.met, 100.0),
        (Actual(90.0, 90), MetricKind.cumulative, date(2024, 2, 1), Status.missed, 90.0),
        (Actual(0.0, 0), MetricKind.cumulative, date(2023, 6, 1), Status.not_started, 0.0),
        (Actual(None, 0), MetricKind.rate, date(2024, 1, 5), Status.no_data, None),
    ],
)
def test_on_track_rule(
    actual: Actual, kind: MetricKind, today: date, status: Status, pct_met: float | None
) -> None:
    result, met, _ = assess(Decimal(100), actual, kind, date(2024, 1, 1), date(2024, 1, 10), today)
    assert (result, met) == (status, pct_met)


async def test_progress_computes_actuals_from_the_data(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    # The service's today (UTC), taken when the test runs: one taken at collection was a
    # day behind for a run that went past midnight.
    today = utcnow().date()
    rows = Rows(reporting_session)
    efp, pakistan, _, ids = await projects(rows)
    # A period of 100 days, 51 of them elapsed (today included).
    start, end = today - timedelta(days=50), today + timedelta(days=49)
    cohort = rows.cohort(pakistan, efp, "WCOOP", ids, start=start)
    for enterprise in ids:
        rows.completed(enterprise, cohort, "WCOOP", today)
        rows.participant(cohort, enterprise, "manager", "female")
    rows.indicator("defect_rate", direction="down")
    await rows.flush()
    for enterprise, end_value in zip(ids, (5, 6, 12), strict=True):
        await rows.pair(enterprise, pakistan, "defect_rate", 10, end_value, ends_on=start)
    await rows.flush()
    period = {"period_start": start.isoformat(), "period_end": end.isoformat()}
    for metric, value in [
        ("enterprises_trained", "4"),
        ("participants", "20"),
        ("impact:defect_rate", "60"),
        ("cost_recovery_pct", "40"),
    ]:
        await reporting_api.created(
            "/targets", target(pakistan, metric, target_value=value, **period)
        )
    await reporting_api.created(
        "/costs",
        {
            "project_id": str(pakistan),
            "period_start": start.isoformat(),
            "period_end": start.isoformat(),
            "currency": "PKR",
            "total_cost": "1000",
            "non_ilo_contribution": "450",
        },
    )

    body = await report(reporting_api, "/targets/progress", ILO_ANALYST, project=str(pakistan))

    progress = {row["metric"]: row for row in body["rows"]}
    trained = progress["enterprises_trained"]
    # 3 trained against 4 pro-rated to 51% elapsed (2.04): on track, 75% met.
    assert (trained["actual"], trained["pct_met"], trained["status"]) == (3.0, 75.0, "on_track")
    assert trained["expected_to_date"] == 2.0
    participants = progress["participants"]
    assert (participants["actual"], participants["status"]) == (3.0, "behind")
    improving = progress["impact:defect_rate"]
    assert (improving["actual"], improving["n"], improving["status"]) == (66.7, 3, "met")
    recovery = progress["cost_recovery_pct"]
    assert (recovery["actual"], recovery["pct_met"], recovery["status"]) == (45.0, 112.5, "met")
    assert "pro-rated" in body["method"]


async def test_progress_for_a_manager_suppresses_small_impact_groups(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, pakistan, _, ids = await projects(rows)
    rows.indicator("defect_rate", direction="down")
    await rows.pair(ids[0], pakistan, "defect_rate", 10, 5, ends_on=date(2024, 6, 30))
    await rows.flush()
    await reporting_api.created("/targets", target(pakistan, "impact:defect_rate"))

    body = await report(reporting_api, "/targets/progress", programme_manager(pakistan))

    [row] = body["rows"]
    assert (row["status"], row["actual"]) == ("suppressed", None)
    assert body["suppressed_rows"] == 1


async def test_costs_in_two_currencies_are_never_added(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    efp, pakistan, _, _ = await projects(Rows(reporting_session))
    for currency, total, paid in [
        ("PKR", "1000", "250"),
        ("PKR", "3000", "750"),
        ("USD", "10", "9"),
    ]:
        await reporting_api.created(
            "/costs",
            {
                "project_id": str(pakistan),
                "period_start": "2024-03-01",
                "period_end": "2024-03-31",
                "currency": currency,
                "total_cost": total,
                "non_ilo_contribution": paid,
            },
            as_=partner_staff(efp),
        )
    await reporting_api.created("/targets", target(pakistan, "cost_recovery_pct"))

    body = await report(
        reporting_api, "/reach/cost-recovery", programme_manager(pakistan), group_by="project"
    )
    assert [
        (r["project"], r["currency"], r["entries"], r["total_cost"], r["cost_recovery_pct"])
        for r in body["rows"]
    ] == [("ILES Pakistan", "PKR", 2, 4000.0, 25.0), ("ILES Pakistan", "USD", 1, 10.0, 90.0)]

    progress = await report(reporting_api, "/targets/progress", ILO_ANALYST)
    [row] = progress["rows"]
    assert (row["status"], row["actual"]) == ("not_comparable", None)
    assert "PKR, USD" in row["note"]


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        (
            {"non_ilo_contribution": "2000"},
            "body.non_ilo_contribution",
            "contribution_exceeds_cost",
        ),
        ({"currency": "XYZ"}, "body.currency", "value_error"),
        ({"total_cost": "0"}, "body.total_cost", "greater_than"),
        ({"period_end": "2023-01-01"}, "body.period_end", "period_order"),
        ({"cohort_id": str(uuid4())}, "body.cohort_id", "cohort_not_in_project"),
    ],
)
async def test_invalid_cost_is_refused_naming_field_and_rule(
    reporting_api: Api,
    reporting_session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    _, pakistan, _, _ = await projects(Rows(reporting_session))
    body = {
        "project_id": str(pakistan),
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "currency": "PKR",
        "total_cost": "1000",
        "non_ilo_contribution": "100",
        **overrides,
    }

    response = await reporting_api.post("/costs", json=body)

    assert response.status_code == 422, response.text
    assert (field, rule) in {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert (await reporting_api.get("/costs")).json()["items"] == []


async def test_buyers_and_other_partners_record_no_costs(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, pakistan, _, _ = await projects(rows)
    other_partner = rows.organisation("NPCC")
    await rows.flush()
    body = {
        "project_id": str(pakistan),
        "period_start": "2024-03-01",
        "period_end": "2024-03-31",
        "currency": "PKR",
        "total_cost": "1000",
        "non_ilo_contribution": "100",
    }
    for outsider in (lead_buyer(uuid4()), partner_staff(other_partner)):
        response = await reporting_api.post("/costs", json=body, as_=outsider)
        assert response.status_code == 403
    assert (await reporting_api.get("/costs", as_=partner_staff(other_partner))).json()[
        "items"
    ] == []
