"""Operators' view of a service: request ids in responses and logs, Prometheus metrics,
consumer lag, and traces that continue the caller's trace."""

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.app import create_app
from services.enrolment.settings import EnrolmentSettings
from shared.db import Database, request_session
from shared.observability import ObservabilitySettings, configure_logging, configure_tracing
from tests.enrolment.support import ILO, Api, headers_for, platform_settings
from tests.indicators.fixtures import sync_replica


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


async def test_the_callers_request_id_comes_back(api: Api) -> None:
    response = await api.client.get(
        "/organisations", headers=headers_for(ILO) | {"X-Request-ID": "partner-run-42"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "partner-run-42"


@pytest.mark.parametrize("unacceptable", ["", "a" * 200, "evil\\nforged log line", "sp ace"])
async def test_an_unacceptable_request_id_is_replaced(api: Api, unacceptable: str) -> None:
    response = await api.client.get(
        "/organisations", headers=headers_for(ILO) | {"X-Request-ID": unacceptable}
    )
    assert response.headers["x-request-id"] != unacceptable
    assert len(response.headers["x-request-id"]) == 32


async def test_log_lines_are_json_with_the_request_id(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("enrolment", ObservabilitySettings(log_format="json"))
    try:
        await api.client.get("/organisations", headers=headers_for(ILO) | {"X-Request-ID": "r-1"})
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        # Only ours: pytest's own capturing handlers must stay for the tests that follow.
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_score_handler", False)]:
            root.removeHandler(handler)
    access = [line for line in lines if line.get("route") == "/organisations"]
    assert access, lines
    assert access[-1]["request_id"] == "r-1"
    assert access[-1]["service"] == "enrolment"
    assert access[-1]["status"] == 200
    assert access[-1]["level"] == "INFO"


async def test_metrics_count_requests_by_route_template_not_raw_path(api: Api) -> None:
    missing = "0190b7a4-0000-7000-8000-000000000000"
    before = await api.client.get("/metrics")
    await api.client.get(f"/enterprises/{missing}", headers=headers_for(ILO))
    after = await api.client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")

    def count(text: str) -> float:
        return sum(
            value
            for labels, value in samples(text, "score_http_requests_total")
            if labels["route"] == "/enterprises/{enterprise_id}"
            and labels["status"] == "404"
            and labels["service"] == "enrolment"
        )

    assert count(after.text) == count(before.text) + 1
    assert missing not in after.text


async def test_metrics_show_consumer_lag_and_the_outbox_backlog(
    api: Api, indicators_api: Api, indicators_session: AsyncSession, world: object
) -> None:
    await sync_replica(api, indicators_session)
    text = (await indicators_api.client.get("/metrics")).text
    lag = {
        labels["consumer"]: value for labels, value in samples(text, "score_consumer_lag_events")
    }
    assert lag["indicators.enrolment-replica"] == 0
    produced = (await api.client.get("/metrics")).text
    heads = [v for labels, v in samples(produced, "score_outbox_head_position")]
    assert max(heads, default=0) > 0
    backlog = {
        labels["reader"]: value
        for labels, value in samples(produced, "score_outbox_backlog_events")
        if labels["service"] == "enrolment"
    }
    assert "indicators" in backlog  # the reading service, named by its own feed token


@pytest.fixture
async def traced_api(
    enrolment_session: AsyncSession, enrolment_database: Database
) -> AsyncIterator[tuple[Api, InMemorySpanExporter]]:
    app = create_app(EnrolmentSettings(platform=platform_settings()), database=enrolment_database)
    exporter = InMemorySpanExporter()
    assert configure_tracing(app, "enrolment", exporter=exporter)

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield enrolment_session

    app.dependency_overrides[request_session] = test_session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://enrolment.test") as client:
        yield Api(client), exporter


async def test_a_request_continues_the_callers_trace(
    traced_api: tuple[Api, InMemorySpanExporter],
) -> None:
    api, exporter = traced_api
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = f"00-{trace_id}-00f067aa0ba902b7-01"
    response = await api.client.get(
        "/organisations", headers=headers_for(ILO) | {"traceparent": traceparent}
    )
    assert response.status_code == 200
    spans = [s for s in exporter.get_finished_spans() if s.context is not None]
    assert any(format(s.context.trace_id, "032x") == trace_id for s in spans)
    assert any("/organisations" in s.name for s in spans)


def test_tracing_stays_off_without_an_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    app = create_app(EnrolmentSettings(platform=platform_settings()))
    assert not configure_tracing(app, "enrolment")
