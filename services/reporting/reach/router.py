"""Placeholder: filled in by the reach work."""

from fastapi import APIRouter

router = APIRouter()
