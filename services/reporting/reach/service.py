"""The reach report (who and how many the programme reached) and the cost recovery report
(the share of training cost paid by anyone but the ILO), as ReportTables.

Reach: every measure family ("block") answers from its own facts, its grouped rows merged
on the group key. Cost recovery: amounts in different currencies are never added together,
currency is always part of the breakdown, so a project paying in two has a row for each.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.disclosure import Blocks, Fact, fact, partition
from services.reporting.disclosure import method as disclosure_method
from services.reporting.params import Dimension, PeriodGrain, ReportParams, group_key
from services.reporting.reach.repository import (
    BLOCKS,
    CELLS,
    CERTIFIED_LEVELS,
    COST_REPORT,
    REPORT,
    SATISFIED_RATING,
    GroupKey,
    applicable,
    reach_repository,
)
from services.reporting.readmodels.service import read_model_service
from services.reporting.report import (
    REPORTS,
    ColumnKind,
    Report,
    ReportColumn,
    ReportTable,
    dimension_columns,
)
from services.reporting.repository import name_groups
from services.reporting.tenancy import suppression_applies
from shared.columns import utcnow
from shared.decimals import rounded
from shared.identity import Principal


@dataclass
class ReachGroup:
    """One group's measures by block; a block is None when it cannot answer the request."""

    group: dict[str, Any]
    blocks: dict[str, dict[str, int] | None]
    # The enterprises behind each block's measures (asked for with ``cells``).
    cells: dict[str, list[Any]] = field(default_factory=dict)


async def reach_groups(
    session: AsyncSession,
    principal: Principal,
    params: ReportParams,
    *,
    only: Collection[str] | None = None,
    cells: bool = False,
) -> tuple[list[ReachGroup], list[str]]:
    """Every block's grouped counts (or the ``only`` blocks' by name), merged per group;
    and the blocks that could not answer (a dimension they have no data for). ``cells``:
    with the enterprises behind each block's figures."""
    keys = [group_key(dimension) for dimension in params.group_by]
    merged: dict[GroupKey, ReachGroup] = {}
    wanted = [block for block in BLOCKS if only is None or block.name in only]
    answering = [block for block in wanted if applicable(block, params)]
    skipped = [block.name for block in wanted if block not in answering]
    for block in answering:
        rows = await reach_repository.block_rows(session, block, params, principal, cells=cells)
        for row in rows:
            key = tuple(row[k] for k in keys)
            entry = merged.setdefault(
                key, ReachGroup(group=dict(zip(keys, key, strict=True)), blocks={})
            )
            entry.blocks[block.name] = {m: int(row[m] or 0) for m in block.measures}
            if CELLS in row:
                entry.cells[block.name] = list(row[CELLS] or [])
    for entry in merged.values():
        for block in wanted:
            if block.name in skipped:
                entry.blocks[block.name] = None
            else:
                entry.blocks.setdefault(block.name, {m: 0 for m in block.measures})
    ordered = sorted(merged.values(), key=lambda g: _sort_key(tuple(g.group.values())))
    return ordered, skipped


def _sort_key(values: Sequence[Any]) -> tuple[tuple[bool, str], ...]:
    # Nulls last, everything else by its text.
    return tuple((value is None, "" if value is None else str(value)) for value in values)


async def reach_blocks(session: AsyncSession, principal: Principal, *, k: int) -> dict[str, Blocks]:
    """Per enterprise measure family, the blocks of every fact the caller may see, whatever
    the request's filters (``services.reporting.disclosure``)."""
    partitions: dict[str, Blocks] = {}
    for block in BLOCKS:
        if block.enterprises is None:
            continue
        universe = ReportParams(
            group_by=tuple(d for d in Dimension if d in block.dimensions),
            period_grain=PeriodGrain.month,
        )
        facts: dict[Any, set[Fact]] = {}
        rows = await reach_repository.block_rows(session, block, universe, principal, cells=True)
        for row in rows:
            found = fact({group_key(d): row[group_key(d)] for d in universe.group_by})
            for enterprise in row[CELLS] or []:
                facts.setdefault(enterprise, set()).add(found)
        partitions[block.name] = partition(facts, k)
    return partitions


