"""What operators see of every process: JSON logs carrying the request id, Prometheus
metrics at ``/metrics``, and OpenTelemetry traces when an exporter is configured.

The request id arrives in ``X-Request-ID`` (the gateway sets it; a caller may choose it),
lives in a context variable for the request's lifetime so every log line carries it, and
goes back in the response and on to any service the request calls.
"""

import json
import logging
import os
import re
import sys
import time
from contextvars import ContextVar
from itertools import filterfalse, takewhile
from typing import Any

import orjson
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from pythonjsonlogger.json import JsonEncoder, JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.head import head_as_get

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
# A caller's id is kept only if it is short and plain, so it cannot forge log lines.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class ObservabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_", extra="ignore")

    log_level: str = "INFO"
    # "json" for machines (the default everywhere, so production needs no setting),
    # "text" for a developer's terminal.
    log_format: str = Field(default="json", pattern="^(json|text)$")


def current_request_id() -> str | None:
    return request_id_var.get()


# uuid.UUID's version 4 bits: the variant (RFC 4122) and the version fields.
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)


def accept_request_id(candidate: str | None) -> str:
    """The caller's request id if it is acceptable, otherwise a fresh one: ``uuid4().hex``,
    made without the UUID object (its constructor's checks were most of the cost)."""
    if candidate and _ACCEPTABLE_REQUEST_ID.match(candidate):
        return candidate
    value = int.from_bytes(os.urandom(16), "big") & _UUID4_CLEAR | _UUID4_SET
    return f"{value:032x}"


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        return True


# Values orjson writes as json's encoder does (ensure_ascii aside, checked on the result).
_FLAT_TYPES = frozenset({str, int, float, bool, type(None)})


class JsonLineFormatter(JsonFormatter):
    """python-json-logger's ``JsonFormatter``, every line byte for byte as it writes it.

    A record of plain values (strings, numbers, booleans, nulls; a string message, no
    exception or stack) is encoded by orjson in one call: its generic path (the fields
    looked up by name, a stdlib encoder made and run through its Python layers for every
    line) was most of a logged line's cost, and every service logs a line per request.
    orjson's indented form has json's ``": "``, and, since a string never holds a raw line
    break, its item breaks alone become json's ``", "``. Anything else, and any line orjson
    would write differently (non-ASCII text, DEL, NaN, tiny floats, huge integers), takes
    the library's own path.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The fields the format names, with the names they are written under.
        self._named = [(field, self._get_rename(field)) for field in self._required_fields]
        self._timed = "asctime" in self._required_fields
        # Only the configuration configure_logging gives takes the direct path.
        self._direct = (
            self.json_serializer is json.dumps
            and self.json_encoder is JsonEncoder
            and self.json_default is None
            and self.json_ensure_ascii
            and self.json_indent is None
            and bool(self._named)
            and not self.defaults
            and not self.static_fields
            and not self.timestamp
            and not self.rename_fields_keep_missing
            and type(self).process_log_record is JsonFormatter.process_log_record
            and type(self).add_fields is JsonFormatter.add_fields
        )
        self._second = -1
        self._asctime = ""
        # The attributes every LogRecord starts with, in their order, as far as all are
        # skipped: a record that starts with them has its extra fields after them.
        standard = list(logging.LogRecord("", logging.INFO, "", 0, "", (), None).__dict__)
        self._standard = list(takewhile(self._skip_fields.__contains__, standard))
        self._after_standard = len(self._standard)

    def format(self, record: logging.LogRecord) -> str:
        if (
            not self._direct
            or record.exc_info
            or record.exc_text
            or record.stack_info
            or isinstance(record.msg, dict)
        ):
            return super().format(record)
        record.message = record.getMessage()
        if self._timed:
            # strftime of a whole second: the same string for every record in that second.
            second = int(record.created)
            if second != self._second:
                self._asctime = self.formatTime(record, self.datefmt)
                self._second = second
            record.asctime = self._asctime
        # The fields in add_fields's order: those the format names, then the extra ones.
        attributes = record.__dict__
        log_data = {printed: attributes.get(field) for field, printed in self._named}
        renamed = self.rename_fields
        names = list(attributes)
        if names[: self._after_standard] == self._standard:
            del names[: self._after_standard]
        for name in filterfalse(self._skip_fields.__contains__, names):
            if not (isinstance(name, str) and name.startswith("_")):
                log_data[renamed.get(name, name)] = attributes[name]
        line = _as_json_writes(log_data)
        if line is None:
            line = self.jsonify_log_record(log_data)
        return self.prefix + line


def _as_json_writes(log_data: dict[str, Any]) -> str | None:
    """``json.dumps(log_data)`` written by orjson, or None where orjson might differ."""
    values = log_data.values()
    kinds = set(map(type, values))
    if not kinds <= _FLAT_TYPES:
        return None
    if float in kinds:
        for value in values:
            # json writes NaN and the infinities as such (orjson as null), and below 1e-4
            # repr switches to an exponent where orjson does not.
            if type(value) is float and not (value == 0 or 1e-4 <= abs(value) < 1e16):
                return None
    try:
        indented = orjson.dumps(log_data, option=orjson.OPT_INDENT_2)
    except TypeError:  # an integer beyond 64 bits, a key that is not a string
        return None
    if not indented.isascii() or b"\x7f" in indented:
        return None  # json escapes these (ensure_ascii), orjson writes them as they are
    # b'{\n  "a": 1,\n  "b": "x"\n}' -> '{"a": 1, "b": "x"}'
    return "{" + indented[4:-2].replace(b",\n  ", b", ").decode("ascii") + "}"


def configure_logging(service: str, settings: ObservabilitySettings | None = None) -> None:
    """One handler on the root logger; uvicorn's and the libraries' loggers propagate to it."""
    settings = settings or ObservabilitySettings()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service))
    if settings.log_format == "json":
        handler.setFormatter(
            JsonLineFormatter(
                "{asctime}{levelname}{name}{message}{service}{request_id}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_score_handler", False):
            root.removeHandler(existing)
    handler._score_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # Neither format shows where a line was logged from, nor its thread or process: the
    # logging HOWTO's "Optimization" switches spare every line (one per request at least)
    # the caller's frame walk and those lookups.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # Each request is logged once, by the service's own access log (route template, status,
    # duration, caller, request id). uvicorn's access line and httpx's line per upstream call
    # would repeat it, at a JSON encoding per request per process (benchmarks.profile_layers).
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))


# --- metrics --------------------------------------------------------------------------
# Module-level, so several apps in one process (tests) share the collectors; the service
# label tells them apart.

HTTP_REQUESTS = Counter(
    "score_http_requests_total",
    "HTTP requests answered, by route template and status.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "score_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMER_LAG = Gauge(
    "score_consumer_lag_events",
    "Events in a producer's feed that this consumer has not applied yet.",
    ["service", "consumer"],
)
CONSUMER_POSITION = Gauge(
    "score_consumer_position",
    "Feed position this consumer has applied up to.",
    ["service", "consumer"],
)
OUTBOX_HEAD = Gauge(
    "score_outbox_head_position",
    "Position of the newest event in this service's outbox.",
    ["service"],
)
OUTBOX_BACKLOG = Gauge(
    "score_outbox_backlog_events",
    "Events in this service's outbox that a reader had not fetched at its last read.",
    ["service", "reader"],
)


def route_template(scope: Scope) -> str:
    # The template (/enterprises/{enterprise_id}), never the raw path, keeps label
    # cardinality bounded whatever ids callers send. Starlette's router records the route
    # it matched in the scope; an unmatched request (a 404) has none.
    return str(getattr(scope.get("route"), "path", "unmatched"))


class HttpMetrics:
    """One process's HTTP_REQUESTS and HTTP_LATENCY, counted per answered request."""

    def __init__(self, service: str) -> None:
        self.service = service
        # The metrics' children by (method, route, status): ``labels()`` takes a lock and
        # builds its key on every call; these are as many as the metrics hold anyway.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        children = self._children.get((method, route, status))
        if children is None:
            children = (
                HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                HTTP_LATENCY.labels(self.service, method, route),
            )
            self._children[method, route, status] = children
        children[0].inc()
        children[1].observe(seconds)


