"""Rules a captured value must pass, each with a stable name and a message that explains it.

Pure functions over data loaded beforehand, so a batch of 100,000 values is judged in
memory without a query per value.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from services.indicators.values.schemas import ValueIn, ValueStatus
from shared.enums import LifecycleStage, Sex
from shared.problems import field_error

_T = TypeVar("_T")

# From the baseline assessment on, an enterprise has data worth recording; before it the
# enterprise is only a candidate, and after leaving no new figures are collected.
MEASURABLE_STAGES = frozenset(
    {
        LifecycleStage.baseline_assessment,
        LifecycleStage.consent_signed,
        LifecycleStage.level1,
        LifecycleStage.level1_completed,
        LifecycleStage.level2_interest,
        LifecycleStage.comprehensive_baseline,
        LifecycleStage.level2_shortlisted,
        LifecycleStage.level2,
        LifecycleStage.level2_completed,
        LifecycleStage.alumni,
    }
)

# The parts of each disaggregation; a slot without the dimension ("*") is the total.
PARTS: dict[str, tuple[str, ...]] = {
    "sex": tuple(sex.value for sex in Sex),
    "role": ("manager", "worker"),
}
# Parts every sex-disaggregated value needs; the others (another sex, not disclosed) are
# given only where the enterprise has such people, and count as zero otherwise.
REQUIRED_SEX_PARTS = (Sex.female.value, Sex.male.value)
TOTAL = "*"
# Only counts and amounts add up: a defect rate or a 5S score of women and men does not
# sum to the rate or score of everyone.
ADDITIVE_KINDS = frozenset({"count", "amount"})
NUMERIC_KINDS = frozenset({"count", "rate", "percentage", "amount", "duration"})
# Rules that say the slot is busy rather than that the value is wrong (answered as 409).
STATE_RULES = frozenset({"locked", "under_review", "withdrawn"})


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    id: UUID
    code: str
    version: int
    kind: str
    min_value: Decimal | None
    max_value: Decimal | None
    disaggregations: tuple[str, ...]
    active: bool = True
    # A derived indicator's (numerator, denominator) codes; None for entered indicators.
    formula_inputs: tuple[str, str] | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True, slots=True)
class RoundInfo:
    id: UUID
    project_id: UUID
    kind: str
    sequence: int


@dataclass(frozen=True, slots=True)
class StoredValue:
    """The current version of a slot, as far as batch rules need it."""

    id: UUID
    slot: str
    status: str
    version: int
    value: Decimal | None
    value_bool: bool | None


def slot_key(
    enterprise_id: UUID,
    indicator_id: UUID,
    round_id: UUID | None,
    month: date | None,
    sex: str | None,
    role: str | None,
) -> str:
    period = str(round_id) if round_id is not None else (month.isoformat() if month else "")
    return f"{enterprise_id}|{indicator_id}|{period}|{sex or TOTAL}|{role or TOTAL}"


class IdTexts(dict[int, str]):
    """The text of each id, made once and looked up by the id's number (``texts[id.int]``):
    ``str(UUID)`` costs microseconds, and a batch of 100,000 values names the same few
    thousand ids in its slot keys again and again. Hashing a UUID runs Python code
    (``UUID.__hash__``) where an int's hash runs in C, a fifth of the time."""

    def __missing__(self, key: int) -> str:
        text = self[key] = str(UUID(int=key))
        return text


def distinct_ids(ids: Iterable[UUID]) -> list[UUID]:
    """Each id once, told apart by its number (see ``IdTexts``): a set of the UUIDs of
    100,000 values would call ``UUID.__hash__`` 100,000 times."""
    return list({id_.int: id_ for id_ in ids}.values())


def shared_objects(objects: Iterable[_T | None]) -> list[_T]:
    """Each object once, told apart by identity, Nones left out: the rows of a batch share
    their indicator, round and project objects, so their ids are then read (and a UUID's
    ``int`` made) once per object rather than once per value."""
    return [
        found for found in {id(found): found for found in objects}.values() if found is not None
    ]


