"""What every request passes at the gateway: identity headers stripped and replaced, rate
limits, request ids, the body limit, hop-by-hop headers, scopes, CORS."""

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.enums import Role
from shared.observability import ObservabilitySettings, configure_logging
from tests.enrolment.support import IDENTITY_KEY, ILO, Api, World, register, token_for, unique
from tests.enrolment.support import forwarded_claims as decode_forwarded
from tests.gateway.conftest import Gateway, running_gateway
from tests.gateway.support import bearer, gateway_settings, key_headers, make_key


def forwarded_claims(gateway: Gateway, host: str = "enrolment.test") -> dict[str, Any]:
    received = gateway.upstreams.last(host)
    token = received.headers["authorization"].removeprefix("Bearer ")
    return decode_forwarded(token)


async def test_spoofed_identity_headers_change_nothing(
    gateway: Gateway, api: Api, world: World
) -> None:
    other = await register(api, world.mdpi_staff)
    secret = await make_key(gateway.session, role=Role.partner_staff, organisation_id=world.efp_id)
    spoofed = {
        "Authorization": f"Bearer {token_for(ILO)}",  # a real ILO identity token, even
        "X-Identity": json.dumps({"role": "ilo_global"}),
        "X-Principal": "ilo-analyst",
        "X-Forwarded-User": "ilo-analyst",
        "X-Score-Role": "ilo_global",
        "X-Score-Organisation": str(world.mdpi_id),
    }

    listing = await gateway.client.get(
        "/enrolment/enterprises", params={"limit": 500}, headers=key_headers(secret, **spoofed)
    )
    single = await gateway.client.get(
        f"/enrolment/enterprises/{other['id']}", headers=key_headers(secret, **spoofed)
    )

    assert listing.status_code == 200
    assert all(item["partner_id"] == str(world.efp_id) for item in listing.json()["items"])
    assert single.status_code == 404
    received = gateway.upstreams.last("enrolment.test").headers
    for name in ("x-identity", "x-principal", "x-forwarded-user", "x-score-role", "x-api-key"):
        assert name not in received
    claims = forwarded_claims(gateway)
    assert claims["role"] == "partner_staff"
    assert claims["org"] == str(world.efp_id)


async def test_service_reached_directly_without_the_gateway_token_refuses(
    gateway: Gateway, api: Api
) -> None:
    secret = await make_key(gateway.session)
    for headers in ({}, key_headers(secret), bearer(secret), {"X-Identity": "ilo_global"}):
        response = await api.client.get("/enterprises", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"


async def test_burst_beyond_the_rate_limit_answers_429_with_retry_after(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient]
) -> None:
    settings = gateway_settings(rate_limit_per_second=0.1, rate_limit_burst=3)
    async with running_gateway(settings, gateway_session, upstream_clients) as gateway:
        limited = await make_key(gateway.session)
        other = await make_key(gateway.session)
        statuses = [
            (await gateway.client.get("/enrolment/organisations", headers=key_headers(limited)))
            for _ in range(4)
        ]
        unaffected = await gateway.client.get(
            "/enrolment/organisations", headers=key_headers(other)
        )

    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    refused = statuses[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/rate-limited")
    # One token comes back every 10 s at 0.1 requests per second.
    assert 1 <= int(refused.headers["retry-after"]) <= 10
    assert refused.json()["retry_after"] == int(refused.headers["retry-after"])
    assert unaffected.status_code == 200


async def test_repeated_failed_authentication_is_rate_limited_per_address(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient]
) -> None:
    settings = gateway_settings(rate_limit_per_second=0.1, rate_limit_burst=2)
    async with running_gateway(settings, gateway_session, upstream_clients) as gateway:
        guesses = [
            await gateway.client.get(
                "/enrolment/organisations", headers=key_headers(f"score_{i:012x}_guess")
            )
            for i in range(3)
        ]
    assert [r.status_code for r in guesses] == [401, 401, 429]
    assert "retry-after" in guesses[-1].headers


async def test_a_burst_of_bad_keys_never_holds_up_a_valid_key_from_the_same_address(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient]
) -> None:
    settings = gateway_settings(rate_limit_per_second=0.1, rate_limit_burst=2)
    async with running_gateway(settings, gateway_session, upstream_clients) as gateway:
        valid = await make_key(gateway.session)
        guesses = [
            await gateway.client.get(
                "/enrolment/organisations", headers=key_headers(f"score_{i:012x}_guess")
            )
            for i in range(4)
        ]
        served = await gateway.client.get("/enrolment/organisations", headers=key_headers(valid))
    assert [r.status_code for r in guesses] == [401, 401, 429, 429]
    assert served.status_code == 200


