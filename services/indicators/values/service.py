"""Capture of indicator values: batches judged whole, the review workflow, corrections as new
versions, outlier flags, and the events reporting builds on."""

import itertools
import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.review_policies.repository import review_policy_repository
from services.indicators.rounds.repository import round_repository
from services.indicators.tenancy import can_enter_values, can_review_values
from services.indicators.values.derivation import derivation_service
from services.indicators.values.facts import fact_fields, snapshot
from services.indicators.values.models import IndicatorValue
from services.indicators.values.outliers import OutlierPolicy, flag_outliers
from services.indicators.values.repository import (
    SlotTaken,
    ValueRow,
    new_ids,
    value_repository,
)
from services.indicators.values.schemas import (
    BatchResult,
    Lineage,
    ReviewBatchResult,
    ReviewRowResult,
    ValueBatch,
    ValueCorrection,
    ValueHistory,
    ValueIn,
    ValuePublic,
    ValueStatus,
    ValueTrailEntry,
    ValueUpdate,
    ValueVersionPublic,
)
from services.indicators.values.validation import (
    STATE_RULES,
    CheckedRow,
    RoundInfo,
    RowContext,
    SlotsToLoad,
    check_groups,
    check_row,
    check_slots,
    distinct_ids,
    error_summary,
    shared_objects,
)
from shared.collector import collector_paused
from shared.columns import utcnow
from shared.enums import ParticipantRole, Role, Sex
from shared.events import (
    ValueCorrected,
    ValueReturned,
    ValuesSubmitted,
    ValueValidated,
    ValueWithdrawn,
)
from shared.identity import Principal
from shared.ids import new_id
from shared.pagination import Page, PageRequest, make_page
from shared.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    field_error,
)

# Values per values.submitted event: big batches become several events of bounded size.
EVENT_PART_SIZE = 500
DEFAULT_POLICY = OutlierPolicy()
# From this many values on, a batch runs with the cyclic garbage collector paused.
BIG_BATCH = 5_000

_EDITABLE = frozenset({ValueStatus.draft.value, ValueStatus.returned.value})


def _require_enterer(principal: Principal) -> None:
    if not can_enter_values(principal):
        raise Forbidden(f"A {principal.role.value} does not record indicator values")


def _require_reviewer(principal: Principal) -> None:
    if not can_review_values(principal):
        raise Forbidden(f"A {principal.role.value} does not review indicator values")


def _require_reader(principal: Principal) -> None:
    if principal.role is Role.lead_buyer:
        raise Forbidden("Lead buyers follow their suppliers in reporting, not here")


def public(value: IndicatorValue, code: str) -> ValuePublic:
    return ValuePublic(
        id=value.id,
        enterprise_id=value.enterprise_id,
        project_id=value.project_id,
        indicator_id=value.indicator_id,
        indicator_code=code,
        indicator_version=value.indicator_version,
        round_id=value.round_id,
        month=value.month,
        sex=Sex(value.sex) if value.sex else None,
        role=ParticipantRole(value.role) if value.role else None,
        value=value.value_bool if value.value_bool is not None else value.value,
        currency=value.currency,
        note=value.note,
        status=value.status,
        version=value.version,
        is_current=value.is_current,
        supersedes_id=value.supersedes_id,
        batch_id=value.batch_id,
        outlier_flags=value.outlier_flags,
        correction_reason=value.correction_reason,
        return_reason=value.return_reason,
        entered_by=value.entered_by,
        entered_at=value.entered_at,
        submitted_at=value.submitted_at,
        reviewed_by=value.reviewed_by,
        reviewed_at=value.reviewed_at,
        derived=value.derived,
        lineage=Lineage.model_validate(value.lineage) if value.lineage else None,
        change_reason=value.change_reason,
    )


def _batch_problem(rows: Sequence[CheckedRow]) -> InvalidInput | Conflict:
    invalid = [row for row in rows if not row.ok]
    errors = error_summary(invalid)
    detail = (
        f"{len(invalid)} of {len(rows)} values are invalid, so nothing was written "
        "(send mode=per_row to write the valid ones and get each row's result)"
    )
    if all(error["rule"] in STATE_RULES for error in errors):
        return Conflict(detail, errors=errors, rejected=len(invalid))
    return InvalidInput(detail, errors=errors, rejected=len(invalid))


