"""Input no route should ever see gets a 422 problem naming the field, in every service and
before any write; whatever still goes wrong answers problem details with the request id."""

import gzip
import json
import logging
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes as enrolment_changes
from services.enrolment.enterprises.models import Enterprise
from services.enrolment.settings import EnrolmentSettings
from shared.db import Database, SessionDep
from shared.service_app import create_service_app
from tests.enrolment.support import ILO, Api, World, garment_factory, headers_for, platform_settings


async def enterprises(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Enterprise)) or 0)


def assert_refused(response: httpx.Response, field: str, rule: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    found = {error["field"]: error["rule"] for error in problem["errors"]}
    assert found.get(field) == rule, problem["errors"]


async def post_raw(api: Api, url: str, raw: str, *, as_: Any = ILO) -> httpx.Response:
    return await api.post(
        url, content=raw.encode(), headers={"Content-Type": "application/json"}, as_=as_
    )


async def test_nul_character_in_a_text_field_is_refused_and_nothing_is_written(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    before = await enterprises(enrolment_session)
    body = garment_factory(city="Kara\u0000chi")
    response = await api.post("/enterprises", json=body, as_=world.efp_staff)
    assert_refused(response, "body.city", "no_null_character")
    assert await enterprises(enrolment_session) == before


async def test_nul_character_deep_in_a_batch_is_named_by_its_place(api: Api) -> None:
    response = await api.put(
        f"/calls/{uuid4()}/criteria",
        json={"rules": [{"code": "ok"}, {"code": "a\u0000b"}]},
    )
    assert_refused(response, "body.rules.1.code", "no_null_character")


async def test_nul_character_in_a_query_or_path_parameter_is_refused(api: Api) -> None:
    assert_refused(
        await api.get("/enterprises", params={"sub_sector": "knit\u0000wear"}),
        "query.sub_sector",
        "no_null_character",
    )
    response = await api.get("/modules/a%00b")
    assert_refused(response, "path", "no_null_character")


@pytest.mark.parametrize(
    ("raw_value", "rule"),
    [
        ("NaN", "finite_number"),
        ("Infinity", "finite_number"),
        ("-Infinity", "finite_number"),
        ("1e309", "finite_number"),
        ('"\\ud800"', "unicode_text"),
        ('"\\udfff tail"', "unicode_text"),
        ("99999999999999999999", "int64_range"),
    ],
)
async def test_unencodable_json_is_refused_without_being_echoed(
    api: Api, world: World, enrolment_session: AsyncSession, raw_value: str, rule: str
) -> None:
    before = await enterprises(enrolment_session)
    body = json.dumps(garment_factory()).replace('"Karachi"', raw_value, 1)
    response = await post_raw(api, "/enterprises", body, as_=world.efp_staff)
    assert_refused(response, "body.city", rule)
    # The answer itself is plain JSON: no NaN, no surrogate, no echo of the refused token.
    json.loads(response.content, parse_constant=lambda name: pytest.fail(name))
    assert "value" not in response.json()["errors"][0]
    assert await enterprises(enrolment_session) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"name": "Karachi \xff\xfe Knitwear"}', "body.18"),
        (b"[" * 100_000 + b"]" * 100_000, "body"),
    ],
    ids=["not_utf8", "nested_100000_deep"],
)
async def test_a_body_that_is_not_utf8_or_nests_too_deep_is_invalid_json_named(
    api: Api, world: World, raw: bytes, field: str
) -> None:
    # Both were a bare 400 "There was an error parsing the body", naming nothing.
    response = await api.post(
        "/enterprises",
        content=raw,
        headers={"Content-Type": "application/json"},
        as_=world.efp_staff,
    )
    assert_refused(response, field, "json_invalid")


async def test_an_escaped_emoji_is_still_text(api: Api, world: World) -> None:
    body = json.dumps(garment_factory(city="Karachi \U0001f3ed"))  # escaped as a pair
    response = await post_raw(api, "/enterprises", body, as_=world.efp_staff)
    assert response.status_code == 201, response.text
    assert response.json()["city"] == "Karachi \U0001f3ed"


