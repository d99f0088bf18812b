"""The differencing attack, played for every role subject to suppression and every dimension.

The attacker knows which of its enterprises falls in which group (a buyer knows its
suppliers' countries and sectors) and asks for everything it may: the total, every
breakdown by one and by two dimensions, every filter, periods at every grain and date
windows, the sex parts. Each figure (n, improved, and so the percentages) is a sum over the
enterprises of its group, so a suppressed figure can be recovered exactly when its group is
a linear combination of the groups shown. The test fails if any is; it also checks that
each shown n is the size of the group the attacker thinks it is, so the attack is sound.
"""

import itertools
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.models import RmIndicator, RmTrainerCertification
from shared.identity import Principal
from tests.conftest import Baseline, BaselineGround, open_transactions, savepoint_session
from tests.enrolment.support import Api
from tests.reporting.analytics_support import (
    Rows,
    enterprise_user,
    lead_buyer,
    programme_manager,
    report,
    trainer_user,
)

K = 5
DIMENSIONS = ("module", "country", "project", "partner", "sector", "period", "stage")
KEYS = {"project": "project_id", "partner": "partner_id"}
GRAINS = ("year", "quarter", "month")
WINDOWS = ({"from": "2024-07-01"}, {"to": "2024-12-31"}, {"from": "2024-01-01", "to": "2025-01-31"})
LATE = date(2025, 3, 31)


@dataclass(frozen=True)
class Firm:
    """What the attacker knows of one enterprise (not its figures)."""

    id: UUID
    project: UUID
    partner: UUID
    country: str
    sector: str
    stage: str
    ends_on: date
    modules: frozenset[str]
    female_part: bool

    def value_of(self, dimension: str, grain: str) -> Any:
        if dimension == "period":
            return label(self.ends_on, grain)
        return {
            "country": self.country,
            "project": str(self.project),
            "partner": str(self.partner),
            "sector": self.sector,
            "stage": self.stage,
        }[dimension]


def label(day: date, grain: str) -> str:
    if grain == "year":
        return f"{day.year}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@dataclass(frozen=True)
class Cohort:
    module: str
    project: UUID
    partner: UUID
    start: date
    members: frozenset[UUID]


@dataclass
class World:
    firms: list[Firm]
    cohorts: list[Cohort]
    manager: Principal
    buyer: Principal
    trainer: Principal
    owner: Principal
    universes: dict[str, list[Firm]]


# Per enterprise of the Pakistan project: sector, partner (0 EFP, 1 NPCC), country, stage,
# late endline, also in the quality module, female accident part, a supplier of the buyer,
# in the trainer's cohort. Every dimension has a group smaller than 5.
PAKISTAN = [
    ("textile", 0, "PK", "level1", False, True, True, True, True),
    ("textile", 0, "PK", "level1", False, True, True, True, True),
    ("textile", 0, "PK", "level1", False, True, True, True, True),
    ("textile", 0, "PK", "level1", False, False, True, True, True),
    ("textile", 0, "PK", "level1", True, False, True, False, True),
    ("textile", 1, "PK", "level1", False, False, True, False, True),
    ("garments", 0, "PK", "level1", False, True, True, True, True),
    ("garments", 0, "PK", "level1", False, False, True, True, True),
    ("garments", 0, "PK", "level2", False, False, True, False, False),
    ("garments", 1, "PK", "level1", True, False, True, False, False),
    ("garments", 1, "BD", "level1", False, False, False, False, False),
    ("garments", 0, "PK", "level1", False, False, True, False, False),
    ("leather", 1, "PK", "level1", True, False, False, True, False),
    ("leather", 0, "BD", "level1", False, False, True, False, False),
]


# Every test stands on the module's baseline (tests/conftest.py ``Baseline``), in a savepoint
# of its transactions rolled back after it.
pytestmark = pytest.mark.usefixtures("attack_baseline")


@pytest.fixture(scope="module")
async def attack_baseline(baseline_ground: BaselineGround) -> AsyncIterator[Baseline[World]]:
    """The attack's world, written once for the module (the tests only read it): the same
    rows each test wrote for itself before."""
    async with open_transactions(*baseline_ground.engines) as transactions:
        session = savepoint_session(transactions.reporting)
        try:
            world = await build_attack_world(session)
        finally:
            await session.close()
        yield Baseline(transactions, world)


@pytest.fixture
def attack_world(attack_baseline: Baseline[World]) -> World:
    return attack_baseline.data


