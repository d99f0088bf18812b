"""`score graph compose`: writes schema.graphql, --check fails on a stale one, and an
unreachable service is named."""

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.gateway.graph.cli import graph_app, schema_file_text
from services.gateway.graph.composer import compose
from services.gateway.graph.local import local_sdls
from services.gateway.graph.runtime import read_artefact


def files(tmp_path: Path) -> list[str]:
    return [
        "--output",
        str(tmp_path / "schema.graphql"),
        "--artefact",
        str(tmp_path / "subgraphs"),
    ]


def test_compose_writes_the_schema_and_the_subgraphs_and_check_accepts_them(
    tmp_path: Path,
) -> None:
    written = CliRunner().invoke(graph_app, ["compose", "--offline", *files(tmp_path)])
    checked = CliRunner().invoke(graph_app, ["compose", "--offline", "--check", *files(tmp_path)])

    assert written.exit_code == 0, written.output
    schema = (tmp_path / "schema.graphql").read_text(encoding="utf-8")
    assert schema == schema_file_text(compose(local_sdls()))
    # The gateway composes the same graph from the artefact alone.
    assert compose(read_artefact(tmp_path / "subgraphs")).sdl == compose(local_sdls()).sdl
    assert checked.exit_code == 0
    assert "up to date" in checked.output


def test_check_fails_on_a_stale_schema_and_says_how_to_fix_it(tmp_path: Path) -> None:
    output = tmp_path / "schema.graphql"
    output.write_text("type Query { old: Int }\n", encoding="utf-8")

    result = CliRunner().invoke(graph_app, ["compose", "--offline", "--check", *files(tmp_path)])

    assert result.exit_code == 1
    assert "stale" in result.output
    assert "uv run score graph compose" in result.output
    assert output.read_text(encoding="utf-8") == "type Query { old: Int }\n"


def test_compose_names_a_service_it_cannot_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv(
        "SCORE_GATEWAY_SERVICES",
        json.dumps({name: closed for name in ("enrolment", "indicators", "reporting")}),
    )

    result = CliRunner().invoke(graph_app, ["compose", *files(tmp_path)])

    assert result.exit_code == 2
    assert "could not be reached" in result.output
    assert "score up" in result.output
    assert not (tmp_path / "schema.graphql").exists()
    assert not (tmp_path / "subgraphs").exists()
