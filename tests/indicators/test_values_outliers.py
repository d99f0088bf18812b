"""Outlier flags: modified z-scores against the enterprise's own history and its peers;
flagged values are kept and listed for review, never dropped."""

import statistics
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.values.outliers import (
    MAD_FACTOR,
    OutlierPolicy,
    Reference,
    assess,
    outlier_flag,
    spread_of,
)
from services.indicators.values.schemas import ValueIn
from services.indicators.values.validation import (
    CheckedRow,
    RoundInfo,
    RowContext,
    check_row,
)
from tests.enrolment.support import ILO, Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import (
    accepted_ids,
    count_indicator,
    make_enterprises,
    make_indicator,
    make_round,
    post_batch,
    value,
)

__all__ = ["indicators_world", "indicators_world_baseline"]

POLICY = OutlierPolicy()


def test_modified_z_score_uses_median_and_mad() -> None:
    history = [10.0, 11.0, 10.0, 12.0, 11.0]
    spread = spread_of(history)
    assert spread is not None
    assert (spread.median, spread.mad, spread.method) == (11.0, 1.0, "mad")
    flag = outlier_flag("own_history", 95.0, spread, POLICY)
    assert flag is not None
    assert flag["score"] == pytest.approx(MAD_FACTOR * (95 - 11) / 1, abs=0.01)
    assert outlier_flag("own_history", 13.0, spread, POLICY) is None


def test_zero_mad_falls_back_to_the_mean_absolute_deviation() -> None:
    # Accidents: mostly none. MAD is 0, the mean absolute deviation is not.
    spread = spread_of([0.0, 0.0, 0.0, 0.0, 1.0, 2.0])
    assert spread is not None
    assert spread.method == "mean_absolute_deviation"
    assert spread.score(9.0) == pytest.approx(9.0 / (1.253314 * 0.5))


def test_identical_reference_values_give_no_score() -> None:
    assert spread_of([4.0, 4.0, 4.0, 4.0]) is None
    reference = Reference([("a", 4.0), ("b", 4.0), ("c", 4.0), ("d", 9.0)])
    assert reference.without("d") is None


def test_leaving_one_owner_out_matches_computing_without_it() -> None:
    points = [(f"e{n}", float((n * 37) % 23)) for n in range(40)] + [("e3", 50.0)]
    reference = Reference(points)
    for owner in {owner for owner, _ in points}:
        others = [v for o, v in points if o != owner]
        direct = spread_of(others)
        fast = reference.without(owner)
        assert direct is not None
        assert fast is not None
        assert (fast.median, fast.mad, fast.n) == (direct.median, direct.mad, direct.n)
        assert fast.median == statistics.median(others)


def test_an_owner_with_several_values_is_left_out_whole() -> None:
    points = [("a", 1.0), ("b", 2.0), ("c", 3.0), ("b", 4.0), ("d", 10.0), ("b", 6.0)]
    reference = Reference(points)
    assert [reference.count_without(owner) for owner in ("a", "b", "x")] == [5, 3, 6]
    without_b = reference.without("b")
    direct = spread_of([1.0, 3.0, 10.0])
    assert without_b is not None
    assert direct is not None
    assert (without_b.median, without_b.mad, without_b.n) == (direct.median, direct.mad, 3)


def test_a_references_flag_is_the_flag_of_its_spread_without_the_owner() -> None:
    """``Reference.flag`` remembers its answers by value: each call still answers exactly
    ``outlier_flag`` of the spread without the owner, and a dict of its own."""
    points = [(f"e{n}", float(n % 7)) for n in range(30)] + [("e1", 40.0), ("x", 90.0)]
    reference = Reference(points)
    strict = OutlierPolicy(threshold=1.0)
    for _ in range(2):
        for owner, x in [*points, ("new", 6.0), ("new", 80.0)]:
            for check, policy in (("peers", POLICY), ("own_history", strict)):
                expected = outlier_flag(check, x, reference.without(owner), policy)
                flag = reference.flag(owner, x, check, policy)
                assert flag == expected
                if flag is not None:
                    flag["peers"] = {"scope": "project"}
                    assert "peers" not in (reference.flag(owner, x, check, policy) or {})
    assert reference.flag("x", 90.0, "peers", POLICY) is not None


