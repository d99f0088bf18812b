"""A total recorded only as its parts: for counts and amounts the sum of its validated parts
is the slot's total (the indicators service's rule parts_add_up), so such an enterprise
counts in the figures; a recorded total wins, and rates are never summed."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import Api
from tests.reporting.analytics_support import ILO_ANALYST, Rows, report
from tests.reporting.test_graphql import data_of
from tests.reporting.test_impact_rules import impact, only_row, pakistan

SEX = ("sex",)


async def parts(
    rows: Rows,
    enterprise: UUID,
    project: UUID,
    code: str,
    kind: str,
    figures: dict[str, float],
    **extra: object,
) -> None:
    """One round's sex parts (female, male, ...), no total."""
    for sex, amount in figures.items():
        await rows.value(enterprise, project, code, kind, amount, sex=sex, **extra)  # type: ignore[arg-type]


async def test_an_enterprise_recording_accidents_only_by_sex_counts_in_the_figures(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 4)
    rows.indicator("accidents", kind="count", direction="down", unit="x", disaggregations=SEX)
    await rows.pair(ids[0], project, "accidents", 10, 5)
    # Female 3 -> 1, male 5 -> 2 (and one other at baseline): 9 -> 3, no total entered.
    await parts(
        rows, ids[1], project, "accidents", "baseline", {"female": 3, "male": 5, "other": 1}
    )
    await parts(rows, ids[1], project, "accidents", "endline", {"female": 1, "male": 2})
    # Without its male part a round has no total (the indicators service requires both).
    await parts(rows, ids[2], project, "accidents", "baseline", {"female": 3, "male": 5})
    await parts(rows, ids[2], project, "accidents", "endline", {"female": 1})
    # Nor with a male part not yet validated.
    await parts(rows, ids[3], project, "accidents", "baseline", {"female": 3, "male": 5})
    await rows.value(ids[3], project, "accidents", "endline", 1, sex="female")
    await rows.value(ids[3], project, "accidents", "endline", 1, sex="male", status="submitted")
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "accidents")

    assert (row["n"], row["improved"]) == (2, 2)
    # -50% and -66.7%.
    assert row["median_change_pct"] == -58.3
    assert row["median_abs_change"] == -5.5


async def test_a_recorded_total_wins_and_the_latest_round_with_a_total_counts(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 2)
    rows.indicator("jobs", kind="count", direction="up", unit="jobs", disaggregations=SEX)
    # Parts that do not add up to the recorded total (rows written directly): the total wins.
    await rows.pair(ids[0], project, "jobs", 10, 20)
    await parts(rows, ids[0], project, "jobs", "baseline", {"female": 1, "male": 1})
    await parts(rows, ids[0], project, "jobs", "endline", {"female": 1, "male": 1})
    # A total at the first baseline, only parts at the second: the second baseline counts.
    await rows.value(ids[1], project, "jobs", "baseline", 100)
    await parts(rows, ids[1], project, "jobs", "baseline", {"female": 20, "male": 20}, sequence=2)
    await rows.value(ids[1], project, "jobs", "endline", 60)
    await rows.flush()

    row = only_row(await impact(reporting_api, project), "jobs")

    assert (row["n"], row["improved"]) == (2, 2)
    # +100% and 40 -> 60, +50%.
    assert (row["q1_change_pct"], row["q3_change_pct"]) == (62.5, 87.5)


async def test_parts_of_a_rate_or_in_two_currencies_are_not_summed(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 2)
    rows.indicator("accidents", kind="count", direction="down", unit="x", disaggregations=SEX)
    rows.indicator("absenteeism", kind="percentage", direction="down", disaggregations=SEX)
    rows.indicator("savings", kind="amount", direction="up", unit="money", disaggregations=SEX)
    for kind, (female, male) in (("baseline", (4, 6)), ("endline", (2, 3))):
        for code in ("accidents", "absenteeism"):
            await parts(rows, ids[0], project, code, kind, {"female": female, "male": male})
        await parts(
            rows, ids[0], project, "savings", kind, {"female": female, "male": male}, currency="PKR"
        )
        await rows.value(ids[1], project, "savings", kind, female, sex="female", currency="PKR")
        await rows.value(ids[1], project, "savings", kind, male, sex="male", currency="USD")
    await rows.flush()

    body = await impact(reporting_api, project, indicator=["accidents", "absenteeism", "savings"])

    figures = {row["indicator"]: row["n"] for row in body["rows"]}
    # A rate of women and of men does not add up to everyone's; PKR and USD do not either.
    assert figures == {"accidents": 1, "savings": 1}, body["rows"]


