"""Calls for expression of interest, applications, explained evaluation and shortlisting."""

from collections.abc import Iterator, Sequence
from typing import Any, Literal
from uuid import UUID

from pydantic import JsonValue, TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.calls.models import Application, Call, CriteriaVersion
from services.enrolment.calls.questions import (
    CallQuestion,
    check_answers,
    question_errors,
    snapshot_answers,
)
from services.enrolment.calls.repository import (
    ApplicationOrder,
    application_repository,
    call_repository,
)
from services.enrolment.calls.rules import (
    AllOf,
    AnyOf,
    CriterionResult,
    CriterionSpec,
    RatioAtLeast,
    Rule,
    evaluate_criteria,
)
from services.enrolment.calls.schemas import (
    ANSWER_FIELDS,
    PROFILE_SNAPSHOT_FIELDS,
    SNAPSHOT_FIELDS,
    ApplicationCreate,
    ApplicationPublic,
    ApplicationUpdate,
    CallCreate,
    CallPublic,
    CriteriaUpdate,
    CriteriaVersionPublic,
    ShortlistEntry,
    ShortlistPublic,
    ShortlistRequest,
)
from services.enrolment.db import changes
from services.enrolment.enterprises.models import Enterprise
from services.enrolment.enterprises.repository import enterprise_repository
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.lifecycle.machine import FINAL_STAGES
from services.enrolment.lifecycle.models import Enrolment
from services.enrolment.lifecycle.service import lifecycle_service
from services.enrolment.meetings.repository import meeting_repository
from services.enrolment.meetings.schemas import SETTLED_FIELDS, Commitment, settled
from services.enrolment.organisations.repository import project_repository
from services.enrolment.organisations.service import project_service
from shared.columns import utcnow
from shared.enums import ApplicationOutcome, LifecycleStage, Role
from shared.events import ApplicationEvaluated, ApplicationSubmitted
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import (
    Conflict,
    DeadlinePassed,
    Forbidden,
    InvalidInput,
    NotFound,
    field_error,
)

# While an enterprise is still being screened its stage follows its latest evaluation;
# once shortlisted (or further) a re-evaluation never moves it back.
SCREENING_STAGES = frozenset(
    {
        LifecycleStage.expression_of_interest,
        LifecycleStage.eligible,
        LifecycleStage.ineligible,
        LifecycleStage.needs_information,
    }
)

_CALL_MANAGERS = frozenset({Role.ilo_global, Role.programme_manager, Role.partner_staff})
_APPLICANTS = frozenset({Role.ilo_global, Role.partner_staff, Role.enterprise_user})

_CRITERIA = TypeAdapter(list[CriterionSpec])
_RESULTS = TypeAdapter(list[CriterionResult])
_QUESTIONS = TypeAdapter(list[CallQuestion])


def _is_open(call: Call) -> bool:
    now = utcnow()
    return now <= call.deadline and (call.opens_on is None or call.opens_on <= now.date())


def _require_open(call: Call) -> None:
    now = utcnow()
    if now > call.deadline:
        raise DeadlinePassed(
            f"The call '{call.title}' closed at its deadline {call.deadline.isoformat()}; "
            "applications are no longer accepted or changed",
            deadline=call.deadline.isoformat(),
        )
    if call.opens_on is not None and now.date() < call.opens_on:
        raise Conflict(
            f"The call '{call.title}' opens on {call.opens_on.isoformat()}; "
            "applications are accepted from then until the deadline",
            opens_on=call.opens_on.isoformat(),
        )


def _rule_fields(rule: Rule, path: str) -> Iterator[tuple[str, str]]:
    """(location, snapshot field) for every field the rule reads, nested rules included."""
    if isinstance(rule, AllOf | AnyOf):
        for index, sub_rule in enumerate(rule.rules):
            yield from _rule_fields(sub_rule, f"{path}.rules.{index}")
    elif isinstance(rule, RatioAtLeast):
        yield f"{path}.numerator", rule.numerator
        yield f"{path}.denominator", rule.denominator
    else:
        yield f"{path}.field", rule.field


