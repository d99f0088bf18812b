"""The demo's indicator values: replicated from enrolment's feed, validated, loaded once."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.enrolment.demo import load_demo
from services.indicators.demo import load_indicator_demo
from services.indicators.seed import ensure_reference_data
from tests.conftest import migrated_database_url


async def connection_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_demo_karachi_batch_has_validated_baseline_and_endline(pg_socket_dir: str) -> None:
    enrolment_url = await migrated_database_url(pg_socket_dir, "enrolment", "test_demo_values_e")
    indicators_url = await migrated_database_url(pg_socket_dir, "indicators", "test_demo_values_i")
    await load_demo(enrolment_url)
    assert await ensure_reference_data(indicators_url) >= 20
    loaded = await load_indicator_demo(enrolment_url, indicators_url)
    assert loaded["indicator values"] == 30
    # Each Karachi enterprise's suggestion register: one adopted and rewarded, one rejected.
    assert loaded["suggestions"] == 2 * 3
    assert loaded["improvement plans"] == 3
    # Each factory's 5S business case, with a before and an after photo in the file store.
    assert loaded["business cases"] == 3
    photos = await connection_rows(
        indicators_url,
        "SELECT p.stage, p.content_type FROM business_case_photo p "
        "JOIN business_case c ON c.id = p.business_case_id "
        "JOIN replica_enterprise e ON e.id = c.enterprise_id "
        "WHERE e.name = 'Indus Knitwear (Pvt) Ltd' ORDER BY p.stage DESC",
    )
    assert photos == [("before", "image/jpeg"), ("after", "image/jpeg")]
    plans = await connection_rows(
        indicators_url, "SELECT status, completed_on FROM improvement_plan ORDER BY status"
    )
    assert plans == [("completed", date(2019, 5, 30)), ("open", None), ("open", None)]
    assert "indicator values" not in await load_indicator_demo(enrolment_url, indicators_url)

    engine = create_async_engine(indicators_url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT r.kind, v.value, v.status FROM indicator_value v "
                        "JOIN indicator i ON i.id = v.indicator_id "
                        "JOIN measurement_round r ON r.id = v.round_id "
                        "JOIN replica_enterprise e ON e.id = v.enterprise_id "
                        "WHERE i.code = 'five_s_audit_score' "
                        "AND e.name = 'Indus Knitwear (Pvt) Ltd'"
                    )
                )
            ).all()
            adopted = [
                tuple(row)
                for row in await connection.execute(
                    text(
                        "SELECT s.status, s.reward_paid FROM suggestion s "
                        "JOIN replica_enterprise e ON e.id = s.enterprise_id "
                        "WHERE e.name = 'Indus Knitwear (Pvt) Ltd' AND s.status = 'adopted'"
                    )
                )
            ]
    finally:
        await engine.dispose()
    assert {(row.kind, row.value, row.status) for row in rows} == {
        ("baseline", Decimal(25), "validated"),
        ("endline", Decimal(60), "validated"),
    }
    assert adopted == [("adopted", Decimal("5000.00"))]
