"""Eligibility criteria for a call for expression of interest, and their evaluation.

A call's criteria are *data*: each ``CriterionSpec`` carries a declarative ``Rule``
(a pydantic discriminated union on ``type``) so criteria can be stored as JSON,
versioned per call and posted through the REST layer. Hard criteria must pass for an
enterprise to be eligible; priority criteria only add points for ranking a shortlist.

Evaluation is pure: it reads a flat snapshot (enterprise profile fields merged with the
application answers) and explains every criterion as passed, failed or unknown. A
missing, empty or wrongly typed value is *unknown*, never failed, because screening
must ask for the missing information rather than reject an enterprise for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Literal, Self, TypeAlias, assert_never

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

__all__ = [
    "AllOf",
    "AnyOf",
    "AtLeast",
    "AtMost",
    "Between",
    "CriteriaSet",
    "CriterionKind",
    "CriterionResult",
    "CriterionSpec",
    "Evaluation",
    "EvaluationOutcome",
    "IsTrue",
    "Outcome",
    "RatioAtLeast",
    "Rule",
    "RuleOutcome",
    "ValueIn",
    "evaluate_criteria",
    "evaluate_rule",
    "validate_criteria_set",
]

Outcome: TypeAlias = Literal["passed", "failed", "unknown"]
EvaluationOutcome: TypeAlias = Literal["eligible", "ineligible", "needs_information"]
CriterionKind: TypeAlias = Literal["hard", "priority"]

# Snapshot field names are snake_case identifiers; constraining them turns a typo such as
# "workforce total" into a validation error instead of a criterion that is always unknown.
FieldName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=100)]
Threshold = Annotated[float, Field(allow_inf_nan=False)]


class _RuleBase(BaseModel):
    # extra="forbid" so that a misspelt parameter (e.g. "treshold") is reported by name
    # instead of being silently dropped and leaving the rule half-configured.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValueIn(_RuleBase):
    """The text value of ``field`` is one of ``allowed`` (case-insensitive)."""

    type: Literal["value_in"] = "value_in"
    field: FieldName
    allowed: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class AtLeast(_RuleBase):
    """The number in ``field`` is greater than or equal to ``threshold``."""

    type: Literal["at_least"] = "at_least"
    field: FieldName
    threshold: Threshold


class AtMost(_RuleBase):
    """The number in ``field`` is less than or equal to ``threshold``."""

    type: Literal["at_most"] = "at_most"
    field: FieldName
    threshold: Threshold


class Between(_RuleBase):
    """The number in ``field`` lies in the inclusive range ``minimum``..``maximum``."""

    type: Literal["between"] = "between"
    field: FieldName
    minimum: Threshold
    maximum: Threshold

    @model_validator(mode="after")
    def _minimum_not_above_maximum(self) -> Self:
        if self.minimum > self.maximum:
            raise ValueError(
                f"minimum ({_fmt_number(self.minimum)}) must not be greater than "
                f"maximum ({_fmt_number(self.maximum)})"
            )
        return self


class RatioAtLeast(_RuleBase):
    """``numerator / denominator`` is at least ``threshold`` (a share between 0 and 1)."""

    type: Literal["ratio_at_least"] = "ratio_at_least"
    numerator: FieldName
    denominator: FieldName
    threshold: Annotated[float, Field(ge=0, le=1)]


class IsTrue(_RuleBase):
    """The yes/no value in ``field`` is true."""

    type: Literal["is_true"] = "is_true"
    field: FieldName


class AllOf(_RuleBase):
    """Every sub-rule passes."""

    type: Literal["all_of"] = "all_of"
    rules: list[Rule] = Field(min_length=1)


class AnyOf(_RuleBase):
    """At least one sub-rule passes."""

    type: Literal["any_of"] = "any_of"
    rules: list[Rule] = Field(min_length=1)


Rule: TypeAlias = Annotated[
    ValueIn | AtLeast | AtMost | Between | RatioAtLeast | IsTrue | AllOf | AnyOf,
    Field(discriminator="type"),
]

# The composite rules refer to ``Rule`` before it exists; resolve the forward reference.
AllOf.model_rebuild()
AnyOf.model_rebuild()


class CriterionSpec(BaseModel):
    """One eligibility criterion of a call: a labelled rule, hard or priority."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$", max_length=64)
    label: str = Field(min_length=1, max_length=500)
    kind: CriterionKind
    weight: float = Field(default=0, allow_inf_nan=False)
    rule: Rule

    @model_validator(mode="after")
    def _weight_matches_kind(self) -> Self:
        # A hard criterion with a weight would suggest it counts towards ranking, and a
        # priority criterion without one could never change the ranking: both are mistakes.
        if self.kind == "priority" and self.weight <= 0:
            raise ValueError(
                f"criterion {self.key!r}: a priority criterion needs a weight greater than 0"
            )
        if self.kind == "hard" and self.weight != 0:
            raise ValueError(
                f"criterion {self.key!r}: a hard criterion must have weight 0 "
                "(weights only rank priority criteria)"
            )
        return self