METHOD = (
    "Enterprises trained: distinct enterprises with a module completed (completion date in "
    "the period), by the module, the cohort's project and partner. "
    "Enterprises participating and workers benefiting: the distinct enterprises listed in "
    "cohorts (period: the cohort's start date) and the sum of their total workforce, each "
    "enterprise counted once per row however many cohorts it joined; workforce_unknown "
    "counts those whose workforce is not recorded (they add nothing to the sum). "
    "Participants: people on cohorts' participant lists, not removed (a person on two "
    "cohorts counts twice), by sex (women, men, another sex or gender identity, not "
    "disclosed: the four add up to the participants) and role; share of women = female "
    "participants / participants. "
    f"Trainers certified: distinct trainers certified at level {' or '.join(CERTIFIED_LEVELS)} "
    "(period: certification date; partner: the trainer's organisation; by module and "
    "country of certification); they have no project, sector or stage, so their columns "
    "are empty when the request uses those. "
    f"Satisfaction rate: share of participants' ratings of {SATISFIED_RATING} or 5 on the "
    "1 (very dissatisfied) to 5 (very satisfied) scale, over all ratings (period: the day "
    "the rating was given, which may be backdated within the project's period; project "
    "and partner: the rated cohort's). "
    "Breakdown by sex: participants, trainers and ratings by their sex (one row per "
    "category, rows adding up to the total); the enterprise "
    "counts have no sex and are empty in such a breakdown. "
    "Programme events held: events of the projects the caller runs (the ILO, the project's "
    "manager, its partners' staff) that were not cancelled and whose day has come, by kind "
    "(period: the day held; country: the project's); they are project records, never "
    "suppressed. Event attendance: people on the registers of those events, by sex (the four "
    "parts add up to the attendees), and the distinct enterprises they came for (project: "
    "the event's; partner: the enterprise's). "
    "Improvement plans completed and suggestions adopted: Enterprise Improvement Plans with "
    "status completed (period: completion date; module: the plan's) and suggestions of the "
    "enterprises' schemes adopted (period: decision date; sex: of who suggested it), each "
    "counted in every project the enterprise is enrolled in (partner and stage: that "
    "enrolment's) and once in a total. "
    "Country and sector are the enterprise's; stage is the enterprise's current stage in "
    "the fact's project. Percentages are rounded to 1 decimal. Only enterprises (and "
    "trainers) the caller may see are counted."
)

