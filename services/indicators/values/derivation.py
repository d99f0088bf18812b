"""Derived indicators kept in step with their inputs: computed when the inputs of a slot
(same enterprise, round or month, sex and role) are validated, recomputed when one is
corrected, made not computable (with the reason) when one is withdrawn. A total slot whose
additive input was recorded only as its parts uses their sum, as reporting's figures do.

Runs inside the transaction that validated or withdrew the inputs, so a derived value and
its event commit or roll back with them. Nothing here raises for a value it cannot
compute: the reason is stored with the derived slot, where anyone can query it.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.formulas import derive
from services.indicators.catalogue.models import Indicator
from services.indicators.catalogue.schemas import Formula
from services.indicators.db import changes
from services.indicators.rounds.repository import round_repository
from services.indicators.values.facts import snapshot
from services.indicators.values.models import IndicatorValue
from services.indicators.values.repository import value_repository
from services.indicators.values.schemas import ValueStatus
from services.indicators.values.validation import (
    ADDITIVE_KINDS,
    PARTS,
    REQUIRED_SEX_PARTS,
    IndicatorInfo,
    slot_key,
)
from shared.columns import utcnow
from shared.decimals import rounded_to
from shared.events import EventPayload, ValueValidated, ValueWithdrawn
from shared.identity import Principal

# Who a derived value is entered by: the platform, never a person.
DERIVED_BY = "score:derivation"
# Derived values are kept to 6 decimal places (half to even): rates and percentages are
# published to 1 decimal, and 6 keeps ratios of large counts (accidents per 200,000
# hours worked) exact enough to compare and aggregate.
DERIVED_PLACES = Decimal("0.000001")
# Formulas may use derived indicators as inputs; the catalogue refuses cycles, so a chain
# is at most as long as the catalogue, and this bounds the passes all the same.
MAX_CHAIN = 20


@dataclass(frozen=True)
class Target:
    """A derived slot to bring up to date, and the input slots it is computed from."""

    indicator: Indicator
    formula: Formula
    enterprise_id: UUID
    project_id: UUID
    round_id: UUID | None
    month: date | None
    sex: str | None
    role: str | None

    def slot(self, indicator_id: UUID) -> str:
        return slot_key(
            self.enterprise_id, indicator_id, self.round_id, self.month, self.sex, self.role
        )

    @property
    def is_total(self) -> bool:
        return self.sex is None and self.role is None

    def part_slots(self, indicator_id: UUID, dimension: str) -> dict[str, str]:
        """The slots of an input's parts along ``dimension`` (the other one total)."""
        return {
            part: slot_key(
                self.enterprise_id,
                indicator_id,
                self.round_id,
                self.month,
                part if dimension == "sex" else None,
                part if dimension == "role" else None,
            )
            for part in PARTS[dimension]
        }


@dataclass(frozen=True)
class Parts:
    """The counting versions of an input's parts (by part; absent: none), for a total slot
    with no counting version of that input."""

    dimension: str
    found: Mapping[str, IndicatorValue]


def summed_dimension(info: IndicatorInfo) -> str | None:
    """The parts whose sum is an input's total where no total was recorded, as reporting
    sums them (``_totals_from_parts``): the sex parts of a count or amount disaggregated by
    sex, the role parts of one disaggregated by role only; None: never summed (a rate or
    a duration of women and men does not add up to everyone's)."""
    if info.kind not in ADDITIVE_KINDS or info.formula_inputs is not None:
        return None
    if "sex" in info.disaggregations:
        return "sex"
    if info.disaggregations == ("role",):
        return "role"
    return None


@dataclass(frozen=True)
class Outcome:
    value: Decimal | None
    reason: str | None
    lineage: dict[str, Any]

    @property
    def status(self) -> str:
        return (ValueStatus.not_computable if self.value is None else ValueStatus.validated).value


def plain(value: Decimal) -> Decimal:
    """``value`` rounded to the derived precision, without trailing zeros or an exponent."""
    rounded = rounded_to(value, DERIVED_PLACES, ROUND_HALF_EVEN)
    return Decimal(format(rounded.normalize(), "f"))


