"""The gateway's composer held to a reference Federation 2 composer
(`@theguild/federation-composition`): on every subgraph set of the corpus, and on the
services' own subgraphs, it accepts exactly what the reference accepts and produces the
same public schema.

The corpus (``corpus/<case>/<subgraph>.graphql``) stays within the directives the gateway
supports and gathers the hard cases: shareable root fields, nullability and subtypes
merged across subgraphs, input types intersected, enums merged by where they are used,
interfaces, ``@external`` with ``@requires`` and ``@provides``, ``@inaccessible``. A case
named ``ok-...`` is one the reference accepts, ``refused-...`` one it refuses.
"""

from pathlib import Path

import pytest

from services.gateway.graph.cli import SCHEMA_FILE, SCHEMA_HEADER
from services.gateway.graph.composer import Supergraph, compose
from services.gateway.graph.errors import CompositionError
from services.gateway.graph.local import local_sdls
from tests.gateway.graph.reference import ReferenceResult, compose_with_reference, normalised

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
SERVICES = "the services' subgraphs"


def corpus_case(case: str) -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted((CORPUS / case).glob("*.graphql"))}


@pytest.fixture(scope="module")
def reference() -> dict[str, ReferenceResult]:
    """Every set composed by the reference once (one Node.js process for them all)."""
    sets = {SERVICES: local_sdls(), **{case: corpus_case(case) for case in CASES}}
    return dict(zip(sets, compose_with_reference(list(sets.values())), strict=True))


def ours(sdls: dict[str, str]) -> Supergraph | CompositionError:
    try:
        return compose(sdls)
    except CompositionError as error:
        return error


def assert_agrees(case: str, sdls: dict[str, str], expected: ReferenceResult) -> None:
    composed = ours(sdls)
    if not expected.accepted:
        assert isinstance(composed, CompositionError), (
            f"{case}: the reference refuses it ({expected.errors}), the gateway composed it"
        )
        return
    assert isinstance(composed, Supergraph), f"{case}: the reference composes it; ours: {composed}"
    assert expected.public_sdl is not None
    assert normalised(composed.sdl) == normalised(expected.public_sdl)


def test_the_corpus_holds_cases_the_reference_accepts_and_cases_it_refuses() -> None:
    assert any(case.startswith("ok-") for case in CASES)
    assert any(case.startswith("refused-") for case in CASES)
    assert all(case.startswith(("ok-", "refused-")) for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_the_composer_accepts_and_refuses_what_the_reference_does_with_the_same_schema(
    case: str, reference: dict[str, ReferenceResult]
) -> None:
    expected = reference[case]
    # The name says what the case is there for: a reference that changed its mind shows.
    assert expected.accepted == case.startswith("ok-"), expected.errors

    assert_agrees(case, corpus_case(case), expected)


def test_the_services_subgraphs_compose_to_the_reference_public_schema(
    reference: dict[str, ReferenceResult],
) -> None:
    expected = reference[SERVICES]
    assert expected.accepted, expected.errors

    assert_agrees(SERVICES, local_sdls(), expected)
    # The schema partners read is the one the reference composes.
    committed = SCHEMA_FILE.read_text(encoding="utf-8").removeprefix(SCHEMA_HEADER)
    assert expected.public_sdl is not None
    assert normalised(committed) == normalised(expected.public_sdl)
