"""Small Strawberry federation subgraphs for what the SCORE subgraphs do not have yet:
mutations, a union, an entity reached in three hops, duplicate references, failing fields,
@requires, @provides, a shareable root field and @inaccessible values.

``catalog`` owns ``Product`` (name, weight, shelf); ``reviews`` extends it (reviews, rating,
topReview) and returns ``Product`` references from its own root fields; ``shipping``
computes a product's shipping estimate from its weight (@requires), knows the names of
the products it ships (@provides), shares the ``products`` root field and has a carrier
clients may not see (@inaccessible).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Self

import httpx
import strawberry
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter
from strawberry.federation import Schema
from strawberry.types import Info


@dataclass
class Store:
    """What both subgraphs serve, and the order of what they did."""

    names: dict[str, str] = field(
        default_factory=lambda: {"p1": "Needle", "p2": "Thread", "p3": "Button"}
    )
    reviews: list[tuple[str, str]] = field(
        default_factory=lambda: [("p1", "sharp"), ("p2", "strong"), ("p1", "shiny")]
    )
    weights: dict[str, int] = field(default_factory=lambda: {"p1": 2, "p2": 5})
    # shipment id -> (product id, the product's name on the label, carrier)
    shipments: dict[str, tuple[str, str, str]] = field(
        default_factory=lambda: {
            "s1": ("p1", "Needle (label)", "post"),
            "s2": ("p2", "Thread (label)", "drone"),
        }
    )
    log: list[str] = field(default_factory=list)


def _store(info: Info[Any, Any]) -> Store:
    store: Store = info.context["store"]
    return store


# --- catalog -------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    name: str

    @strawberry.field
    def weight(self, info: Info[Any, Any]) -> int | None:
        return _store(info).weights.get(str(self.id))

    @classmethod
    def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Self | None:
        store = _store(info)
        store.log.append(f"catalog:resolve:{id}")
        name = store.names.get(str(id))
        return None if name is None else cls(id=id, name=name)


@strawberry.type
class Shelf:
    label: str
    products: list[Product]


SearchResult = Annotated[Product | Shelf, strawberry.union("SearchResult")]


def _products(info: Info[Any, Any]) -> list[Product]:
    return [Product(id=strawberry.ID(k), name=v) for k, v in _store(info).names.items()]


@strawberry.type
class CatalogQuery:
    @strawberry.federation.field(shareable=True)  # type: ignore[untyped-decorator]
    def products(self, info: Info[Any, Any]) -> list[Product]:
        _store(info).log.append("catalog:products")
        return _products(info)

    @strawberry.field
    def product(self, info: Info[Any, Any], id: strawberry.ID) -> Product | None:
        name = _store(info).names.get(str(id))
        return None if name is None else Product(id=id, name=name)

    @strawberry.field
    def search(self, info: Info[Any, Any], text: str) -> list[SearchResult]:
        found: list[SearchResult] = [p for p in _products(info) if text.lower() in p.name.lower()]
        found.append(Shelf(label=f"shelf of {text}", products=_products(info)[:1]))
        return found


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    def rename_product(self, info: Info[Any, Any], id: strawberry.ID, name: str) -> Product:
        store = _store(info)
        store.log.append(f"catalog:rename:{id}:{name}")
        store.names[str(id)] = name
        return Product(id=id, name=name)


catalog_schema = Schema(
    query=CatalogQuery, mutation=CatalogMutation, types=[Shelf], federation_version="2.0"
)


# --- reviews -------------------------------------------------------------------------


@strawberry.type
class Review:
    body: str
    product: Annotated["ReviewedProduct", strawberry.lazy("tests.gateway.graph.fakes")]


@strawberry.federation.type(name="Product", keys=["id"])
class ReviewedProduct:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Self:
        _store(info).log.append(f"reviews:resolve:{id}")
        return cls(id=id)

    @strawberry.field
    def reviews(self, info: Info[Any, Any]) -> list[Review]:
        return [
            Review(body=body, product=ReviewedProduct(id=self.id))
            for product, body in _store(info).reviews
            if product == self.id
        ]

    @strawberry.field
    def rating(self, info: Info[Any, Any]) -> float | None:
        count = sum(1 for product, _ in _store(info).reviews if product == self.id)
        return float(count) if count else None

    @strawberry.field
    def top_review(self, info: Info[Any, Any]) -> Review:
        for product, body in _store(info).reviews:
            if product == self.id:
                return Review(body=body, product=self)
        raise ValueError(f"product {self.id} has no review")


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def reviews(self, info: Info[Any, Any]) -> list[Review]:
        return [
            Review(body=body, product=ReviewedProduct(id=strawberry.ID(product)))
            for product, body in _store(info).reviews
        ]


@strawberry.type
class ReviewsMutation:
    @strawberry.mutation
    def add_review(self, info: Info[Any, Any], product_id: strawberry.ID, body: str) -> Review:
        store = _store(info)
        store.log.append(f"reviews:add:{product_id}:{body}")
        store.reviews.append((str(product_id), body))
        return Review(body=body, product=ReviewedProduct(id=product_id))


reviews_schema = Schema(
    query=ReviewsQuery,
    mutation=ReviewsMutation,
    types=[ReviewedProduct],
    federation_version="2.0",
)


# --- shipping ------------------------------------------------------------------------


@strawberry.enum
class Carrier(Enum):
    POST = "post"
    COURIER = "courier"
    # Still in the data, no longer offered: clients must never see it.
    DRONE = strawberry.federation.enum_value("drone", inaccessible=True)


@strawberry.federation.type(name="Product", keys=["id"])
class ShippedProduct:
    id: strawberry.ID
    weight: int | None = strawberry.federation.field(external=True, default=None)
    # Known only where it was provided (a shipment's label); catalog resolves it otherwise.
    name: str = strawberry.federation.field(external=True, default="")

    @classmethod
    def resolve_reference(
        cls, info: Info[Any, Any], id: strawberry.ID, weight: int | None = None
    ) -> Self:
        _store(info).log.append(f"shipping:resolve:{id}:{weight}")
        return cls(id=id, weight=weight)

    @strawberry.federation.field(requires=["weight"])  # type: ignore[untyped-decorator]
    def shipping_estimate(self) -> int | None:
        # Computed from a field catalog owns, which the gateway sends in the representation.
        return None if self.weight is None else 10 + 3 * self.weight


@strawberry.type
class Shipment:
    id: strawberry.ID
    carrier: Carrier | None
    product: ShippedProduct = strawberry.federation.field(provides=["name"])


def _shipments(info: Info[Any, Any]) -> list[Shipment]:
    return [
        Shipment(
            id=strawberry.ID(id_),
            carrier=Carrier(carrier),
            product=ShippedProduct(id=strawberry.ID(product), name=label),
        )
        for id_, (product, label, carrier) in _store(info).shipments.items()
    ]


@strawberry.type
class ShippingQuery:
    @strawberry.field
    def shipments(self, info: Info[Any, Any]) -> list[Shipment]:
        _store(info).log.append("shipping:shipments")
        return _shipments(info)

    @strawberry.federation.field(shareable=True)  # type: ignore[untyped-decorator]
    def products(self, info: Info[Any, Any]) -> list[ShippedProduct]:
        _store(info).log.append("shipping:products")
        return [ShippedProduct(id=strawberry.ID(k)) for k in _store(info).names]


shipping_schema = Schema(query=ShippingQuery, types=[ShippedProduct], federation_version="2.3")


def subgraph_app(schema: Schema, store: Store) -> FastAPI:
    async def context() -> dict[str, Any]:
        return {"store": store}

    app = FastAPI()
    app.include_router(GraphQLRouter(schema, path="/graphql", context_getter=context))
    return app


FAKE_URLS = {
    "catalog": "http://catalog.test/graphql",
    "reviews": "http://reviews.test/graphql",
    "shipping": "http://shipping.test/graphql",
}


@asynccontextmanager
async def fake_clients(store: Store) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """ASGI clients of the fake subgraphs, by host name."""
    schemas = {
        "catalog.test": catalog_schema,
        "reviews.test": reviews_schema,
        "shipping.test": shipping_schema,
    }
    clients = {
        host: httpx.AsyncClient(transport=httpx.ASGITransport(app=subgraph_app(schema, store)))
        for host, schema in schemas.items()
    }
    try:
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()
