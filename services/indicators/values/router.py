"""REST endpoints of the indicators service: values."""

from fastapi import APIRouter

router = APIRouter(tags=["values"])
