"""REST endpoints of the indicators service: rounds, value batches, review and corrections."""

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.indicators.replica.freshness import unless_replica_behind
from services.indicators.values.outliers import OutlierPolicy
from services.indicators.values.schemas import (
    BatchResult,
    ReviewBatchResult,
    ValueBatch,
    ValueCorrection,
    ValueHistory,
    ValueIds,
    ValuePublic,
    ValueReturn,
    ValueStatus,
    ValueUpdate,
    ValueWithdrawal,
)
from services.indicators.values.service import value_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams
from shared.problems import PROBLEM_JSON, InvalidInput

router = APIRouter(tags=["values"])


def outlier_policy(request: Request) -> OutlierPolicy:
    return OutlierPolicy.from_settings(request.app.state.settings)


Policy = Annotated[OutlierPolicy, Depends(outlier_policy)]

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
_BATCH_REFUSED: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        **_PROBLEM,
        "description": "All or nothing: some values are invalid; `errors` names each one "
        "(`body.values.<i>.<field>`) and the rule it broke. Nothing was written.",
    },
    status.HTTP_409_CONFLICT: {
        **_PROBLEM,
        "description": "Every invalid value targets a slot that is validated (`locked`) or "
        "awaiting review (`under_review`); or the Idempotency-Key was used with another "
        "request; or (type `enrolment-not-yet-seen`, with `Retry-After`) the values name "
        "enterprises or enrolments changed a moment ago that this service has not caught up "
        "with yet: send the same request again after `Retry-After` seconds",
    },
}
_TRANSITION_REFUSED: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {
        **_PROBLEM,
        "description": "The value is not in a status this step applies to",
    },
}


# --- batches ------------------------------------------------------------------------------


@router.post(
    "/values/batches",
    status_code=status.HTTP_201_CREATED,
    summary="Record a batch of values (up to 100,000), all or nothing or row by row",
    description=(
        "Every value is judged by every rule first. `mode=all_or_nothing` (default) writes "
        "nothing if any value is invalid and answers 422 listing each invalid value; "
        "`mode=per_row` writes the valid values and reports each row. `dry_run=true` judges "
        "and writes nothing (200). Values far from the enterprise's own history or its peers "
        "are stored with `outlier_flags` for review. Retries with the same Idempotency-Key "
        "return the first result and write nothing twice."
    ),
    responses={status.HTTP_200_OK: {"description": "Dry run: nothing written"}, **_BATCH_REFUSED},
)
async def submit_batch(
    request: Request,
    body: ValueBatch,
    session: SessionDep,
    principal: CurrentPrincipal,
    policy: Policy,
    response: Response,
    mode: Literal["all_or_nothing", "per_row"] = "all_or_nothing",
    dry_run: bool = False,
) -> BatchResult:
    response.status_code = status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
    try:
        return await value_service.submit_batch(
            session,
            body,
            principal=principal,
            per_row=mode == "per_row",
            dry_run=dry_run,
            policy=policy,
        )
    except InvalidInput as refused:
        raise await unless_replica_behind(request, refused) from None


# --- values -------------------------------------------------------------------------------


@router.get("/values", summary="Values you may see (current versions)")
async def list_values(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    enterprise_id: UUID | None = None,
    indicator_code: str | None = None,
    round_id: UUID | None = None,
    month: Annotated[date | None, Query(description="Any day of the month")] = None,
    status: ValueStatus | None = None,
    flagged: Annotated[
        bool | None, Query(description="Only values flagged as outliers (true) or not (false)")
    ] = None,
    batch_id: UUID | None = None,
) -> Page[ValuePublic]:
    return await value_service.get_all(
        session,
        principal=principal,
        page=page,
        enterprise_id=enterprise_id,
        indicator_code=indicator_code,
        round_id=round_id,
        month=month,
        status=status,
        flagged=flagged,
        batch_id=batch_id,
    )


@router.post(
    "/values/submit",
    summary="Submit draft or returned values for review (all or none)",
    responses=_TRANSITION_REFUSED,
)
async def submit_values(
    body: ValueIds, session: SessionDep, principal: CurrentPrincipal
) -> list[ValuePublic]:
    return await value_service.submit(session, body.value_ids, principal=principal)


_FOUR_EYES: dict[int | str, dict[str, Any]] = {
    status.HTTP_403_FORBIDDEN: {
        **_PROBLEM,
        "description": "Four eyes: you entered or changed the figure of a value (rule "
        "`four_eyes`), and its project keeps the rule; someone else validates it",
    },
}


