"""REST endpoints for enrolments (lifecycle) and consent."""

from fastapi import APIRouter

router = APIRouter(tags=["lifecycle"])
