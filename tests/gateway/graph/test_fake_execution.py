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


# --- @requires, @provides, shareable root fields, @inaccessible values --------------------


async def test_a_required_field_travels_in_the_representation_fetched_first_from_its_owner(
    fake_graph: Graph, store: Store
) -> None:
    data = await fake_graph.data('{ product(id: "p2") { name shippingEstimate } }')

    assert data == {"product": {"name": "Thread", "shippingEstimate": 10 + 3 * 5}}
    (entities,) = fake_graph.subgraphs.entity_calls("shipping.test")
    assert entities.representations == [{"__typename": "Product", "id": "p2", "weight": 5}]
    # The weight was asked of catalog with the product, under a reserved alias; the client
    # did not ask for it and does not get it.
    (root,) = fake_graph.subgraphs.to("catalog.test")
    assert "weight" in root.query
    assert "weight" not in data["product"]


async def test_a_subgraph_resolving_a_required_field_itself_still_gets_it_from_the_owner(
    fake_graph: Graph, store: Store
) -> None:
    """shipping returns the products (a shareable root field) but knows no weights: its
    estimate goes through catalog (the weight) and back to shipping's _entities."""
    data = await fake_graph.data("{ shipments { id product { shippingEstimate } } }")

    assert data == {
        "shipments": [
            {"id": "s1", "product": {"shippingEstimate": 10 + 3 * 2}},
            {"id": "s2", "product": {"shippingEstimate": 10 + 3 * 5}},
        ]
    }
    assert [call.host for call in fake_graph.subgraphs.calls] == [
        "shipping.test",  # the shipments
        "catalog.test",  # their products' weights
        "shipping.test",  # the estimates, from the weights
    ]
    assert store.log[-2:] == ["shipping:resolve:p1:2", "shipping:resolve:p2:5"]


async def test_a_provided_field_is_taken_from_the_subgraph_that_provides_it(
    fake_graph: Graph,
) -> None:
    data = await fake_graph.data("{ shipments { product { name } } }")

    assert data["shipments"][0]["product"]["name"] == "Needle (label)"
    assert [call.host for call in fake_graph.subgraphs.calls] == ["shipping.test"]


async def test_a_field_not_provided_along_the_path_comes_from_its_owner(
    fake_graph: Graph,
) -> None:
    data = await fake_graph.data("{ shipments { product { name weight } } }")

    assert data["shipments"][1]["product"] == {"name": "Thread (label)", "weight": 5}
    (entities,) = fake_graph.subgraphs.entity_calls("catalog.test")
    assert entities.representations == [
        {"__typename": "Product", "id": "p1"},
        {"__typename": "Product", "id": "p2"},
    ]


async def test_a_shareable_root_field_goes_with_the_other_root_fields_of_its_subgraph(
    fake_graph: Graph, store: Store
) -> None:
    alone = await fake_graph.data("{ products { id } }")
    fake_graph.subgraphs.calls.clear()
    together = await fake_graph.data("{ shipments { id } products { id } }")

    assert alone == {"products": [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}]}
    assert together["products"] == alone["products"]
    # One request to shipping answers both root fields.
    assert [call.host for call in fake_graph.subgraphs.calls] == ["shipping.test"]
    assert store.log == ["catalog:products", "shipping:shipments", "shipping:products"]


async def test_an_inaccessible_enum_value_never_reaches_the_client(fake_graph: Graph) -> None:
    body = await fake_graph.query("{ shipments { id carrier } }")

    # s2 goes by drone, a carrier the public schema does not have: null, with an error.
    assert body["data"] == {
        "shipments": [{"id": "s1", "carrier": "POST"}, {"id": "s2", "carrier": None}]
    }
    (error,) = body["errors"]
    assert error["path"] == ["shipments", 1, "carrier"]
    assert "DRONE" not in str(body)
    # The subgraph's answer was checked, not forwarded as it was.
    assert fake_graph.runtime.fetch_counts == {("shipping", "query"): 1}


async def test_a_required_field_whose_owner_is_down_makes_the_field_unavailable(
    fake_graph: Graph,
) -> None:
    fake_graph.subgraphs.down.add("catalog.test")

    body = await fake_graph.query("{ shipments { id product { shippingEstimate } } }")

    assert body["data"]["shipments"][0] == {"id": "s1", "product": {"shippingEstimate": None}}
    codes = {(e["extensions"]["code"], e["extensions"]["service"]) for e in body["errors"]}
    assert codes == {("SERVICE_UNAVAILABLE", "catalog")}
    paths = sorted(e["path"] for e in body["errors"])
    assert paths == [
        ["shipments", 0, "product", "shippingEstimate"],
        ["shipments", 1, "product", "shippingEstimate"],
    ]
    # shipping was never asked for estimates it could not compute.
    assert not fake_graph.subgraphs.entity_calls("shipping.test")