def validate_criteria_set(criteria: Sequence[CriterionSpec]) -> None:
    """Raise ``ValueError`` if ``criteria`` is not a usable criteria set.

    A set must be non-empty and its keys unique. A set of only priority criteria is
    allowed: some calls (Ghana phase III) rank applicants without a hard filter.
    """
    if not criteria:
        raise ValueError(
            "a criteria set needs at least one criterion; an empty set would admit everyone"
        )
    seen: set[str] = set()
    duplicates: list[str] = []
    for criterion in criteria:
        if criterion.key in seen and criterion.key not in duplicates:
            duplicates.append(criterion.key)
        seen.add(criterion.key)
    if duplicates:
        raise ValueError(
            "criterion keys must be unique within a set; duplicated: " + ", ".join(duplicates)
        )


class CriteriaSet(BaseModel):
    """A validated set of criteria, as stored per call version or posted to the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    criteria: list[CriterionSpec]

    @model_validator(mode="after")
    def _check_set(self) -> Self:
        validate_criteria_set(self.criteria)
        return self


class RuleOutcome(BaseModel):
    """The result of evaluating one rule (possibly composite) against a snapshot."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    # The observed value for single-field rules; a {field: value} dict for ratio and
    # composite rules.
    observed: JsonValue
    # Every snapshot field this rule read, with its observed value; composites merge
    # these from their sub-rules.
    fields: dict[str, JsonValue]
    expected: str
    explanation: str
    parts: list[RuleOutcome] = Field(default_factory=list)


