"""REST endpoints for calls for expression of interest and applications."""

from fastapi import APIRouter

router = APIRouter(tags=["calls"])