async def build_attack_world(reporting_session: AsyncSession) -> World:
    rows = Rows(reporting_session)
    efp, npcc, mdpi = (rows.organisation(name) for name in ("EFP", "NPCC", "MDPI"))
    buyer = rows.organisation("Inditex", kind="lead_buyer")
    pakistan = rows.project("ILES Pakistan", "PK", [efp, npcc])
    ghana = rows.project("Ghana III", "GH", [mdpi])
    rows.indicator("defects", kind="count", direction="down", unit="pieces")
    rows.indicator("accidents", kind="count", direction="down", unit="accidents")
    await rows.flush()
    firms: list[Firm] = []
    suppliers: list[UUID] = []
    trained: list[UUID] = []
    plan = [(pakistan, entry) for entry in PAKISTAN]
    # Two Ghanaian suppliers of the buyer: another project, partner and country.
    plan += [(ghana, ("textile", 2, "GH", "level1", False, False, True, True, False))] * 2
    for project, (sector, partner, country, stage, late, quality, female, supplies, cohort) in plan:
        partner_id = (efp, npcc, mdpi)[partner]
        enterprise = rows.enterprise(
            partner_id=partner_id,
            project_id=project,
            country=country,
            sector=sector,
            stage=stage,
            buyer_ids=[buyer] if supplies else [],
        )
        modules = {"WCOOP", "QM"} if quality else {"WCOOP"}
        firms.append(
            Firm(
                id=enterprise,
                project=project,
                partner=partner_id,
                country=country,
                sector=sector,
                stage=stage,
                ends_on=LATE if late else date(2024, 6, 30),
                modules=frozenset(modules),
                female_part=female,
            )
        )
        if supplies:
            suppliers.append(enterprise)
        if cohort:
            trained.append(enterprise)
    await rows.flush()
    trainer_id = rows.trainer("female", organisation_id=efp)
    by_project: dict[UUID, list[Firm]] = {}
    for firm in firms:
        by_project.setdefault(firm.project, []).append(firm)
    cohorts: list[Cohort] = []
    for project, members in by_project.items():
        lead = members[0].partner
        ids = [firm.id for firm in members]
        taught = [await _trainer_id(rows, trainer_id)]
        for module, start, enterprise_ids, trainers in (
            ("WCOOP", date(2024, 2, 1), [i for i in ids if i not in trained], []),
            ("WCOOP", date(2024, 2, 1), [i for i in ids if i in trained], taught),
            ("QM", date(2024, 3, 1), [f.id for f in members if "QM" in f.modules], []),
        ):
            if not enterprise_ids:
                continue
            cohort_id = rows.cohort(
                project, lead, module, enterprise_ids, trainer_ids=trainers, start=start
            )
            for enterprise in enterprise_ids:
                rows.participant(cohort_id, enterprise, "worker", "female")
            cohorts.append(Cohort(module, project, lead, start, frozenset(enterprise_ids)))
    for firm in firms:
        if firm.id in suppliers:
            rows.consent(firm.id, buyer)
    await rows.flush()
    for number, firm in enumerate(firms):
        sequence = 2 if firm.ends_on == LATE else 1
        await rows.value(firm.id, firm.project, "defects", "baseline", 10 + number)
        await rows.value(
            firm.id,
            firm.project,
            "defects",
            "endline",
            5 + number % 7,
            sequence=sequence,
            ends_on=firm.ends_on,
        )
        for sex in ("female", "male") if firm.female_part else ("male",):
            await rows.value(firm.id, firm.project, "accidents", "baseline", 3, sex=sex)
            await rows.value(
                firm.id,
                firm.project,
                "accidents",
                "endline",
                number % 4,
                sex=sex,
                sequence=sequence,
                ends_on=firm.ends_on,
            )
    await rows.flush()
    await _disaggregate(reporting_session, "accidents")
    trainer = trainer_user(await _trainer_id(rows, trainer_id))
    owner = firms[0]
    return World(
        firms=firms,
        cohorts=cohorts,
        manager=programme_manager(pakistan),
        buyer=lead_buyer(buyer),
        trainer=trainer,
        owner=enterprise_user(owner.id),
        universes={
            "programme_manager": by_project[pakistan],
            "lead_buyer": [firm for firm in firms if firm.id in suppliers],
            "trainer": [firm for firm in firms if firm.id in trained],
            "enterprise_user": [owner],
        },
    )


async def _trainer_id(rows: Rows, certification_id: UUID) -> UUID:
    found = await rows.session.get(RmTrainerCertification, certification_id)
    assert found is not None
    return found.trainer_id


async def _disaggregate(session: AsyncSession, code: str) -> None:
    await session.execute(
        update(RmIndicator).where(col(RmIndicator.code) == code).values(disaggregations=["sex"])
    )
    await session.commit()


# --- the attacker's requests and its model of which enterprises a row covers -------------