class ObservabilityMiddleware:
    """Request id in and out, one access log line, and the HTTP metrics."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        self.access_log = logging.getLogger(f"score.{service}.access")
        self.metrics = HttpMetrics(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = None
        for name, value in scope.get("headers") or ():
            if name == _REQUEST_ID:
                raw = value  # the last one, as a dict of the headers would keep
        request_id = accept_request_id(raw.decode("latin-1") if raw else None)
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()
        method = scope.get("method", "GET")
        routed = scope
        if method == "HEAD":
            routed, send = head_as_get(scope, send)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *[(k, v) for k, v in message["headers"] if k.lower() != b"x-request-id"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(routed, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(routed)  # the router notes the route in the scope it got
            if route != "/metrics":
                self.metrics.observe(method, route, status, elapsed)
                self.access_log.info(
                    "%s %s %s",
                    method,
                    scope.get("path", ""),
                    status,
                    extra={
                        "method": method,
                        "path": scope.get("path", ""),
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


def metrics_response() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


# --- traces ---------------------------------------------------------------------------


def tracing_configured() -> bool:
    """OpenTelemetry's own variables decide, so operators configure it the standard way."""
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


_tracer_provider: Any = None


def configure_tracing(app: FastAPI, service: str, *, exporter: Any = None) -> bool:
    """Trace requests into ``app`` and calls out through httpx, continuing the caller's trace
    (W3C ``traceparent``). Off unless an OTLP endpoint (or, in tests, ``exporter``) is given.
    """
    global _tracer_provider
    if exporter is None and not tracing_configured():
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    if _tracer_provider is None:
        _tracer_provider = TracerProvider(resource=Resource.create({"service.name": service}))
        trace.set_tracer_provider(_tracer_provider)
        HTTPXClientInstrumentor().instrument(tracer_provider=_tracer_provider)
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        _tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        _tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_tracer_provider, excluded_urls="healthz,readyz,metrics"
    )
    return True