def _groups_of(slot: str, indicator: IndicatorInfo) -> list[tuple[str, str, str]]:
    """(dimension, group key with "#" for the part, the slot's part) per disaggregation."""
    if not indicator.disaggregations:
        return []
    enterprise, indicator_id, period, sex, role = slot.split("|")
    return _groups_from(f"{enterprise}|{indicator_id}|{period}", sex, role, indicator)


def _groups_from(
    stem: str, sex: str, role: str, indicator: IndicatorInfo
) -> list[tuple[str, str, str]]:
    """``_groups_of`` from a slot's parts: its stem (enterprise|indicator|period), sex, role."""
    groups = []
    for dimension in indicator.disaggregations:
        if dimension == "sex":
            groups.append(("sex", f"{stem}|#|{role}", sex))
        elif dimension == "role":
            groups.append(("role", f"{stem}|{sex}|#", role))
    return groups


class SlotsToLoad:
    """The rows' slots and the other parts (and totals) they must be consistent with, as
    a set to test stored slots against: the siblings of a group are not spelled out (five
    strings per group, tens of thousands of groups in a big batch), a stored slot is
    matched to its group instead. The sets are made when the first stored slot is tested:
    a batch into a new round finds none, and never needs them."""

    __slots__ = ("_groups", "_rows", "_slots")

    def __init__(self, rows: Sequence["CheckedRow"]) -> None:
        self._rows = rows
        self._slots: set[str] | None = None
        # Per dimension, the groups (with "#" for the part) the rows are parts of.
        self._groups: dict[str, set[str]] = {}

    def _made(self) -> set[str]:
        if self._slots is None:
            self._slots = set()
            self._groups = {dimension: set() for dimension in PARTS}
            for row in self._rows:
                if row.slot is None or row.indicator is None:
                    continue
                self._slots.add(row.slot)
                for dimension, group, _ in row.groups():
                    self._groups[dimension].add(group)
        return self._slots

    def __bool__(self) -> bool:
        return any(row.slot is not None and row.indicator is not None for row in self._rows)

    def __contains__(self, slot: object) -> bool:
        if not isinstance(slot, str):
            return False
        if slot in self._made():
            return True
        enterprise, indicator_id, period, sex, role = slot.split("|")
        stem = f"{enterprise}|{indicator_id}|{period}"
        return (sex in _SEX_PARTS and f"{stem}|#|{role}" in self._groups["sex"]) or (
            role in _ROLE_PARTS and f"{stem}|{sex}|#" in self._groups["role"]
        )


# A group's slots: each of its dimension's parts, and the total.
_SEX_PARTS = frozenset((*PARTS["sex"], TOTAL))
_ROLE_PARTS = frozenset((*PARTS["role"], TOTAL))


@dataclass(slots=True)
class CheckedRow:
    """One value on its way through the rules, with what they found."""

    index: int
    data: ValueIn
    # Errors point at "body.values.<index>.<field>" in a batch, at "body.<field>" otherwise.
    in_batch: bool = True
    indicator: IndicatorInfo | None = None
    round: RoundInfo | None = None
    month: date | None = None
    project_id: UUID | None = None
    slot: str | None = None
    existing: StoredValue | None = None
    value_id: UUID | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    outlier_flags: list[dict[str, Any]] = field(default_factory=list)
    # The slot's groups (``groups``), worked out once: both the slots to load and the
    # group rules need them.
    _groups: list[tuple[str, str, str]] | None = field(default=None, init=False, repr=False)

    def groups(self) -> list[tuple[str, str, str]]:
        """(dimension, group key with "#" for the part, the slot's part) per disaggregation
        of the indicator; none before the row has a slot and an indicator."""
        if self._groups is None:
            if self.slot is None or self.indicator is None:
                return []
            self._groups = _groups_of(self.slot, self.indicator)
        return self._groups

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, rule: str, message: str, value: Any = None) -> None:
        shown = value if value is None or isinstance(value, str | int | bool) else str(value)
        location = f"body.values.{self.index}" if self.in_batch else "body"
        self.errors.append(field_error(f"{location}.{name}", rule, message, shown))

    @property
    def number(self) -> Decimal | None:
        value = self.data.value
        return value if isinstance(value, Decimal) else None


# A rule's finding before it is placed on a row: (field, rule, message, value).
Failure = tuple[str, str, str, Any]