async def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient]
) -> None:
    """The failed-key limit counts per client address: a client that could name its own
    address would escape it. The test client connects from 203.0.113.7."""
    guess = key_headers("score_000000000000_guess")

    async def failures(trusted: list[str], forwarded_for: list[str]) -> list[int]:
        settings = gateway_settings(
            rate_limit_per_second=0.1, rate_limit_burst=1, trusted_proxies=trusted
        )
        async with running_gateway(settings, gateway_session, upstream_clients) as gateway:
            return [
                (
                    await gateway.client.get(
                        "/enrolment/organisations", headers={**guess, "X-Forwarded-For": address}
                    )
                ).status_code
                for address in forwarded_for
            ]

    # Trusting nobody (the default), every claimed address is the same client: limited.
    assert await failures([], ["198.51.100.1", "198.51.100.2"]) == [401, 429]
    # Behind a trusted proxy, the addresses it forwards are the clients.
    assert await failures(["203.0.113.0/24"], ["198.51.100.1", "198.51.100.2"]) == [401, 401]
    assert await failures(["203.0.113.0/24"], ["198.51.100.1", "198.51.100.1"]) == [401, 429]


async def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValueError, match="not an IP address or CIDR range"):
        gateway_settings(trusted_proxies=["the-load-balancer"])
    assert gateway_settings(trusted_proxies="10.0.0.0/8, 192.0.2.1").trusted_proxies == [
        "10.0.0.0/8",
        "192.0.2.1",
    ]


async def test_subgraph_endpoints_are_not_routed(gateway: Gateway) -> None:
    """Only the gateway's /graphql is public: a service's own would skip its limits."""
    ilo = await make_key(gateway.session, scopes=["read", "admin"])
    for path in ("/enrolment/graphql", "/indicators//graphql", "/enrolment/%67raphql"):
        for query in ("{ _service { sdl } }", "{ __schema { types { name } } }"):
            response = await gateway.client.get(
                path, params={"query": query}, headers=key_headers(ilo)
            )
            assert response.status_code == 404, (path, response.text)
        posted = await gateway.client.post(
            path, json={"query": "{ _service { sdl } }"}, headers=key_headers(ilo)
        )
        assert posted.status_code == 404
    # Whatever reached a subgraph is the gateway's own composition: graph tokens only.
    for received in gateway.upstreams.received:
        if received.url.path.endswith("graphql"):
            token = received.headers["authorization"].removeprefix("Bearer ")
            assert decode_forwarded(token, graph=True)["sub"] == "gateway"


async def test_forwarded_rest_tokens_cannot_open_a_subgraph(gateway: Gateway, api: Api) -> None:
    """What a service receives from the REST routes is for REST: replayed at its /graphql,
    it is refused; the gateway's graph calls carry the graph audience."""
    ilo = await make_key(gateway.session)
    await gateway.client.get("/enrolment/organisations", headers=key_headers(ilo))
    rest_token = gateway.upstreams.last("enrolment.test").headers["authorization"]
    replayed = await api.client.post(
        "/graphql", json={"query": "{ _service { sdl } }"}, headers={"Authorization": rest_token}
    )
    assert replayed.status_code == 401
    await gateway.client.post(
        "/graphql", json={"query": "{ organisations { items { id } } }"}, headers=key_headers(ilo)
    )
    graph_token = gateway.upstreams.last("enrolment.test", graphql=True).headers["authorization"]
    assert decode_forwarded(graph_token.removeprefix("Bearer "), graph=True)["sub"]


async def test_the_gateway_publishes_its_public_keys_as_a_jwks(gateway: Gateway) -> None:
    response = await gateway.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "EdDSA")
    assert "d" not in key  # never the private part
    assert key["kid"] == IDENTITY_KEY.kid


async def test_request_id_is_echoed_and_forwarded(gateway: Gateway) -> None:
    secret = await make_key(gateway.session)
    response = await gateway.client.get(
        "/enrolment/organisations", headers=key_headers(secret, **{"X-Request-ID": "partner-42.a"})
    )
    assert response.headers["x-request-id"] == "partner-42.a"
    assert gateway.upstreams.last("enrolment.test").headers["x-request-id"] == "partner-42.a"


@pytest.mark.parametrize("sent", [None, "has spaces and\ttabs", "x" * 200, 'quote"injected'])
async def test_missing_or_unsafe_request_id_is_replaced_by_a_fresh_one(
    gateway: Gateway, sent: str | None
) -> None:
    secret = await make_key(gateway.session)
    extra = {"X-Request-ID": sent} if sent is not None else {}
    response = await gateway.client.get(
        "/enrolment/organisations", headers=key_headers(secret, **extra)
    )
    request_id = response.headers["x-request-id"]
    assert request_id != sent
    assert len(request_id) == 32
    assert gateway.upstreams.last("enrolment.test").headers["x-request-id"] == request_id