@dataclass(frozen=True)
class Request:
    indicator: str
    group_by: tuple[str, ...] = ()
    grain: str = "year"
    filters: tuple[tuple[str, str], ...] = ()

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"indicator": self.indicator}
        if self.group_by:
            params["group_by"] = ",".join(self.group_by)
        if "period" in self.group_by:
            params["period_grain"] = self.grain
        params.update(dict(self.filters))
        return params


def requests(firms: Sequence[Firm]) -> list[Request]:
    found: list[Request] = []
    for indicator in ("defects", "accidents"):
        sex = ("sex",) if indicator == "accidents" else ()
        found.append(Request(indicator, sex))
        for dimension in DIMENSIONS:
            for grain in GRAINS if dimension == "period" else ("year",):
                found.append(Request(indicator, (*sex, dimension), grain))
        for first, second in itertools.combinations(DIMENSIONS, 2):
            found.append(Request(indicator, (*sex, first, second)))
        for dimension in (d for d in DIMENSIONS if d != "period"):
            values = sorted(
                {m for firm in firms for m in firm.modules}
                if dimension == "module"
                else {firm.value_of(dimension, "year") for firm in firms}
            )
            # A filter gives the groups of a breakdown again, through another door.
            other = "sector" if dimension != "sector" else "country"
            for value in values:
                found.append(Request(indicator, sex, filters=((dimension, value),)))
                found.append(Request(indicator, (*sex, other), filters=((dimension, value),)))
        for window in WINDOWS:
            found.append(Request(indicator, sex, filters=tuple(window.items())))
            found.append(Request(indicator, (*sex, "sector"), filters=tuple(window.items())))
    return found


def covers(firm: Firm, request: Request, row: Mapping[str, Any]) -> bool:
    """Whether the row's figures include the firm's pair, as the attacker reckons it."""
    if request.indicator == "accidents" and row.get("sex") == "female" and not firm.female_part:
        return False
    for name, wanted in request.filters:
        if name == "from" and firm.ends_on < date.fromisoformat(wanted):
            return False
        if name == "to" and firm.ends_on > date.fromisoformat(wanted):
            return False
        if name == "module" and wanted not in firm.modules:
            return False
        if name not in ("from", "to", "module") and firm.value_of(name, "year") != wanted:
            return False
    for dimension in request.group_by:
        if dimension == "sex":
            continue
        shown = row[KEYS.get(dimension, dimension)]
        if dimension == "module":
            if shown not in firm.modules:
                return False
        elif str(firm.value_of(dimension, request.grain)) != str(shown):
            return False
    return True


class Span:
    """The span over the rationals of the shown figures' vectors, reduced once (Gaussian
    elimination): a suppressed figure is recovered exactly when its vector lies in it
    (adding it leaves the rank as it was). One pass over the basis per vector, where the
    rank of every shown vector and it again was a whole elimination per suppressed one."""

    def __init__(self, vectors: Iterable[Sequence[int]]) -> None:
        # (pivot column, row): 1 at its pivot, 0 at the pivots of the rows before it.
        self.basis: list[tuple[int, list[Fraction]]] = []
        for vector in vectors:
            row = self._reduced(vector)
            pivot = next((column for column, x in enumerate(row) if x != 0), None)
            if pivot is not None:
                self.basis.append((pivot, [x / row[pivot] for x in row]))

    def _reduced(self, vector: Sequence[int]) -> list[Fraction]:
        row = [Fraction(x) for x in vector]
        for pivot, base in self.basis:
            if row[pivot] != 0:
                factor = row[pivot]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
        return row

    def holds(self, vector: Sequence[int]) -> bool:
        return all(x == 0 for x in self._reduced(vector))


async def play(api: Api, caller: Principal, universe: Sequence[Firm]) -> dict[str, int]:
    """Every request of the attack; returns how many figures were shown and suppressed.
    Fails on the first suppressed figure that the shown ones give away."""
    shown: dict[tuple[str, str | None], list[tuple[int, ...]]] = {}
    hidden: dict[tuple[str, str | None], list[tuple[tuple[int, ...], Request]]] = {}
    for request in requests(universe):
        body = await report(api, "/impact", caller, **request.params())
        for row in body["rows"]:
            measure = (request.indicator, row.get("sex"))
            vector = tuple(int(covers(firm, request, row)) for firm in universe)
            if row["suppressed"]:
                assert row["n"] is None
                assert row["improved_pct"] is None
                assert row["median_change_pct"] is None
                hidden.setdefault(measure, []).append((vector, request))
            else:
                # The attacker's model matches the report: the row is the group it thinks.
                assert row["n"] == sum(vector), (request, row)
                shown.setdefault(measure, []).append(vector)
    for measure, suppressed in hidden.items():
        published = shown.get(measure, [])
        span = Span(published)
        for vector, request in suppressed:
            recovered = bool(published) and span.holds(vector)
            assert not recovered, (
                f"{caller.role.value} recovers a suppressed {measure} figure of "
                f"{sum(vector)} enterprise(s) from {request.params()}"
            )
    return {
        "shown": sum(len(v) for v in shown.values()),
        "suppressed": sum(len(v) for v in hidden.values()),
    }


