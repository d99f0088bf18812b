"""The enrolment GraphQL federation subgraph, mounted at /graphql."""

from fastapi import APIRouter

router = APIRouter()
