"""Projects' review policy: four eyes by default; turning it off is a recorded, audited
decision of the ILO or the project's manager that the ILO can list."""

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.replica.repository import replica_repository
from services.indicators.review_policies.models import ReviewPolicy
from services.indicators.review_policies.repository import review_policy_repository
from services.indicators.review_policies.schemas import ReviewPolicyIn, ReviewPolicyPublic
from shared.columns import utcnow
from shared.enums import Role
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Forbidden, NotFound


def _default(project_id: UUID) -> ReviewPolicyPublic:
    return ReviewPolicyPublic(
        project_id=project_id, four_eyes=True, reason=None, changed_by=None, changed_at=None
    )


class ReviewPolicyService:
    async def get(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> ReviewPolicyPublic:
        # Whoever may see the project may know the rule its values are reviewed under.
        if not await replica_repository.project_known(session, project_id, principal=principal):
            raise NotFound(f"Project {project_id} not found")
        stored = await review_policy_repository.policy(session, project_id)
        return ReviewPolicyPublic.model_validate(stored) if stored else _default(project_id)

    async def set(
        self,
        session: AsyncSession,
        project_id: UUID,
        data: ReviewPolicyIn,
        *,
        principal: Principal,
    ) -> ReviewPolicyPublic:
        """Keep or drop the four-eyes rule for one project, with the reason (audited)."""
        if principal.role not in (Role.ilo_global, Role.programme_manager):
            raise Forbidden(f"A {principal.role.value} does not set a project's review policy")
        before = await self.get(session, project_id, principal=principal)
        stored = await review_policy_repository.policy(session, project_id)
        if stored is None:
            stored = ReviewPolicy(project_id=project_id, four_eyes=True, reason="", changed_by="")
            try:
                # A concurrent first PUT may set the policy first; then this one replaces it.
                async with session.begin_nested():
                    session.add(stored)
            except IntegrityError:
                found = await review_policy_repository.policy(session, project_id)
                if found is None:
                    raise
                stored, before = found, ReviewPolicyPublic.model_validate(found)
        stored.four_eyes = data.four_eyes
        stored.reason = data.reason
        stored.changed_by = principal.actor
        stored.changed_at = utcnow()
        session.add(stored)
        await session.flush()
        after = ReviewPolicyPublic.model_validate(stored)
        await changes.audit(
            session,
            principal=principal,
            action="review_policy.changed",
            entity_type="review_policy",
            entity_id=project_id,
            before=before,
            after=after,
            reason=data.reason,
        )
        return after

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        four_eyes: bool | None = None,
    ) -> Page[ReviewPolicyPublic]:
        """The projects whose policy was ever set (the ILO: all; a manager: theirs)."""
        if principal.role in (Role.ilo_global, Role.service):
            projects = None
        elif principal.role is Role.programme_manager and principal.project_id is not None:
            projects = [principal.project_id]
        else:
            raise Forbidden(f"A {principal.role.value} does not see projects' review policies")
        rows = await review_policy_repository.policies(
            session, project_ids=projects, four_eyes=four_eyes, page=page
        )
        items = [ReviewPolicyPublic.model_validate(row) for row in rows]
        return make_page(items, page.limit, lambda item: item.project_id)


review_policy_service = ReviewPolicyService()