def _bounds_reason(indicator: Indicator, value: Decimal) -> str | None:
    low = indicator.min_value
    high = indicator.max_value
    if indicator.kind == "percentage":
        low = Decimal(0) if low is None else low
        high = Decimal(100) if high is None else high
    if (low is not None and value < low) or (high is not None and value > high):
        shown = format(value, "f")
        return (
            f"out of bounds: {shown} is outside [{low if low is not None else '-inf'}, "
            f"{high if high is not None else 'inf'}] of '{indicator.code}' (check the inputs)"
        )
    return None


def _sum_of_parts(code: str, parts: Parts) -> tuple[Decimal, str | None, dict[str, Any]] | str:
    """The sum of an input's validated parts, their currency and the lineage entry, or why
    there is none: every required part (female and male; every role) validated, in one
    currency; other parts added where validated, as the batch rules accept parts without a
    total."""
    required = REQUIRED_SEX_PARTS if parts.dimension == "sex" else PARTS[parts.dimension]
    usable = {
        part: found
        for part, found in parts.found.items()
        if found.status == ValueStatus.validated and found.value is not None
    }
    for part in required:
        found = parts.found.get(part)
        if found is None:
            return (
                f"missing input: '{code}' has no validated total for this enterprise and "
                f"period, and no validated '{part}' part to sum it from"
            )
        if part not in usable:
            state = "was withdrawn" if found.status == ValueStatus.withdrawn else "has no value"
            return f"input '{code}' has no total and its '{part}' part {state} (value {found.id})"
    currencies = {found.currency for found in usable.values()}
    if len(currencies) > 1:
        shown = ", ".join(sorted(currency or "none" for currency in currencies))
        return f"input '{code}' has no total and its parts are in different currencies ({shown})"
    total = sum((found.value for found in usable.values() if found.value is not None), Decimal(0))
    entry = {
        "indicator_code": code,
        "value_id": None,
        "version": None,
        "value": format(total, "f"),
        "derived_from_parts": True,
        "parts": [
            {
                "value_id": str(found.id),
                "version": found.version,
                "part": part,
                "value": format(found.value, "f"),
            }
            for part in PARTS[parts.dimension]
            if (found := usable.get(part)) is not None and found.value is not None
        ],
    }
    return total, currencies.pop() if currencies else None, entry


def _withdrawn_or_none(found: IndicatorValue | None) -> bool:
    """No validated total: reporting then counts the sum of the validated parts, and so
    does a derived total, so both figures rest on the same enterprises."""
    return found is None or found.status == ValueStatus.withdrawn


def compute(
    target: Target,
    inputs: Mapping[str, IndicatorValue | None],
    parts: Mapping[str, Parts] | None = None,
) -> Outcome:
    """The derived value of ``target`` from the counting versions of its two inputs; an
    input with none or a withdrawn one, of a total target, from the sum of its parts in
    ``parts``."""
    formula = target.formula
    used: list[dict[str, Any]] = []
    reasons: list[str] = []
    numbers: dict[str, Decimal | None] = {}
    currencies: dict[str, str] = {}
    for code in formula.inputs:
        found = inputs.get(code)
        of_parts = (parts or {}).get(code)
        if _withdrawn_or_none(found) and of_parts is not None and of_parts.found:
            summed = _sum_of_parts(code, of_parts)
            if isinstance(summed, str):
                # A withdrawn total with parts that do not make one: the withdrawal says why.
                reasons.append(
                    summed if found is None else f"input '{code}' was withdrawn (value {found.id})"
                )
                numbers[code] = None
            else:
                numbers[code], currency, entry = summed
                if currency:
                    currencies[code] = currency
                used.append(entry)
            continue
        if found is None:
            reasons.append(
                f"missing input: '{code}' has no validated value for this enterprise, period "
                "and part"
            )
        elif found.status == ValueStatus.withdrawn:
            reasons.append(f"input '{code}' was withdrawn (value {found.id})")
        elif found.status == ValueStatus.not_computable or found.value is None:
            reasons.append(f"input '{code}' could not be computed itself (value {found.id})")
        else:
            used.append(
                {
                    "indicator_code": code,
                    "value_id": str(found.id),
                    "version": found.version,
                    "value": format(found.value, "f"),
                }
            )
            numbers[code] = found.value
            if found.currency:
                currencies[code] = found.currency
            continue
        numbers[code] = None
    value: Decimal | None = None
    if not reasons and len(set(currencies.values())) > 1:
        shown = " and ".join(f"'{code}' in {currency}" for code, currency in currencies.items())
        reasons.append(f"inputs in different currencies: {shown}")
    if not reasons:
        if numbers[formula.denominator] == 0:
            reasons.append(f"division by zero: '{formula.denominator}' is 0")
        else:
            raw = derive(formula, numbers)
            assert raw is not None  # both inputs present and the denominator is not 0
            value = plain(raw)
            bounds = _bounds_reason(target.indicator, value)
            if bounds is not None:
                reasons.append(bounds)
                value = None
    reason = "; ".join(reasons) or None
    lineage = {
        "formula": {
            "numerator": formula.numerator,
            "denominator": formula.denominator,
            "multiplier": format(formula.multiplier, "f"),
        },
        "formula_version": target.indicator.version,
        "inputs": used,
        "reason": reason,
    }
    return Outcome(value=value, reason=reason, lineage=lineage)


