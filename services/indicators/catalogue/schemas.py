"""Indicator catalogue contracts: kinds, directions, formulas, definitions and their versions."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from services.indicators.catalogue.models import IndicatorVersion
from services.indicators.fields import Figure
from shared.decimals import PlainDecimal

IndicatorCode = Annotated[
    str,
    Field(min_length=2, max_length=60, pattern=r"^[a-z][a-z0-9_]*$", examples=["defect_rate"]),
]
ModuleCode = Annotated[
    str,
    Field(min_length=2, max_length=40, pattern=r"^[a-z0-9_]+$", examples=["quality_management"]),
]
IndicatorName = Annotated[str, Field(min_length=2, max_length=200)]

PERCENT_MIN = Decimal(0)
PERCENT_MAX = Decimal(100)
YES_NO_UNIT = "yes/no"


class IndicatorKind(StrEnum):
    """A yes/no practice, or what a number counts."""

    yes_no = "yes_no"
    count = "count"  # type: ignore[assignment]  # shadows str.count, by design of the API
    rate = "rate"
    percentage = "percentage"
    amount = "amount"  # money, in the currency each value carries
    duration = "duration"


NUMERIC_KINDS = frozenset(kind for kind in IndicatorKind if kind is not IndicatorKind.yes_no)


class Direction(StrEnum):
    """Which way is better: productivity up, defect rate down."""

    up = "up"
    down = "down"


class Disaggregation(StrEnum):
    """The parts a value is given in besides the total."""

    sex = "sex"
    role = "role"  # manager / worker


class Formula(BaseModel):
    """A derived indicator: ``numerator / denominator * multiplier``, inputs named by code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    numerator: IndicatorCode = Field(examples=["defects"])
    denominator: IndicatorCode = Field(examples=["pieces_checked"])
    multiplier: PlainDecimal = Field(
        default=Decimal(1),
        gt=0,
        max_digits=40,
        decimal_places=20,
        examples=[100, 200000],
        description="100 for a percentage; 200000 for a rate per 200,000 hours worked",
    )

    @property
    def inputs(self) -> tuple[str, str]:
        return self.numerator, self.denominator


def _default_min(kind: IndicatorKind) -> Decimal | None:
    # Counts, durations, rates and shares cannot be negative; money saved can be (a loss).
    if kind in (IndicatorKind.yes_no, IndicatorKind.amount):
        return None
    return Decimal(0)