async def test_role_parts_make_the_total_of_an_indicator_given_by_role_only(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 3)
    rows.indicator("trained", kind="count", direction="up", unit="x", disaggregations=("role",))
    rows.indicator(
        "overtime_workers", kind="count", direction="up", unit="x", disaggregations=("sex", "role")
    )
    for kind, (managers, workers) in (("baseline", (2, 8)), ("endline", (4, 16))):
        for role, amount in (("manager", managers), ("worker", workers)):
            await rows.value(ids[0], project, "trained", kind, amount, role=role)
            # By sex and role: only sex parts make its total.
            await rows.value(ids[0], project, "overtime_workers", kind, amount, role=role)
        # Every role is needed.
        await rows.value(ids[1], project, "trained", kind, managers, role="manager")
    await rows.flush()

    body = await impact(reporting_api, project, indicator=["trained", "overtime_workers"])

    figures = {row["indicator"]: row for row in body["rows"]}
    assert (figures["trained"]["n"], figures["trained"]["median_change_pct"]) == (1, 100.0)
    assert "overtime_workers" not in figures


async def test_the_explanation_shows_a_side_derived_from_its_parts(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 1)
    rows.indicator("accidents", kind="count", direction="down", unit="x", disaggregations=SEX)
    await rows.value(ids[0], project, "accidents", "baseline", 8)
    await parts(rows, ids[0], project, "accidents", "endline", {"female": 1, "male": 2})
    await rows.flush()

    explained = await report(
        reporting_api, "/impact/pairs", ILO_ANALYST, indicator="accidents", project=str(project)
    )

    [pair] = explained["pairs"]
    assert pair["baseline"]["derived_from_parts"] is False
    assert pair["baseline"]["value_id"] is not None
    endline = pair["endline"]
    assert (endline["value_id"], endline["version"], endline["value"]) == (None, None, "3")
    assert endline["derived_from_parts"] is True
    assert [(part["part"], part["value"], part["version"]) for part in endline["parts"]] == [
        ("female", "1", 1),
        ("male", "2", 1),
    ]
    assert all(part["value_id"] for part in endline["parts"])
    assert (pair["change"], pair["improved"]) == ("-5", True)


async def test_the_explanation_in_graphql_shows_a_side_derived_from_its_parts(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    _, project, ids = await pakistan(rows, 1)
    rows.indicator("accidents", kind="count", direction="down", unit="x", disaggregations=SEX)
    await parts(rows, ids[0], project, "accidents", "baseline", {"female": 3, "male": 5})
    await rows.value(ids[0], project, "accidents", "endline", 3)
    await rows.flush()

    data = await data_of(
        reporting_api,
        """{
          impactPairs(indicator: "accidents") {
            n
            pairs {
              baseline { valueId version value derivedFromParts parts { part value version } }
              endline { valueId derivedFromParts parts { part } }
            }
          }
        }""",
    )

    [pair] = data["impactPairs"]["pairs"]
    assert data["impactPairs"]["n"] == 1
    assert pair["baseline"] == {
        "valueId": None,
        "version": None,
        "value": "8",
        "derivedFromParts": True,
        "parts": [
            {"part": "female", "value": "3", "version": 1},
            {"part": "male", "value": "5", "version": 1},
        ],
    }
    assert pair["endline"]["valueId"] is not None
    assert (pair["endline"]["derivedFromParts"], pair["endline"]["parts"]) == (False, [])