COLUMNS = [
    ReportColumn(
        key="enterprises_trained",
        label="Enterprises trained",
        kind=ColumnKind.integer,
        description="Distinct enterprises that completed a module",
    ),
    ReportColumn(
        key="enterprises_participating",
        label="Enterprises participating",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="workers_benefiting",
        label="Workers benefiting",
        kind=ColumnKind.integer,
        description="Total workforce of the participating enterprises, each counted once",
    ),
    ReportColumn(
        key="workforce_unknown",
        label="Participating enterprises without a workforce figure",
        kind=ColumnKind.integer,
    ),
    ReportColumn(key="participants", label="Participants", kind=ColumnKind.integer),
    ReportColumn(key="participants_female", label="Participants, women", kind=ColumnKind.integer),
    ReportColumn(key="participants_male", label="Participants, men", kind=ColumnKind.integer),
    ReportColumn(
        key="participants_other_sex",
        label="Participants, another sex or gender identity",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="participants_sex_not_disclosed",
        label="Participants, sex not disclosed",
        kind=ColumnKind.integer,
        description="With women, men and another sex, adds up to the participants",
    ),
    ReportColumn(key="managers_female", label="Managers, women", kind=ColumnKind.integer),
    ReportColumn(key="managers_male", label="Managers, men", kind=ColumnKind.integer),
    ReportColumn(key="workers_female", label="Workers, women", kind=ColumnKind.integer),
    ReportColumn(key="workers_male", label="Workers, men", kind=ColumnKind.integer),
    ReportColumn(key="share_women_pct", label="Share of women (%)", kind=ColumnKind.percent),
    ReportColumn(key="trainers_certified", label="Trainers certified", kind=ColumnKind.integer),
    ReportColumn(key="trainers_female", label="Trainers certified, women", kind=ColumnKind.integer),
    ReportColumn(key="trainers_male", label="Trainers certified, men", kind=ColumnKind.integer),
    ReportColumn(
        key="trainers_other_sex",
        label="Trainers certified, another sex or gender identity",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="trainers_sex_not_disclosed",
        label="Trainers certified, sex not disclosed",
        kind=ColumnKind.integer,
    ),
    ReportColumn(key="ratings", label="Satisfaction ratings (n)", kind=ColumnKind.integer),
    ReportColumn(key="satisfied", label="Satisfied ratings", kind=ColumnKind.integer),
    ReportColumn(
        key="satisfaction_rate_pct", label="Satisfaction rate (%)", kind=ColumnKind.percent
    ),
    ReportColumn(key="events_held", label="Programme events held", kind=ColumnKind.integer),
    ReportColumn(
        key="events_mobilisation",
        label="Mobilisation and awareness events",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="events_alumni_meeting", label="Alumni network meetings", kind=ColumnKind.integer
    ),
    ReportColumn(
        key="events_buyer_supplier_meeting",
        label="Buyer-supplier meetings",
        kind=ColumnKind.integer,
    ),
    ReportColumn(key="events_other", label="Other programme events", kind=ColumnKind.integer),
    ReportColumn(
        key="event_enterprises",
        label="Enterprises that attended events",
        kind=ColumnKind.integer,
    ),
    ReportColumn(key="event_attendees", label="Event attendees", kind=ColumnKind.integer),
    ReportColumn(
        key="event_attendees_female", label="Event attendees, women", kind=ColumnKind.integer
    ),
    ReportColumn(key="event_attendees_male", label="Event attendees, men", kind=ColumnKind.integer),
    ReportColumn(
        key="event_attendees_other_sex",
        label="Event attendees, another sex or gender identity",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="event_attendees_sex_not_disclosed",
        label="Event attendees, sex not disclosed",
        kind=ColumnKind.integer,
        description="With women, men and another sex, adds up to the event attendees",
    ),
    ReportColumn(
        key="improvement_plans_completed",
        label="Enterprise Improvement Plans completed",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="suggestions_adopted",
        label="Workers' suggestions adopted",
        kind=ColumnKind.integer,
    ),
    ReportColumn(key="suppression_reason", label="Suppressed", kind=ColumnKind.text),
]

# Measures used for suppression and derived figures only; not columns of the report.
_INTERNAL = frozenset(
    {"participant_enterprises", "rated_enterprises", "plan_enterprises", "suggestion_enterprises"}
)
_DERIVED = {"participants": ("share_women_pct",), "satisfaction": ("satisfaction_rate_pct",)}


