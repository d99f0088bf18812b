"""REST endpoints of projects' review policy: thin, one service call each."""

from uuid import UUID

from fastapi import APIRouter

from services.indicators.review_policies.schemas import ReviewPolicyIn, ReviewPolicyPublic
from services.indicators.review_policies.service import review_policy_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["values"])


@router.get(
    "/projects/{project_id}/review-policy",
    tags=["review policy"],
    summary="A project's review rule: four eyes unless turned off",
)
async def get_review_policy(
    project_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ReviewPolicyPublic:
    return await review_policy_service.get(session, project_id, principal=principal)


@router.put(
    "/projects/{project_id}/review-policy",
    tags=["review policy"],
    summary="Keep or turn off the four-eyes rule for a project (ILO or its manager; audited)",
)
async def set_review_policy(
    project_id: UUID, body: ReviewPolicyIn, session: SessionDep, principal: CurrentPrincipal
) -> ReviewPolicyPublic:
    return await review_policy_service.set(session, project_id, body, principal=principal)


@router.get(
    "/review-policies",
    tags=["review policy"],
    summary="Projects whose review rule was set; four_eyes=false lists those that turned it off",
)
async def list_review_policies(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    four_eyes: bool | None = None,
) -> Page[ReviewPolicyPublic]:
    return await review_policy_service.get_all(
        session, principal=principal, page=page, four_eyes=four_eyes
    )