def in_reach_cell(
    firm: Firm, cohorts: Sequence[Cohort], params: Mapping[str, Any], row: Mapping[str, Any]
) -> bool:
    """Whether an enterprise counts among the row's enterprises participating: one of its
    cohorts matches the filters and the row's groups."""
    grain = params.get("period_grain", "year")
    for cohort in cohorts:
        if firm.id not in cohort.members:
            continue
        values = {
            "module": cohort.module,
            "project": str(cohort.project),
            "partner": str(cohort.partner),
            "period": label(cohort.start, grain),
            "country": firm.country,
            "sector": firm.sector,
            "stage": firm.stage,
        }
        filters = {name: value for name, value in params.items() if name in values}
        grouped = [d for d in str(params.get("group_by", "")).split(",") if d]
        if all(values[name] == value for name, value in filters.items()) and all(
            str(values[d]) == str(row[KEYS.get(d, d)]) for d in grouped
        ):
            return True
    return False


async def play_reach(
    api: Api, caller: Principal, universe: Sequence[Firm], cohorts: Sequence[Cohort]
) -> int:
    """The attack on the reach report's enterprises participating; the suppressed count."""
    published: list[tuple[int, ...]] = []
    suppressed: list[tuple[tuple[int, ...], dict[str, Any]]] = []
    asks: list[dict[str, Any]] = [{}]
    asks += [{"group_by": d} for d in DIMENSIONS]
    asks += [{"group_by": "period", "period_grain": "month"}]
    asks += [{"group_by": f"{a},{b}"} for a, b in itertools.combinations(DIMENSIONS, 2)]
    asks += [{"sector": firm.sector} for firm in universe]
    for params in asks:
        body = await report(api, "/reach", caller, **params)
        for row in body["rows"]:
            vector = tuple(int(in_reach_cell(f, cohorts, params, row)) for f in universe)
            if not any(vector):
                continue
            if row["enterprises_participating"] is None:
                suppressed.append((vector, params))
            else:
                assert row["enterprises_participating"] == sum(vector), (params, row)
                published.append(vector)
    span = Span(published)
    for vector, params in suppressed:
        recovered = bool(published) and span.holds(vector)
        assert not recovered, (
            f"{caller.role.value} recovers the enterprises participating of a suppressed "
            f"group of {sum(vector)} from the reach report with {params}"
        )
    return len(suppressed)


@pytest.mark.parametrize("role", ["programme_manager", "lead_buyer", "trainer", "enterprise_user"])
async def test_no_suppressed_figure_can_be_recovered_by_differencing(
    reporting_api: Api, attack_world: World, role: str
) -> None:
    caller = {
        "programme_manager": attack_world.manager,
        "lead_buyer": attack_world.buyer,
        "trainer": attack_world.trainer,
        "enterprise_user": attack_world.owner,
    }[role]

    universe = attack_world.universes[role]
    tally = await play(reporting_api, caller, universe)
    hidden_reach = await play_reach(reporting_api, caller, universe, attack_world.cohorts)

    # The attack met suppressed figures (every dimension has a small group) ...
    assert tally["suppressed"] > 0
    assert hidden_reach > 0
    # ... and, where the caller sees enough enterprises, figures it may see.
    if len(attack_world.universes[role]) >= K:
        assert tally["shown"] > 0


async def test_the_naive_attack_of_the_issue_fails(reporting_api: Api, attack_world: World) -> None:
    """A buyer sees n for all its suppliers; grouping by sector must not give the rest away."""
    total = (await report(reporting_api, "/impact", attack_world.buyer, indicator="defects"))[
        "rows"
    ][0]
    by_sector = await report(
        reporting_api, "/impact", attack_world.buyer, indicator="defects", group_by="sector"
    )

    shown = [row["n"] for row in by_sector["rows"] if not row["suppressed"]]
    hidden = [row for row in by_sector["rows"] if row["suppressed"]]
    assert total["n"] == len(attack_world.universes["lead_buyer"])
    assert len(hidden) != 1, "one suppressed sector would be the total minus the others"
    assert total["n"] - sum(shown) >= K or not hidden
