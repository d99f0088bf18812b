"""Query plans: root fields by subgraph, entity fetches with keys, fragments, aliases,
@skip/@include, mutations in order, variables where used, passthrough, the plan cache."""

from pathlib import Path
from typing import Any

import pytest

from services.gateway.graph.composer import Supergraph, compose
from services.gateway.graph.limits import GraphLimits
from services.gateway.graph.local import local_sdls
from services.gateway.graph.operation import OperationCache
from services.gateway.graph.planner import Fetch, QueryPlan
from tests.gateway.graph.fakes import catalog_schema, reviews_schema


@pytest.fixture(scope="module")
def score() -> Supergraph:
    sdls = local_sdls()
    return compose({name: sdls[name] for name in ("enrolment", "indicators")})


@pytest.fixture(scope="module")
def shop() -> Supergraph:
    return compose({"catalog": catalog_schema.as_str(), "reviews": reviews_schema.as_str()})


def plan_of(
    supergraph: Supergraph,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    operation_name: str | None = None,
    cache: OperationCache | None = None,
) -> QueryPlan:
    cache = cache or OperationCache(supergraph, GraphLimits())
    prepared = cache.prepare(document, operation_name)
    return cache.plan(prepared, variables or {})


def waves(plan: QueryPlan) -> list[list[Fetch]]:
    (phase,) = plan.phases
    return [list(wave) for wave in phase.waves]


def documents(plan: QueryPlan) -> list[str]:
    result: list[str] = []
    for phase in plan.phases:
        for wave in phase.waves:
            by_subgraph: dict[str, list[Fetch]] = {}
            for fetch in wave:
                by_subgraph.setdefault(fetch.subgraph, []).append(fetch)
            result.extend(plan.document(tuple(f)) for f in by_subgraph.values())
    return result


def test_root_fields_are_grouped_into_one_fetch_per_subgraph(score: Supergraph) -> None:
    plan = plan_of(
        score,
        """{
          enterprises { items { name } }
          indicators { code }
          organisations { items { name } }
          rounds(projectId: "x") { name }
        }""",
    )

    (roots,) = waves(plan)
    assert [(f.subgraph, f.fields) for f in roots] == [
        ("enrolment", ("enterprises", "organisations")),
        ("indicators", ("indicators", "rounds")),
    ]
    assert plan.passthrough is None


def test_fields_of_another_subgraph_come_from_its_entities_with_the_key_added(
    score: Supergraph,
) -> None:
    plan = plan_of(
        score, "{ enterprises { items { name indicatorValues { value } improvementTeam { id } } } }"
    )

    roots, entities = waves(plan)
    (root,) = roots
    (fetch,) = entities
    assert "_export_id: id" in root.selection
    assert "_export___typename: __typename" in root.selection
    assert "indicatorValues" not in root.selection
    assert (fetch.subgraph, fetch.path, fetch.type_name, fetch.key_fields) == (
        "indicators",
        ("enterprises", "items"),
        "Enterprise",
        ("id",),
    )
    assert fetch.fields == ("indicatorValues", "improvementTeam")
    (_, entity_document) = documents(plan)
    assert "_entities(representations: $_r" in entity_document
    assert "... on Enterprise" in entity_document
    assert "name" not in entity_document


def test_fragments_and_inline_fragments_plan_like_the_fields_they_hold(
    score: Supergraph,
) -> None:
    plain = "{ enterprises { items { name country indicatorValues { value } } } }"
    named = """
      { enterprises { items { ...Profile ...Values } } }
      fragment Profile on Enterprise { name country }
      fragment Values on Enterprise { indicatorValues { value } }
    """
    inline = """{ enterprises { items {
      ... on Enterprise { name }
      ... { country indicatorValues { value } }
    } } }"""

    expected = documents(plan_of(score, plain))

    assert documents(plan_of(score, named)) == expected
    assert documents(plan_of(score, inline)) == expected


def test_aliases_are_kept_and_the_gateway_aliases_avoid_the_clients(score: Supergraph) -> None:
    plan = plan_of(
        score,
        """{
          first: enterprises(first: 1) {
            items { label: name _export_id: country v: indicatorValues { value } }
          }
          second: enterprises(first: 2) { items { name } }
        }""",
    )

    root, entity = documents(plan)
    assert "first: enterprises(first: 1)" in root
    assert "second: enterprises(first: 2)" in root
    assert "label: name" in root
    assert "_export_id: country" in root
    # The client took "_export_id": the gateway's key alias must be another one.
    assert plan.export_prefix != "_export_"
    assert f"{plan.export_prefix}id: id" in root
    assert "v: indicatorValues" in entity


def test_skip_and_include_select_the_plan_by_their_variables(score: Supergraph) -> None:
    document = """query ($values: Boolean!, $noCountry: Boolean!) {
      enterprises { items {
        name
        country @skip(if: $noCountry)
        indicatorValues @include(if: $values) { value }
        city @skip(if: true)
      } }
    }"""
    cache = OperationCache(score, GraphLimits())

    with_values = plan_of(score, document, {"values": True, "noCountry": True}, cache=cache)
    without = plan_of(score, document, {"values": False, "noCountry": False}, cache=cache)
    again = plan_of(score, document, {"values": True, "noCountry": True}, cache=cache)

    assert len(waves(with_values)) == 2
    assert len(waves(without)) == 1
    (root_with, _) = documents(with_values)
    (root_without,) = documents(without)
    assert "country" not in root_with
    assert "country" in root_without
    assert "city" not in root_with
    assert "city" not in root_without
    # The subgraphs get the decided selection, not the directives.
    assert "@skip" not in root_without
    assert "@include" not in root_with
    assert again is with_values
    assert cache.plans_built == 2


