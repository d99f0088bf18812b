"""The committed schema.graphql is the composition of the services' subgraphs as they are,
and subgraphs/ (the gateway's fallback) holds their SDLs as they are."""

from services.gateway.graph.cli import SCHEMA_FILE, schema_file_text
from services.gateway.graph.composer import compose
from services.gateway.graph.local import local_sdls
from services.gateway.graph.runtime import ARTEFACT, artefact_files, read_artefact


def test_the_committed_schema_is_the_composition_of_the_current_subgraphs() -> None:
    composed = schema_file_text(compose(local_sdls()))
    committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""

    assert committed == composed, (
        f"{SCHEMA_FILE.name} is stale: a subgraph changed. Run `uv run score graph compose "
        "--offline` (or `uv run score graph compose` against the running services) and commit "
        f"{SCHEMA_FILE.name}"
    )


def test_the_committed_subgraph_sdls_are_those_of_the_current_subgraphs() -> None:
    committed = {f"{name}.graphql": sdl for name, sdl in read_artefact(ARTEFACT).items()}

    assert committed == artefact_files(local_sdls()), (
        f"{ARTEFACT.name}/ is stale: a subgraph changed. Run `uv run score graph compose "
        f"--offline` and commit {ARTEFACT.name}/ (the gateway falls back on it while a "
        "subgraph is down)"
    )