def _row_result(row: CheckedRow) -> dict[str, Any]:
    """A RowResult's fields, those at their defaults (no id, errors or flags) left out."""
    if row.errors:
        result: dict[str, Any] = {"index": row.index, "status": "rejected", "errors": row.errors}
    else:
        result = {"index": row.index, "status": "accepted"}
    if row.value_id is not None:
        result["value_id"] = row.value_id
    if row.outlier_flags:
        result["outlier_flags"] = row.outlier_flags
    return result


class ValueService:
    # --- batches ------------------------------------------------------------------------

    async def submit_batch(
        self,
        session: AsyncSession,
        batch: ValueBatch,
        *,
        principal: Principal,
        per_row: bool = False,
        dry_run: bool = False,
        policy: OutlierPolicy | None = None,
    ) -> BatchResult:
        """Judge every value, then write all of them, or (per_row) the valid ones.

        All or nothing (the default): one invalid value rejects the batch with every
        invalid value's errors and nothing is written. A dry run judges and writes nothing.
        """
        _require_enterer(principal)
        # Every object a big batch makes lives until its response: generational collections
        # would traverse hundreds of thousands of them again and again (a third of the
        # time of a 100,000-value batch).
        with collector_paused(len(batch.values) >= BIG_BATCH):
            return await self._submit_batch(
                session, batch, principal=principal, per_row=per_row, dry_run=dry_run, policy=policy
            )

    async def _submit_batch(
        self,
        session: AsyncSession,
        batch: ValueBatch,
        *,
        principal: Principal,
        per_row: bool,
        dry_run: bool,
        policy: OutlierPolicy | None,
    ) -> BatchResult:
        rows = [CheckedRow(index=index, data=value) for index, value in enumerate(batch.values)]
        await self._judge(session, rows, principal=principal, lock=not dry_run)
        # ``not row.errors``: row.ok inlined, a property call per value.
        accepted = [row for row in rows if not row.errors]
        if not per_row and len(accepted) < len(rows):
            raise _batch_problem(rows)
        await flag_outliers(session, accepted, policy or DEFAULT_POLICY, principal=principal)
        batch_id = new_id()
        if dry_run:
            for row in accepted:
                row.value_id = row.existing.id if row.existing else None
        elif accepted:
            await self._write_batch(
                session, accepted, batch_id=batch_id, submit=batch.submit, principal=principal
            )
            await changes.audit(
                session,
                principal=principal,
                action="values.batch_submitted" if batch.submit else "values.batch_saved",
                entity_type="value_batch",
                entity_id=batch_id,
                after={
                    "accepted": len(accepted),
                    "rejected": len(rows) - len(accepted),
                    "replaced_drafts": sum(1 for row in accepted if row.existing is not None),
                    "status": (ValueStatus.submitted if batch.submit else ValueStatus.draft).value,
                },
            )
        # One validation of plain dicts in pydantic's core beats 100,000 model constructions
        # (model_construct, or even setting a model's slots by hand, costs more per row),
        # and empty errors and flags are left to the fields' defaults: validating two
        # empty lists was a third of the validation of a row. The usual row (accepted,
        # stored, not flagged) is spelt out here: a call of _row_result per value cost as
        # much as validating its dict.
        return BatchResult.model_validate(
            {
                "batch_id": batch_id,
                "dry_run": dry_run,
                "accepted": len(accepted),
                "rejected": len(rows) - len(accepted),
                "flagged_outliers": sum(1 for row in accepted if row.outlier_flags),
                "results": [
                    {"index": row.index, "status": "accepted", "value_id": row.value_id}
                    if not row.errors and not row.outlier_flags and row.value_id is not None
                    else _row_result(row)
                    for row in rows
                ],
            }
        )

    async def _judge(
        self,
        session: AsyncSession,
        rows: Sequence[CheckedRow],
        *,
        principal: Principal,
        lock: bool,
        own_slot: str | None = None,
        correction: bool = False,
    ) -> None:
        """Every rule for every row, with a fixed number of queries whatever the batch size."""
        indicators = await value_repository.indicators_by_code(
            session, {row.data.indicator_code for row in rows}
        )
        enterprise_ids = distinct_ids(row.data.enterprise_id for row in rows)
        enrolments = await value_repository.visible_enrolments(
            session, enterprise_ids, principal=principal
        )
        rounds = await round_repository.by_ids(
            session,
            distinct_ids(row.data.round_id for row in rows if row.data.round_id is not None),
        )
        context = RowContext(
            indicators=indicators,
            enrolments=enrolments,
            rounds=rounds,
            today=utcnow().date(),
            correction=correction,
        )
        for row in rows:
            check_row(row, context)
        located = [row for row in rows if row.slot is not None]
        stored = await value_repository.current_by_slots(
            session,
            SlotsToLoad(rows),
            # Every row located (the usual batch): the enterprises are those of every row.
            enterprise_ids=enterprise_ids
            if len(located) == len(rows)
            else distinct_ids(row.data.enterprise_id for row in located),
            indicator_ids=distinct_ids(i.id for i in shared_objects(r.indicator for r in located)),
            round_ids=distinct_ids(found.id for found in shared_objects(r.round for r in located)),
            months={row.month for row in located if row.month is not None},
            lock=lock,
        )
        check_slots(rows, stored, own_slot=own_slot)
        check_groups(rows, stored)

    async def _write_batch(
        self,
        session: AsyncSession,
        rows: Sequence[CheckedRow],
        *,
        batch_id: UUID,
        submit: bool,
        principal: Principal,
    ) -> None:
        now = utcnow()
        status = ValueStatus.submitted.value if submit else ValueStatus.draft.value
        # Rows to insert as plain tuples in ValueRow's field order: a named tuple per value
        # first was a tenth of the write of 100,000 values.
        new: list[tuple[Any, ...]] = []
        replaced: list[ValueRow] = []
        audit: list[dict[str, Any]] = []
        # The facts of values.submitted, new values first: made here from the rows' own
        # indicator and round, with no lookup by UUID per value.
        new_facts: list[dict[str, Any]] = []
        replaced_facts: list[dict[str, Any]] = []
        fresh_ids = iter(new_ids(sum(1 for row in rows if row.existing is None)))
        for row in rows:
            indicator, round_, data, existing = row.indicator, row.round, row.data, row.existing
            assert indicator is not None
            assert row.project_id is not None
            assert row.slot is not None
            value = data.value
            number = value if isinstance(value, Decimal) else None
            value_bool = value if isinstance(value, bool) else None
            # ``_value_``: an enum's ``value`` is a Python-level property.
            sex = None if data.sex is None else data.sex._value_
            role = None if data.role is None else data.role._value_
            row.value_id = existing.id if existing else next(fresh_ids)
            fields = (
                row.value_id,
                row.slot,
                data.enterprise_id,
                row.project_id,
                indicator.id,
                indicator.version,
                round_.id if round_ else None,
                row.month,
                sex,
                role,
                number,
                value_bool,
                data.currency,
                data.note,
                json.dumps(row.outlier_flags) if row.outlier_flags else "[]",
            )
            if submit:
                fact = {
                    "value_id": row.value_id,
                    "enterprise_id": data.enterprise_id,
                    "project_id": row.project_id,
                    "indicator_id": indicator.id,
                    "indicator_code": indicator.code,
                    "indicator_version": indicator.version,
                    "round_id": round_.id if round_ else None,
                    "round_kind": round_.kind if round_ else None,
                    "round_sequence": round_.sequence if round_ else None,
                    "month": row.month,
                    "sex": sex,
                    "role": role,
                    "value": number,
                    "value_bool": value_bool,
                    "currency": data.currency,
                    "status": status,
                    "value_version": existing.version + 1 if existing else 1,
                }
                (replaced_facts if existing else new_facts).append(fact)
            if existing is None:
                new.append(fields)
                continue
            replaced.append(ValueRow._make(fields))
            audit.append(
                {
                    "action": "value.replaced",
                    "entity_type": "indicator_value",
                    "entity_id": existing.id,
                    "before": _state(existing.status, existing.value, existing.value_bool),
                    "after": _state(status, number, value_bool),
                    "reason": f"batch {batch_id}",
                }
            )
        write: dict[str, Any] = {
            "batch_id": batch_id,
            "entered_by": principal.actor,
            "entered_at": now,
            "status": status,
            "submitted_at": now if submit else None,
        }
        try:
            await value_repository.insert_new(session, new, **write)
            await value_repository.replace_drafts(session, replaced, **write)
        except (IntegrityError, SlotTaken) as exc:
            raise Conflict(
                "Another request wrote values for the same slots at the same time; "
                "retry the batch (nothing was written)"
            ) from exc
        await value_repository.add_audit_entries(session, principal, audit)
        if submit:
            await self._emit_submitted(
                session, batch_id, new_facts + replaced_facts, principal=principal
            )

    async def _emit_submitted(
        self,
        session: AsyncSession,
        submission_id: UUID,
        facts: Sequence[dict[str, Any]],
        *,
        principal: Principal,
    ) -> None:
        """values.submitted in parts of 500 values: events stay small enough for a feed page.
        The parts are written together, in order (one lock and one statement)."""
        parts = (len(facts) + EVENT_PART_SIZE - 1) // EVENT_PART_SIZE
        payloads = []
        for part, start in enumerate(range(0, len(facts), EVENT_PART_SIZE), start=1):
            chunk = facts[start : start + EVENT_PART_SIZE]
            payloads.append(
                ValuesSubmitted.model_validate(
                    {
                        "submission_id": submission_id,
                        "part": part,
                        "parts": parts,
                        "count": len(chunk),
                        "enterprise_ids": list(dict.fromkeys(f["enterprise_id"] for f in chunk)),
                        "value_ids": [f["value_id"] for f in chunk],
                        "values": chunk,
                    }
                )
            )
        await changes.emit_many(session, payloads, principal=principal)

    # --- reading ------------------------------------------------------------------------

    async def get_or_404(
        self, session: AsyncSession, value_id: UUID, *, principal: Principal, lock: bool = False
    ) -> tuple[IndicatorValue, str]:
        _require_reader(principal)
        found = await value_repository.get(session, value_id, principal=principal, lock=lock)
        if found is None:
            raise NotFound(f"Value {value_id} not found")
        return found

    async def get(
        self, session: AsyncSession, value_id: UUID, *, principal: Principal
    ) -> ValuePublic:
        return public(*await self.get_or_404(session, value_id, principal=principal))

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        indicator_code: str | None = None,
        round_id: UUID | None = None,
        month: date | None = None,
        status: ValueStatus | None = None,
        flagged: bool | None = None,
        batch_id: UUID | None = None,
    ) -> Page[ValuePublic]:
        _require_reader(principal)
        rows = await value_repository.get_all(
            session,
            principal=principal,
            page=page,
            enterprise_id=enterprise_id,
            indicator_code=indicator_code,
            round_id=round_id,
            month=month,
            status=status.value if status else None,
            flagged=flagged,
            batch_id=batch_id,
        )
        return make_page([public(v, c) for v, c in rows], page.limit, lambda item: item.id)

    async def history(
        self, session: AsyncSession, value_id: UUID, *, principal: Principal
    ) -> ValueHistory:
        value, code = await self.get_or_404(session, value_id, principal=principal)
        rows = await value_repository.versions(session, value.slot)
        by_id = {v.id: v for v in rows}
        trail = await value_repository.trail(session, list(by_id))
        archived = await value_repository.archived(session, list(by_id))
        # Every version of the slot in order: states of values changed in place (drafts,
        # returned values) and the rows themselves (first entries, corrections).
        versions = sorted(
            [
                ValueVersionPublic(
                    value_id=v.value_id,
                    version=v.version,
                    status=v.status,
                    is_current=False,
                    value=v.value_bool if v.value_bool is not None else v.value,
                    previous_value=None,
                    currency=v.currency,
                    changed_by=v.entered_by,
                    changed_at=v.entered_at,
                    reason=v.reason,
                    submitted_at=None,
                    reviewed_by=None,
                    reviewed_at=None,
                    return_reason=None,
                    outlier_flags=[],
                )
                for v in archived
            ]
            + [
                ValueVersionPublic(
                    value_id=v.id,
                    version=v.version,
                    status=v.status,
                    is_current=v.is_current,
                    value=_shown(v),
                    previous_value=None,
                    currency=v.currency,
                    changed_by=v.entered_by,
                    changed_at=v.entered_at,
                    reason=v.correction_reason or v.change_reason,
                    submitted_at=v.submitted_at,
                    reviewed_by=v.reviewed_by,
                    reviewed_at=v.reviewed_at,
                    return_reason=v.return_reason,
                    outlier_flags=v.outlier_flags,
                    derived=v.derived,
                    lineage=Lineage.model_validate(v.lineage) if v.lineage else None,
                )
                for v in rows
            ],
            key=lambda version: (version.version, version.changed_at),
        )
        for earlier, later in itertools.pairwise(versions):
            later.previous_value = earlier.value
        return ValueHistory(
            enterprise_id=value.enterprise_id,
            indicator_code=code,
            round_id=value.round_id,
            month=value.month,
            sex=Sex(value.sex) if value.sex else None,
            role=ParticipantRole(value.role) if value.role else None,
            versions=versions,
            trail=[
                ValueTrailEntry(
                    at=entry["at"],
                    actor=entry["actor"],
                    action=entry["action"],
                    value_id=entry["entity_id"],
                    reason=entry["reason"],
                )
                for entry in trail
            ],
        )

    # --- one value at a time --------------------------------------------------------------

    async def update(
        self,
        session: AsyncSession,
        value_id: UUID,
        data: ValueUpdate,
        *,
        principal: Principal,
        policy: OutlierPolicy | None = None,
    ) -> ValuePublic:
        """Change a draft or returned value in place; it becomes a draft again, in its next
        version (the figure it had stays in the history)."""
        _require_enterer(principal)
        value, code = await self.get_or_404(session, value_id, principal=principal, lock=True)
        _require_entered(value)
        _require_current(value)
        if value.status == ValueStatus.validated:
            raise _locked(value)
        if value.status == ValueStatus.submitted:
            raise _under_review(value)
        if value.status == ValueStatus.withdrawn:
            raise _withdrawn(value)
        before = public(value, code)
        row = await self._judge_one(
            session, value, code, data.value, data.currency, data.note, principal=principal
        )
        await flag_outliers(session, [row], policy or DEFAULT_POLICY, principal=principal)
        await value_repository.archive(session, [value.id])
        _apply(value, row)
        if row.indicator is not None:
            value.indicator_version = row.indicator.version
        value.status = ValueStatus.draft.value
        value.version += 1
        value.change_reason = data.reason or "edited"
        value.entered_by = principal.actor
        value.entered_at = utcnow()
        session.add(value)
        await session.flush()
        after = public(value, code)
        await changes.audit(
            session,
            principal=principal,
            action="value.updated",
            entity_type="indicator_value",
            entity_id=value.id,
            before=before,
            after=after,
        )
        return after

    async def correct(
        self,
        session: AsyncSession,
        value_id: UUID,
        data: ValueCorrection,
        *,
        principal: Principal,
        policy: OutlierPolicy | None = None,
    ) -> ValuePublic:
        """A new version of a validated (or withdrawn) value, submitted for review; the old
        one stays, and keeps counting in reports until the new one is validated."""
        _require_enterer(principal)
        old, code = await self.get_or_404(session, value_id, principal=principal, lock=True)
        _require_entered(old)
        _require_current(old)
        if old.status not in (ValueStatus.validated, ValueStatus.withdrawn):
            raise TransitionNotAllowed(
                f"Value {old.id} is {old.status}: only validated or withdrawn values are "
                "corrected (drafts and returned values are changed with PATCH, submitted ones "
                "once returned)",
                current_status=old.status,
            )
        row = await self._judge_one(
            session,
            old,
            code,
            data.value,
            data.currency,
            data.note,
            principal=principal,
            correction=True,
        )
        await flag_outliers(session, [row], policy or DEFAULT_POLICY, principal=principal)
        now = utcnow()
        assert row.indicator is not None
        new = await _supersede(
            session,
            old,
            indicator_version=row.indicator.version,
            status=ValueStatus.submitted.value,
            correction_reason=data.reason,
            entered_by=principal.actor,
            entered_at=now,
            submitted_at=now,
            apply=row,
        )
        rounds = await self._rounds_of(session, [new])
        after = public(new, code)
        await changes.emit(
            session,
            snapshot(
                ValueCorrected,
                new,
                code,
                rounds,
                previous_value_id=old.id,
                previous_value=old.value,
                previous_value_bool=old.value_bool,
                reason=data.reason,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="value.corrected",
            entity_type="indicator_value",
            entity_id=new.id,
            before=public(old, code),
            after=after,
            reason=data.reason,
        )
        return after

    async def _judge_one(
        self,
        session: AsyncSession,
        value: IndicatorValue,
        code: str,
        new_value: Decimal | bool | None,
        currency: str | None,
        note: str | None,
        *,
        principal: Principal,
        correction: bool = False,
    ) -> CheckedRow:
        """The batch rules for a new value of a stored slot; errors point at ``body``."""
        data = ValueIn.model_construct(
            enterprise_id=value.enterprise_id,
            indicator_code=code,
            round_id=value.round_id,
            month=value.month,
            sex=Sex(value.sex) if value.sex else None,
            role=ParticipantRole(value.role) if value.role else None,
            value=new_value,
            currency=currency,
            note=note,
            project_id=value.project_id,
        )
        row = CheckedRow(index=0, data=data, in_batch=False)
        await self._judge(
            session,
            [row],
            principal=principal,
            lock=False,
            own_slot=value.slot,
            correction=correction,
        )
        if not row.ok:
            fields = ", ".join(sorted({error["field"] for error in row.errors}))
            raise InvalidInput(f"The value is invalid: {fields}", errors=row.errors)
        return row

    # --- the review workflow ------------------------------------------------------------

    async def submit(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> list[ValuePublic]:
        """Draft or returned values go to review; one values.submitted event for the call."""
        _require_enterer(principal)
        values = await self._load_for_transition(
            session,
            ids,
            principal=principal,
            allowed=_EDITABLE,
            verb="submitted",
        )
        now = utcnow()
        for value, _ in values:
            value.status = ValueStatus.submitted.value
            value.submitted_at = now
            value.reviewed_by = None
            value.reviewed_at = None
            session.add(value)
        await session.flush()
        rounds = await self._rounds_of(session, [v for v, _ in values])
        facts = [fact_fields(v, code, rounds) for v, code in values]
        await self._emit_submitted(session, new_id(), facts, principal=principal)
        await self._audit_each(session, principal, values, action="value.submitted")
        return [public(v, code) for v, code in values]

    async def validate(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> list[ValuePublic]:
        """Submitted values become validated: locked, changed only by correction. All or
        none: one value that cannot be validated refuses the call, naming each such value.

        Four eyes: nobody validates a value whose figure they entered or changed, unless the
        value's project turned the rule off (see ``ReviewPolicyService``)."""
        _require_reviewer(principal)
        values = await self._load_for_transition(
            session,
            ids,
            principal=principal,
            allowed=frozenset({ValueStatus.submitted.value}),
            verb="validated",
        )
        refused = await self._four_eyes(session, [v for v, _ in values], principal=principal)
        if refused:
            single = len(ids) == 1
            errors = [
                field_error(
                    "value_id" if single else f"body.value_ids.{index}",
                    "four_eyes",
                    refused[value_id],
                    str(value_id),
                )
                for index, value_id in enumerate(ids)
                if value_id in refused
            ]
            raise Forbidden(
                errors[0]["message"]
                if single
                else f"{len(errors)} of the values were entered or changed by you and need "
                "another reviewer; nothing was validated (send mode=per_row to validate the "
                "others)",
                errors=errors,
            )
        return await self._mark_validated(session, values, principal=principal)

    async def validate_rows(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> ReviewBatchResult:
        """Per row: validates every value that may be validated and reports each other one
        with its reasons (not found, not submitted, four eyes)."""
        _require_reviewer(principal)
        unique = list(dict.fromkeys(ids))
        found = await value_repository.get_many(session, unique, principal=principal, lock=True)
        by_id = {value.id: (value, code) for value, code in found}
        refused = await self._four_eyes(session, [v for v, _ in found], principal=principal)
        results: list[ReviewRowResult] = []
        chosen: dict[UUID, tuple[IndicatorValue, str]] = {}
        for index, value_id in enumerate(ids):
            field = f"body.value_ids.{index}"
            errors: list[dict[str, Any]] = []
            if value_id not in by_id:
                errors.append(field_error(field, "not_found", "no such value", str(value_id)))
            else:
                value, _ = by_id[value_id]
                if value.status != ValueStatus.submitted or not value.is_current:
                    errors.append(
                        field_error(
                            field,
                            "status",
                            f"value {value.id} is {value.status}"
                            + ("" if value.is_current else " and superseded by a correction")
                            + ": only submitted values can be validated",
                            value.status,
                        )
                    )
                if value_id in refused:
                    errors.append(field_error(field, "four_eyes", refused[value_id], str(value_id)))
            if errors:
                results.append(
                    ReviewRowResult(index=index, value_id=value_id, status="refused", errors=errors)
                )
            else:
                chosen.setdefault(value_id, by_id[value_id])
                results.append(ReviewRowResult(index=index, value_id=value_id, status="validated"))
        validated = await self._mark_validated(session, list(chosen.values()), principal=principal)
        return ReviewBatchResult(
            validated=len(validated),
            refused=sum(1 for result in results if result.status == "refused"),
            results=results,
            values=validated,
        )

    async def _four_eyes(
        self, session: AsyncSession, values: Sequence[IndicatorValue], *, principal: Principal
    ) -> dict[UUID, str]:
        """The values this reviewer may not validate, with the reason: they entered or
        changed the figure (any version of this value) and its project keeps four eyes."""
        relaxed = await review_policy_repository.one_pair_of_eyes(
            session, {value.project_id for value in values}
        )
        bound = [value for value in values if value.project_id not in relaxed]
        earlier = await value_repository.earlier_enterers(session, [v.id for v in bound])
        return {
            value.id: (
                f"You entered or changed value {value.id}: someone else validates it (four "
                "eyes; the project's review policy keeps the rule)"
            )
            for value in bound
            if principal.actor in {value.entered_by, *earlier.get(value.id, ())}
        }

    async def _mark_validated(
        self,
        session: AsyncSession,
        values: Sequence[tuple[IndicatorValue, str]],
        *,
        principal: Principal,
    ) -> list[ValuePublic]:
        if not values:
            return []
        now = utcnow()
        for value, _ in values:
            value.status = ValueStatus.validated.value
            value.reviewed_by = principal.actor
            value.reviewed_at = now
            session.add(value)
        await session.flush()
        rounds = await self._rounds_of(session, [v for v, _ in values])
        await changes.emit_many(
            session,
            [snapshot(ValueValidated, value, code, rounds) for value, code in values],
            principal=principal,
        )
        await self._audit_each(session, principal, values, action="value.validated")
        # In the same transaction: the derived values of these inputs, and their events.
        await derivation_service.refresh(session, [v for v, _ in values], principal=principal)
        return [public(v, code) for v, code in values]

    async def withdraw(
        self, session: AsyncSession, value_id: UUID, *, reason: str, principal: Principal
    ) -> ValuePublic:
        """A reviewer takes a validated figure back (recorded for the wrong enterprise, say):
        a new version with no figure, so reports stop counting it and values derived from
        it become not computable. A correction of the withdrawn version records it anew."""
        _require_reviewer(principal)
        old, code = await self.get_or_404(session, value_id, principal=principal, lock=True)
        _require_entered(old)
        _require_current(old)
        if old.status != ValueStatus.validated:
            raise TransitionNotAllowed(
                f"Value {old.id} is {old.status}: only validated values are withdrawn",
                current_status=old.status,
            )
        now = utcnow()
        new = await _supersede(
            session,
            old,
            indicator_version=old.indicator_version,
            currency=old.currency,
            status=ValueStatus.withdrawn.value,
            correction_reason=reason,
            entered_by=principal.actor,
            entered_at=now,
            reviewed_by=principal.actor,
            reviewed_at=now,
        )
        rounds = await self._rounds_of(session, [new])
        await changes.emit(
            session,
            snapshot(ValueWithdrawn, new, code, rounds, reason=reason),
            principal=principal,
        )
        after = public(new, code)
        await changes.audit(
            session,
            principal=principal,
            action="value.withdrawn",
            entity_type="indicator_value",
            entity_id=new.id,
            before=public(old, code),
            after=after,
            reason=reason,
        )
        await derivation_service.refresh(session, [new], principal=principal)
        return after

    async def return_(
        self, session: AsyncSession, value_id: UUID, *, reason: str, principal: Principal
    ) -> ValuePublic:
        """A submitted value goes back to its enterer, with the reviewer's reason."""
        _require_reviewer(principal)
        [(value, code)] = await self._load_for_transition(
            session,
            [value_id],
            principal=principal,
            allowed=frozenset({ValueStatus.submitted.value}),
            verb="returned",
        )
        value.status = ValueStatus.returned.value
        value.return_reason = reason
        value.reviewed_by = principal.actor
        value.reviewed_at = utcnow()
        session.add(value)
        await session.flush()
        rounds = await self._rounds_of(session, [value])
        await changes.emit(
            session,
            snapshot(ValueReturned, value, code, rounds, reason=reason),
            principal=principal,
        )
        await self._audit_each(
            session, principal, [(value, code)], action="value.returned", reason=reason
        )
        return public(value, code)

    async def _load_for_transition(
        self,
        session: AsyncSession,
        ids: Sequence[UUID],
        *,
        principal: Principal,
        allowed: frozenset[str],
        verb: str,
    ) -> list[tuple[IndicatorValue, str]]:
        _require_reader(principal)
        unique = list(dict.fromkeys(ids))
        found = await value_repository.get_many(session, unique, principal=principal, lock=True)
        by_id = {value.id: (value, code) for value, code in found}
        single = len(ids) == 1
        missing = [i for i, value_id in enumerate(ids) if value_id not in by_id]
        if missing:
            if single:
                raise NotFound(f"Value {ids[0]} not found")
            raise NotFound(
                f"{len(missing)} of the values were not found; nothing was changed",
                errors=[
                    field_error(f"body.value_ids.{i}", "not_found", "no such value", str(ids[i]))
                    for i in missing
                ],
            )
        refused = [
            (i, by_id[value_id][0])
            for i, value_id in enumerate(ids)
            if by_id[value_id][0].status not in allowed or not by_id[value_id][0].is_current
        ]
        if refused:
            wanted = " or ".join(sorted(allowed))
            errors = [
                field_error(
                    f"body.value_ids.{i}" if not single else "status",
                    "status",
                    f"value {value.id} is {value.status}"
                    + ("" if value.is_current else " and superseded by a correction")
                    + f": only {wanted} values can be {verb}",
                    value.status,
                )
                for i, value in refused
            ]
            if single:
                _, value = refused[0]
                raise TransitionNotAllowed(
                    errors[0]["message"], errors=errors, current_status=value.status
                )
            raise TransitionNotAllowed(
                f"{len(refused)} of the values cannot be {verb}; nothing was changed",
                errors=errors,
            )
        return [by_id[value_id] for value_id in unique]

    async def _audit_each(
        self,
        session: AsyncSession,
        principal: Principal,
        values: Iterable[tuple[IndicatorValue, str]],
        *,
        action: str,
        reason: str | None = None,
    ) -> None:
        await value_repository.add_audit_entries(
            session,
            principal,
            [
                {
                    "action": action,
                    "entity_type": "indicator_value",
                    "entity_id": value.id,
                    "after": {"status": value.status, "value": _jsonable(_shown(value))},
                    "reason": reason,
                }
                for value, _ in values
            ],
        )

    async def _rounds_of(
        self, session: AsyncSession, values: Iterable[IndicatorValue]
    ) -> dict[UUID, RoundInfo]:
        return await round_repository.by_ids(
            session, {v.round_id for v in values if v.round_id is not None}
        )


def _shown(value: IndicatorValue) -> Decimal | bool | None:
    return value.value_bool if value.value_bool is not None else value.value


def _jsonable(value: Decimal | bool | None) -> str | bool | None:
    return str(value) if isinstance(value, Decimal) else value


def _state(status: str, value: Decimal | None, value_bool: bool | None) -> dict[str, Any]:
    return {"status": status, "value": _jsonable(value_bool if value_bool is not None else value)}


def _apply(value: IndicatorValue, row: CheckedRow) -> None:
    new_value = row.data.value
    value.value = new_value if isinstance(new_value, Decimal) else None
    value.value_bool = new_value if isinstance(new_value, bool) else None
    value.currency = row.data.currency
    value.note = row.data.note
    value.outlier_flags = row.outlier_flags


async def _supersede(
    session: AsyncSession,
    old: IndicatorValue,
    *,
    apply: CheckedRow | None = None,
    **fields: Any,
) -> IndicatorValue:
    """The slot's next version (a correction, a withdrawal): ``old`` stays as history."""
    old.is_current = False
    session.add(old)
    # The old version leaves the slot's unique "current" index before the new one enters.
    await session.flush()
    new = IndicatorValue(
        slot=old.slot,
        enterprise_id=old.enterprise_id,
        project_id=old.project_id,
        indicator_id=old.indicator_id,
        round_id=old.round_id,
        month=old.month,
        sex=old.sex,
        role=old.role,
        version=old.version + 1,
        is_current=True,
        supersedes_id=old.id,
        **fields,
    )
    if apply is not None:
        _apply(new, apply)
    session.add(new)
    await session.flush()
    return new


def _require_current(value: IndicatorValue) -> None:
    if not value.is_current:
        raise TransitionNotAllowed(
            f"Value {value.id} is version {value.version} and has been superseded by a "
            "correction: act on the current version (see its history)",
            current_status=value.status,
        )


def _require_entered(value: IndicatorValue) -> None:
    if value.derived:
        raise Conflict(
            f"Value {value.id} is derived: it is computed from its formula's inputs and "
            "never changed by hand; correct, withdraw or enter its inputs instead",
            errors=[field_error("value_id", "derived", "derived values are computed")],
        )


def _withdrawn(value: IndicatorValue) -> Conflict:
    return Conflict(
        f"Value {value.id} was withdrawn: record a new figure with "
        f"POST /values/{value.id}/corrections",
        errors=[field_error("body.value", "withdrawn", "withdrawn values are locked")],
    )


def _locked(value: IndicatorValue) -> Conflict:
    return Conflict(
        f"Value {value.id} is validated and locked: correct it with "
        f"POST /values/{value.id}/corrections (a new version, with a reason)",
        errors=[field_error("body.value", "locked", "validated values are locked")],
    )


def _under_review(value: IndicatorValue) -> Conflict:
    return Conflict(
        f"Value {value.id} is submitted and awaiting review: it can be changed once returned",
        errors=[field_error("body.value", "under_review", "submitted values await review")],
    )


value_service = ValueService()
