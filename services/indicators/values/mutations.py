"""GraphQL mutations for measurement rounds and values: record a batch, submit, validate,
return and correct (the REST routes' service calls, shared/mutations.py)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

import strawberry
from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.graphql.types import Info, MeasurementRound
from services.indicators.replica.freshness import unless_replica_behind
from services.indicators.rounds.schemas import RoundCreate
from services.indicators.rounds.service import round_service
from services.indicators.values.outliers import OutlierPolicy
from services.indicators.values.schemas import (
    BatchResult,
    ValueBatch,
    ValueCorrection,
    ValueIds,
    ValuePublic,
    ValueReturn,
)
from services.indicators.values.service import value_service
from shared import enums
from shared.graphql import SubgraphContext, parse_id
from shared.mutations import (
    Failure,
    FieldError,
    argument_path,
    mutate,
    parse_model,
    plain_input,
)
from shared.problems import InvalidInput, field_error


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="One version of a value, as the write left it")
class RecordedValue:
    id: strawberry.ID
    enterprise_id: strawberry.ID
    project_id: strawberry.ID
    indicator_code: str
    indicator_version: int
    round_id: strawberry.ID | None
    month: date | None
    sex: enums.Sex | None
    role: enums.ParticipantRole | None
    value: Decimal | None = strawberry.field(description="Numeric indicators")
    value_bool: bool | None = strawberry.field(description="Yes/no practice indicators")
    currency: str | None
    status: str = strawberry.field(description="draft | submitted | validated | returned ...")
    version: int
    is_current: bool
    outlier_flagged: bool
    correction_reason: str | None
    return_reason: str | None
    entered_by: str
    entered_at: datetime
    reviewed_by: str | None

    @classmethod
    def from_model(cls, value: ValuePublic) -> Self:
        flag = value.value if isinstance(value.value, bool) else None
        return cls(
            id=_id(value.id),
            enterprise_id=_id(value.enterprise_id),
            project_id=_id(value.project_id),
            indicator_code=value.indicator_code,
            indicator_version=value.indicator_version,
            round_id=None if value.round_id is None else _id(value.round_id),
            month=value.month,
            sex=value.sex,
            role=value.role,
            value=None if isinstance(value.value, bool) else value.value,
            value_bool=flag,
            currency=value.currency,
            status=value.status,
            version=value.version,
            is_current=value.is_current,
            outlier_flagged=bool(value.outlier_flags),
            correction_reason=value.correction_reason,
            return_reason=value.return_reason,
            entered_by=value.entered_by,
            entered_at=value.entered_at,
            reviewed_by=value.reviewed_by,
        )


@strawberry.type(description="How one value of a batch came out")
class BatchRow:
    index: int = strawberry.field(description="Position in input.values, from 0")
    status: str = strawberry.field(description="accepted | rejected")
    value_id: strawberry.ID | None
    errors: list[FieldError]
    outlier_flagged: bool


@strawberry.type(description="A batch of values recorded (or, per row, partly recorded)")
class ValueBatchResult:
    batch_id: strawberry.ID
    accepted: int
    rejected: int
    flagged_outliers: int
    rows: list[BatchRow]

    @classmethod
    def from_model(cls, result: BatchResult) -> Self:
        return cls(
            batch_id=_id(result.batch_id),
            accepted=result.accepted,
            rejected=result.rejected,
            flagged_outliers=result.flagged_outliers,
            rows=[
                BatchRow(
                    index=row.index,
                    status=row.status,
                    value_id=None if row.value_id is None else _id(row.value_id),
                    errors=[
                        FieldError(
                            field=argument_path(str(error.get("field", ""))),
                            rule=str(error.get("rule", "invalid")),
                            message=str(error.get("message", "")),
                        )
                        for error in row.errors
                    ],
                    outlier_flagged=bool(row.outlier_flags),
                )
                for row in result.results
            ],
        )


@strawberry.type(description="The values a review step changed")
class ReviewedValues:
    values: list[RecordedValue]


RoundResult = Annotated[MeasurementRound | Failure, strawberry.union("RoundResult")]
ValueBatchOutcome = Annotated[ValueBatchResult | Failure, strawberry.union("ValueBatchOutcome")]
ValueResult = Annotated[RecordedValue | Failure, strawberry.union("ValueResult")]
ReviewResult = Annotated[ReviewedValues | Failure, strawberry.union("ReviewResult")]


@strawberry.enum(description="all_or_nothing: one invalid value writes nothing")
class BatchMode(StrEnum):
    all_or_nothing = "all_or_nothing"
    per_row = "per_row"


@strawberry.input
class CreateRoundInput:
    project_id: strawberry.ID
    kind: str = strawberry.field(description="baseline | endline | follow_up")
    name: str
    starts_on: date
    ends_on: date
    sequence: int | None = strawberry.UNSET


@strawberry.input(description="One value; give value (numeric) or valueBool (yes/no)")
class ValueInput:
    enterprise_id: strawberry.ID
    indicator_code: str
    round_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A round, or else a month"
    )
    month: date | None = strawberry.UNSET
    sex: enums.Sex | None = strawberry.field(
        default=strawberry.UNSET, description="Null: the total over both sexes"
    )
    role: enums.ParticipantRole | None = strawberry.UNSET
    value: Decimal | None = strawberry.UNSET
    value_bool: bool | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    project_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class RecordValuesInput:
    values: list[ValueInput]
    submit: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Submit for review at once"
    )


@strawberry.input
class CorrectValueInput:
    reason: str
    value: Decimal | None = strawberry.UNSET
    value_bool: bool | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET


@strawberry.input
class ReturnValueInput:
    reason: str


@strawberry.input
class ValueIdsInput:
    value_ids: list[strawberry.ID] = strawberry.field(description="1 to 1000 values")


def _with_value(data: dict[str, Any], path: str) -> dict[str, Any]:
    """``value``/``valueBool`` as the one ``value`` field of the REST body."""
    flag = data.pop("value_bool", None)
    if flag is not None:
        if data.get("value") is not None:
            raise InvalidInput(
                "Give value or valueBool, not both",
                errors=[field_error(f"{path}.value_bool", "one_of", "value or valueBool")],
            )
        data["value"] = flag
    data.setdefault("value", None)
    return data


def _batch(input: RecordValuesInput) -> ValueBatch:
    data = plain_input(input)
    data["values"] = [
        _with_value(row, f"body.values.{index}") for index, row in enumerate(data["values"])
    ]
    return parse_model(ValueBatch, data)


def _policy(context: SubgraphContext) -> OutlierPolicy:
    assert context.request is not None  # set by Strawberry for every HTTP request
    return OutlierPolicy.from_settings(context.request.app.state.settings)


async def create_round(info: Info, input: CreateRoundInput) -> RoundResult:
    context = info.context
    return await mutate(
        context,
        lambda session: round_service.create(
            session, parse_model(RoundCreate, input), principal=context.principal
        ),
        MeasurementRound.from_row,
    )


async def record_values(
    info: Info, input: RecordValuesInput, mode: BatchMode = BatchMode.all_or_nothing
) -> ValueBatchOutcome:
    context = info.context

    async def record(session: AsyncSession) -> BatchResult:
        try:
            return await value_service.submit_batch(
                session,
                _batch(input),
                principal=context.principal,
                per_row=mode is BatchMode.per_row,
                policy=_policy(context),
            )
        except InvalidInput as refused:
            # A value naming an enterprise enrolled a moment ago: retry, as over REST.
            assert isinstance(context.request, Request)  # GraphQL over HTTP
            raise await unless_replica_behind(context.request, refused) from None

    return await mutate(context, record, ValueBatchResult.from_model)


def _reviewed(values: list[ValuePublic]) -> ReviewedValues:
    return ReviewedValues(values=[RecordedValue.from_model(value) for value in values])


async def submit_values(info: Info, input: ValueIdsInput) -> ReviewResult:
    context = info.context
    return await mutate(
        context,
        lambda session: value_service.submit(
            session,
            parse_model(ValueIds, input).value_ids,
            principal=context.principal,
        ),
        _reviewed,
    )


async def validate_values(info: Info, input: ValueIdsInput) -> ReviewResult:
    context = info.context
    return await mutate(
        context,
        lambda session: value_service.validate(
            session,
            parse_model(ValueIds, input).value_ids,
            principal=context.principal,
        ),
        _reviewed,
    )


async def return_value(info: Info, value_id: strawberry.ID, input: ReturnValueInput) -> ValueResult:
    context = info.context
    return await mutate(
        context,
        lambda session: value_service.return_(
            session,
            parse_id(value_id, "valueId"),
            reason=parse_model(ValueReturn, input).reason,
            principal=context.principal,
        ),
        RecordedValue.from_model,
    )


async def correct_value(
    info: Info, value_id: strawberry.ID, input: CorrectValueInput
) -> ValueResult:
    context = info.context
    return await mutate(
        context,
        lambda session: value_service.correct(
            session,
            parse_id(value_id, "valueId"),
            parse_model(ValueCorrection, _with_value(plain_input(input), "body")),
            principal=context.principal,
            policy=_policy(context),
        ),
        RecordedValue.from_model,
    )


@strawberry.type
class ValueMutations:
    create_round: RoundResult = strawberry.mutation(
        resolver=create_round,
        description="Plan a measurement round of a project (POST /indicators/rounds)",
    )
    record_values: ValueBatchOutcome = strawberry.mutation(
        resolver=record_values,
        description=(
            "Record a batch of values (POST /indicators/values/batches): all or nothing, or "
            "per row; a value naming an enterprise enrolled a moment ago answers Conflict "
            "with retryAfter"
        ),
    )
    submit_values: ReviewResult = strawberry.mutation(
        resolver=submit_values,
        description="Submit draft or returned values for review (POST /indicators/values/submit)",
    )
    validate_values: ReviewResult = strawberry.mutation(
        resolver=validate_values,
        description=(
            "Validate submitted values, all or none (POST /indicators/values/validate); four "
            "eyes: not by whoever entered or changed them"
        ),
    )
    return_value: ValueResult = strawberry.mutation(
        resolver=return_value,
        description="Return a submitted value to its enterer (POST /indicators/values/{id}/return)",
    )
    correct_value: ValueResult = strawberry.mutation(
        resolver=correct_value,
        description=(
            "Correct a validated value (POST /indicators/values/{id}/corrections): a new "
            "version, reviewed again; the old one counts until then"
        ),
    )