async def test_refusals_carry_a_request_id_too(gateway: Gateway) -> None:
    response = await gateway.client.get("/enrolment/organisations")
    assert response.status_code == 401
    assert len(response.headers["x-request-id"]) == 32


@pytest.fixture
def gateway_log() -> Iterator[io.StringIO]:
    """The gateway process's log setup, writing into a buffer, undone afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("gateway", ObservabilitySettings(log_format="json"))
    buffer = io.StringIO()
    for handler in root.handlers:
        if getattr(handler, "_score_handler", False):
            assert isinstance(handler, logging.StreamHandler)
            handler.setStream(buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_every_log_line_of_a_request_carries_its_request_id(
    gateway: Gateway, gateway_log: io.StringIO
) -> None:
    secret = await make_key(gateway.session)

    # Reporting is unreachable here: the proxy logs that, then the access line follows.
    response = await gateway.client.get(
        "/reporting/reach", headers=key_headers(secret, **{"X-Request-ID": "trace-me-1"})
    )

    assert response.status_code == 502
    lines = [json.loads(line) for line in gateway_log.getvalue().splitlines() if line]
    request_lines = [
        line for line in lines if line["logger"] in ("score.gateway.proxy", "score.gateway.access")
    ]
    assert {line["logger"] for line in request_lines} == {
        "score.gateway.proxy",
        "score.gateway.access",
    }
    assert all(line["request_id"] == "trace-me-1" for line in request_lines)
    access = next(line for line in request_lines if line["logger"] == "score.gateway.access")
    assert access["status"] == 502
    assert access["caller"].startswith("ilo_global:api-key:")


async def test_body_over_the_limit_is_refused_with_413_and_nothing_is_written(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient], api: Api
) -> None:
    settings = gateway_settings(max_body_bytes=2_000)
    name = unique("Oversized Organisation")
    body = json.dumps({"name": name, "kind": "funder", "notes": "x" * 3_000}).encode()
    async with running_gateway(settings, gateway_session, upstream_clients) as gateway:
        secret = await make_key(gateway.session)
        declared = await gateway.client.post(
            "/enrolment/organisations",
            content=body,
            headers=key_headers(secret, **{"Content-Type": "application/json"}),
        )

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 500):
                yield body[start : start + 500]

        streamed = await gateway.client.post(
            "/enrolment/organisations",
            content=chunks(),
            headers=key_headers(secret, **{"Content-Type": "application/json"}),
        )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["max_body_bytes"] == 2_000
    listing = await api.get("/organisations", params={"limit": 500})
    assert name not in {o["name"] for o in listing.json()["items"]}


async def test_body_under_the_limit_is_streamed_to_the_service(gateway: Gateway, api: Api) -> None:
    secret = await make_key(gateway.session)
    name = unique("Streamed Funder")
    body = json.dumps({"name": name, "kind": "funder", "country": "CH"}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = await gateway.client.post(
        "/enrolment/organisations",
        content=chunks(),
        headers=key_headers(secret, **{"Content-Type": "application/json"}),
    )

    assert response.status_code == 201, response.text
    assert response.json()["name"] == name


async def test_hop_by_hop_headers_are_not_forwarded(gateway: Gateway) -> None:
    secret = await make_key(gateway.session)
    response = await gateway.client.get(
        "/enrolment/organisations",
        headers=key_headers(
            secret,
            **{
                "Connection": "keep-alive, X-Hop-Secret",
                "X-Hop-Secret": "for the next hop only",
                "Keep-Alive": "timeout=5",
                "TE": "trailers",
                "Proxy-Authorization": "Basic c2VjcmV0",
                "Upgrade": "websocket",
                "X-End-To-End": "kept",
            },
        ),
    )
    assert response.status_code == 200
    received = gateway.upstreams.last("enrolment.test").headers
    for name in ("x-hop-secret", "keep-alive", "te", "proxy-authorization", "upgrade"):
        assert name not in received
    assert received.get("connection") in (None, "keep-alive")  # the client's own, if any
    assert received["x-end-to-end"] == "kept"


async def test_path_and_query_reach_the_service_byte_for_byte(gateway: Gateway) -> None:
    secret = await make_key(gateway.session)
    await gateway.client.get(
        "/enrolment/enterprises?country=PK&limit=5&sub_sector=ready%20made%2Fwoven",
        headers=key_headers(secret),
    )
    url = gateway.upstreams.last("enrolment.test").url
    assert url.raw_path == b"/enterprises?country=PK&limit=5&sub_sector=ready%20made%2Fwoven"


async def test_read_only_key_may_read_but_not_write(gateway: Gateway) -> None:
    secret = await make_key(gateway.session, scopes=["read"])
    read = await gateway.client.get("/enrolment/organisations", headers=key_headers(secret))
    write = await gateway.client.post(
        "/enrolment/organisations",
        json={"name": unique("Read Only"), "kind": "funder"},
        headers=key_headers(secret),
    )
    assert read.status_code == 200
    assert write.status_code == 403
    assert "'write' scope" in write.json()["detail"]


async def test_event_feeds_are_not_served_to_partners(gateway: Gateway, world: World) -> None:
    partner = await make_key(gateway.session, role=Role.partner_staff, organisation_id=world.efp_id)
    ilo = await make_key(gateway.session)
    refused = await gateway.client.get("/enrolment/events", headers=key_headers(partner))

    assert refused.status_code == 404
    assert gateway.upstreams.count("enrolment.test", "/events") == 0  # not even asked
    for disguised in ("/enrolment//events", "/enrolment/%65vents", "/enrolment/x/../events"):
        response = await gateway.client.get(disguised, headers=key_headers(partner))
        assert response.status_code == 404, disguised
    assert gateway.upstreams.count("enrolment.test", "/events") == 0
    served = await gateway.client.get("/enrolment/events", headers=key_headers(ilo))
    assert served.status_code == 200
    assert "events" in served.json()


async def test_service_metrics_are_never_routed_but_the_gateway_serves_its_own(
    gateway: Gateway,
) -> None:
    ilo = await make_key(gateway.session)
    for path in ("/enrolment/metrics", "/indicators//metrics", "/reporting/%6detrics"):
        response = await gateway.client.get(path, headers=key_headers(ilo))
        assert response.status_code == 404, path
    assert gateway.upstreams.count("enrolment.test", "/metrics") == 0
    await gateway.client.get("/enrolment/organisations", headers=key_headers(ilo))
    own = await gateway.client.get("/metrics")
    assert own.status_code == 200
    assert 'score_http_requests_total{method="GET",route="/{service}/{path:path}"' in own.text


async def test_unknown_service_prefix_is_404(gateway: Gateway) -> None:
    secret = await make_key(gateway.session)
    response = await gateway.client.get("/payroll/employees", headers=key_headers(secret))
    assert response.status_code == 404
    assert "enrolment" in response.json()["detail"]


async def test_graphql_with_a_trailing_slash_is_404_naming_the_graph_endpoint(
    gateway: Gateway,
) -> None:
    secret = await make_key(gateway.session)
    for path in ("/graphql/", "/graphql/query"):
        response = await gateway.client.post(
            path, json={"query": "{ __typename }"}, headers=key_headers(secret)
        )
        assert response.status_code == 404, path
        assert response.json()["detail"] == (
            "The GraphQL endpoint is /graphql, without a trailing path"
        ), path


async def test_cors_preflight_is_answered_for_configured_origins_only(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient]
) -> None:
    settings = gateway_settings(cors_origins=["https://portal.inditex.example"])
    async with running_gateway(settings, gateway_session, upstream_clients) as gateway:

        async def preflight(origin: str) -> httpx.Response:
            return await gateway.client.options(
                "/enrolment/enterprises",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "X-API-Key",
                },
            )

        allowed = await preflight("https://portal.inditex.example")
        refused = await preflight("https://evil.example")
        secret = await make_key(gateway.session)
        actual = await gateway.client.get(
            "/enrolment/organisations",
            headers=key_headers(secret, Origin="https://portal.inditex.example"),
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://portal.inditex.example"
    assert "access-control-allow-origin" not in refused.headers
    assert actual.headers["access-control-allow-origin"] == "https://portal.inditex.example"
    assert "x-request-id" in actual.headers["access-control-expose-headers"].lower()


async def test_a_services_redirect_points_through_the_gateway(gateway: Gateway) -> None:
    secret = await make_key(gateway.session)
    # FastAPI redirects a trailing slash to the route without it, naming its own address.
    response = await gateway.client.get("/enrolment/organisations/", headers=key_headers(secret))
    assert response.status_code == 307
    assert response.headers["location"] == "/enrolment/organisations"


async def test_an_unexpected_error_is_masked_and_names_the_request_id(gateway: Gateway) -> None:
    async def broken() -> None:
        raise RuntimeError("database password is hunter2")

    gateway.app.add_api_route("/broken", broken)
    secret = await make_key(gateway.session)

    response = await gateway.client.get("/broken", headers=key_headers(secret))

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]
