"""Placeholder: filled in by the reporting subgraph work."""

from fastapi import APIRouter

router = APIRouter()