class DerivationService:
    async def refresh(
        self,
        session: AsyncSession,
        changed: Sequence[IndicatorValue],
        *,
        principal: Principal,
    ) -> list[IndicatorValue]:
        """Bring every derived value that uses one of ``changed`` (by its slot) up to date;
        the derived versions written, in the order written."""
        formulas = await value_repository.formulas(session)
        if not formulas:
            return []
        parsed = {row.id: Formula.model_validate(row.formula) for row in formulas}
        inputs = await value_repository.indicators_by_code(
            session, {code for formula in parsed.values() for code in formula.inputs}
        )
        by_code = {code: info.id for code, info in inputs.items()}
        summed = {
            code: dimension
            for code, info in inputs.items()
            if (dimension := summed_dimension(info)) is not None
        }
        uses: dict[UUID, list[Indicator]] = {}
        for row in formulas:
            for code in parsed[row.id].inputs:
                if code in by_code:
                    uses.setdefault(by_code[code], []).append(row)
        written: list[IndicatorValue] = []
        pending: Iterable[IndicatorValue] = changed
        for _ in range(MAX_CHAIN):
            targets = self._targets(
                pending, uses, summed={by_code[code]: dim for code, dim in summed.items()}
            )
            if not targets:
                break
            pending = await self._bring_up_to_date(
                session, targets, by_code=by_code, summed=summed, principal=principal
            )
            written.extend(pending)
        return written

    def _targets(
        self,
        changed: Iterable[IndicatorValue],
        uses: Mapping[UUID, list[Indicator]],
        *,
        summed: Mapping[UUID, str],
    ) -> dict[str, Target]:
        """The derived slots ``changed`` inputs take part in: the same part's and, for a
        part of an input whose parts may stand in for its total, the total's."""
        targets: dict[str, Target] = {}
        for value in changed:
            dimension = summed.get(value.indicator_id)
            parts: list[tuple[str | None, str | None]] = [(value.sex, value.role)]
            if (dimension == "sex" and value.sex is not None and value.role is None) or (
                dimension == "role" and value.role is not None and value.sex is None
            ):
                parts.append((None, None))
            for indicator in uses.get(value.indicator_id, ()):
                for sex, role in parts:
                    # A derived indicator has values only in the parts it is disaggregated by.
                    if sex is not None and "sex" not in indicator.disaggregations:
                        continue
                    if role is not None and "role" not in indicator.disaggregations:
                        continue
                    target = Target(
                        indicator=indicator,
                        formula=Formula.model_validate(indicator.formula),
                        enterprise_id=value.enterprise_id,
                        project_id=value.project_id,
                        round_id=value.round_id,
                        month=value.month,
                        sex=sex,
                        role=role,
                    )
                    targets.setdefault(target.slot(indicator.id), target)
        return targets

    async def _bring_up_to_date(
        self,
        session: AsyncSession,
        targets: Mapping[str, Target],
        *,
        by_code: Mapping[str, UUID],
        summed: Mapping[str, str],
        principal: Principal,
    ) -> list[IndicatorValue]:
        input_slots = {
            target.slot(by_code[code]): code
            for target in targets.values()
            for code in target.formula.inputs
            if code in by_code
        }
        counting = await value_repository.counting_versions(session, input_slots)
        # Only a total target's input with no validated total (none, or withdrawn) is read
        # as its parts: a recorded total wins, and most batches give totals.
        part_slots = {
            (slot, code): target.part_slots(by_code[code], summed[code])
            for slot, target in targets.items()
            if target.is_total
            for code in target.formula.inputs
            if code in summed
            and code in by_code
            and _withdrawn_or_none(counting.get(target.slot(by_code[code])))
        }
        counting_parts = await value_repository.counting_versions(
            session, {part for slots in part_slots.values() for part in slots.values()}
        )
        current = await value_repository.current_of_slots(session, targets, lock=True)
        now = utcnow()
        written: list[IndicatorValue] = []
        superseded: dict[UUID, IndicatorValue] = {}
        for slot, target in targets.items():
            inputs = {
                code: counting.get(target.slot(by_code[code])) if code in by_code else None
                for code in target.formula.inputs
            }
            parts = {
                code: Parts(
                    summed[code],
                    {
                        part: found
                        for part, part_slot in part_slots[slot, code].items()
                        if (found := counting_parts.get(part_slot)) is not None
                    },
                )
                for code in target.formula.inputs
                if (slot, code) in part_slots
            }
            existing = current.get(slot)
            if (
                existing is None
                and all(found is None for found in inputs.values())
                and not any(of.found for of in parts.values())
            ):
                continue
            outcome = compute(target, inputs, parts)
            if existing is not None and (
                existing.status == outcome.status
                and existing.value == outcome.value
                and existing.lineage == outcome.lineage
            ):
                continue
            project_id = next(
                (
                    found.project_id
                    for found in (
                        *inputs.values(),
                        *(one for of in parts.values() for one in of.found.values()),
                    )
                    if found is not None
                ),
                target.project_id,
            )
            if existing is not None:
                existing.is_current = False
                session.add(existing)
                superseded[existing.id] = existing
            written.append(
                IndicatorValue(
                    slot=slot,
                    enterprise_id=target.enterprise_id,
                    project_id=project_id,
                    indicator_id=target.indicator.id,
                    indicator_version=target.indicator.version,
                    round_id=target.round_id,
                    month=target.month,
                    sex=target.sex,
                    role=target.role,
                    value=outcome.value,
                    status=outcome.status,
                    version=existing.version + 1 if existing is not None else 1,
                    is_current=True,
                    supersedes_id=existing.id if existing is not None else None,
                    derived=True,
                    lineage=outcome.lineage,
                    change_reason=outcome.reason
                    or ("recomputed from its inputs" if existing else "computed from its inputs"),
                    entered_by=DERIVED_BY,
                    entered_at=now,
                    reviewed_by=principal.actor,
                    reviewed_at=now,
                )
            )
        if not written:
            return []
        # The superseded versions leave the slots' unique "current" index first.
        await session.flush()
        session.add_all(written)
        await session.flush()
        await self._announce(session, written, superseded, principal=principal)
        return written

    async def _announce(
        self,
        session: AsyncSession,
        written: Sequence[IndicatorValue],
        superseded: Mapping[UUID, IndicatorValue],
        *,
        principal: Principal,
    ) -> None:
        """value.validated for a computed value; value.withdrawn when a value that counted
        can no longer be computed (reporting stops counting it); audit entries for all."""
        rounds = await round_repository.by_ids(
            session, {v.round_id for v in written if v.round_id is not None}
        )
        codes = await value_repository.indicator_codes(session, {v.indicator_id for v in written})
        payloads: list[EventPayload] = []
        for value in written:
            before = superseded.get(value.supersedes_id) if value.supersedes_id else None
            if value.status == ValueStatus.validated:
                payloads.append(snapshot(ValueValidated, value, codes[value.indicator_id], rounds))
            elif before is not None and before.status == ValueStatus.validated:
                payloads.append(
                    snapshot(
                        ValueWithdrawn,
                        value,
                        codes[value.indicator_id],
                        rounds,
                        reason=value.change_reason or "no longer computable",
                    )
                )
        # One statement for all (a validated batch derives tens of thousands of values).
        await changes.emit_many(session, payloads, principal=principal)
        entries = []
        for value in written:
            before = superseded.get(value.supersedes_id) if value.supersedes_id else None
            entries.append(
                {
                    "action": "value.derived",
                    "entity_type": "indicator_value",
                    "entity_id": value.id,
                    "before": None
                    if before is None
                    else {"status": before.status, "value": _text(before.value)},
                    "after": {"status": value.status, "value": _text(value.value)},
                    "reason": value.change_reason,
                }
            )
        await value_repository.add_audit_entries(session, principal, entries)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


derivation_service = DerivationService()