@dataclass(frozen=True, slots=True)
class PeriodFound:
    """What the enterprise and period rules make of one enterprise, period and project,
    judged once for every value that names them (a batch has tens of thousands of values
    and a few thousand such combinations)."""

    # The caller may enter values for the enterprise (an unknown one is refused).
    known: bool
    round: RoundInfo | None
    month: date | None
    project_id: UUID | None
    failures: tuple[Failure, ...]
    # The slot key's enterprise and period text; the period's is None if none was found.
    enterprise_text: str
    period_text: str | None


@dataclass(frozen=True)
class RowContext:
    """What row rules need, loaded in a few queries for the whole batch."""

    indicators: Mapping[str, IndicatorInfo]
    # Enterprises the caller may enter values for -> their enrolments (project -> stage).
    enrolments: Mapping[UUID, Mapping[UUID, str]]
    rounds: Mapping[UUID, RoundInfo]
    today: date
    # A correction fixes a recorded fact: an enterprise that has left since, or a retired
    # indicator, is no reason to keep a wrong figure, so only the value is judged again.
    correction: bool = False
    # Worked out once per batch rather than once per value: ids as slot-key text, and each
    # enterprise's projects at a stage where values are recorded.
    texts: IdTexts = field(default_factory=IdTexts)
    _measurable: dict[UUID, frozenset[UUID]] = field(default_factory=dict)
    # By (enterprise, round, month, project) as numbers, dates and None: see ``period``.
    _periods: dict[tuple[int, int | None, date | None, int | None], PeriodFound] = field(
        default_factory=dict
    )

    def period(self, data: ValueIn) -> PeriodFound:
        """The enterprise and period rules' findings for the value's enterprise, period and
        project, worked out on their first value."""
        round_id, project_id = data.round_id, data.project_id
        key = (
            data.enterprise_id.int,
            None if round_id is None else round_id.int,
            data.month,
            None if project_id is None else project_id.int,
        )
        found = self._periods.get(key)
        if found is None:
            found = self._periods[key] = _judge_period(data, self)
        return found

    def measurable(self, enterprise_id: UUID) -> frozenset[UUID]:
        """The enterprise's projects at a stage where values are recorded."""
        found = self._measurable.get(enterprise_id)
        if found is None:
            found = self._measurable[enterprise_id] = frozenset(
                project
                for project, stage in self.enrolments.get(enterprise_id, {}).items()
                if stage in MEASURABLE_STAGES
            )
        return found


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


# Compared with Decimals, not ints: an int is made a Decimal on every comparison.
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


def check_value(row: CheckedRow, indicator: IndicatorInfo) -> None:
    """Type, bounds, percentage range and currency of the value itself."""
    value, code = row.data.value, indicator.code
    if indicator.kind == "yes_no":
        if not isinstance(value, bool):
            row.fail(
                "value", "type", f"'{code}' is a yes/no indicator: the value must be true or false"
            )
    elif not isinstance(value, Decimal) or not value.is_finite():
        row.fail("value", "type", f"'{code}' is a {indicator.kind} indicator: give a number", value)
    else:
        if indicator.kind == "count" and (value != value.to_integral_value() or value < _ZERO):
            row.fail(
                "value", "type", f"'{code}' is a count: give a whole number of 0 or more", value
            )
        if indicator.kind == "percentage" and not _ZERO <= value <= _HUNDRED:
            row.fail(
                "value",
                "percentage_range",
                f"'{code}' is a percentage: the value must be between 0 and 100",
                value,
            )
        low, high = indicator.min_value, indicator.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"[{_fmt(low) if low is not None else '-inf'}, "
            bounds += f"{_fmt(high) if high is not None else 'inf'}]"
            row.fail(
                "value", "bounds", f"'{code}' values must lie within {bounds}, got {value}", value
            )
    currency = row.data.currency
    if indicator.kind == "amount" and currency is None:
        row.fail(
            "currency", "currency", f"'{code}' is an amount: give its ISO 4217 currency (e.g. PKR)"
        )
    elif indicator.kind != "amount" and currency is not None:
        row.fail(
            "currency",
            "currency",
            f"'{code}' is a {indicator.kind} indicator: only amounts carry a currency",
            currency,
        )


