"""Each role's reports count only the enterprises (and projects) that role may see."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.models import RmConsent
from shared.db import Database
from tests.reporting.analytics_support import (
    ILO_ANALYST,
    Rows,
    enterprise_user,
    lead_buyer,
    partner_staff,
    programme_manager,
    report,
    reporting_api_with,
    trainer_user,
)


@dataclass
class TwoPartners:
    efp: UUID
    mdpi: UUID
    inditex: UUID
    adidas: UUID
    pakistan: UUID
    ghana: UUID
    efp_enterprises: list[UUID]
    mdpi_enterprises: list[UUID]
    trainer: UUID


async def two_partners(rows: Rows) -> TwoPartners:
    """EFP's three enterprises in Pakistan and MDPI's two in Ghana, each with a defect pair
    (the enterprise's own improvement: -10% per position), cohorts and participants."""
    efp, mdpi = rows.organisation("EFP"), rows.organisation("MDPI")
    inditex = rows.organisation("Inditex", kind="lead_buyer")
    adidas = rows.organisation("Adidas", kind="lead_buyer")
    pakistan = rows.project("ILES Pakistan", "PK", [efp])
    ghana = rows.project("Ghana III", "GH", [mdpi])
    efp_ids = [rows.enterprise(partner_id=efp, project_id=pakistan) for _ in range(3)]
    mdpi_ids = [
        rows.enterprise(partner_id=mdpi, project_id=ghana, country="GH", workforce=100)
        for _ in range(2)
    ]
    rows.indicator("defect_rate", direction="down")
    trainer = UUID(int=7)
    await rows.flush()
    for number, enterprise in enumerate(efp_ids + mdpi_ids):
        project = pakistan if enterprise in efp_ids else ghana
        await rows.pair(enterprise, project, "defect_rate", 100, 100 - 10 * (number + 1))
    pk_cohort = rows.cohort(pakistan, efp, "WCOOP", efp_ids[:2], trainer_ids=[trainer])
    gh_cohort = rows.cohort(ghana, mdpi, "WCOOP", mdpi_ids)
    for enterprise in efp_ids[:2]:
        rows.participant(pk_cohort, enterprise, "manager", "female")
    for enterprise in mdpi_ids:
        rows.participant(gh_cohort, enterprise, "worker", "male")
    await rows.flush()
    return TwoPartners(efp, mdpi, inditex, adidas, pakistan, ghana, efp_ids, mdpi_ids, trainer)


async def impact_row(api: object, principal: object, **params: str) -> dict[str, object]:
    body = await report(api, "/impact", principal, indicator="defect_rate", **params)  # type: ignore[arg-type]
    rows: list[dict[str, object]] = body["rows"]
    assert len(rows) <= 1, rows
    return rows[0] if rows else {}


async def test_partner_counts_only_its_own_enterprises(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    world = await two_partners(Rows(reporting_session))
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=1) as api:
        efp_row = await impact_row(api, partner_staff(world.efp))
        mdpi_row = await impact_row(api, partner_staff(world.mdpi))
        ilo_row = await impact_row(api, ILO_ANALYST)
        # EFP: -10, -20, -30 %; MDPI: -40, -50 %.
        assert (efp_row["n"], efp_row["median_change_pct"]) == (3, -20.0)
        assert (mdpi_row["n"], mdpi_row["median_change_pct"]) == (2, -45.0)
        assert (ilo_row["n"], ilo_row["median_change_pct"]) == (5, -30.0)

        # Asking for the other partner's project gives nothing, not its figures.
        assert await impact_row(api, partner_staff(world.efp), project=str(world.ghana)) == {}

        reach = await report(api, "/reach", partner_staff(world.efp))
        [row] = reach["rows"]
        assert (row["participants"], row["managers_female"], row["workers_male"]) == (2, 2, 0)


async def test_partner_also_sees_enterprises_it_enrolled_for_another_partner(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    rows = Rows(reporting_session)
    world = await two_partners(rows)
    # MDPI enrols one of EFP's enterprises in its Ghanaian project.
    rows.enrol(world.efp_enterprises[0], world.ghana, world.mdpi, stage="level1")
    await rows.flush()
    await rows.pair(world.efp_enterprises[0], world.ghana, "defect_rate", 10, 1)
    await rows.flush()
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=1) as api:
        mdpi_row = await impact_row(api, partner_staff(world.mdpi))
        assert mdpi_row["n"] == 3 + 1  # its two, plus both pairs of the shared enterprise


async def test_programme_manager_counts_only_the_project(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    rows = Rows(reporting_session)
    world = await two_partners(rows)
    # An EFP enterprise also in Ghana: its Ghanaian pair is not the Pakistan manager's.
    rows.enrol(world.efp_enterprises[0], world.ghana, world.mdpi, stage="level1")
    await rows.flush()
    await rows.pair(world.efp_enterprises[0], world.ghana, "defect_rate", 10, 20)
    await rows.flush()
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=1) as api:
        row = await impact_row(api, programme_manager(world.pakistan))
        assert (row["n"], row["improved"]) == (3, 3)
        ghana_row = await impact_row(api, programme_manager(world.ghana))
        assert (ghana_row["n"], ghana_row["improved"]) == (3, 2)


async def test_buyer_counts_only_suppliers_consenting_to_it_and_loses_them_on_withdrawal(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    rows = Rows(reporting_session)
    world = await two_partners(rows)
    first, second, third = world.efp_enterprises
    rows.consent(first, world.inditex)
    rows.consent(second, world.inditex)
    rows.consent(third, world.inditex, status="withdrawn")
    rows.consent(world.mdpi_enterprises[0], world.adidas)  # consents to another buyer
    await rows.flush()
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=1) as api:
        inditex = lead_buyer(world.inditex)
        assert (await impact_row(api, inditex))["n"] == 2

        await reporting_session.execute(
            update(RmConsent)
            .where(col(RmConsent.enterprise_id) == first)
            .values(status="withdrawn")
        )
        assert (await impact_row(api, inditex))["n"] == 1
        assert (await impact_row(api, lead_buyer(world.adidas)))["n"] == 1


async def test_enterprise_user_sees_only_its_own_enterprise(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    world = await two_partners(Rows(reporting_session))
    own = world.efp_enterprises[1]
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=1) as api:
        row = await impact_row(api, enterprise_user(own))
        assert (row["n"], row["median_change_pct"]) == (1, -20.0)
    # With the default minimum its one-enterprise group is suppressed like any other.
    async with reporting_api_with(reporting_session, reporting_database) as api:
        assert (await impact_row(api, enterprise_user(own)))["suppressed"] is True


async def test_trainer_counts_the_enterprises_of_their_cohorts(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    world = await two_partners(Rows(reporting_session))
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=1) as api:
        row = await impact_row(api, trainer_user(world.trainer))
        assert (row["n"], row["median_change_pct"]) == (2, -15.0)
        assert await impact_row(api, trainer_user(UUID(int=8))) == {}


async def test_trainer_certifications_follow_the_trainers_organisation(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    rows = Rows(reporting_session)
    world = await two_partners(rows)
    rows.trainer("female", organisation_id=world.efp)
    rows.trainer("male", organisation_id=world.efp)
    rows.trainer("female", organisation_id=world.mdpi, country="GH")
    await rows.flush()
    async with reporting_api_with(reporting_session, reporting_database, min_group_size=1) as api:
        efp_reach = await report(api, "/reach", partner_staff(world.efp))
        assert efp_reach["rows"][0]["trainers_certified"] == 2
        ilo_reach = await report(api, "/reach", ILO_ANALYST, group_by="country")
        by_country = {row["country"]: row for row in ilo_reach["rows"]}
        assert (by_country["PK"]["trainers_female"], by_country["PK"]["trainers_male"]) == (1, 1)
        assert by_country["GH"]["trainers_female"] == 1
        # A buyer is shown no trainers at all.
        buyer_reach = await report(api, "/reach", lead_buyer(world.inditex))
        assert buyer_reach["rows"][0]["trainers_certified"] == 0
