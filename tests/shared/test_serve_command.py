"""`score serve` (a container's process) bounds its graceful stop as configured: the event
feeds' long polls in flight are cut off after that many seconds."""

import pytest
import uvicorn
from typer.testing import CliRunner

from services import cli


def served_with(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, object]:
    """The options `score serve enrolment` hands uvicorn (which is not started)."""
    options: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *_, **given: options.update(given))
    result = CliRunner().invoke(cli.app, ["serve", "enrolment"], env=env)
    assert result.exit_code == 0, result.output
    return options


def test_serve_bounds_its_graceful_stop_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = served_with(monkeypatch, {"SCORE_GRACEFUL_SHUTDOWN_SECONDS": "1"})
    assert options["timeout_graceful_shutdown"] == 1


def test_serve_bounds_its_graceful_stop_to_three_seconds_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SCORE_GRACEFUL_SHUTDOWN_SECONDS", raising=False)
    options = served_with(monkeypatch, {})
    assert options["timeout_graceful_shutdown"] == cli.GRACEFUL_SHUTDOWN_SECONDS == 3