def check_row(row: CheckedRow, ctx: RowContext) -> None:
    """Every rule that needs only this row and the loaded context; sets the row's slot."""
    data = row.data
    period = ctx.period(data)
    if not period.known:
        # Unknown and not-yours read the same: an error must not reveal who is enrolled.
        row.fail(
            "enterprise_id",
            "unknown_enterprise",
            f"No enterprise {data.enterprise_id} that you may record values for",
            str(data.enterprise_id),
        )
    indicator = ctx.indicators.get(data.indicator_code)
    if indicator is None:
        row.fail(
            "indicator_code",
            "indicator_exists",
            f"No indicator with code '{data.indicator_code}' in the catalogue",
            data.indicator_code,
        )
    elif not indicator.active and not ctx.correction:
        row.fail(
            "indicator_code",
            "indicator_active",
            f"Indicator '{indicator.code}' is retired: no new values are recorded for it",
            data.indicator_code,
        )
    elif indicator.formula_inputs is not None:
        numerator, denominator = indicator.formula_inputs
        row.fail(
            "indicator_code",
            "derived_indicator",
            f"'{indicator.code}' is derived: it is computed from '{numerator}' and "
            f"'{denominator}' once both are validated for the same enterprise, period and "
            "part; send those values instead",
            data.indicator_code,
        )
    else:
        row.indicator = indicator
        check_value(row, indicator)
        if data.sex is not None and "sex" not in indicator.disaggregations:
            _not_disaggregated(row, indicator, "sex", data.sex.value)
        if data.role is not None and "role" not in indicator.disaggregations:
            _not_disaggregated(row, indicator, "role", data.role.value)
    for failure in period.failures:
        row.fail(*failure)
    row.round, row.month, row.project_id = period.round, period.month, period.project_id
    # No slot for an enterprise the caller may not see: its stored values must not show
    # through slot rules (locked, under review, parts) either.
    indicator = row.indicator
    if period.known and indicator is not None and period.period_text is not None:
        # slot_key's text, with each id's text made once per batch. ``_value_``: an enum's
        # ``value`` is a Python-level property, a tenth of a microsecond per read.
        sex = TOTAL if data.sex is None else data.sex._value_
        role = TOTAL if data.role is None else data.role._value_
        stem = f"{period.enterprise_text}|{ctx.texts[indicator.id.int]}|{period.period_text}"
        row.slot = f"{stem}|{sex}|{role}"
        # The slot's groups from its parts, rather than split again.
        row._groups = _groups_from(stem, sex, role, indicator)


def _not_disaggregated(
    row: CheckedRow, indicator: IndicatorInfo, dimension: str, given: str
) -> None:
    row.fail(
        dimension,
        "disaggregation_allowed",
        f"'{indicator.code}' is not disaggregated by {dimension}: leave {dimension} empty",
        given,
    )


def _judge_period(data: ValueIn, ctx: RowContext) -> PeriodFound:
    """``PeriodFound`` for the value's enterprise, period and project."""
    enrolments = ctx.enrolments.get(data.enterprise_id)
    failures: list[Failure] = []
    round_, month, project_id = _check_period(data, ctx, enrolments, failures)
    if round_ is not None:
        period_text: str | None = ctx.texts[round_.id.int]
    else:
        period_text = month.isoformat() if month is not None else None
    return PeriodFound(
        known=enrolments is not None,
        round=round_,
        month=month,
        project_id=project_id,
        failures=tuple(failures),
        enterprise_text=ctx.texts[data.enterprise_id.int],
        period_text=period_text,
    )