class CriterionResult(BaseModel):
    """How one criterion came out for one enterprise, with a plain-English explanation."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    kind: CriterionKind
    outcome: Outcome
    observed: JsonValue
    expected: str
    explanation: str
    score: float


class Evaluation(BaseModel):
    """The screening result of an enterprise against a whole criteria set."""

    model_config = ConfigDict(frozen=True)

    results: list[CriterionResult]
    outcome: EvaluationOutcome
    priority_score: float
    # Keys of all criteria (hard and priority) that failed / could not be decided, in
    # criteria order; use ``results[i].kind`` to tell them apart.
    failed_keys: list[str]
    unknown_keys: list[str]


# --------------------------------------------------------------------------- evaluation


def evaluate_criteria(
    criteria: Sequence[CriterionSpec], snapshot: Mapping[str, object]
) -> Evaluation:
    """Evaluate every criterion against ``snapshot`` and derive the screening outcome.

    The outcome is ``ineligible`` if any hard criterion failed, ``needs_information`` if
    none failed but some hard criterion is unknown, and ``eligible`` otherwise.
    Raises ``ValueError`` for an invalid set (empty, duplicate keys).
    """
    # Re-checked here because evaluating an empty set would silently admit everyone.
    validate_criteria_set(criteria)
    results: list[CriterionResult] = []
    for criterion in criteria:
        rule_outcome = evaluate_rule(criterion.rule, snapshot)
        passed_priority = criterion.kind == "priority" and rule_outcome.outcome == "passed"
        results.append(
            CriterionResult(
                key=criterion.key,
                label=criterion.label,
                kind=criterion.kind,
                outcome=rule_outcome.outcome,
                observed=rule_outcome.observed,
                expected=rule_outcome.expected,
                explanation=rule_outcome.explanation,
                score=criterion.weight if passed_priority else 0.0,
            )
        )

    hard = [r for r in results if r.kind == "hard"]
    outcome: EvaluationOutcome
    if any(r.outcome == "failed" for r in hard):
        outcome = "ineligible"
    elif any(r.outcome == "unknown" for r in hard):
        outcome = "needs_information"
    else:
        outcome = "eligible"
    return Evaluation(
        results=results,
        outcome=outcome,
        priority_score=math.fsum(r.score for r in results),
        failed_keys=[r.key for r in results if r.outcome == "failed"],
        unknown_keys=[r.key for r in results if r.outcome == "unknown"],
    )


def evaluate_rule(rule: Rule, snapshot: Mapping[str, object]) -> RuleOutcome:
    """Evaluate one rule against a flat snapshot; never raises for bad snapshot data."""
    if isinstance(rule, ValueIn):
        return _evaluate_value_in(rule, snapshot)
    if isinstance(rule, AtLeast):
        return _evaluate_bounds(
            rule.field, snapshot, minimum=rule.threshold, maximum=None, style="at_least"
        )
    if isinstance(rule, AtMost):
        return _evaluate_bounds(
            rule.field, snapshot, minimum=None, maximum=rule.threshold, style="at_most"
        )
    if isinstance(rule, Between):
        return _evaluate_bounds(
            rule.field, snapshot, minimum=rule.minimum, maximum=rule.maximum, style="between"
        )
    if isinstance(rule, RatioAtLeast):
        return _evaluate_ratio(rule, snapshot)
    if isinstance(rule, IsTrue):
        return _evaluate_is_true(rule, snapshot)
    if isinstance(rule, AllOf | AnyOf):
        return _evaluate_composite(rule, snapshot)
    assert_never(rule)


def _evaluate_value_in(rule: ValueIn, snapshot: Mapping[str, object]) -> RuleOutcome:
    expected = "one of: " + ", ".join(rule.allowed)
    raw, observed, missing = _read(snapshot, rule.field)
    fields = {rule.field: observed}
    if missing is not None:
        return _unknown(rule.field, observed, fields, expected, missing)
    if isinstance(raw, Enum):
        # Profiles may hold sub-sectors as enum members; compare their stored value.
        raw = raw.value
    if not isinstance(raw, str):
        return _unknown(rule.field, observed, fields, expected, _wrong_type("text", raw))
    # Case-insensitive so that "Dyeing_Woven" typed in a form still matches the slug.
    allowed = {value.strip().casefold() for value in rule.allowed}
    if raw.strip().casefold() in allowed:
        return RuleOutcome(
            outcome="passed",
            observed=observed,
            fields=fields,
            expected=expected,
            explanation=f"{rule.field} is {raw}, one of the accepted values",
        )
    return RuleOutcome(
        outcome="failed",
        observed=observed,
        fields=fields,
        expected=expected,
        explanation=f"{rule.field} is {raw}, which is not {expected}",
    )


def _evaluate_bounds(
    field: str,
    snapshot: Mapping[str, object],
    *,
    minimum: float | None,
    maximum: float | None,
    style: Literal["at_least", "at_most", "between"],
) -> RuleOutcome:
    if style == "at_least":
        expected = f">= {_fmt_number(minimum)}"
    elif style == "at_most":
        expected = f"<= {_fmt_number(maximum)}"
    else:
        expected = f"between {_fmt_number(minimum)} and {_fmt_number(maximum)}"
    number, observed, note = _read_number(snapshot, field)
    fields = {field: observed}
    if number is None:
        return _unknown(field, observed, fields, expected, note)

    shown = _fmt_number(number)
    if minimum is not None and number < minimum:
        bound = "threshold" if style == "at_least" else "minimum"
        explanation = f"{field} is {shown}, below the {bound} of {_fmt_number(minimum)}"
        outcome: Outcome = "failed"
    elif maximum is not None and number > maximum:
        explanation = f"{field} is {shown}, above the maximum of {_fmt_number(maximum)}"
        outcome = "failed"
    else:
        outcome = "passed"
        if style == "at_least":
            explanation = f"{field} is {shown}, meeting the threshold of {_fmt_number(minimum)}"
        elif style == "at_most":
            explanation = f"{field} is {shown}, within the maximum of {_fmt_number(maximum)}"
        else:
            explanation = (
                f"{field} is {shown}, within the range "
                f"{_fmt_number(minimum)} to {_fmt_number(maximum)}"
            )
    return RuleOutcome(
        outcome=outcome,
        observed=observed,
        fields=fields,
        expected=expected,
        explanation=explanation,
    )


def _evaluate_ratio(rule: RatioAtLeast, snapshot: Mapping[str, object]) -> RuleOutcome:
    threshold = _fmt_percent(rule.threshold)
    expected = f">= {threshold} of {rule.denominator}"
    numerator, numerator_observed, numerator_note = _read_number(snapshot, rule.numerator)
    denominator, denominator_observed, denominator_note = _read_number(snapshot, rule.denominator)
    fields = {rule.numerator: numerator_observed, rule.denominator: denominator_observed}
    observed: JsonValue = dict(fields)

    if numerator is None or denominator is None:
        notes: list[str] = []
        if numerator is None:
            notes.append(f"{rule.numerator} is unknown: {numerator_note}")
        if denominator is None:
            notes.append(f"{rule.denominator} is unknown: {denominator_note}")
        return RuleOutcome(
            outcome="unknown",
            observed=observed,
            fields=fields,
            expected=expected,
            explanation="; ".join(notes),
        )
    if denominator <= 0:
        # A zero (or negative) total is bad data, not a failing enterprise: ask for it again.
        return RuleOutcome(
            outcome="unknown",
            observed=observed,
            fields=fields,
            expected=expected,
            explanation=(
                f"the share of {rule.denominator} cannot be computed: "
                f"{rule.denominator} is {_fmt_number(denominator)}"
            ),
        )

    # Divide rather than compare numerator >= threshold * denominator: the product can
    # round below an exact boundary (0.29 * 100 == 28.999...), the quotient cannot.
    ratio = numerator / denominator
    counts = f"({_fmt_number(numerator)} of {_fmt_number(denominator)})"
    share = f"{rule.numerator} is {_fmt_percent(ratio)} of {rule.denominator} {counts}"
    if ratio >= rule.threshold:
        return RuleOutcome(
            outcome="passed",
            observed=observed,
            fields=fields,
            expected=expected,
            explanation=f"{share}, meeting the threshold of {threshold}",
        )
    return RuleOutcome(
        outcome="failed",
        observed=observed,
        fields=fields,
        expected=expected,
        explanation=f"{share}, below the threshold of {threshold}",
    )


def _evaluate_is_true(rule: IsTrue, snapshot: Mapping[str, object]) -> RuleOutcome:
    expected = "true"
    raw, observed, missing = _read(snapshot, rule.field)
    fields = {rule.field: observed}
    if missing is not None:
        return _unknown(rule.field, observed, fields, expected, missing)
    if not isinstance(raw, bool):
        # Strict on purpose: guessing whether "yes", "1" or "N/A" means true would let a
        # sloppy import decide eligibility.
        return _unknown(rule.field, observed, fields, expected, _wrong_type("true or false", raw))
    if raw:
        return RuleOutcome(
            outcome="passed",
            observed=observed,
            fields=fields,
            expected=expected,
            explanation=f"{rule.field} is true",
        )
    return RuleOutcome(
        outcome="failed",
        observed=observed,
        fields=fields,
        expected=expected,
        explanation=f"{rule.field} is false, but it must be true",
    )


def _evaluate_composite(rule: AllOf | AnyOf, snapshot: Mapping[str, object]) -> RuleOutcome:
    parts = [evaluate_rule(sub_rule, snapshot) for sub_rule in rule.rules]
    fields: dict[str, JsonValue] = {}
    for part in parts:
        fields.update(part.fields)
    outcomes = {part.outcome for part in parts}

    def explain(intro: str, wanted: Outcome | None) -> str:
        # Only the sub-results that decide the outcome are quoted (e.g. the failing ones
        # of an all_of), so the sentence says what to fix or which data to ask for.
        reasons = [
            # Brackets keep a nested group's own "intro: a; b" apart from its siblings.
            f"({part.explanation})" if isinstance(sub_rule, AllOf | AnyOf) else part.explanation
            for part, sub_rule in zip(parts, rule.rules, strict=True)
            if wanted is None or part.outcome == wanted
        ]
        return f"{intro}: " + "; ".join(reasons)

    outcome: Outcome
    if isinstance(rule, AllOf):
        if "failed" in outcomes:
            outcome, explanation = "failed", explain("not all conditions hold", "failed")
        elif "unknown" in outcomes:
            outcome = "unknown"
            explanation = explain("some conditions cannot be checked yet", "unknown")
        else:
            outcome, explanation = "passed", explain("all conditions hold", None)
    elif "passed" in outcomes:
        outcome, explanation = "passed", explain("at least one alternative holds", "passed")
    elif "unknown" in outcomes:
        outcome = "unknown"
        explanation = explain("no alternative holds yet and some cannot be checked", "unknown")
    else:
        outcome, explanation = "failed", explain("none of the alternatives holds", None)

    return RuleOutcome(
        outcome=outcome,
        observed=dict(fields),
        fields=fields,
        expected=_describe(rule),
        explanation=explanation,
        parts=parts,
    )


# --------------------------------------------------------------------------- wording


def _describe(rule: Rule, *, nested: bool = False) -> str:
    """A field-qualified description of ``rule``, used for composite ``expected`` text."""
    if isinstance(rule, ValueIn):
        return f"{rule.field} is one of: " + ", ".join(rule.allowed)
    if isinstance(rule, AtLeast):
        return f"{rule.field} >= {_fmt_number(rule.threshold)}"
    if isinstance(rule, AtMost):
        return f"{rule.field} <= {_fmt_number(rule.threshold)}"
    if isinstance(rule, Between):
        return (
            f"{rule.field} is between {_fmt_number(rule.minimum)} and {_fmt_number(rule.maximum)}"
        )
    if isinstance(rule, RatioAtLeast):
        return f"{rule.numerator} >= {_fmt_percent(rule.threshold)} of {rule.denominator}"
    if isinstance(rule, IsTrue):
        return f"{rule.field} is true"
    if isinstance(rule, AllOf | AnyOf):
        joiner = " and " if isinstance(rule, AllOf) else " or "
        text = joiner.join(_describe(sub_rule, nested=True) for sub_rule in rule.rules)
        # Parenthesise nested groups so "a and b or c" is never ambiguous.
        return f"({text})" if nested and len(rule.rules) > 1 else text
    assert_never(rule)


def _fmt_number(value: float | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.12g}"


def _fmt_percent(share: float) -> str:
    percent = round(share * 100, 2)
    return f"{_fmt_number(percent)}%"


def _unknown(
    field: str,
    observed: JsonValue,
    fields: dict[str, JsonValue],
    expected: str,
    note: str | None,
) -> RuleOutcome:
    return RuleOutcome(
        outcome="unknown",
        observed=observed,
        fields=fields,
        expected=expected,
        explanation=f"{field} is unknown: {note or 'no value given'}",
    )


# --------------------------------------------------------------------------- snapshot access

_NO_VALUE = "no value given"


def _read(snapshot: Mapping[str, object], field: str) -> tuple[object, JsonValue, str | None]:
    """Return (raw value, JSON-able observed value, reason it is missing or None)."""
    raw = snapshot.get(field)
    # A blank form answer carries no more information than an absent one.
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return raw, _jsonable(raw), _NO_VALUE
    return raw, _jsonable(raw), None


def _read_number(
    snapshot: Mapping[str, object], field: str
) -> tuple[float | None, JsonValue, str | None]:
    """Return (number or None, JSON-able observed value, reason it is unusable or None)."""
    raw, observed, missing = _read(snapshot, field)
    if missing is not None:
        return None, observed, missing
    # bool is an int subclass, but True workers is a data error, not one worker.
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        return None, observed, _wrong_type("a number", raw)
    number = float(raw)
    if not math.isfinite(number):
        return None, observed, "the value is not a finite number"
    return number, observed, None


def _wrong_type(wanted: str, raw: object) -> str:
    if isinstance(raw, bool):
        got = f"the yes/no value {str(raw).lower()}"
    elif isinstance(raw, str):
        got = f"the text {raw!r}"
    elif isinstance(raw, int | float | Decimal):
        got = f"the number {raw}"
    elif isinstance(raw, Mapping):
        got = "a mapping"
    elif isinstance(raw, list | tuple | set | frozenset):
        got = "a list"
    else:
        got = f"a value of type {type(raw).__name__}"
    return f"expected {wanted} but got {got}"


def _jsonable(value: object) -> JsonValue:
    """Convert an observed snapshot value into something that serialises to JSON."""
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        # NaN and infinities are not valid JSON.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        return [_jsonable(item) for item in value]
    return str(value)