@router.post(
    "/values/validate",
    summary="Validate submitted values, all or none (default) or row by row",
    description=(
        "Validated values are locked (changed only by a correction) and count in reports; "
        "values derived from them (defect rate from defects and pieces checked ...) are "
        "computed in the same transaction. Four eyes: nobody validates a value whose figure "
        "they entered or changed, unless its project turned the rule off "
        "(`PUT /projects/{id}/review-policy`). `mode=all_or_nothing` (default) validates "
        "nothing if one value cannot be validated and answers with a problem naming each "
        "(`body.value_ids.<i>`, rule `not_found`, `status` or `four_eyes`); "
        "`mode=per_row` validates the others and answers each row's outcome."
    ),
    responses={**_TRANSITION_REFUSED, **_FOUR_EYES},
    response_model=list[ValuePublic] | ReviewBatchResult,
)
async def validate_values(
    body: ValueIds,
    session: SessionDep,
    principal: CurrentPrincipal,
    mode: Literal["all_or_nothing", "per_row"] = "all_or_nothing",
) -> list[ValuePublic] | ReviewBatchResult:
    if mode == "per_row":
        return await value_service.validate_rows(session, body.value_ids, principal=principal)
    return await value_service.validate(session, body.value_ids, principal=principal)


@router.get("/values/{value_id}", summary="One value (any version)")
async def get_value(
    value_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ValuePublic:
    return await value_service.get(session, value_id, principal=principal)


@router.patch(
    "/values/{value_id}",
    summary="Change a draft or returned value (validated ones are corrected instead)",
    responses={
        status.HTTP_409_CONFLICT: {
            **_PROBLEM,
            "description": "The value is validated (`locked`) or awaiting review",
        }
    },
)
async def update_value(
    value_id: UUID,
    body: ValueUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    policy: Policy,
) -> ValuePublic:
    return await value_service.update(session, value_id, body, principal=principal, policy=policy)


@router.get(
    "/values/{value_id}/history",
    summary="Every version of the value (who, when, old and new value, why) and its review trail",
)
async def value_history(
    value_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ValueHistory:
    return await value_service.history(session, value_id, principal=principal)


@router.post(
    "/values/{value_id}/submit",
    summary="Submit a draft or returned value for review",
    responses=_TRANSITION_REFUSED,
)
async def submit_value(
    value_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ValuePublic:
    [submitted] = await value_service.submit(session, [value_id], principal=principal)
    return submitted


@router.post(
    "/values/{value_id}/validate",
    summary="Validate a submitted value; it is locked from then on",
    description="Four eyes: not by whoever entered or changed its figure (see the bulk route)",
    responses={**_TRANSITION_REFUSED, **_FOUR_EYES},
)
async def validate_value(
    value_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ValuePublic:
    [validated] = await value_service.validate(session, [value_id], principal=principal)
    return validated


@router.post(
    "/values/{value_id}/return",
    summary="Return a submitted value to its enterer, with a reason",
    responses=_TRANSITION_REFUSED,
)
async def return_value(
    value_id: UUID, body: ValueReturn, session: SessionDep, principal: CurrentPrincipal
) -> ValuePublic:
    return await value_service.return_(session, value_id, reason=body.reason, principal=principal)


@router.post(
    "/values/{value_id}/withdraw",
    summary="Withdraw a validated value, with a reason: it stops counting in reports",
    description=(
        "For a figure that should never have been recorded (wrong enterprise, wrong round). "
        "A new version without a figure replaces it; values derived from it become "
        "not computable, with the reason. A correction of the withdrawn version records a "
        "figure again."
    ),
    responses=_TRANSITION_REFUSED,
)
async def withdraw_value(
    value_id: UUID, body: ValueWithdrawal, session: SessionDep, principal: CurrentPrincipal
) -> ValuePublic:
    return await value_service.withdraw(session, value_id, reason=body.reason, principal=principal)


@router.post(
    "/values/{value_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    summary="Correct a validated value: a new version, submitted for review; the old one stays",
    description=(
        "The validated version keeps counting in reports (and in the values derived from "
        "it) until the correction is validated; derived values are then recomputed."
    ),
    responses=_TRANSITION_REFUSED,
)
async def correct_value(
    value_id: UUID,
    body: ValueCorrection,
    session: SessionDep,
    principal: CurrentPrincipal,
    policy: Policy,
) -> ValuePublic:
    return await value_service.correct(session, value_id, body, principal=principal, policy=policy)


# --- review policy --------------------------------------------------------------------------
