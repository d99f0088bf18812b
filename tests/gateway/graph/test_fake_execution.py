"""Execution paths the SCORE subgraphs do not exercise yet (mutations, unions, three hops,
repeated references), on two small fake federation subgraphs."""

import httpx

from tests.gateway.graph.fakes import Store
from tests.gateway.graph.support import WRITER, Graph


async def test_mutations_run_in_order_each_completed_before_the_next(
    fake_graph: Graph, store: Store
) -> None:
    data = await fake_graph.data(
        """mutation {
          a: renameProduct(id: "p1", name: "Pin") { name rating }
          b: addReview(productId: "p1", body: "pointed") { body product { name } }
          c: renameProduct(id: "p1", name: "Brooch") { name }
        }""",
        as_=WRITER,
    )

    assert data == {
        "a": {"name": "Pin", "rating": 2.0},
        "b": {"body": "pointed", "product": {"name": "Pin"}},
        "c": {"name": "Brooch"},
    }
    assert store.log == [
        "catalog:rename:p1:Pin",
        "reviews:resolve:p1",  # a's rating, before b runs
        "reviews:add:p1:pointed",
        "catalog:resolve:p1",  # b's product name, before c renames it
        "catalog:rename:p1:Brooch",
    ]


async def test_repeated_references_are_sent_once_per_entities_request(
    fake_graph: Graph, store: Store
) -> None:
    data = await fake_graph.data("{ reviews { body product { name } } }")

    assert data["reviews"] == [
        {"body": "sharp", "product": {"name": "Needle"}},
        {"body": "strong", "product": {"name": "Thread"}},
        {"body": "shiny", "product": {"name": "Needle"}},
    ]
    (entities,) = fake_graph.subgraphs.entity_calls("catalog.test")
    assert entities.representations == [
        {"__typename": "Product", "id": "p1"},
        {"__typename": "Product", "id": "p2"},
    ]


async def test_three_hops_take_three_requests(fake_graph: Graph) -> None:
    data = await fake_graph.data("{ products { name reviews { body product { name } } } }")

    assert data["products"][0] == {
        "name": "Needle",
        "reviews": [
            {"body": "sharp", "product": {"name": "Needle"}},
            {"body": "shiny", "product": {"name": "Needle"}},
        ],
    }
    assert data["products"][2] == {"name": "Button", "reviews": []}
    assert [call.host for call in fake_graph.subgraphs.calls] == [
        "catalog.test",
        "reviews.test",
        "catalog.test",
    ]


async def test_union_members_are_completed_by_their_own_type(fake_graph: Graph) -> None:
    data = await fake_graph.data(
        """{ search(text: "e") {
          __typename
          ... on Product { name rating }
          ... on Shelf { label products { name rating } }
        } }"""
    )

    assert data["search"] == [
        {"__typename": "Product", "name": "Needle", "rating": 2.0},
        {"__typename": "Product", "name": "Thread", "rating": 1.0},
        {
            "__typename": "Shelf",
            "label": "shelf of e",
            "products": [{"name": "Needle", "rating": 2.0}],
        },
    ]
    (entities,) = fake_graph.subgraphs.entity_calls("reviews.test")
    # Products found directly and on the shelf: two selections in one request.
    assert entities.query.count("_entities(") == 2


async def test_an_error_inside_an_entity_is_repathed_to_the_clients_field(
    fake_graph: Graph,
) -> None:
    body = await fake_graph.query(
        '{ product(id: "p3") { name topReview { body } } products { name } }'
    )

    # p3 has no review: topReview fails; it is non-null, so the product becomes null.
    assert body["data"]["product"] is None
    assert len(body["data"]["products"]) == 3
    (error,) = body["errors"]
    assert error["path"] == ["product", "topReview"]
    assert error["message"] == "product p3 has no review"


async def test_an_entity_a_subgraph_does_not_know_is_null_with_an_error(
    fake_graph: Graph, store: Store
) -> None:
    store.reviews.append(("p9", "ghost"))

    body = await fake_graph.query("{ reviews { body product { name } } }")

    # Catalog knows no p9: its name is null, and name, product, the review and the reviews
    # list are all non-null, so the null reaches data itself.
    assert body["data"] is None
    assert any(error["path"] == ["reviews", 3, "product", "name"] for error in body["errors"]), (
        body["errors"]
    )


async def test_a_subgraph_answering_garbage_counts_as_unavailable(fake_graph: Graph) -> None:
    async def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    fake_graph.subgraphs.handlers = {"reviews.test": broken}

    body = await fake_graph.query('{ product(id: "p1") { name rating } }')

    assert body["data"] == {"product": {"name": "Needle", "rating": None}}
    (error,) = body["errors"]
    assert error["path"] == ["product", "rating"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "service": "reviews"}


async def test_a_subgraph_that_times_out_counts_as_unavailable(fake_graph: Graph) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    fake_graph.subgraphs.handlers = {"reviews.test": slow}

    body = await fake_graph.query('{ product(id: "p1") { name rating } }')

    assert body["data"] == {"product": {"name": "Needle", "rating": None}}
    assert body["errors"][0]["message"] == "The reviews service did not answer in time"


async def test_an_entity_error_in_a_list_keeps_the_items_index(fake_graph: Graph) -> None:
    body = await fake_graph.query(
        "{ reviews { body } products { name rating topReview { body } } }"
    )

    # products[2] (p3) has no review; topReview, the item and the list are non-null.
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["path"] == ["products", 2, "topReview"]
    assert error["message"] == "product p3 has no review"