async def test_a_boolean_is_not_a_headcount(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    before = await enterprises(enrolment_session)
    for loose in (True, "450", 450.0):
        response = await api.post(
            "/enterprises", json=garment_factory(workforce_total=loose), as_=world.efp_staff
        )
        assert_refused(response, "body.workforce_total", "int_type")
    response = await api.post(
        "/enterprises", json=garment_factory(has_hr_officer=1), as_=world.efp_staff
    )
    assert_refused(response, "body.has_hr_officer", "bool_type")
    assert await enterprises(enrolment_session) == before


async def test_ids_dates_and_decimals_sent_as_json_strings_are_still_accepted(
    api: Api, world: World
) -> None:
    response = await api.post(
        "/enterprises",
        json=garment_factory(buyer_ids=[str(world.inditex_id)]),
        as_=world.efp_staff,
    )
    assert response.status_code == 201, response.text
    assert response.json()["buyer_ids"] == [str(world.inditex_id)]


async def test_a_json_operation_refuses_another_media_type(api: Api, world: World) -> None:
    response = await api.post(
        "/enterprises",
        content=b"name=Karachi+Knitwear",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        as_=world.efp_staff,
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["field"] == "header.Content-Type"


async def test_a_compressed_body_is_refused_as_a_coding_no_route_decodes(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    """A gzip body used to be parsed as it came: JSON's 400 "There was an error parsing the
    body", which says nothing of the cause. 415 with Accept-Encoding (RFC 9110)."""
    before = await enterprises(enrolment_session)
    body = gzip.compress(json.dumps(garment_factory()).encode())
    response = await api.post(
        "/enterprises",
        content=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        as_=world.efp_staff,
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["accept-encoding"] == "identity"
    assert response.json()["errors"][0]["field"] == "header.Content-Encoding"
    assert "gzip" in response.json()["detail"]
    assert await enterprises(enrolment_session) == before
    # Identity is no coding at all: the body is read as it is.
    plain = await api.post(
        "/enterprises",
        json=garment_factory(),
        headers={"Content-Encoding": "identity"},
        as_=world.efp_staff,
    )
    assert plain.status_code == 201, plain.text


async def test_a_problem_behind_the_gateway_names_the_path_its_caller_asked_for(
    api: Api,
) -> None:
    """The gateway routes "/enrolment/..." to the service's "/..." and says so in
    X-Forwarded-Prefix: every problem's ``instance`` is then the gateway's path (it was the
    service's, "/enterprises/...", which is nothing at the gateway)."""
    missing = f"/enterprises/{uuid4()}"
    behind = {"X-Forwarded-Prefix": "/enrolment"}
    answers = {
        "handler (404)": await api.get(missing, headers=behind),
        "router (405)": await api.delete("/enterprises", headers=behind),
        "request guard (422)": await api.get(f"{missing}%00", headers=behind),
        "idempotency (422)": await api.post(
            "/enterprises", json={}, headers={**behind, "Idempotency-Key": " "}
        ),
    }
    paths = {name: answer.json()["instance"] for name, answer in answers.items()}
    assert paths == {
        "handler (404)": f"/enrolment{missing}",
        "router (405)": "/enrolment/enterprises",
        "request guard (422)": f"/enrolment{missing}\x00",
        "idempotency (422)": "/enrolment/enterprises",
    }
    # Asked directly, the service's own path.
    assert (await api.get(missing)).json()["instance"] == missing


async def test_integers_beyond_their_column_are_refused_in_paths_and_queries(
    api: Api, indicators_api: Api
) -> None:
    assert_refused(
        await api.get("/events", params={"after": "99999999999999999999"}),
        "query.after",
        "less_than_equal",
    )
    assert_refused(
        await api.get(f"/calls/{uuid4()}/criteria/2147483648"), "path.version", "less_than_equal"
    )
    assert_refused(
        await indicators_api.get("/indicators/defects/versions/2147483648"),
        "path.version",
        "less_than_equal",
    )


def test_every_integer_parameter_of_every_service_is_bounded() -> None:
    from services.enrolment.app import create_app as enrolment
    from services.indicators.app import create_app as indicators
    from services.reporting.app import create_app as reporting

    unbounded = []
    for create in (enrolment, indicators, reporting):
        document = create().openapi()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                for parameter in operation.get("parameters", []):
                    schema = parameter.get("schema", {})
                    kinds = [schema, *schema.get("anyOf", [])]
                    for kind in kinds:
                        if kind.get("type") == "integer" and not (
                            "maximum" in kind and "minimum" in kind
                        ):
                            unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []


# --- unexpected errors and outages --------------------------------------------------------


def broken_app(database: Database) -> httpx.AsyncClient:
    """A service app (the shared assembly) with a route that fails the way bugs do."""
    router = APIRouter()

    @router.get("/broken")
    async def broken() -> dict[str, str]:
        raise RuntimeError("a bug nobody caught")

    @router.get("/answer")
    async def answer(session: SessionDep) -> dict[str, int]:
        return {"answer": int(await session.scalar(text("SELECT 42")) or 0)}

    app = create_service_app(
        title="broken",
        description="",
        settings=EnrolmentSettings(platform=platform_settings()),
        changes=enrolment_changes,
        routers=[router],
        database=database,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc.test")


async def test_an_unexpected_error_answers_problem_details_logged_with_the_request_id(
    enrolment_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with broken_app(enrolment_database) as client:
        with caplog.at_level(logging.ERROR, logger="score.errors"):
            response = await client.get(
                "/broken", headers={**headers_for(ILO), "X-Request-ID": "trace-me-42"}
            )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/internal-error")
    assert problem["request_id"] == response.headers["x-request-id"] == "trace-me-42"
    assert "a bug nobody caught" not in response.text
    [record] = [r for r in caplog.records if r.name == "score.errors"]
    assert record.request_id == "trace-me-42"  # type: ignore[attr-defined]
    assert record.exc_info is not None


async def test_a_database_that_does_not_answer_is_a_503_with_retry_after() -> None:
    nowhere = Database("postgresql+asyncpg://postgres@127.0.0.1:9/nowhere", pool_size=1)
    try:
        async with broken_app(nowhere) as client:
            response = await client.get("/answer", headers=headers_for(ILO))
            ready = await client.get("/readyz")
    finally:
        await nowhere.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/database-unavailable")
    assert int(response.headers["Retry-After"]) > 0
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert int(ready.headers["Retry-After"]) > 0
