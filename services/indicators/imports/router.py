"""REST endpoints of the indicators service: imports."""

from fastapi import APIRouter

router = APIRouter(tags=["imports"])