def _check_period(
    data: ValueIn,
    ctx: RowContext,
    enrolments: Mapping[UUID, str] | None,
    failures: list[Failure],
) -> tuple[RoundInfo | None, date | None, UUID | None]:
    """The value's (round, month, project); what is wrong with them goes to ``failures``."""
    if (data.round_id is None) == (data.month is None):
        failures.append(
            (
                "round_id",
                "period",
                "Give exactly one period: round_id (baseline, endline, follow-up) or month",
                None,
            )
        )
        return None, None, None
    measurable = ctx.measurable(data.enterprise_id)
    if data.round_id is not None:
        found = ctx.rounds.get(data.round_id)
        # A round of a project the enterprise is not in is answered like a missing one: the
        # answer must not tell whose round an id is.
        foreign = (
            found is not None
            and not ctx.correction
            and (enrolments is None or found.project_id not in enrolments)
        )
        if found is None or foreign:
            failures.append(
                (
                    "round_id",
                    "period",
                    f"No measurement round {data.round_id} in a project the enterprise is "
                    "enrolled in",
                    data.round_id,
                )
            )
            return None, None, None
        if data.project_id is not None and data.project_id != found.project_id:
            failures.append(
                (
                    "project_id",
                    "period",
                    f"Round {found.id} belongs to project {found.project_id}, not "
                    f"{data.project_id}",
                    data.project_id,
                )
            )
        elif enrolments is not None and not ctx.correction and found.project_id not in measurable:
            failures.append(
                (
                    "enterprise_id",
                    "enrolled",
                    f"The enterprise is at stage '{enrolments[found.project_id]}' in the round's "
                    "project: values are recorded from the baseline assessment on, and not "
                    "after withdrawal or drop-out",
                    data.enterprise_id,
                )
            )
        return found, None, found.project_id
    assert data.month is not None
    month = data.month.replace(day=1)
    if month > ctx.today.replace(day=1):
        failures.append(
            (
                "month",
                "month_not_future",
                f"{month:%B %Y} has not started yet: values are recorded for past or current "
                "months",
                data.month.isoformat(),
            )
        )
    if enrolments is None:
        return None, month, None
    if ctx.correction:
        return None, month, data.project_id
    if data.project_id is not None:
        if data.project_id in measurable:
            return None, month, data.project_id
        failures.append(
            (
                "project_id",
                "enrolled",
                f"The enterprise is not enrolled in project {data.project_id} at a stage where "
                "values are recorded (baseline assessment onwards, not withdrawn or dropped)",
                data.project_id,
            )
        )
    elif len(measurable) == 1:
        return None, month, next(iter(measurable))
    elif not measurable:
        failures.append(
            (
                "enterprise_id",
                "enrolled",
                "The enterprise is not enrolled in any project at a stage where values are "
                "recorded (baseline assessment onwards, not withdrawn or dropped)",
                data.enterprise_id,
            )
        )
    else:
        failures.append(
            (
                "project_id",
                "project_required",
                "The enterprise is enrolled in several projects: say which one this monthly "
                f"value belongs to ({', '.join(sorted(str(p) for p in measurable))})",
                None,
            )
        )
    return None, month, None


def check_slots(
    rows: Sequence[CheckedRow], stored: Mapping[str, StoredValue], *, own_slot: str | None = None
) -> None:
    """Duplicates within the batch and slots whose current version may not be overwritten."""
    slots = [row.slot for row in rows if row.slot is not None]
    repeated: dict[str, list[int]] = {}
    # Told in C whether any slot repeats; only then is each repetition found.
    if len(set(slots)) < len(slots):
        first: dict[str, int] = {}
        for row in rows:
            if row.slot is None:
                continue
            seen = first.setdefault(row.slot, row.index)
            if seen != row.index:
                repeated.setdefault(row.slot, [seen]).append(row.index)
    if not repeated and not stored:
        # No slot repeats and none is stored: no rule below can fail, nothing to replace.
        return
    for row in rows:
        if row.slot is None:
            continue
        same = repeated.get(row.slot)
        if same is not None:
            others = [i for i in same if i != row.index]
            shown = ", ".join(str(i) for i in others[:10]) + (" ..." if len(others) > 10 else "")
            row.fail(
                "value",
                "duplicate_in_batch",
                "The same enterprise, indicator, period and disaggregation is also given at "
                f"position {shown}: send each value once",
            )
        current = stored.get(row.slot)
        if current is None or row.slot == own_slot:
            row.existing = current
            continue
        if current.status == ValueStatus.validated:
            row.fail(
                "value",
                "locked",
                f"Value {current.id} for this slot is validated and locked: change it with "
                f"POST /values/{current.id}/corrections",
            )
        elif current.status == ValueStatus.submitted:
            row.fail(
                "value",
                "under_review",
                f"Value {current.id} for this slot is submitted and awaiting review: it can be "
                "changed once it is returned",
            )
        elif current.status == ValueStatus.withdrawn:
            row.fail(
                "value",
                "withdrawn",
                f"Value {current.id} for this slot was withdrawn: record a new figure with "
                f"POST /values/{current.id}/corrections",
            )
        else:
            row.existing = current