def _percent(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return rounded(Decimal(100 * part) / whole, 1)


def reach_row(
    entry: ReachGroup, partitions: Mapping[str, Blocks] | None, min_group_size: int
) -> tuple[dict[str, Any], bool]:
    """A report row from one group's blocks, and whether any was suppressed.

    ``partitions``: the caller's blocks per measure family (None: nothing is suppressed
    for this caller); a family's figures show only over whole blocks."""
    row: dict[str, Any] = dict(entry.group)
    hidden: list[str] = []
    reasons: list[str] = []
    for block in BLOCKS:
        measures = entry.blocks.get(block.name)
        suppressed = False
        if measures is not None and partitions is not None and block.enterprises:
            blocks = partitions.get(block.name, Blocks(k=min_group_size))
            cell = entry.cells.get(block.name, [])
            # A family with nothing in this group shows its zeros: they reveal no one.
            suppressed = bool(measures.get(block.enterprises)) and not blocks.shows(cell)
            if suppressed:
                reasons.append(f"{block.name}: {blocks.reason(cell)}")
        if suppressed:
            hidden.append(block.name)
        for measure in block.measures:
            if measure not in _INTERNAL:
                row[measure] = None if measures is None or suppressed else measures[measure]
        for derived in _DERIVED.get(block.name, ()):
            row[derived] = None
    blocks_of = entry.blocks
    if "participants" not in hidden and (participants := blocks_of.get("participants")):
        row["share_women_pct"] = _percent(
            participants["participants_female"], participants["participants"]
        )
    if "satisfaction" not in hidden and (satisfaction := blocks_of.get("satisfaction")):
        row["satisfaction_rate_pct"] = _percent(satisfaction["satisfied"], satisfaction["ratings"])
    row["suppressed"] = bool(hidden)
    row["suppression_reason"] = "; ".join(reasons) or None
    return row, bool(hidden)


async def reach_report(
    session: AsyncSession, principal: Principal, params: ReportParams, *, min_group_size: int
) -> ReportTable:
    parsed = params
    applies = suppression_applies(principal)
    groups, skipped = await reach_groups(session, principal, parsed, cells=applies)
    partitions = (
        await reach_blocks(session, principal, k=min_group_size) if applies and groups else None
    )
    if applies and partitions is None:
        partitions = {}
    rows: list[dict[str, Any]] = []
    suppressed_rows = 0
    for entry in groups:
        row, suppressed = reach_row(entry, partitions, min_group_size)
        rows.append(row)
        suppressed_rows += suppressed
    await name_groups(session, rows, parsed.group_by)
    method = METHOD
    if skipped:
        method += f" Not answerable for this breakdown (empty): {', '.join(skipped)}."
    if applies:
        method += disclosure_method(min_group_size) + (
            " The measure families (enterprises trained; participants; enterprises "
            "participating and workers benefiting; satisfaction; event attendance; improvement "
            "plans; suggestions) are controlled each on its own blocks; trainer and event "
            "counts are not enterprise data and are never suppressed."
        )
    return ReportTable(
        report=REPORT,
        title="Reach",
        method=method,
        filters=parsed.echo(),
        group_by=[d.value for d in parsed.group_by],
        columns=dimension_columns(parsed.group_by) + COLUMNS,
        rows=rows,
        min_group_size=min_group_size if applies else None,
        suppressed_rows=suppressed_rows,
        generated_at=utcnow(),
        data_as_of=await read_model_service.feed_positions(session),
    )


REPORTS[REPORT] = Report(ReportParams, reach_report)


# --- cost recovery --------------------------------------------------------------------------

COST_METHOD = (
    "Cost recovery = sum of non-ILO contributions / sum of training costs x 100, over the "
    "training cost entries recorded for the projects the caller may see, rounded to 1 "
    "decimal (half to even). Amounts in different currencies are never added: every row is "
    "one currency. Period: the entry's period start; country: the project's; module and "
    "partner: those of the entry's cohort (entries without a cohort have none)."
)

COST_COLUMNS = [
    ReportColumn(key="currency", label="Currency", kind=ColumnKind.dimension),
    ReportColumn(key="entries", label="Cost entries (n)", kind=ColumnKind.integer),
    ReportColumn(key="total_cost", label="Training cost", kind=ColumnKind.number),
    ReportColumn(
        key="non_ilo_contribution", label="Paid by non-ILO sources", kind=ColumnKind.number
    ),
    ReportColumn(key="cost_recovery_pct", label="Cost recovery (%)", kind=ColumnKind.percent),
]


def recovery_pct(non_ilo: Any, total: Any) -> float | None:
    if total is None or not total:
        return None
    return rounded(Decimal(100 * non_ilo) / Decimal(total), 1)


async def cost_recovery_rows(
    session: AsyncSession, principal: Principal, params: ReportParams
) -> list[dict[str, Any]]:
    """One row per group and currency: entries, the two sums and the recovery %."""
    rows = []
    for row in await reach_repository.cost_rows(session, principal, params):
        entry = dict(row)
        # JSON numbers, not strings: report figures are for reading and charting.
        entry["total_cost"] = float(row["total_cost"])
        entry["non_ilo_contribution"] = float(row["non_ilo_contribution"])
        entry["cost_recovery_pct"] = recovery_pct(row["non_ilo_contribution"], row["total_cost"])
        rows.append(entry)
    return rows


async def cost_recovery_report(
    session: AsyncSession, principal: Principal, params: ReportParams, *, min_group_size: int
) -> ReportTable:
    del min_group_size  # cost entries are project records, not enterprise data
    parsed = params
    rows = await cost_recovery_rows(session, principal, parsed)
    await name_groups(session, rows, parsed.group_by)
    return ReportTable(
        report=COST_REPORT,
        title="Cost recovery",
        method=COST_METHOD,
        filters=parsed.echo(),
        group_by=[d.value for d in parsed.group_by],
        columns=dimension_columns(parsed.group_by) + COST_COLUMNS,
        rows=rows,
        generated_at=utcnow(),
        data_as_of=await read_model_service.feed_positions(session),
    )


REPORTS[COST_REPORT] = Report(ReportParams, cost_recovery_report)
