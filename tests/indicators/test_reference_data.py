"""`score up` / `score migrate` load the standard indicators only where some are missing, and
tell so without importing the catalogue (its models, schemas and service: half a second of
CPU at every start): the codes from the source, the stored ones with one query."""

import asyncio
import subprocess
import sys

import asyncpg

from services.indicators.catalogue.standard import STANDARD_INDICATORS
from services.indicators.seed import (
    STANDARD_SOURCE,
    ensure_reference_data,
    reference_data_present,
    standard_codes,
)
from shared.embedded_pg import asyncpg_dsn
from tests.conftest import migrated_database_url

PRESENT_WITHOUT_THE_CATALOGUE = """
import asyncio, sys
from services.indicators.seed import ensure_reference_data
print(asyncio.run(ensure_reference_data(sys.argv[1])))
print(sorted(name for name in sys.modules if name.startswith("services.indicators.catalogue")))
"""


def test_the_codes_read_from_the_source_are_the_standard_sets() -> None:
    assert standard_codes() == frozenset(indicator.code for indicator in STANDARD_INDICATORS)
    assert len(STANDARD_INDICATORS) == len({indicator.code for indicator in STANDARD_INDICATORS})


def test_a_set_not_stated_literally_is_not_read() -> None:
    source = STANDARD_SOURCE.read_text(encoding="utf-8")
    made_elsewhere = source.replace(
        "STANDARD_INDICATORS: tuple[IndicatorCreate, ...] = NUMERIC_INDICATORS",
        "STANDARD_INDICATORS: tuple[IndicatorCreate, ...] = more() + NUMERIC_INDICATORS",
    )
    code_in_a_name = source.replace(
        '_practice(\n        "ppe_provided",', "_practice(\n        PPE,"
    )
    assert made_elsewhere != source
    assert code_in_a_name != source

    assert standard_codes(made_elsewhere) is None
    assert standard_codes(code_in_a_name) is None
    assert standard_codes("STANDARD_INDICATORS = ()") is None
    assert standard_codes("") is None


async def test_only_a_catalogue_missing_standard_codes_is_loaded(pg_socket_dir: str) -> None:
    url = await migrated_database_url(pg_socket_dir, "indicators", "test_reference_data")
    assert not await reference_data_present(url)
    assert await ensure_reference_data(url) == len(STANDARD_INDICATORS)
    assert await reference_data_present(url)

    # Present: nothing loaded, and nothing of the catalogue imported to tell.
    told = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", PRESENT_WITHOUT_THE_CATALOGUE, url],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert told.stdout.splitlines() == ["0", "[]"], told.stderr

    # One standard code gone (renamed by the ILO, say): that one is loaded again.
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("UPDATE indicator SET code = 'renamed' WHERE code = 'defects'")
    finally:
        await connection.close()
    assert not await reference_data_present(url)
    assert await ensure_reference_data(url) == 1
    assert await reference_data_present(url)