def _stored_part(stored: StoredValue | None) -> Decimal | bool | None:
    if stored is None:
        return None
    return stored.value_bool if stored.value_bool is not None else stored.value


def check_groups(rows: Sequence[CheckedRow], stored: Mapping[str, StoredValue]) -> None:
    """Required sex parts and parts adding up to the total, over the batch and what is stored.

    A value rejected for another reason does not count as given, so the rules run again
    until no new rejection appears (a part's rejection can break its total's group).
    """
    memberships = [
        (row, row.groups())
        for row in rows
        if row.slot is not None and row.indicator is not None and row.indicator.disaggregations
    ]
    while True:
        new_errors = False
        groups: dict[tuple[str, str], dict[str, CheckedRow]] = defaultdict(dict)
        rejected: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        for row, of_row in memberships:
            for dimension, group, part in of_row:
                if row.ok:
                    groups[dimension, group][part] = row
                else:
                    rejected[dimension, group].setdefault(part, row.index)
        for key, members in groups.items():
            dimension, group_slot = key
            # Nothing stored to fill a part or give a total, no total in the batch, and the
            # required parts given: no rule can fail (every group of a batch into a new
            # round with its parts but no totals, tens of thousands of them).
            if (
                not stored
                and TOTAL not in members
                and (dimension != "sex" or all(p in members for p in REQUIRED_SEX_PARTS))
            ):
                continue
            indicator = next(iter(members.values())).indicator
            assert indicator is not None
            errors = _group_errors(dimension, group_slot, indicator, members, stored, rejected[key])
            if errors is None:
                continue
            rule, message = errors
            for row in members.values():
                row.fail(dimension if rule == "required_disaggregation" else "value", rule, message)
            new_errors = True
        if not new_errors:
            return


def _group_errors(
    dimension: str,
    group_slot: str,
    indicator: IndicatorInfo,
    members: Mapping[str, CheckedRow],
    stored: Mapping[str, StoredValue],
    rejected: Mapping[str, int],
) -> tuple[str, str] | None:
    given: dict[str, Decimal | bool | None] = {}
    for part in (*PARTS[dimension], TOTAL):
        row = members.get(part)
        if row is not None:
            given[part] = row.data.value
        else:
            # Only a stored value fills a part missing from the batch (none in a new round).
            given[part] = (
                _stored_part(stored.get(group_slot.replace("#", part))) if stored else None
            )
    if dimension == "sex":
        missing = [part for part in REQUIRED_SEX_PARTS if given[part] is None]
        if missing:
            notes = [
                f"the {part} part (position {rejected[part]}) is itself invalid"
                for part in missing
                if part in rejected
            ]
            return (
                "required_disaggregation",
                f"'{indicator.code}' is disaggregated by sex: the female and male parts are both "
                f"needed in the batch or already recorded; missing: {', '.join(missing)}"
                + (f" ({'; '.join(notes)})" if notes else ""),
            )
    if indicator.kind in ADDITIVE_KINDS:
        required = REQUIRED_SEX_PARTS if dimension == "sex" else PARTS[dimension]
        numbers = {
            part: value for part in PARTS[dimension] if isinstance(value := given[part], Decimal)
        }
        total = given[TOTAL]
        given_parts = [part for part in PARTS[dimension] if given[part] is not None]
        if (
            all(part in numbers for part in required)
            and len(numbers) == len(given_parts)
            and isinstance(total, Decimal)
        ):
            summed = sum(numbers.values(), Decimal(0))
            if summed != total:
                terms = " + ".join(f"{part} ({_fmt(value)})" for part, value in numbers.items())
                return (
                    "parts_add_up",
                    f"{terms} = {_fmt(summed)}, but the total is {_fmt(total)}",
                )
    return None


def error_summary(rows: Iterable[CheckedRow]) -> list[dict[str, Any]]:
    return [error for row in rows for error in row.errors]
