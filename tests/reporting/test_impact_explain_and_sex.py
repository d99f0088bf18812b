"""Explain a figure (the matched pairs behind it, with value ids and versions, in REST and
GraphQL) and the breakdown by sex (the parts of sex-disaggregated indicators; a clear 422
for indicators given in totals only)."""

from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.models import RmIndicator, RmValue
from tests.enrolment.support import Api
from tests.reporting.analytics_support import (
    ILO_ANALYST,
    Rows,
    lead_buyer,
    partner_staff,
    report,
)
from tests.reporting.test_graphql import data_of

# Per enterprise: (defects baseline, endline), (female accidents, male accidents) each
# at (baseline, endline).
FIGURES = [
    ((10, 5), ((4, 2), (6, 6))),
    ((8, 8), ((2, 3), (5, 1))),
    ((20, 12), ((0, 0), (3, 2))),
    ((6, 9), ((1, 0), (2, 2))),
    ((12, 6), ((3, 1), (4, 5))),
]


async def measured(session: AsyncSession) -> tuple[UUID, UUID, list[UUID]]:
    rows = Rows(session)
    efp = rows.organisation("EFP")
    buyer = rows.organisation("Inditex", kind="lead_buyer")
    project = rows.project("ILES Pakistan", "PK", [efp])
    rows.indicator("defects", kind="count", direction="down", unit="pieces")
    rows.indicator("accidents", kind="count", direction="down", unit="accidents")
    ids = [
        rows.enterprise(partner_id=efp, project_id=project, sector="textile", buyer_ids=[buyer])
        for _ in FIGURES
    ]
    await rows.flush()
    for enterprise, ((base, end), parts) in zip(ids, FIGURES, strict=True):
        rows.consent(enterprise, buyer)
        await rows.pair(enterprise, project, "defects", base, end)
        for sex, (part_base, part_end) in zip(("female", "male"), parts, strict=True):
            await rows.pair(enterprise, project, "accidents", part_base, part_end, sex=sex)
        await rows.pair(
            enterprise, project, "accidents", sum(p[0] for p in parts), sum(p[1] for p in parts)
        )
    await rows.flush()
    await session.execute(
        update(RmIndicator)
        .where(col(RmIndicator.code) == "accidents")
        .values(disaggregations=["sex"])
    )
    await session.commit()
    return efp, buyer, ids


async def test_a_figure_lists_the_pairs_and_values_behind_it(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    efp, _, ids = await measured(reporting_session)
    [figure] = (await report(reporting_api, "/impact", ILO_ANALYST, indicator="defects"))["rows"]

    explained = await report(reporting_api, "/impact/pairs", ILO_ANALYST, indicator="defects")

    assert (explained["n"], explained["improved"]) == (figure["n"], figure["improved"]) == (5, 3)
    stored = {
        (value.enterprise_id, value.round_kind): value
        for value in (
            await reporting_session.exec(select(RmValue).where(RmValue.indicator_code == "defects"))
        ).all()
    }
    for pair in explained["pairs"]:
        enterprise = UUID(pair["enterprise_id"])
        base, end = stored[enterprise, "baseline"], stored[enterprise, "endline"]
        assert pair["baseline"] == {
            "value_id": str(base.value_id),
            "version": base.value_version,
            "value": str(base.value),
            "derived_from_parts": False,
            "parts": [],
        }
        assert pair["endline"]["value_id"] == str(end.value_id)
    first = next(p for p in explained["pairs"] if p["enterprise_id"] == str(ids[0]))
    assert (first["change"], first["relative_change_pct"], first["improved"]) == (
        "-5",
        "-50",
        True,
    )
    # The partner explains its own figures alike; a buyer may not see the values.
    own = await report(reporting_api, "/impact/pairs", partner_staff(efp), indicator="defects")
    assert own["n"] == 5
    refused = await reporting_api.get(
        "/impact/pairs", params={"indicator": "defects"}, as_=lead_buyer(_buyer(explained, ids))
    )
    assert refused.status_code == 403


def _buyer(_: Any, __: Any) -> UUID:
    # Any buyer: the rule is the role's, not the tenant's.
    return UUID("01a23b56-0000-7000-8000-00000000b0b0")


async def test_a_figure_is_explained_in_graphql_too(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    await measured(reporting_session)

    data = await data_of(
        reporting_api,
        """query ($filter: ReportFilter) {
          impactPairs(indicator: "accidents", sex: "female", filter: $filter) {
            n improved
            pairs { enterpriseId sex baseline { valueId version value } endline { value } improved }
          }
        }""",
        filter={"sector": ["textile"]},
    )

    explained = data["impactPairs"]
    assert (explained["n"], explained["improved"]) == (5, 3)
    assert {pair["sex"] for pair in explained["pairs"]} == {"female"}
    assert all(pair["baseline"]["version"] == 1 for pair in explained["pairs"])


async def test_impact_by_sex_pairs_each_part_with_itself(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    await measured(reporting_session)

    body = await report(
        reporting_api, "/impact", ILO_ANALYST, indicator="accidents", group_by="sex"
    )

    by_sex = {row["sex"]: row for row in body["rows"]}
    assert set(by_sex) == {"female", "male"}
    # Female: 4->2, 2->3, 0->0, 1->0, 3->1: three fewer; male: 6->6, 5->1, 3->2, 2->2, 4->5.
    assert (by_sex["female"]["n"], by_sex["female"]["improved"]) == (5, 3)
    assert (by_sex["male"]["n"], by_sex["male"]["improved"]) == (5, 2)
    assert body["columns"][0]["key"] == "sex"
    total = (await report(reporting_api, "/impact", ILO_ANALYST, indicator="accidents"))["rows"]
    assert total[0]["n"] == 5


async def test_group_by_sex_is_a_clear_422_for_indicators_given_in_totals_only(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    await measured(reporting_session)

    response = await reporting_api.get(
        "/impact",
        params={"indicator": "defects,accidents", "group_by": "sex"},
        as_=ILO_ANALYST,
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"], error["value"]) == (
        "query.group_by",
        "not_disaggregated_by_sex",
        "defects",
    )
    costs = await reporting_api.get(
        "/reach/cost-recovery", params={"group_by": "sex"}, as_=ILO_ANALYST
    )
    assert costs.status_code == 422
    assert costs.json()["errors"][0]["rule"] == "unsupported_dimension"


async def test_reach_by_sex_counts_participants_and_leaves_enterprise_counts_empty(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp = rows.organisation("EFP")
    project = rows.project("ILES Pakistan", "PK", [efp])
    ids = [rows.enterprise(partner_id=efp, project_id=project) for _ in range(2)]
    cohort = rows.cohort(project, efp, "WCOOP", ids)
    for enterprise in ids:
        for role, sex in (("manager", "female"), ("worker", "male"), ("worker", "female")):
            rows.participant(cohort, enterprise, role, sex)
    await rows.flush()

    body = await report(reporting_api, "/reach", ILO_ANALYST, group_by="sex")

    by_sex = {row["sex"]: row for row in body["rows"]}
    assert (by_sex["female"]["participants"], by_sex["male"]["participants"]) == (4, 2)
    assert by_sex["female"]["enterprises_participating"] is None
    assert "Not answerable for this breakdown" in body["method"]
