"""The shaper returns what graphql-core's own execution of the client's operation would return
over the same data: field order, aliases, fragments, __typename, null propagation, errors."""

from pathlib import Path
from typing import Any

import pytest
from graphql import ExecutionResult, execute, parse

from services.gateway.graph.composer import Supergraph, compose
from services.gateway.graph.limits import GraphLimits
from services.gateway.graph.operation import OperationCache
from services.gateway.graph.shaper import Shaper
from tests.gateway.graph.fakes import catalog_schema, reviews_schema


@pytest.fixture(scope="module")
def shop() -> Supergraph:
    return compose({"catalog": catalog_schema.as_str(), "reviews": reviews_schema.as_str()})


def shaped(
    supergraph: Supergraph, document: str, data: dict[str, Any], variables: dict[str, Any]
) -> tuple[Any, list[tuple[Any, ...]]]:
    cache = OperationCache(supergraph, GraphLimits())
    plan = cache.plan(cache.prepare(document, None), variables)
    assert plan.shape is not None
    shaper = Shaper(plan.typename_key)
    result = shaper.shape(plan.shape, "Query", data)
    return result, [tuple(error.path or ()) for error in shaper.errors]


def executed(
    supergraph: Supergraph, document: str, data: dict[str, Any], variables: dict[str, Any]
) -> tuple[Any, list[tuple[Any, ...]]]:
    result = execute(
        supergraph.schema,
        parse(document),
        root_value=data,
        variable_values=variables,
        field_resolver=lambda source, info, **_: source.get(info.path.key),
        type_resolver=lambda value, info, abstract: value.get("_export___typename"),
    )
    assert isinstance(result, ExecutionResult)
    return result.data, [tuple(error.path or ()) for error in result.errors or ()]


PRODUCT = {"_export___typename": "Product", "_export_id": "p1", "id": "p1", "name": "Needle"}

CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "aliases and order",
        '{ b: products { n: name id } a: product(id: "p1") { id label: name } }',
        {"b": [PRODUCT], "a": PRODUCT, "_extra": 1},
        {},
    ),
    (
        "fragments and typename",
        """query { products { ...P ... on Product { __typename rating } } }
        fragment P on Product { name id }""",
        {"products": [{**PRODUCT, "rating": 2.5}]},
        {},
    ),
    (
        "skip and include",
        """query ($x: Boolean!) { products { name @skip(if: $x) id @include(if: $x) } }""",
        {"products": [PRODUCT]},
        {"x": True},
    ),
    (
        "null in a non-null field nulls the nearest nullable parent",
        '{ product(id: "p1") { name topReview { body } } reviews { body } }',
        {"product": {**PRODUCT, "topReview": None}, "reviews": []},
        {},
    ),
    (
        "null list item of a non-null list reaches data",
        "{ products { name } }",
        {"products": [PRODUCT, None]},
        {},
    ),
    (
        "nullable parts stay",
        '{ product(id: "p9") { name } products { rating } }',
        {"product": None, "products": [{**PRODUCT, "rating": None}]},
        {},
    ),
    (
        "union members by type",
        """{ search(text: "e") { __typename ... on Product { name } ... on Shelf { label } } }""",
        {
            "search": [
                PRODUCT,
                {"_export___typename": "Shelf", "label": "top"},
            ]
        },
        {},
    ),
]


@pytest.mark.parametrize(
    ("document", "data", "variables"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_shaping_matches_graphql_execution(
    shop: Supergraph, document: str, data: dict[str, Any], variables: dict[str, Any]
) -> None:
    assert shaped(shop, document, data, variables) == executed(shop, document, data, variables)


def test_an_object_of_an_inaccessible_type_never_reaches_the_client() -> None:
    folder = Path(__file__).resolve().parent / "corpus" / "ok-inaccessible-union-member"
    supergraph = compose({p.stem: p.read_text() for p in folder.glob("*.graphql")})
    # The subgraph answers a member the public schema does not have.
    data = {
        "search": [
            {"_export___typename": "Book", "title": "Kaizen"},
            {"_export___typename": "Secret", "code": "s3cr3t"},
        ]
    }

    result, errors = shaped(supergraph, "{ search { ... on Book { title } } }", data, {})

    # search is [Result!]!: the hidden item nulls the list, which nulls the root field.
    assert result is None
    assert errors == [("search", 1)]
    assert "Result" in supergraph.leaky_types
