"""Placeholder: filled in by the impact work."""

from fastapi import APIRouter

router = APIRouter()
