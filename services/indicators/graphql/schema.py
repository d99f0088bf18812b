"""The indicators GraphQL federation subgraph, mounted at /graphql."""

from fastapi import APIRouter

router = APIRouter()
