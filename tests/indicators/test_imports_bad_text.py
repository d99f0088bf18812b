"""An import file is text too: a cell holding the NUL character is refused by row and column,
like the same character in JSON, and nothing of the file is written."""

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import Api
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.imports_support import add_catalogue, add_round, csv_file, stored_values

HEADER = ["enterprise_id", "indicator_code", "round_id", "sex", "value", "note"]


async def test_a_nul_character_in_a_cell_is_refused_by_row_and_column(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    await add_catalogue(indicators_session)
    baseline = await add_round(indicators_session, indicators_world.world.pakistan_project_id)
    enterprise = str(indicators_world.efp_enterprise_id)
    data = csv_file(
        HEADER,
        [
            [enterprise, "imp_defects", str(baseline.id), "female", 12, "counted"],
            [enterprise, "imp_defects", str(baseline.id), "male", 15, "count\x00ed"],
        ],
    )
    response = await indicators_api.post(
        "/imports",
        content=data,
        headers={"Content-Type": "text/csv"},
        as_=indicators_world.world.efp_staff,
    )
    assert response.status_code == 422, response.text
    errors = [(e["row"], e["column"], e["rule"]) for e in response.json()["errors"]]
    assert (3, "note", "no_null_character") in errors
    assert await stored_values(indicators_session, indicators_world.efp_enterprise_id) == 0
