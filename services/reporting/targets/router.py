"""Placeholder: filled in by the targets work."""

from fastapi import APIRouter

router = APIRouter()