def test_peers_at_rounds_of_the_same_kind_are_one_sample() -> None:
    """Values of two follow-up rounds of a project are peers of each other: peers are
    compared at the same kind of round, not only in the same round."""
    project_id = uuid4()
    indicator = count_indicator("defects")
    rounds = [
        RoundInfo(id=uuid4(), project_id=project_id, kind="follow_up", sequence=n) for n in (1, 2)
    ]
    enterprises = [uuid4() for _ in range(7)]
    context = RowContext(
        indicators={"defects": indicator},
        enrolments={enterprise: {project_id: "level1"} for enterprise in enterprises},
        rounds={r.id: r for r in rounds},
        today=date(2026, 12, 3),
    )
    # Six enterprises at the first follow-up, the seventh (far off) at the second.
    given = [(enterprise, rounds[0], 10 + n % 3) for n, enterprise in enumerate(enterprises[:6])]
    given.append((enterprises[6], rounds[1], 95))
    rows = [
        CheckedRow(
            index=index,
            data=ValueIn(
                enterprise_id=enterprise,
                indicator_code="defects",
                round_id=measurement_round.id,
                value=Decimal(number),
            ),
        )
        for index, (enterprise, measurement_round, number) in enumerate(given)
    ]
    for row in rows:
        check_row(row, context)
        assert row.ok, row.errors

    assess(rows, [], POLICY)

    [flag] = rows[-1].outlier_flags
    assert (flag["check"], flag["n"], flag["median"]) == ("peers", 6, 11.0)
    assert flag["peers"] == {"scope": "project", "project_id": str(project_id)}
    assert all(row.outlier_flags == [] for row in rows[:-1])


