"""GET /reach: enterprises trained, participants, workers benefiting, trainers and
satisfaction by any dimension; and the shared parameter validation."""

from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.models import RmSatisfaction
from shared.ids import new_id
from tests.enrolment.support import Api
from tests.reporting.analytics_support import ILO_ANALYST, Rows, report


async def training_world(rows: Rows) -> tuple[UUID, UUID, UUID, list[UUID]]:
    """EFP in Pakistan (textile) and NPCC in Mauritius (food), four enterprises."""
    efp, npcc = rows.organisation("EFP"), rows.organisation("NPCC")
    pakistan = rows.project("ILES Pakistan", "PK", [efp])
    mauritius = rows.project("SCORE Mauritius", "MU", [npcc])
    ids = [
        rows.enterprise(partner_id=efp, project_id=pakistan, workforce=400),
        rows.enterprise(partner_id=efp, project_id=pakistan, workforce=300, stage="alumni"),
        rows.enterprise(partner_id=efp, project_id=pakistan, workforce=None),
        rows.enterprise(
            partner_id=npcc, project_id=mauritius, country="MU", sector="food", workforce=50
        ),
    ]
    await rows.flush()
    return pakistan, mauritius, efp, ids


async def test_enterprises_trained_are_distinct_completions_in_the_period(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    pakistan, mauritius, efp, ids = await training_world(rows)
    npcc_cohort = rows.cohort(mauritius, efp, "WCOOP", [ids[3]])
    wcoop = rows.cohort(pakistan, efp, "WCOOP", ids[:3])
    quality = rows.cohort(pakistan, efp, "QUALITY", ids[:2])
    rows.completed(ids[0], wcoop, "WCOOP", date(2023, 3, 10))
    rows.completed(ids[1], wcoop, "WCOOP", date(2023, 3, 10))
    rows.completed(ids[2], wcoop, "WCOOP", None)  # still in training
    rows.completed(ids[0], quality, "QUALITY", date(2024, 2, 1))
    rows.completed(ids[3], npcc_cohort, "WCOOP", date(2023, 7, 1))
    await rows.flush()

    by_module = await report(reporting_api, "/reach", ILO_ANALYST, group_by="module,country")
    trained = {(r["module"], r["country"]): r["enterprises_trained"] for r in by_module["rows"]}
    assert trained == {("QUALITY", "PK"): 1, ("WCOOP", "MU"): 1, ("WCOOP", "PK"): 2}

    # One enterprise completing two modules is one enterprise trained.
    [total] = (await report(reporting_api, "/reach", ILO_ANALYST, project=str(pakistan)))["rows"]
    assert total["enterprises_trained"] == 2

    by_year = await report(
        reporting_api, "/reach", ILO_ANALYST, group_by="period", project=str(pakistan)
    )
    assert {r["period"]: r["enterprises_trained"] for r in by_year["rows"]} == {
        "2023": 2,
        "2024": 1,
    }
    in_2024 = await report(
        reporting_api, "/reach", ILO_ANALYST, project=str(pakistan), **{"from": "2024-01-01"}
    )
    assert in_2024["rows"][0]["enterprises_trained"] == 1
    by_stage = await report(reporting_api, "/reach", ILO_ANALYST, stage="alumni")
    assert by_stage["rows"][0]["enterprises_trained"] == 1


async def test_participants_by_sex_and_role_without_removed_people(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    pakistan, _, efp, ids = await training_world(rows)
    cohort = rows.cohort(pakistan, efp, "WCOOP", ids[:2])
    for enterprise in ids[:2]:
        rows.participant(cohort, enterprise, "manager", "female")
        rows.participant(cohort, enterprise, "manager", "male")
        rows.participant(cohort, enterprise, "worker", "female")
    rows.participant(cohort, ids[0], "worker", "male")
    rows.participant(cohort, ids[0], "worker", "female", removed=True)
    await rows.flush()

    [row] = (await report(reporting_api, "/reach", ILO_ANALYST, project=str(pakistan)))["rows"]

    assert row["participants"] == 7
    assert (row["participants_female"], row["participants_male"]) == (4, 3)
    assert (row["managers_female"], row["managers_male"]) == (2, 2)
    assert (row["workers_female"], row["workers_male"]) == (2, 1)
    assert row["share_women_pct"] == 57.1


async def test_workers_benefiting_counts_each_enterprise_once(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    pakistan, _, efp, ids = await training_world(rows)
    rows.cohort(pakistan, efp, "WCOOP", ids[:3], start=date(2023, 1, 10))
    rows.cohort(pakistan, efp, "QUALITY", ids[:2], start=date(2023, 6, 1))
    await rows.flush()

    [row] = (await report(reporting_api, "/reach", ILO_ANALYST, project=str(pakistan)))["rows"]
    assert row["enterprises_participating"] == 3
    assert row["workers_benefiting"] == 700  # 400 + 300; the third has no workforce figure
    assert row["workforce_unknown"] == 1

    by_module = await report(
        reporting_api, "/reach", ILO_ANALYST, project=str(pakistan), group_by="module"
    )
    workers = {r["module"]: r["workers_benefiting"] for r in by_module["rows"]}
    assert workers == {"QUALITY": 700, "WCOOP": 700}


async def test_satisfaction_rate_counts_ratings_of_four_and_five(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    pakistan, _, efp, ids = await training_world(rows)
    cohort = rows.cohort(pakistan, efp, "WCOOP", ids[:2])
    for rating in (5, 4, 4, 3, 2, 5, 5, 1):
        rows.rating(ids[0], cohort, rating)
    await rows.flush()

    [row] = (await report(reporting_api, "/reach", ILO_ANALYST, project=str(pakistan)))["rows"]

    assert (row["ratings"], row["satisfied"], row["satisfaction_rate_pct"]) == (8, 5, 62.5)
    assert "4 or 5" in (await report(reporting_api, "/reach", ILO_ANALYST))["method"]


async def test_trainers_certified_by_sex_and_empty_where_they_have_no_dimension(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    pakistan, _, efp, _ = await training_world(rows)
    rows.trainer("female", organisation_id=efp)
    rows.trainer("female", organisation_id=efp, level="expert")
    rows.trainer("male", organisation_id=efp)
    rows.trainer("male", organisation_id=efp, level="candidate")
    rows.trainer(
        "female", organisation_id=efp, at=datetime(2019, 5, 1, tzinfo=UTC), module="QUALITY"
    )
    await rows.flush()

    body = await report(reporting_api, "/reach", ILO_ANALYST, country="PK")
    [row] = body["rows"]
    assert (row["trainers_certified"], row["trainers_female"], row["trainers_male"]) == (4, 3, 1)

    by_project = await report(reporting_api, "/reach", ILO_ANALYST, project=str(pakistan))
    assert by_project["rows"][0]["trainers_certified"] is None
    assert "trainers" in by_project["method"].split("Not answerable")[1]


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"group_by": "colour"}, "query.group_by", "unknown_dimension"),
        ({"group_by": "country,country"}, "query.group_by", "duplicate"),
        ({"contry": "PK"}, "query.contry", "unknown_parameter"),
        ({"country": "XX"}, "query.country", "iso_3166_alpha_2"),
        ({"project": "not-a-uuid"}, "query.project", "uuid"),
        ({"stage": "graduated"}, "query.stage", "enum"),
        ({"from": "2024-05-01", "to": "2024-01-01"}, "query.to", "after_from"),
        ({"from": "yesterday"}, "query.from", "date"),
    ],
)
async def test_invalid_parameters_are_refused_naming_the_parameter_and_rule(
    reporting_api: Api, params: dict[str, str], field: str, rule: str
) -> None:
    response = await reporting_api.get("/reach", params=params, as_=ILO_ANALYST)

    assert response.status_code == 422, response.text
    assert (field, rule) in {(e["field"], e["rule"]) for e in response.json()["errors"]}


async def test_unknown_dimension_error_lists_the_allowed_values(reporting_api: Api) -> None:
    response = await reporting_api.get("/reach", params={"group_by": "colour"}, as_=ILO_ANALYST)

    [error] = response.json()["errors"]
    assert error["message"] == (
        "allowed dimensions: module, country, project, partner, sector, period, stage, sex"
    )


async def test_grouping_by_quarter_and_month_labels_periods(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    pakistan, _, efp, ids = await training_world(rows)
    cohort = rows.cohort(pakistan, efp, "WCOOP", ids[:2], start=date(2023, 1, 9))
    rows.completed(ids[0], cohort, "WCOOP", date(2023, 2, 28))
    rows.completed(ids[1], cohort, "WCOOP", date(2023, 11, 2))
    await rows.flush()

    quarters = await report(
        reporting_api, "/reach", ILO_ANALYST, group_by="period", period_grain="quarter"
    )
    assert {r["period"]: r["enterprises_trained"] for r in quarters["rows"]} == {
        "2023-Q1": 1,
        "2023-Q4": 1,
    }
    months = await report(
        reporting_api, "/reach", ILO_ANALYST, group_by="period", period_grain="month"
    )
    # Each measure falls in the period of its own date: cohorts start, modules complete.
    assert [
        (r["period"], r["enterprises_participating"], r["enterprises_trained"])
        for r in months["rows"]
    ] == [("2023-01", 2, 0), ("2023-02", 0, 1), ("2023-11", 0, 1)]


async def test_satisfaction_is_dated_by_the_day_the_rating_was_given(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    pakistan, _, efp, ids = await training_world(rows)
    cohort = rows.cohort(pakistan, efp, "WCOOP", ids[:2])
    await rows.flush()
    for enterprise, rated_on, rating in ((ids[0], date(2020, 11, 15), 5), (ids[1], None, 2)):
        reporting_session.add(
            RmSatisfaction(
                id=new_id(),
                enterprise_id=enterprise,
                cohort_id=cohort,
                participant_id=new_id(),
                module_code="WCOOP",
                role="worker",
                sex="female",
                rating=rating,
                rated_on=rated_on,
                recorded_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )
    await reporting_session.commit()

    body = await report(reporting_api, "/reach", ILO_ANALYST, group_by="period")

    by_year = {row["period"]: row for row in body["rows"]}
    # Typed in in 2024, given in 2020: it counts for 2020 (a target over past years has it).
    assert (by_year["2020"]["ratings"], by_year["2020"]["satisfied"]) == (1, 1)
    assert (by_year["2024"]["ratings"], by_year["2024"]["satisfied"]) == (1, 0)