def _dumped(
    criteria: Sequence[CriterionSpec], questions: Sequence[CallQuestion]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Criteria and questions as a version stores them."""
    return (
        [c.model_dump(mode="json") for c in criteria],
        [q.model_dump(mode="json", exclude_none=True) for q in questions],
    )


def _check_fields(criteria: Sequence[CriterionSpec], questions: Sequence[CallQuestion]) -> None:
    # A field no application carries would leave its criterion unknown for everyone.
    errors = question_errors(questions, SNAPSHOT_FIELDS)
    fields = (*SNAPSHOT_FIELDS, *(question.key for question in questions))
    known = ", ".join(fields)
    errors += [
        field_error(
            location,
            "known_field",
            f"{name!r} is not a field applications are judged on; known fields: {known}",
            name,
        )
        for index, criterion in enumerate(criteria)
        for location, name in _rule_fields(criterion.rule, f"body.criteria.{index}.rule")
        if name not in fields
    ]
    if errors:
        raise InvalidInput(
            "A criterion reads a field applications do not have, or a question's key is taken",
            errors=errors,
        )


def _questions(version: CriteriaVersion) -> list[CallQuestion]:
    return _QUESTIONS.validate_python(version.questions)


def _snapshot(
    enterprise: Enterprise, answers: dict[str, Any], questions: Sequence[CallQuestion]
) -> dict[str, JsonValue]:
    snapshot: dict[str, JsonValue] = {
        field: getattr(enterprise, field) for field in PROFILE_SNAPSHOT_FIELDS
    }
    snapshot.update({field: answers.get(field) for field in ANSWER_FIELDS})
    snapshot.update(snapshot_answers(questions, answers))
    return snapshot


def _application_public(application: Application, call: Call) -> ApplicationPublic:
    return ApplicationPublic(
        id=application.id,
        call_id=application.call_id,
        project_id=call.project_id,
        enterprise_id=application.enterprise_id,
        answers=application.answers,
        submitted_at=application.submitted_at,
        outcome=ApplicationOutcome(application.outcome) if application.outcome else None,
        priority_score=application.priority_score,
        criteria_version=application.criteria_version,
        evaluation=_RESULTS.validate_python(application.evaluation or []),
        input_snapshot=application.input_snapshot or {},
        evaluated_at=application.evaluated_at,
        shortlisted=application.shortlisted,
    )


def _verdict(application: Application) -> dict[str, Any]:
    return {
        "outcome": application.outcome,
        "priority_score": application.priority_score,
        "criteria_version": application.criteria_version,
        "shortlisted": application.shortlisted,
    }


async def _require_manager(
    session: AsyncSession, project_id: UUID, principal: Principal, action: str
) -> None:
    if principal.role is Role.ilo_global:
        return
    if principal.role is Role.programme_manager and principal.project_id == project_id:
        return
    if (
        principal.role is Role.partner_staff
        and principal.organisation_id is not None
        and await project_repository.is_partner(session, project_id, principal.organisation_id)
    ):
        return
    raise Forbidden(
        f"Only the ILO, the project's programme manager or staff of a partner in the project "
        f"can {action}"
    )


class ApplicationService:
    async def get_or_404(
        self, session: AsyncSession, application_id: UUID, *, principal: Principal
    ) -> tuple[Application, Call]:
        found = await application_repository.get(session, application_id, principal=principal)
        if found is None:
            raise NotFound(f"Application {application_id} not found")
        return found

    async def get(
        self, session: AsyncSession, application_id: UUID, *, principal: Principal
    ) -> ApplicationPublic:
        application, call = await self.get_or_404(session, application_id, principal=principal)
        return _application_public(application, call)

    async def get_all(
        self,
        session: AsyncSession,
        call_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
        outcome: ApplicationOutcome | None = None,
        order: ApplicationOrder = "submitted",
    ) -> Page[ApplicationPublic]:
        call = await call_service.get_or_404(session, call_id, principal=principal)
        rows = await application_repository.get_all_for_call(
            session, call.id, principal=principal, page=page, outcome=outcome, order=order
        )
        if rows is None:
            raise InvalidInput(
                "The cursor is not one this listing issued",
                errors=[field_error("query.cursor", "cursor", "not a cursor of this listing")],
            )
        items = [_application_public(a, call) for a in rows]
        return make_page(items, page.limit, lambda item: item.id)

    async def create(
        self,
        session: AsyncSession,
        call_id: UUID,
        data: ApplicationCreate,
        *,
        principal: Principal,
    ) -> ApplicationPublic:
        if principal.role not in _APPLICANTS:
            raise Forbidden(f"A {principal.role.value} cannot apply to a call")
        call = await call_service.get_or_404(session, call_id, principal=principal, lock="share")
        enterprise = await enterprise_service.get_or_404(
            session, data.enterprise_id, principal=principal
        )
        if (
            principal.role is Role.partner_staff
            and principal.organisation_id is not None
            and not await project_repository.is_partner(
                session, call.project_id, principal.organisation_id
            )
        ):
            # Its enrolment would land in a project the partner does not deliver.
            raise Forbidden(
                "Your organisation is not an implementation partner in this call's project"
            )
        _require_open(call)
        version = await call_service.current_version(session, call)
        check_answers(_questions(version), data.answers.questions or {})
        application = await self._insert_once(
            session,
            Application(
                call_id=call.id,
                enterprise_id=enterprise.id,
                answers=data.answers.model_dump(exclude_none=True),
            ),
        )
        await changes.emit(
            session,
            ApplicationSubmitted(
                application_id=application.id,
                call_id=call.id,
                project_id=call.project_id,
                enterprise_id=enterprise.id,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="application.submitted",
            entity_type="application",
            entity_id=application.id,
            after={
                "call_id": str(call.id),
                "enterprise_id": str(enterprise.id),
                "answers": application.answers,
            },
        )
        await lifecycle_service.ensure_enrolment(
            session,
            project_id=call.project_id,
            enterprise_id=enterprise.id,
            principal=principal,
            reason=f"applied to the call '{call.title}'",
        )
        await self._evaluate(session, application, call, enterprise, version, principal=principal)
        return _application_public(application, call)

    async def _insert_once(self, session: AsyncSession, application: Application) -> Application:
        """Insert the application, or 409 naming the one the enterprise already has."""
        existing = await application_repository.find(
            session, call_id=application.call_id, enterprise_id=application.enterprise_id
        )
        if existing is None:
            try:
                # A concurrent duplicate trips the unique constraint; the savepoint keeps the
                # request's transaction usable so it can answer 409 like the check above.
                async with session.begin_nested():
                    session.add(application)
                    await session.flush()
                return application
            except IntegrityError:
                existing = await application_repository.find(
                    session, call_id=application.call_id, enterprise_id=application.enterprise_id
                )
                if existing is None:
                    raise
        raise Conflict(
            f"Enterprise {application.enterprise_id} already applied to this call as "
            f"application {existing.id}",
            existing_application_id=str(existing.id),
        )

    async def update(
        self,
        session: AsyncSession,
        application_id: UUID,
        data: ApplicationUpdate,
        *,
        principal: Principal,
    ) -> ApplicationPublic:
        """Add or correct declarations while the call is open, and judge the result again."""
        found = await self.get_or_404(session, application_id, principal=principal)
        if principal.role not in _APPLICANTS:
            raise Forbidden(f"A {principal.role.value} cannot change an application")
        application, _ = found
        call = await call_service.get_or_404(
            session, application.call_id, principal=principal, lock="share"
        )
        _require_open(call)
        version = await call_service.current_version(session, call)
        check_answers(_questions(version), data.answers.questions or {})
        before = dict(application.answers)
        given = data.answers.model_dump(exclude_unset=True)
        if "questions" in given:
            # Answers to questions merge by question like the declarations do.
            given["questions"] = {
                key: value
                for key, value in (before.get("questions") or {}).items()
                | (given["questions"] or {}).items()
                if value is not None
            }
        merged = before | given
        application.answers = {
            key: value for key, value in merged.items() if value is not None and value != {}
        }
        session.add(application)
        await session.flush()
        await changes.audit(
            session,
            principal=principal,
            action="application.answers_updated",
            entity_type="application",
            entity_id=application.id,
            before={"answers": before},
            after={"answers": application.answers},
        )
        enterprises = await enterprise_repository.get_many_unscoped(
            session, [application.enterprise_id]
        )
        await self._evaluate(
            session,
            application,
            call,
            enterprises[application.enterprise_id],
            version,
            principal=principal,
        )
        return _application_public(application, call)

    async def reevaluate_one(
        self, session: AsyncSession, application: Application, *, principal: Principal
    ) -> ApplicationPublic:
        """Judge the application again against the criteria version it was judged on."""
        call = await call_service.get_or_404(session, application.call_id, principal=principal)
        version = await call_repository.criteria_version(
            session, call.id, application.criteria_version or call.current_criteria_version
        ) or await call_service.current_version(session, call)
        enterprise = (
            await enterprise_repository.get_many_unscoped(session, [application.enterprise_id])
        )[application.enterprise_id]
        await self._evaluate(session, application, call, enterprise, version, principal=principal)
        return _application_public(application, call)

    async def reevaluate_for_enterprise(
        self, session: AsyncSession, *, enterprise_id: UUID, principal: Principal
    ) -> None:
        """Re-judge the enterprise's applications to calls whose deadline has not passed."""
        rows = await application_repository.open_for_enterprise(
            session, enterprise_id, now=utcnow()
        )
        if not rows:
            return
        enterprise = (await enterprise_repository.get_many_unscoped(session, [enterprise_id]))[
            enterprise_id
        ]
        for application, call in rows:
            version = await call_service.current_version(session, call)
            await self._evaluate(
                session, application, call, enterprise, version, principal=principal
            )

    async def reevaluate_for_call(
        self, session: AsyncSession, call: Call, version: CriteriaVersion, *, principal: Principal
    ) -> None:
        """Re-judge every application to an open call against ``version``."""
        if utcnow() > call.deadline:
            return  # a closed call's applications keep the version they were judged on
        applications = await application_repository.for_call(session, call.id)
        enterprises = await enterprise_repository.get_many_unscoped(
            session, [a.enterprise_id for a in applications]
        )
        for application in applications:
            await self._evaluate(
                session,
                application,
                call,
                enterprises[application.enterprise_id],
                version,
                principal=principal,
            )

    async def _evaluate(
        self,
        session: AsyncSession,
        application: Application,
        call: Call,
        enterprise: Enterprise,
        version: CriteriaVersion,
        *,
        principal: Principal,
    ) -> None:
        snapshot = _snapshot(enterprise, application.answers, _questions(version))
        # The commitment given at the meeting with the CEO settles what was declared.
        meeting = await meeting_repository.latest(session, application.id)
        if meeting is not None:
            snapshot.update(
                settled(Commitment(meeting.commitment), meeting.nominee_decision_authority)
            )
            snapshot["commitment_meeting_id"] = str(meeting.id)
        criteria = _CRITERIA.validate_python(version.criteria)
        evaluation = evaluate_criteria(criteria, snapshot)
        before = _verdict(application) if application.evaluated_at is not None else None
        application.outcome = evaluation.outcome
        application.priority_score = evaluation.priority_score
        application.criteria_version = version.version
        results = [r.model_dump(mode="json") for r in evaluation.results]
        if meeting is not None:
            for result, criterion in zip(results, criteria, strict=True):
                if {name for _, name in _rule_fields(criterion.rule, "")} & set(SETTLED_FIELDS):
                    result["explanation"] += (
                        f" (commitment given at the meeting of {meeting.held_on.isoformat()})"
                    )
        application.evaluation = results
        application.input_snapshot = snapshot
        application.evaluated_at = utcnow()
        session.add(application)
        await session.flush()
        outcome = ApplicationOutcome(evaluation.outcome)
        reason = f"evaluated against criteria version {version.version}"
        await changes.emit(
            session,
            ApplicationEvaluated(
                application_id=application.id,
                call_id=call.id,
                project_id=call.project_id,
                enterprise_id=application.enterprise_id,
                criteria_version=version.version,
                outcome=outcome,
                priority_score=evaluation.priority_score,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="application.evaluated",
            entity_type="application",
            entity_id=application.id,
            before=before,
            after={
                **_verdict(application),
                "failed": evaluation.failed_keys,
                "unknown": evaluation.unknown_keys,
            },
            reason=reason,
        )
        enrolment = await lifecycle_service.ensure_enrolment(
            session,
            project_id=call.project_id,
            enterprise_id=application.enterprise_id,
            principal=principal,
        )
        if LifecycleStage(enrolment.stage) in SCREENING_STAGES:
            await lifecycle_service.transition(
                session,
                enrolment,
                LifecycleStage(outcome.value),
                principal=principal,
                reason=reason,
                by_system=True,
            )


class CallService:
    async def get_or_404(
        self,
        session: AsyncSession,
        call_id: UUID,
        *,
        principal: Principal,
        lock: Literal["share", "update"] | None = None,
    ) -> Call:
        call = await call_repository.get(session, call_id, principal=principal, lock=lock)
        if call is None:
            raise NotFound(f"Call {call_id} not found")
        return call

    async def current_version(self, session: AsyncSession, call: Call) -> CriteriaVersion:
        version = await call_repository.criteria_version(
            session, call.id, call.current_criteria_version
        )
        if version is None:  # every call is created with version 1 in the same transaction
            raise RuntimeError(
                f"call {call.id} lacks criteria version {call.current_criteria_version}"
            )
        return version

    async def get(
        self, session: AsyncSession, call_id: UUID, *, principal: Principal
    ) -> CallPublic:
        call = await self.get_or_404(session, call_id, principal=principal)
        return self._public(call, await self.current_version(session, call))

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
        is_open: bool | None = None,
    ) -> Page[CallPublic]:
        rows = await call_repository.get_all(
            session,
            principal=principal,
            page=page,
            now=utcnow(),
            project_id=project_id,
            is_open=is_open,
        )
        versions = await call_repository.current_versions(session, [c.id for c in rows])
        items = [self._public(c, versions[c.id]) for c in rows]
        return make_page(items, page.limit, lambda item: item.id)

    async def create(
        self, session: AsyncSession, data: CallCreate, *, principal: Principal
    ) -> CallPublic:
        if principal.role not in _CALL_MANAGERS:
            raise Forbidden(f"A {principal.role.value} cannot create a call")
        _check_fields(data.criteria, data.questions)
        project = await project_service.get_or_404(session, data.project_id, principal=principal)
        await _require_manager(session, project.id, principal, "create a call for the project")
        call = Call(
            **data.model_dump(exclude={"criteria", "questions"}), current_criteria_version=1
        )
        session.add(call)
        await session.flush()
        version = await self._add_version(
            session, call, data.criteria, data.questions, principal=principal
        )
        public = self._public(call, version)
        await changes.audit(
            session,
            principal=principal,
            action="call.created",
            entity_type="call",
            entity_id=call.id,
            after=public,
        )
        return public

    async def get_criteria_version(
        self, session: AsyncSession, call_id: UUID, version: int, *, principal: Principal
    ) -> CriteriaVersionPublic:
        call = await self.get_or_404(session, call_id, principal=principal)
        found = await call_repository.criteria_version(session, call.id, version)
        if found is None:
            raise NotFound(
                f"Call {call_id} has no criteria version {version} "
                f"(current: {call.current_criteria_version})"
            )
        return CriteriaVersionPublic(
            call_id=found.call_id,
            version=found.version,
            criteria=_CRITERIA.validate_python(found.criteria),
            questions=_questions(found),
            created_by=found.created_by,
            created_at=found.created_at,
        )

    async def update_criteria(
        self,
        session: AsyncSession,
        call_id: UUID,
        data: CriteriaUpdate,
        *,
        principal: Principal,
    ) -> CallPublic:
        """A new criteria version; open applications are judged again against it."""
        call = await self.get_or_404(session, call_id, principal=principal, lock="update")
        await _require_manager(session, call.project_id, principal, "change the call's criteria")
        _check_fields(data.criteria, data.questions)
        previous = call.current_criteria_version
        current = await call_repository.criteria_version(session, call.id, previous)
        if current is not None and (current.criteria, current.questions) == _dumped(
            data.criteria, data.questions
        ):
            # The same criteria PUT again (a retry without a key): already the current
            # version, so no new one, and applications stay judged as they are.
            return self._public(call, current)
        call.current_criteria_version = previous + 1
        session.add(call)
        version = await self._add_version(
            session, call, data.criteria, data.questions, principal=principal
        )
        await changes.audit(
            session,
            principal=principal,
            action="call.criteria_changed",
            entity_type="call",
            entity_id=call.id,
            before={"criteria_version": previous},
            after={
                "criteria_version": version.version,
                "criteria": version.criteria,
                "questions": version.questions,
            },
        )
        await application_service.reevaluate_for_call(session, call, version, principal=principal)
        return self._public(call, version)

    async def shortlist(
        self,
        session: AsyncSession,
        call_id: UUID,
        data: ShortlistRequest,
        *,
        principal: Principal,
    ) -> ShortlistPublic:
        """Fill the call's free places with the best-ranked eligible applications.

        Places already taken stay taken: calling again adds no duplicate and demotes no one.
        """
        call = await self.get_or_404(session, call_id, principal=principal, lock="update")
        await _require_manager(session, call.project_id, principal, "shortlist the call")
        places = data.limit if data.limit is not None else call.capacity
        if places is None:
            raise InvalidInput(
                "The call has no capacity; say how many places to fill",
                errors=[
                    field_error("body.limit", "required", "required when the call has no capacity")
                ],
            )
        ranked = await application_repository.ranked_for_shortlist(session, call.id)
        free = places - sum(1 for a in ranked if a.shortlisted)
        stages: dict[UUID, LifecycleStage] = {}
        for application in ranked:
            enrolment = await lifecycle_service.ensure_enrolment(
                session,
                project_id=call.project_id,
                enterprise_id=application.enterprise_id,
                principal=principal,
            )
            if (
                free > 0
                and not application.shortlisted
                and await self._take_place(
                    session, call, application, enrolment, principal=principal
                )
            ):
                free -= 1
            stages[application.id] = LifecycleStage(enrolment.stage)
        visible = await application_repository.visible_ids(
            session, [a.id for a in ranked], principal=principal
        )
        entries = [
            ShortlistEntry(
                rank=rank,
                application_id=a.id,
                enterprise_id=a.enterprise_id,
                outcome=ApplicationOutcome(a.outcome) if a.outcome else None,
                priority_score=a.priority_score,
                submitted_at=a.submitted_at,
                shortlisted=a.shortlisted,
                stage=stages[a.id],
            )
            for rank, a in enumerate(ranked, start=1)
            # Ranks stay global; other tenants' enterprises are left out, not renumbered.
            if a.id in visible
        ]
        return ShortlistPublic(
            call_id=call.id,
            places=places,
            shortlisted_count=sum(1 for a in ranked if a.shortlisted),
            entries=entries,
        )

    async def _take_place(
        self,
        session: AsyncSession,
        call: Call,
        application: Application,
        enrolment: Enrolment,
        *,
        principal: Principal,
    ) -> bool:
        """Shortlist one eligible application; False if its enterprise cannot take a place."""
        if application.outcome != ApplicationOutcome.eligible.value:
            return False
        stage = LifecycleStage(enrolment.stage)
        # Screened out by another call of the project, withdrawn or dropped: skip, do not
        # block the place for the next in rank.
        if stage in FINAL_STAGES or (
            stage in SCREENING_STAGES and stage is not LifecycleStage.eligible
        ):
            return False
        reason = (
            f"shortlisted in the call '{call.title}' "
            f"with priority score {application.priority_score:g}"
        )
        if stage is LifecycleStage.eligible:
            await lifecycle_service.transition(
                session,
                enrolment,
                LifecycleStage.shortlisted,
                principal=principal,
                reason=reason,
                by_system=True,
            )
        application.shortlisted = True
        session.add(application)
        await session.flush()
        await changes.audit(
            session,
            principal=principal,
            action="application.shortlisted",
            entity_type="application",
            entity_id=application.id,
            before={"shortlisted": False},
            after=_verdict(application),
            reason=reason,
        )
        return True

    async def _add_version(
        self,
        session: AsyncSession,
        call: Call,
        criteria: Sequence[CriterionSpec],
        questions: Sequence[CallQuestion],
        *,
        principal: Principal,
    ) -> CriteriaVersion:
        stored_criteria, stored_questions = _dumped(criteria, questions)
        version = CriteriaVersion(
            call_id=call.id,
            version=call.current_criteria_version,
            criteria=stored_criteria,
            questions=stored_questions,
            created_by=principal.actor,
        )
        session.add(version)
        await session.flush()
        return version

    def _public(self, call: Call, version: CriteriaVersion) -> CallPublic:
        return CallPublic(
            id=call.id,
            project_id=call.project_id,
            title=call.title,
            description=call.description,
            opens_on=call.opens_on,
            deadline=call.deadline,
            capacity=call.capacity,
            is_open=_is_open(call),
            criteria_version=version.version,
            criteria=_CRITERIA.validate_python(version.criteria),
            questions=_questions(version),
            created_at=call.created_at,
        )


application_service = ApplicationService()
call_service = CallService()