class IndicatorCreate(BaseModel):
    """A catalogue entry. Field order matters: later rules read the kind validated before."""

    model_config = ConfigDict(extra="forbid")

    code: IndicatorCode = Field(description="The indicator's identity; it never changes")
    name_en: IndicatorName = Field(examples=["Defect rate"])
    name_fr: IndicatorName = Field(examples=["Taux de défauts"])
    name_es: IndicatorName = Field(examples=["Tasa de defectos"])
    kind: IndicatorKind
    unit: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        validate_default=True,
        examples=["% of pieces checked"],
        description='Required for numeric kinds; yes/no indicators default to "yes/no"',
    )
    direction: Direction = Field(description="Which way is better")
    min_value: Figure | None = Field(
        default=None,
        validate_default=True,
        allow_inf_nan=False,
        description="Lowest valid value; defaults to 0 except for amounts; none for yes/no",
    )
    max_value: Figure | None = Field(
        default=None,
        validate_default=True,
        allow_inf_nan=False,
        description="Highest valid value; percentages default to (and stay within) 100",
    )
    module_code: ModuleCode | None = Field(
        default=None, description="The SCORE module the indicator belongs to"
    )
    disaggregations: list[Disaggregation] = Field(
        default_factory=list, description="Parts each value is given in: by sex, by role"
    )
    formula: Formula | None = Field(
        default=None, description="For derived indicators: computed from two other indicators"
    )
    description: str | None = Field(default=None, max_length=2000)
    active: bool = True

    @field_validator("unit")
    @classmethod
    def _unit_for_kind(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if value is None and kind is IndicatorKind.yes_no:
            return YES_NO_UNIT
        if value is None and kind is not None:
            raise PydanticCustomError(
                "unit_required", "a {kind} indicator needs a unit", {"kind": kind.value}
            )
        return value

    @field_validator("min_value", "max_value")
    @classmethod
    def _bounds_for_kind(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        kind = info.data.get("kind")
        if kind is None:
            return value
        if kind is IndicatorKind.yes_no:
            if value is not None:
                raise PydanticCustomError(
                    "no_bounds",
                    "a yes/no indicator has no bounds; leave {field} empty",
                    {"field": info.field_name},
                )
            return None
        if value is None:
            if kind is IndicatorKind.percentage:
                return PERCENT_MIN if info.field_name == "min_value" else PERCENT_MAX
            return _default_min(kind) if info.field_name == "min_value" else None
        if kind is IndicatorKind.percentage and not PERCENT_MIN <= value <= PERCENT_MAX:
            raise PydanticCustomError(
                "percentage_bounds",
                "a percentage's {field} must lie within 0..100, not {value}",
                {"field": info.field_name, "value": str(value)},
            )
        return value

    @field_validator("max_value")
    @classmethod
    def _max_not_below_min(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        low = info.data.get("min_value")
        if value is not None and low is not None and value < low:
            raise PydanticCustomError(
                "bounds_order",
                "max_value ({max}) is below min_value ({min})",
                {"max": str(value), "min": str(low)},
            )
        return value

    @field_validator("disaggregations")
    @classmethod
    def _disaggregations_for_kind(
        cls, value: list[Disaggregation], info: ValidationInfo
    ) -> list[Disaggregation]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("unique", "each disaggregation may be listed once", {})
        if value and info.data.get("kind") is IndicatorKind.yes_no:
            raise PydanticCustomError(
                "yes_no_not_disaggregated",
                "a yes/no practice is a fact about the enterprise; it has no parts by sex or role",
                {},
            )
        order = list(Disaggregation)
        return sorted(value, key=order.index)

    @field_validator("formula")
    @classmethod
    def _formula_numeric(cls, value: Formula | None, info: ValidationInfo) -> Formula | None:
        if value is not None and info.data.get("kind") is IndicatorKind.yes_no:
            raise PydanticCustomError(
                "numeric_only", "only a numeric indicator can be derived by a formula", {}
            )
        return value


class IndicatorUpdate(BaseModel):
    """A partial change; every change is a new version. The code is the identity: immutable.

    A null clears an optional field (bounds fall back to the kind's defaults). The result
    is checked by the same rules as a new indicator.
    """

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000, description="Why; kept with the version")
    name_en: IndicatorName | None = None
    name_fr: IndicatorName | None = None
    name_es: IndicatorName | None = None
    kind: IndicatorKind | None = Field(
        default=None, description="Refused once the indicator has values"
    )
    unit: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Refused once the indicator has values, but for its spelling (case, "
        "spaces: kwh to kWh)",
    )
    direction: Direction | None = None
    min_value: Figure | None = None
    max_value: Figure | None = None
    module_code: ModuleCode | None = None
    disaggregations: list[Disaggregation] | None = Field(
        default=None, description="Refused once the indicator has values"
    )
    formula: Formula | None = None
    description: str | None = Field(default=None, max_length=2000)
    active: bool | None = None


class IndicatorDefinition(BaseModel):
    """What a version snapshots: the definition as it stood (stored rows, not re-judged)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name_en: str
    name_fr: str
    name_es: str
    kind: IndicatorKind
    unit: str
    direction: Direction
    min_value: PlainDecimal | None
    max_value: PlainDecimal | None
    module_code: str | None
    disaggregations: list[Disaggregation]
    formula: Formula | None
    description: str | None
    active: bool

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def name(self, language: str) -> str:
        """The name in ``en``, ``fr`` or ``es``; English for any other language."""
        names: dict[str, str] = {"en": self.name_en, "fr": self.name_fr, "es": self.name_es}
        return names.get(language, self.name_en)


class IndicatorPublic(IndicatorDefinition):
    id: UUID
    version: int = Field(description="Current definition version; values record theirs")
    created_at: datetime
    updated_at: datetime | None


class IndicatorVersionPublic(BaseModel):
    indicator_code: str
    version: int
    definition: IndicatorDefinition
    changed_by: str
    reason: str | None
    created_at: datetime

    @classmethod
    def build(cls, code: str, row: IndicatorVersion) -> "IndicatorVersionPublic":
        return cls(
            indicator_code=code,
            version=row.version,
            definition=IndicatorDefinition.model_validate(row.definition),
            changed_by=row.changed_by,
            reason=row.reason,
            created_at=row.created_at,
        )