async def test_value_far_from_its_own_history_is_flagged_and_kept(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    staff = indicators_world.world.efp_staff
    efp = indicators_world.efp_enterprise_id
    defects = await make_indicator(indicators_session, kind="count")
    history = [10, 11, 10, 12, 11]
    await accepted_ids(
        indicators_api,
        [value(efp, defects, n, month=date(2020, m, 1)) for m, n in enumerate(history, 1)],
        as_=staff,
        submit=True,
    )

    response = await post_batch(
        indicators_api,
        [value(efp, defects, 95, month=date(2020, 6, 1)), value(efp, defects, 12)],
        as_=staff,
    )

    assert response.status_code == 201, response.text
    result = response.json()
    assert result["flagged_outliers"] == 1
    flagged, ordinary = result["results"]
    [flag] = flagged["outlier_flags"]
    # The history: the five earlier months and the batch's other value (12).
    assert (flag["check"], flag["median"], flag["n"]) == ("own_history", 11.0, 6)
    assert flag["score"] == pytest.approx(56.66, abs=0.01)
    assert ordinary["outlier_flags"] == []
    listed = await indicators_api.get("/values", params={"flagged": "true"}, as_=staff)
    assert [(v["id"], v["value"]) for v in listed.json()["items"]] == [(flagged["value_id"], "95")]
    assert listed.json()["items"][0]["outlier_flags"] == [flag]


async def test_too_short_a_history_flags_nothing(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    efp = indicators_world.efp_enterprise_id
    defects = await make_indicator(indicators_session, kind="count")
    await accepted_ids(
        indicators_api,
        [value(efp, defects, n, month=date(2020, m, 1)) for m, n in enumerate([10, 11, 10], 1)],
        submit=True,
    )
    response = await post_batch(indicators_api, [value(efp, defects, 95, month=date(2020, 6, 1))])
    assert response.json()["flagged_outliers"] == 0


async def test_drafts_are_not_history(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    efp = indicators_world.efp_enterprise_id
    defects = await make_indicator(indicators_session, kind="count")
    await accepted_ids(
        indicators_api,
        [value(efp, defects, n, month=date(2020, m, 1)) for m, n in enumerate([10, 11, 10, 12], 1)],
    )
    response = await post_batch(indicators_api, [value(efp, defects, 95, month=date(2021, 6, 1))])
    # Four drafts are no history: nobody has vouched for them yet.
    assert response.json()["flagged_outliers"] == 0


async def test_value_far_from_its_peers_is_flagged(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    peers = await make_enterprises(
        indicators_session, partner_id=world.efp_id, project_id=world.pakistan_project_id, count=6
    )
    absenteeism = await make_indicator(indicators_session, kind="rate")
    baseline = await make_round(indicators_api, world.pakistan_project_id)
    rates = ["4.1", "3.8", "4.5", "5.0", "4.2", "3.9"]
    await accepted_ids(
        indicators_api,
        [
            value(peer, absenteeism, rate, round_id=baseline)
            for peer, rate in zip(peers, rates, strict=True)
        ],
        as_=ILO,
        submit=True,
    )

    response = await post_batch(
        indicators_api,
        [value(indicators_world.efp_enterprise_id, absenteeism, "31.5", round_id=baseline)],
        as_=world.efp_staff,
        submit=True,
    )

    [row] = response.json()["results"]
    [flag] = row["outlier_flags"]
    assert (flag["check"], flag["n"], flag["median"]) == ("peers", 6, 4.15)
    assert flag["score"] > POLICY.threshold
    stored = await indicators_api.get(f"/values/{row['value_id']}", as_=world.efp_staff)
    assert stored.json()["status"] == "submitted"
    assert stored.json()["outlier_flags"] == [flag]


async def test_peers_in_one_batch_are_compared_with_each_other(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    peers = await make_enterprises(
        indicators_session, partner_id=world.efp_id, project_id=world.pakistan_project_id, count=7
    )
    score = await make_indicator(indicators_session, kind="percentage")
    marks = [62, 65, 60, 64, 63, 61, 2]
    response = await post_batch(
        indicators_api,
        [value(peer, score, mark) for peer, mark in zip(peers, marks, strict=True)],
    )
    flagged = [
        (row["index"], row["outlier_flags"][0]["check"])
        for row in response.json()["results"]
        if row["outlier_flags"]
    ]
    assert flagged == [(6, "peers")]


async def test_the_threshold_comes_from_the_settings(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    efp = indicators_world.efp_enterprise_id
    defects = await make_indicator(indicators_session, kind="count")
    await accepted_ids(
        indicators_api,
        [
            value(efp, defects, n, month=date(2020, m, 1))
            for m, n in enumerate([10, 11, 10, 12, 11], 1)
        ],
        submit=True,
    )
    app = indicators_api.client._transport.app  # type: ignore[attr-defined]
    app.state.settings = app.state.settings.model_copy(update={"outlier_threshold": 100.0})
    response = await post_batch(indicators_api, [value(efp, defects, 95, month=date(2020, 6, 1))])
    assert response.json()["flagged_outliers"] == 0


async def test_a_small_cohort_is_judged_against_the_country_and_sector_and_the_flag_says_so(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    # A typical cohort: the enterprise and three peers in its project, too few to judge by.
    cohort = await make_enterprises(
        indicators_session, partner_id=world.efp_id, project_id=world.pakistan_project_id, count=3
    )
    # Six Pakistani textile enterprises of another project.
    elsewhere = await make_enterprises(
        indicators_session, partner_id=world.efp_id, project_id=world.ghana_project_id, count=6
    )
    absenteeism = await make_indicator(indicators_session, kind="rate")
    own_round = await make_round(indicators_api, world.pakistan_project_id)
    other_round = await make_round(indicators_api, world.ghana_project_id)
    await accepted_ids(
        indicators_api,
        [
            value(peer, absenteeism, rate, round_id=own_round)
            for peer, rate in zip(cohort, ["4.0", "4.4", "3.9"], strict=True)
        ]
        + [
            value(peer, absenteeism, rate, round_id=other_round)
            for peer, rate in zip(
                elsewhere, ["4.1", "3.8", "4.5", "5.0", "4.2", "3.9"], strict=True
            )
        ],
        as_=ILO,
        submit=True,
    )

    response = await post_batch(
        indicators_api,
        [value(indicators_world.efp_enterprise_id, absenteeism, "31.5", round_id=own_round)],
        as_=world.efp_staff,
    )

    [row] = response.json()["results"]
    [flag] = row["outlier_flags"]
    assert (flag["check"], flag["n"]) == ("peers", 9)
    assert flag["peers"] == {"scope": "country_and_sector", "country": "PK", "sector": "textile"}


async def test_a_large_enough_project_keeps_its_own_peers(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    peers = await make_enterprises(
        indicators_session, partner_id=world.efp_id, project_id=world.pakistan_project_id, count=6
    )
    score = await make_indicator(indicators_session, kind="rate")
    baseline = await make_round(indicators_api, world.pakistan_project_id)
    await accepted_ids(
        indicators_api,
        [
            value(peer, score, rate, round_id=baseline)
            for peer, rate in zip(peers, ["4.1", "3.8", "4.5", "5.0", "4.2", "3.9"], strict=True)
        ],
        as_=ILO,
        submit=True,
    )

    response = await post_batch(
        indicators_api,
        [value(indicators_world.efp_enterprise_id, score, "31.5", round_id=baseline)],
        as_=world.efp_staff,
    )

    [flag] = response.json()["results"][0]["outlier_flags"]
    assert flag["peers"] == {
        "scope": "project",
        "project_id": str(world.pakistan_project_id),
    }


async def test_another_partners_figures_are_no_peers_so_a_flag_cannot_give_them_away(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    # Six EFP enterprises with their baseline figures, and two of MDPI's of the same country
    # and sector in MDPI's project: too few to judge by, so the sample widens to the sector.
    efp_peers = await make_enterprises(
        indicators_session, partner_id=world.efp_id, project_id=world.pakistan_project_id, count=6
    )
    mdpi_own, mdpi_other = await make_enterprises(
        indicators_session, partner_id=world.mdpi_id, project_id=world.ghana_project_id, count=2
    )
    absenteeism = await make_indicator(indicators_session, kind="rate")
    efp_round = await make_round(indicators_api, world.pakistan_project_id)
    mdpi_round = await make_round(indicators_api, world.ghana_project_id)
    efp_figures = ["4.1", "3.8", "4.5", "5.0", "4.2", "3.9"]
    await accepted_ids(
        indicators_api,
        [
            value(peer, absenteeism, rate, round_id=efp_round)
            for peer, rate in zip(efp_peers, efp_figures, strict=True)
        ],
        as_=ILO,
        submit=True,
    )

    def probe(pick: str) -> list[dict[str, Any]]:
        # A value far off, and the other enterprise's figure picked to move the median
        # from one of EFP's figures to the next: a dry run writes nothing.
        return [
            value(mdpi_own, absenteeism, "31.5", round_id=mdpi_round),
            value(mdpi_other, absenteeism, pick, round_id=mdpi_round),
        ]

    for pick in ("0", "1000"):
        response = await post_batch(indicators_api, probe(pick), as_=world.mdpi_staff, dry_run=True)
        assert response.status_code == 200, response.text
        assert [row["outlier_flags"] for row in response.json()["results"]] == [[], []]
        assert not any(f'"median":{figure}' in response.text for figure in efp_figures)

    # The ILO, who may see every enterprise, still judges against all of them.
    response = await post_batch(indicators_api, probe("0"), as_=ILO, dry_run=True)
    [flag] = response.json()["results"][0]["outlier_flags"]
    assert (flag["check"], flag["n"], flag["median"]) == ("peers", 7, 4.1)
    assert flag["peers"] == {"scope": "country_and_sector", "country": "PK", "sector": "textile"}
