"""Sex beyond two values in reach: every category the programme reports has its part, the
parts add up to the total, and a small category is suppressed like any small group."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import Api
from tests.reporting.analytics_support import ILO_ANALYST, Rows, programme_manager, report

SEXES = ("female", "male", "other", "not_disclosed")


async def test_participants_and_trainers_of_every_sex_add_up_to_the_total(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp = rows.organisation("SENAI")
    project = rows.project("SCORE Brazil", "BR", [efp])
    ids = [rows.enterprise(partner_id=efp, project_id=project, country="BR") for _ in range(2)]
    cohort = rows.cohort(project, efp, "WCOOP", ids)
    for enterprise in ids:
        for role, sex in (
            ("manager", "female"),
            ("manager", "male"),
            ("worker", "other"),
            ("worker", "not_disclosed"),
            ("worker", "female"),
        ):
            rows.participant(cohort, enterprise, role, sex)
    for sex in ("female", "other", "not_disclosed"):
        rows.trainer(sex, organisation_id=efp, country="BR")
    await rows.flush()

    [total] = (await report(reporting_api, "/reach", ILO_ANALYST, project=str(project)))["rows"]
    assert total["participants"] == 10
    parts = [total[f"participants_{s}"] for s in ("female", "male", "other_sex")]
    parts.append(total["participants_sex_not_disclosed"])
    assert parts == [4, 2, 2, 2]
    assert sum(parts) == total["participants"]
    assert total["share_women_pct"] == 40.0
    # Trainers have no project: they are counted programme-wide.
    [everyone] = (await report(reporting_api, "/reach", ILO_ANALYST))["rows"]
    trainers = [everyone[f"trainers_{s}"] for s in ("female", "male", "other_sex")]
    trainers.append(everyone["trainers_sex_not_disclosed"])
    assert trainers == [1, 0, 1, 1]
    assert sum(trainers) == everyone["trainers_certified"]

    by_sex = await report(reporting_api, "/reach", ILO_ANALYST, group_by="sex")
    participants = {row["sex"]: row["participants"] for row in by_sex["rows"]}
    assert participants == {"female": 4, "male": 2, "other": 2, "not_disclosed": 2}
    assert sum(participants.values()) == total["participants"]
    certified = {row["sex"]: row["trainers_certified"] for row in by_sex["rows"]}
    assert sum(certified.values()) == everyone["trainers_certified"]


async def test_a_sex_category_of_one_enterprise_is_suppressed_outside_the_owner(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    rows = Rows(reporting_session)
    efp = rows.organisation("EFP")
    project = rows.project("ILES Pakistan", "PK", [efp])
    ids: list[UUID] = [rows.enterprise(partner_id=efp, project_id=project) for _ in range(10)]
    cohort = rows.cohort(project, efp, "WCOOP", ids)
    for enterprise in ids:
        rows.participant(cohort, enterprise, "manager", "female")
        rows.participant(cohort, enterprise, "worker", "male")
    rows.participant(cohort, ids[0], "worker", "other")
    await rows.flush()

    manager = programme_manager(project)
    body = await report(reporting_api, "/reach", manager, group_by="sex")
    by_sex = {row["sex"]: row for row in body["rows"]}
    # The one enterprise with such a participant would be singled out: its row keeps its
    # dimension, carries no figure and says why.
    assert by_sex["other"]["participants"] is None
    assert "fewer than 5 enterprises" in by_sex["other"]["suppression_reason"]
    assert (by_sex["female"]["participants"], by_sex["male"]["participants"]) == (10, 10)
    # The owner's analyst (the ILO) sees every part, and they add up to the total.
    ilo = await report(reporting_api, "/reach", ILO_ANALYST, group_by="sex")
    assert {row["sex"]: row["participants"] for row in ilo["rows"]} == {
        "female": 10,
        "male": 10,
        "other": 1,
    }
