"""REST endpoints of the indicators service: catalogue."""

from fastapi import APIRouter

router = APIRouter(tags=["catalogue"])
