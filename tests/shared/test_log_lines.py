"""The JSON log line every service writes (one per request at least): its fields and their
format, byte for byte as python-json-logger's formatter writes them."""

import datetime
import io
import logging
import sys
import time
import uuid
from enum import Enum
from typing import Any

import pytest
from pythonjsonlogger.json import JsonFormatter

from shared.observability import JsonLineFormatter, ObservabilitySettings, configure_logging

FORMAT = "{asctime}{levelname}{name}{message}{service}{request_id}"
OPTIONS: dict[str, Any] = {
    "style": "{",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    "datefmt": "%Y-%m-%dT%H:%M:%S%z",
}
# 2026-12-04T21:18:18 UTC, with a fraction.
CREATED = 1796419098.25


class Colour(Enum):
    RED = "red"


def record(
    msg: Any = "%s %s %s",
    args: tuple[Any, ...] = ("GET", "/enrolment/enterprises", 200),
    *,
    extra: dict[str, Any] | None = None,
    exc_info: Any = None,
    created: float = CREATED,
) -> logging.LogRecord:
    logger = logging.getLogger("score.gateway.access")
    made = logger.makeRecord(
        logger.name, logging.INFO, "edge.py", 1, msg, args, exc_info, extra=extra
    )
    made.created = created
    made.service = "gateway"  # as the handler's filter sets them
    made.request_id = "ec97f5f477c44ebcacd30e6a9d644c0c"
    return made


ACCESS = {
    "method": "GET",
    "path": "/enrolment/enterprises",
    "status": 200,
    "caller": "ilo_global:api-key:536c203a1baf",
    "duration_ms": 9.49,
}


def test_the_access_line_has_its_fields_in_order_and_format(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logging.Formatter, "converter", time.gmtime)
    line = JsonLineFormatter(FORMAT, **OPTIONS).format(record(extra=ACCESS))

    assert line == (
        '{"time": "2026-12-04T21:18:18+0000", "level": "INFO", "logger": "score.gateway.access", '
        '"message": "GET /enrolment/enterprises 200", "service": "gateway", '
        '"request_id": "ec97f5f477c44ebcacd30e6a9d644c0c", "method": "GET", '
        '"path": "/enrolment/enterprises", "status": 200, '
        '"caller": "ilo_global:api-key:536c203a1baf", "duration_ms": 9.49}'
    )


try:
    raise ValueError("broken")
except ValueError:
    AN_EXCEPTION = sys.exc_info()

RECORDS = {
    "access line": record(extra=ACCESS),
    "no request": record(extra={**ACCESS, "caller": None, "status": 401}),
    "non-ASCII text": record("Über %s", ("Zürich ✓",), extra={"city": "Genève"}),
    "control characters and quotes": record('a "b" \\ %s', ("\x00\x1f\x7f\t\n\r\x08\x0c",)),
    "a line break in a value": record(extra={"path": "/a,\n  b"}),
    "NaN and infinities": record(extra={"a": float("nan"), "b": float("inf"), "c": -float("inf")}),
    "floats json spells with an exponent": record(extra={"a": 9.9e-05, "b": 1e16, "c": 1e-300}),
    "ordinary floats": record(extra={"a": 0.0, "b": -0.0, "c": 0.0001, "d": 123456.789}),
    "an integer beyond 64 bits": record(extra={"big": 2**70, "negative": -(2**64)}),
    "booleans": record(extra={"yes": True, "no": False}),
    "values json's encoder defaults": record(
        extra={
            "id": uuid.UUID("0190b7a4-0000-7000-8000-000000000000"),
            "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "colour": Colour.RED,
            "raw": b"\x00bytes",
            "kind": int,
        }
    ),
    "nested values": record(extra={"items": [1, "two", None, {"x": 1.5}], "map": {"k": [True]}}),
    "a subclass of str": record(extra={"colour": type("S", (str,), {})("red")}),
    "an exception": record("failed %s", ("x",), exc_info=AN_EXCEPTION),
    "a dict as the message": record({"event": "started", "n": 1}, ()),
    "no arguments": record("plain message", ()),
    "an underscored extra": record(extra={"_private": 1, "public": 2}),
    "a whole second": record(extra=ACCESS, created=1796419099.0),
}


@pytest.mark.parametrize("made", RECORDS.values(), ids=RECORDS.keys())
def test_every_line_is_what_python_json_logger_writes(made: logging.LogRecord) -> None:
    reference = JsonFormatter(FORMAT, **OPTIONS)
    ours = JsonLineFormatter(FORMAT, **OPTIONS)

    assert ours.format(made) == reference.format(made)
    # Again, now that the record carries what formatting added (message, asctime).
    assert ours.format(made) == reference.format(made)


def test_the_configured_handler_writes_these_lines() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        configure_logging("gateway", ObservabilitySettings(log_format="json"))
        (handler,) = [h for h in root.handlers if getattr(h, "_score_handler", False)]
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        handler.setStream(buffer)
        logging.getLogger("score.gateway.access").info(
            "%s %s %s", "GET", "/enrolment/enterprises", 200, extra=ACCESS
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    assert isinstance(handler.formatter, JsonLineFormatter)
    (line,) = buffer.getvalue().splitlines()
    assert line.startswith('{"time": "')
    assert line.endswith(
        '"level": "INFO", "logger": "score.gateway.access", '
        '"message": "GET /enrolment/enterprises 200", "service": "gateway", "request_id": null, '
        '"method": "GET", "path": "/enrolment/enterprises", "status": 200, '
        '"caller": "ilo_global:api-key:536c203a1baf", "duration_ms": 9.49}'
    )
