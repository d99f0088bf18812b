"""REST endpoints of the indicators service: implementation."""

from fastapi import APIRouter

router = APIRouter(tags=["implementation"])
