"""Reference data the indicators service needs in every database: the standard indicators.

Run by `score migrate` / `score up` after the migrations; idempotent, and indicators the
ILO has changed since are left as they are.
"""

from services.indicators.catalogue.standard import ensure_standard_indicators
from shared.db import Database


async def ensure_reference_data(url: str) -> int:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            return await ensure_standard_indicators(session)
    finally:
        await database.dispose()
