"""Explain a figure: the matched pairs behind one impact figure, with the value ids and
versions of both sides, so "n = 23, 34.8% improved" can be traced to the values."""

from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.filters import (
    RawParams,
    breakdown,
    parse_report_params,
)
from services.reporting.impact.queries import (
    REPORT,
    impact_dimensions,
    matched_pairs,
    pair_modules,
    with_joins,
)
from services.reporting.impact.report import INDICATOR_PARAM, indicator_codes
from services.reporting.readmodels.models import RmEnterprise
from services.reporting.suppliers.changes import change_of
from shared.decimals import PlainDecimal
from shared.enums import Role, Sex
from shared.identity import Principal
from shared.problems import Forbidden, InvalidInput, field_error

SEX_PARAM = "sex"
SEXES = tuple(sex.value for sex in Sex)


class PairSide(BaseModel):
    value_id: UUID = Field(description="The validated value counted (see /indicators/values)")
    version: int = Field(description="Its version: the latest validated one of its slot")
    value: bool | PlainDecimal | None


class MatchedPair(BaseModel):
    enterprise_id: UUID
    enterprise_name: str | None
    project_id: UUID
    sex: str | None = Field(description="The sex part paired; null: the total")
    baseline: PairSide
    endline: PairSide
    change: PlainDecimal | None = Field(description="endline - baseline (numeric indicators)")
    relative_change_pct: PlainDecimal | None = Field(
        description="(endline - baseline) / |baseline| x 100, 1 decimal; null for a 0 baseline"
    )
    improved: bool | None = Field(description="Moved in the indicator's desired direction")


class ImpactExplanation(BaseModel):
    indicator: str
    filters: dict[str, Any]
    n: int = Field(description="Matched pairs: the n of the impact figure with these filters")
    improved: int = Field(description="Of them, improved in the desired direction")
    pairs: list[MatchedPair]
    method: str


# Who may trace a figure to its values: whoever may read the enterprises' values one by
# one in the indicators service. Lead buyers follow consenting suppliers' changes in the
# supplier report instead.
EXPLAINERS = frozenset(Role) - {Role.lead_buyer}

METHOD = (
    "The matched pairs the impact figure with the same indicator and filters counts (a row "
    "of a breakdown is explained by filtering on its group: country=PK, module=..., "
    "from/to for a period, sex=female for a sex part): per pair the validated baseline "
    "and endline values, in their latest validated version, with their value ids and "
    "versions. Only enterprises whose values you may see are listed."
)


def _sex(raw: RawParams) -> str | None:
    given = raw.get(SEX_PARAM)
    values = [given] if isinstance(given, str) else list(given or [])
    if not values:
        return None
    if len(values) > 1 or values[0] not in SEXES:
        raise InvalidInput(
            f"sex is one of {', '.join(SEXES)}, once",
            errors=[field_error(f"query.{SEX_PARAM}", "enum", " or ".join(SEXES), values)],
        )
    return str(values[0])


async def explain_impact(
    session: AsyncSession, principal: Principal, params: RawParams
) -> ImpactExplanation:
    if principal.role not in EXPLAINERS:
        raise Forbidden(
            "Lead buyers see their consenting suppliers' changes in /suppliers, not the "
            "values behind programme figures"
        )
    sex = _sex(params)
    raw = {name: value for name, value in params.items() if name != SEX_PARAM}
    parsed, extra = parse_report_params(raw, extra=(INDICATOR_PARAM,))
    codes = list(dict.fromkeys(extra.get(INDICATOR_PARAM, [])))
    if len(codes) != 1:
        raise InvalidInput(
            "Name the one indicator whose figure to explain",
            errors=[field_error(f"query.{INDICATOR_PARAM}", "one_indicator", "one code", codes)],
        )
    if parsed.group_by:
        raise InvalidInput(
            "A figure is explained by filters, not a breakdown: filter on the row's group",
            errors=[field_error("query.group_by", "not_supported", "filter instead")],
        )
    [indicator] = (await indicator_codes(session, codes)).values()
    by_sex = sex is not None
    pairs = matched_pairs(principal, indicator_codes=codes, by_sex=by_sex, with_values=True)
    modules = pair_modules()
    plan = breakdown(parsed, impact_dimensions(pairs, modules), report=REPORT)
    statement = with_joins(
        select(
            pairs.c.enterprise_id,
            pairs.c.project_id,
            pairs.c.sex,
            pairs.c.base_value_id,
            pairs.c.end_value_id,
            pairs.c.base_version,
            pairs.c.end_version,
            pairs.c.base,
            pairs.c.end,
            pairs.c.base_bool,
            pairs.c.end_bool,
        ).select_from(pairs),
        pairs,
        modules,
        parsed,
    )
    if by_sex:
        statement = statement.where(pairs.c.sex == sex)
    statement = statement.where(*plan.conditions).order_by(
        pairs.c.enterprise_id, pairs.c.project_id
    )
    rows = (await session.execute(statement)).mappings().all()
    names = await _names(session, {row["enterprise_id"] for row in rows})
    explained = []
    for row in rows:
        change = change_of(
            indicator,
            project_id=row["project_id"],
            project_name=None,
            endline_round=None,
            baseline=row["base"],
            endline=row["end"],
            baseline_bool=row["base_bool"],
            endline_bool=row["end_bool"],
        )
        yes_no = row["base_bool"] is not None
        explained.append(
            MatchedPair(
                enterprise_id=row["enterprise_id"],
                enterprise_name=names.get(row["enterprise_id"]),
                project_id=row["project_id"],
                sex=row["sex"],
                baseline=PairSide(
                    value_id=row["base_value_id"],
                    version=row["base_version"],
                    value=row["base_bool"] if yes_no else row["base"],
                ),
                endline=PairSide(
                    value_id=row["end_value_id"],
                    version=row["end_version"],
                    value=row["end_bool"] if yes_no else row["end"],
                ),
                change=change.change if change else None,
                relative_change_pct=change.relative_change_percent if change else None,
                improved=change.improved if change else None,
            )
        )
    filters = parsed.echo()
    filters[INDICATOR_PARAM] = codes
    if sex is not None:
        filters[SEX_PARAM] = sex
    return ImpactExplanation(
        indicator=indicator.code,
        filters=filters,
        n=len(explained),
        improved=sum(1 for pair in explained if pair.improved),
        pairs=explained,
        method=METHOD,
    )


async def _names(session: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(col(RmEnterprise.id), col(RmEnterprise.name)).where(col(RmEnterprise.id).in_(ids))
    )
    return {enterprise_id: name for enterprise_id, name in rows.all()}
