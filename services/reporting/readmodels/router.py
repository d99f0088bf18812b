"""Placeholder: filled in by the readmodels work."""

from fastapi import APIRouter

router = APIRouter()
