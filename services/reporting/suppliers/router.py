"""Placeholder: filled in by the suppliers work."""

from fastapi import APIRouter

router = APIRouter()
