"""Each enterprise's own matched pairs: its validated baseline and endline value per indicator
(the impact report's pairs, enterprise by enterprise) and which way it moved."""

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.impact.queries import YES_NO, matched_pairs
from services.reporting.readmodels.models import RmIndicator, RmProject, RmRound
from services.reporting.suppliers.schemas import IndicatorChange
from shared.identity import Principal

HUNDRED = Decimal(100)
# As the impact report rounds its relative changes.
PERCENT_STEP = Decimal("0.1")


def improved(direction: str, before: Decimal, after: Decimal) -> bool | None:
    if direction == "up":
        return after > before
    if direction == "down":
        return after < before
    return None


def change_of(
    indicator: RmIndicator,
    *,
    project_id: UUID,
    project_name: str | None,
    endline_round: str | None,
    baseline: Decimal | None,
    endline: Decimal | None,
    baseline_bool: bool | None,
    endline_bool: bool | None,
) -> IndicatorChange | None:
    """The pair's change, or None when the pair lacks the kind's value on either side."""
    yes_no = indicator.kind == YES_NO
    if yes_no:
        if baseline_bool is None or endline_bool is None:
            return None
        before, after = Decimal(baseline_bool), Decimal(endline_bool)
    else:
        if baseline is None or endline is None:
            return None
        before, after = baseline, endline
    change = after - before
    relative = None
    if not yes_no and before != 0:
        relative = (change / abs(before) * HUNDRED).quantize(PERCENT_STEP, rounding=ROUND_HALF_EVEN)
    return IndicatorChange(
        indicator_code=indicator.code,
        indicator_name=indicator.name_en,
        kind=indicator.kind,
        unit=indicator.unit,
        direction=indicator.direction,
        project_id=project_id,
        project_name=project_name,
        endline_round=endline_round,
        baseline=None if yes_no else before,
        endline=None if yes_no else after,
        change=None if yes_no else change,
        relative_change_percent=relative,
        baseline_adopted=baseline_bool if yes_no else None,
        endline_adopted=endline_bool if yes_no else None,
        improved=improved(indicator.direction, before, after),
    )


async def indicator_changes(
    session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
) -> dict[UUID, list[IndicatorChange]]:
    """Per enterprise, every indicator with a validated baseline and endline total in one of
    its projects; one statement for the whole batch, under the caller's tenancy."""
    result: dict[UUID, list[IndicatorChange]] = {key: [] for key in enterprise_ids}
    if not enterprise_ids:
        return result
    pairs = matched_pairs(principal, enterprise_ids=list(enterprise_ids))
    endline_round = aliased(RmRound)
    statement = (
        select(
            pairs.c.enterprise_id,
            pairs.c.project_id,
            RmIndicator,
            col(RmProject.name),
            col(endline_round.name),
            pairs.c.base,
            pairs.c.end,
            pairs.c.base_bool,
            pairs.c.end_bool,
        )
        .select_from(pairs)
        .join(RmIndicator, col(RmIndicator.id) == pairs.c.indicator_id)
        .outerjoin(RmProject, col(RmProject.id) == pairs.c.project_id)
        .outerjoin(endline_round, col(endline_round.id) == pairs.c.end_round_id)
        .order_by(pairs.c.enterprise_id, col(RmIndicator.code), col(RmProject.name))
    )
    for row in await session.execute(statement):
        enterprise_id, project_id, indicator, project, e_round, base, end, b_bool, e_bool = row
        change = change_of(
            indicator,
            project_id=project_id,
            project_name=project,
            endline_round=e_round,
            baseline=base,
            endline=end,
            baseline_bool=b_bool,
            endline_bool=e_bool,
        )
        if change is not None:
            result[enterprise_id].append(change)
    return result