def test_variables_go_only_to_the_fetches_that_use_them(score: Supergraph) -> None:
    plan = plan_of(
        score,
        """query ($first: Int!, $status: String, $kind: String) {
          enterprises(first: $first) { items { name indicatorValues(status: $status) { value } } }
          indicators(kind: $kind) { code }
        }""",
    )

    roots, entities = waves(plan)
    by_subgraph = {fetch.subgraph: fetch for fetch in roots}
    assert by_subgraph["enrolment"].variables == ("first",)
    assert by_subgraph["indicators"].variables == ("kind",)
    assert entities[0].variables == ("status",)
    enrolment_root, indicators_root, entity = documents(plan)
    assert enrolment_root.startswith("query($first: Int!)")
    assert indicators_root.startswith("query($kind: String)")
    assert "$status: String" in entity
    assert "$first" not in entity
    assert "$kind" not in entity


def test_an_operation_of_one_subgraph_is_forwarded_unchanged(score: Supergraph) -> None:
    single = plan_of(score, "query Mine { enterprises { items { id name enrolments { stage } } } }")
    across = plan_of(score, "{ enterprises { items { name indicatorValues { value } } } }")
    # The subgraph would validate the other operation too, and fail on its fields.
    two_operations = plan_of(
        score,
        "query A { enterprises { items { name } } } query B { indicators { code } }",
        operation_name="A",
    )
    introspection = plan_of(
        score, "{ __schema { queryType { name } } enterprises { items { id } } }"
    )

    assert single.passthrough == "enrolment"
    assert across.passthrough is None
    assert two_operations.passthrough is None
    assert introspection.passthrough is None


def test_plans_are_cached_per_document_and_operation_name(score: Supergraph) -> None:
    cache = OperationCache(score, GraphLimits())
    document = "query A { enterprises { items { name } } } query B { indicators { code } }"

    a = plan_of(score, document, operation_name="A", cache=cache)
    b = plan_of(score, document, operation_name="B", cache=cache)

    assert plan_of(score, document, operation_name="A", cache=cache) is a
    assert plan_of(score, document, operation_name="B", cache=cache) is b
    assert a is not b
    assert cache.plans_built == 2
    assert [f.subgraph for f in waves(a)[0]] == ["enrolment"]
    assert [f.subgraph for f in waves(b)[0]] == ["indicators"]


def test_mutation_fields_run_in_order_grouped_only_while_consecutive(shop: Supergraph) -> None:
    plan = plan_of(
        shop,
        """mutation {
          a: renameProduct(id: "p1", name: "Pin") { name }
          b: renameProduct(id: "p2", name: "Yarn") { name }
          c: addReview(productId: "p1", body: "fine") { body }
          d: renameProduct(id: "p3", name: "Clasp") { name rating }
        }""",
    )

    phases = [[(f.subgraph, f.fields) for wave in p.waves for f in wave] for p in plan.phases]
    assert phases == [
        [("catalog", ("a", "b"))],
        [("reviews", ("c",))],
        # Its rating comes from reviews before any later mutation runs.
        [("catalog", ("d",)), ("reviews", ("rating",))],
    ]
    assert all(document.startswith("mutation") for document in documents(plan)[:3])


def test_entities_inside_a_union_are_fetched_for_their_type_only(shop: Supergraph) -> None:
    plan = plan_of(
        shop, '{ search(text: "e") { ... on Product { name rating } ... on Shelf { label } } }'
    )

    roots, entities = waves(plan)
    (fetch,) = entities
    assert (fetch.subgraph, fetch.type_name, fetch.path) == ("reviews", "Product", ("search",))
    assert "... on Product" in roots[0].selection
    assert "... on Shelf" in roots[0].selection


def test_each_hop_to_another_subgraph_is_one_more_wave(shop: Supergraph) -> None:
    plan = plan_of(shop, "{ products { name reviews { body product { name } } } }")

    assert [[(f.subgraph, f.path) for f in wave] for wave in waves(plan)] == [
        [("catalog", ())],
        [("reviews", ("products",))],
        [("catalog", ("products", "reviews", "product"))],
    ]


# --- @provides and @requires, from the conformance corpus ---------------------------------


def corpus(case: str) -> Supergraph:
    folder = Path(__file__).resolve().parent / "corpus" / case
    return compose({path.stem: path.read_text() for path in folder.glob("*.graphql")})


def test_fields_provided_along_a_nested_path_come_with_the_providing_fetch() -> None:
    plan = plan_of(corpus("ok-provides-nested"), "{ reviews { book { author { name } } } }")

    # b provides the author's name along Review.book: no entity fetch at all.
    (root,) = [fetch for wave in waves(plan) for fetch in wave]
    assert root.subgraph == "b"
    assert "name" in root.selection


def test_the_fields_a_requires_needs_are_fetched_first_and_sent_in_the_representation() -> None:
    plan = plan_of(corpus("ok-requires-two-fields"), '{ product(id: "1") { area } }')

    root, entities = waves(plan)
    assert [fetch.subgraph for fetch in root] == ["a"]
    assert "width" in root[0].selection
    assert "height" in root[0].selection
    (area,) = entities
    assert (area.subgraph, area.required) == ("b", (("width", ()), ("height", ())))
    assert area.fields == ("area",)
