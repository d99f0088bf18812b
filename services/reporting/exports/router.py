"""Placeholder: filled in by the exports work."""

from fastapi import APIRouter

router = APIRouter()
