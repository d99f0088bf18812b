"""Satisfaction survey responses: participants rate each module, and the published rate."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.fields import percent
from services.indicators.replica.repository import replica_repository
from services.indicators.replica.service import require_recorder
from services.indicators.satisfaction.models import SatisfactionResponse
from services.indicators.satisfaction.repository import satisfaction_repository
from services.indicators.satisfaction.schemas import (
    ByRole,
    BySex,
    SatisfactionBatchResult,
    SatisfactionIn,
    SatisfactionPublic,
    SatisfactionSummary,
    group,
)
from shared.columns import utcnow
from shared.enums import ParticipantRole, Sex
from shared.events import SatisfactionRecorded
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, InvalidInput, field_error


class SatisfactionService:
    async def record(
        self, session: AsyncSession, data: SatisfactionIn, *, principal: Principal
    ) -> SatisfactionPublic:
        [public] = await self._record(session, [data], ["body"], principal=principal)
        return public

    async def record_batch(
        self, session: AsyncSession, items: Sequence[SatisfactionIn], *, principal: Principal
    ) -> SatisfactionBatchResult:
        """All or nothing: one bad response and none is recorded, each error named by item."""
        prefixes = [f"body.{index}" for index in range(len(items))]
        recorded = await self._record(session, items, prefixes, principal=principal)
        return SatisfactionBatchResult(recorded=len(recorded), items=recorded)

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        module_code: str | None = None,
        cohort_id: UUID | None = None,
    ) -> Page[SatisfactionPublic]:
        rows = await satisfaction_repository.get_all(
            session,
            principal=principal,
            page=page,
            enterprise_id=enterprise_id,
            module_code=module_code,
            cohort_id=cohort_id,
        )
        items = [SatisfactionPublic.model_validate(row) for row in rows]
        return make_page(items, page.limit, lambda item: item.id)

    async def summary(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        enterprise_id: UUID | None = None,
        module_code: str | None = None,
        cohort_id: UUID | None = None,
    ) -> SatisfactionSummary:
        """The satisfaction rate over the responses the caller may see."""
        rows = await satisfaction_repository.tallies(
            session,
            principal=principal,
            enterprise_id=enterprise_id,
            module_code=module_code,
            cohort_id=cohort_id,
        )
        # [responses, satisfied, rating sum] per sex, per role and overall
        by_sex = {sex.value: [0, 0, 0] for sex in Sex}
        by_role = {role.value: [0, 0, 0] for role in ParticipantRole}
        overall = [0, 0, 0]
        recommend_yes = recommend_answered = 0
        for sex, role, n, satisfied, rating_sum, yes, answered in rows:
            for tally in (by_sex[sex], by_role[role], overall):
                tally[0] += n
                tally[1] += satisfied
                tally[2] += rating_sum
            recommend_yes += yes
            recommend_answered += answered
        total = group(*overall)
        return SatisfactionSummary(
            **total.model_dump(),
            module_code=module_code,
            cohort_id=cohort_id,
            enterprise_id=enterprise_id,
            would_recommend_pct=percent(recommend_yes, recommend_answered),
            by_sex=BySex(**{sex: group(*tally) for sex, tally in by_sex.items()}),
            by_role=ByRole(**{role: group(*tally) for role, tally in by_role.items()}),
        )

    async def _record(
        self,
        session: AsyncSession,
        items: Sequence[SatisfactionIn],
        prefixes: Sequence[str],
        *,
        principal: Principal,
    ) -> list[SatisfactionPublic]:
        require_recorder(principal, "record satisfaction responses")
        today = utcnow().date()
        await self._check_references(session, items, prefixes, principal=principal, today=today)
        await self._check_unique(session, items, prefixes)
        rows = [
            SatisfactionResponse(**item.model_dump(exclude={"rated_on"}), rated_on=rated_on)
            for item in items
            for rated_on in [item.rated_on or today]
        ]
        try:
            # A concurrent request may record the same participant and module first.
            async with session.begin_nested():
                session.add_all(rows)
        except IntegrityError as exc:
            raise Conflict(
                "A response for one of these participants and modules was just recorded; "
                "nothing was recorded",
                errors=[
                    field_error(
                        f"{prefix}.participant_id",
                        "unique",
                        "one response per participant and module",
                        str(item.participant_id),
                    )
                    for prefix, item in zip(prefixes, items, strict=True)
                ],
            ) from exc
        published = [SatisfactionPublic.model_validate(row) for row in rows]
        for public in published:
            await changes.emit(
                session,
                SatisfactionRecorded(
                    response_id=public.id,
                    **public.model_dump(include=set(SatisfactionRecorded.model_fields)),
                ),
                principal=principal,
            )
            await changes.audit(
                session,
                principal=principal,
                action="satisfaction_response.recorded",
                entity_type="satisfaction_response",
                entity_id=public.id,
                after=public,
            )
        return published

    async def _check_references(
        self,
        session: AsyncSession,
        items: Sequence[SatisfactionIn],
        prefixes: Sequence[str],
        *,
        principal: Principal,
        today: date,
    ) -> None:
        visible = await replica_repository.visible_ids(
            session, [item.enterprise_id for item in items], principal=principal
        )
        cohorts = await replica_repository.cohorts(
            session, [item.cohort_id for item in items if item.cohort_id is not None]
        )
        periods = await replica_repository.project_periods(
            session, [item.enterprise_id for item in items if item.rated_on is not None]
        )
        errors: list[dict[str, Any]] = []
        for prefix, item in zip(prefixes, items, strict=True):
            if item.enterprise_id in visible and item.rated_on is not None:
                cohort = cohorts.get(item.cohort_id) if item.cohort_id is not None else None
                error = _rated_on_error(
                    item.rated_on,
                    today=today,
                    periods=periods.get(item.enterprise_id, {}),
                    project_id=cohort.project_id if cohort is not None else None,
                )
                if error is not None:
                    errors.append(
                        field_error(f"{prefix}.rated_on", *error, item.rated_on.isoformat())
                    )
            if item.enterprise_id not in visible:
                # Unknown and another tenant's enterprise read the same: nothing leaks.
                errors.append(
                    field_error(
                        f"{prefix}.enterprise_id",
                        "enterprise",
                        "must be an enterprise you may record for",
                        str(item.enterprise_id),
                    )
                )
                continue
            if item.cohort_id is None:
                continue
            cohort = cohorts.get(item.cohort_id)
            if cohort is None or item.enterprise_id not in cohort.enterprise_ids:
                errors.append(
                    field_error(
                        f"{prefix}.cohort_id",
                        "cohort_enterprise",
                        "must be a cohort the enterprise is in",
                        str(item.cohort_id),
                    )
                )
            elif cohort.module_code != item.module_code:
                errors.append(
                    field_error(
                        f"{prefix}.module_code",
                        "cohort_module",
                        f"the cohort teaches '{cohort.module_code}'",
                        item.module_code,
                    )
                )
        if errors:
            raise InvalidInput(_nothing_recorded(len(errors), len(items)), errors=errors)

    async def _check_unique(
        self, session: AsyncSession, items: Sequence[SatisfactionIn], prefixes: Sequence[str]
    ) -> None:
        keys = [(item.participant_id, item.module_code) for item in items]
        existing = await satisfaction_repository.existing(session, keys)
        first_at: dict[tuple[UUID, str], str] = {}
        errors: list[dict[str, Any]] = []
        for prefix, key in zip(prefixes, keys, strict=True):
            participant_id, module_code = key
            if key in existing:
                message = f"already recorded as response {existing[key]}"
            elif key in first_at:
                message = f"also given at {first_at[key]}"
            else:
                first_at[key] = prefix
                continue
            errors.append(
                field_error(
                    f"{prefix}.participant_id",
                    "unique",
                    f"participant {participant_id} already rated module '{module_code}': {message}",
                    str(participant_id),
                )
            )
        if not errors:
            return
        extensions: dict[str, Any] = {}
        if len(items) == 1:
            participant_id, module_code = keys[0]
            extensions = {
                "participant_id": str(participant_id),
                "module_code": module_code,
                "existing_response_id": str(existing[keys[0]]),
            }
        raise Conflict(
            "One response per participant and module: "
            + _nothing_recorded(len(errors), len(items)),
            errors=errors,
            **extensions,
        )


def _rated_on_error(
    rated_on: date,
    *,
    today: date,
    periods: Mapping[UUID, tuple[date | None, date | None]],
    project_id: UUID | None,
) -> tuple[str, str] | None:
    """(rule, message) when a rating's date is in the future or outside the project's period.

    The project is the cohort's when a cohort is named, else any project the enterprise
    is enrolled in; a period bound the platform does not know yet does not refuse.
    """
    if rated_on > today:
        return "not_future", f"a rating is given on or before today ({today.isoformat()})"
    candidates = (
        {project_id: periods.get(project_id, (None, None))} if project_id is not None else periods
    )
    if not candidates:
        return None
    for start, end in candidates.values():
        if (start is None or start <= rated_on) and (end is None or rated_on <= end):
            return None
    spans = ", ".join(
        f"{start.isoformat() if start else '...'} to {end.isoformat() if end else '...'}"
        for start, end in candidates.values()
    )
    return (
        "within_project_period",
        f"a rating is dated within the project's period ({spans})",
    )


def _nothing_recorded(bad: int, total: int) -> str:
    if total == 1:
        return "the response was not recorded"
    return f"{bad} of {total} responses are refused; nothing was recorded"


satisfaction_service = SatisfactionService()
