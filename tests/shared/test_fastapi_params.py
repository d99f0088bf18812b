"""A route's parameters' fixed facts are worked out once, not on every request
(shared.fastapi_params), and the parameters still behave as declared: defaults, aliases,
lists, models, and a clear error naming a bad one."""

from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any

import fastapi.dependencies.utils as fastapi_dependencies
import httpx
import pytest
from fastapi import FastAPI, Header, Query
from pydantic import BaseModel, Field

from shared import fastapi_params


class Filters(BaseModel):
    colour: str | None = None
    size: int = Field(default=1, ge=1)


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc.test")


def parameters_app() -> FastAPI:
    app = FastAPI()

    @app.get("/things")
    async def things(
        filters: Annotated[Filters, Query()],
        limit: Annotated[int, Query(ge=1, le=10)] = 5,
        tag: Annotated[list[str] | None, Query()] = None,
        sub_sector: Annotated[str | None, Query(alias="subSector")] = None,
        trace_id: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        return {
            "filters": filters.model_dump(),
            "limit": limit,
            "tag": tag,
            "sub_sector": sub_sector,
            "trace_id": trace_id,
        }

    return app


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often FastAPI's own helpers are asked, once this module has wrapped them."""
    counts: Counter[str] = Counter()
    for name in (*fastapi_params.PER_FIELD, fastapi_params.PER_ANNOTATION):
        original = getattr(fastapi_dependencies, name)
        unwrapped = getattr(original, "__wrapped__", original)

        def counted(
            *args: Any, _name: str = name, _ask: Callable[..., Any] = unwrapped, **kw: Any
        ) -> Any:
            counts[_name] += 1
            return _ask(*args, **kw)

        monkeypatch.setattr(fastapi_dependencies, name, counted)
    assert fastapi_params.remember_parameter_facts()
    return counts


async def test_each_parameter_is_looked_into_once_not_per_request(asked: Counter[str]) -> None:
    client = client_of(parameters_app())
    await client.get("/things")  # the first request may ask
    first = asked.copy()
    assert first["_get_param_model"] > 0, "the seam moved: FastAPI no longer asks this"

    for _ in range(5):
        response = await client.get(
            "/things",
            params={"limit": 3, "tag": ["a", "b"], "subSector": "food", "colour": "red"},
            headers={"trace-id": "t-1"},
        )
        assert response.status_code == 200, response.text
    assert asked == first


async def test_parameters_behave_as_declared_once_remembered(asked: Counter[str]) -> None:
    client = client_of(parameters_app())
    for _ in range(2):  # the second time from what was remembered
        response = await client.get("/things")
        assert response.json() == {
            "filters": {"colour": None, "size": 1},
            "limit": 5,
            "tag": None,
            "sub_sector": None,
            "trace_id": None,
        }
        response = await client.get(
            "/things",
            params={"limit": 3, "tag": ["a", "b"], "subSector": "food", "size": 2},
            headers={"trace-id": "t-1"},
        )
        assert response.json() == {
            "filters": {"colour": None, "size": 2},
            "limit": 3,
            "tag": ["a", "b"],
            "sub_sector": "food",
            "trace_id": "t-1",
        }
        bad = await client.get("/things", params={"limit": 11, "size": 0})
        assert bad.status_code == 422
        assert {tuple(error["loc"]) for error in bad.json()["detail"]} == {
            ("query", "limit"),
            ("query", "size"),
        }


def test_applying_twice_wraps_once() -> None:
    assert fastapi_params.remember_parameter_facts()
    wrapped = {name: getattr(fastapi_dependencies, name) for name in fastapi_params.PER_FIELD}
    assert fastapi_params.remember_parameter_facts()
    assert wrapped == {
        name: getattr(fastapi_dependencies, name) for name in fastapi_params.PER_FIELD
    }


def test_a_moved_seam_leaves_fastapi_as_it_came(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(fastapi_dependencies, "_get_param_model")
    before = fastapi_dependencies._is_json_field
    assert not fastapi_params.remember_parameter_facts()
    assert fastapi_dependencies._is_json_field is before
    assert "_get_param_model" in caplog.text
