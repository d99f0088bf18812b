"""REST endpoints for the module catalogue, trainers, cohorts and delivery."""

from fastapi import APIRouter

router = APIRouter(tags=["training"])
