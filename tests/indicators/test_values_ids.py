"""Ids of a batch's new values: UUIDv7s of one millisecond, counting up."""

import os
from uuid import UUID

from services.indicators.values.repository import new_ids, uuid7_run


def _one_by_one(millis: int, counter: int, randoms: bytes) -> list[UUID]:
    """The ids as RFC 9562 (section 6.2, method 1) spells them, one 128-bit number each."""
    prefix = (millis << 80) | (0x7 << 76) | (0b10 << 62)
    return [
        UUID(
            int=prefix
            | (((counter + n) >> 30) << 64)
            | (((counter + n) & 0x3FFF_FFFF) << 32)
            | int.from_bytes(randoms[4 * n : 4 * n + 4])
        )
        for n in range(len(randoms) // 4)
    ]


def test_batch_ids_are_distinct_increasing_version_7_uuids() -> None:
    ids = new_ids(10_000)
    assert len(set(ids)) == 10_000
    assert ids == sorted(ids)
    assert {(i.version, i.variant) for i in ids} == {(7, "specified in RFC 4122")}


def test_batch_ids_carry_on_counting_where_the_counters_low_bits_wrap() -> None:
    millis, randoms = 1_790_000_000_000, os.urandom(4 * 6)
    counter = (5 << 30) + (1 << 30) - 3  # the low 30 bits wrap after three ids
    ids = uuid7_run(millis, counter, randoms)
    assert ids == _one_by_one(millis, counter, randoms)
    assert ids == sorted(ids)
    assert [i.int >> 64 & 0xFFF for i in ids] == [5, 5, 5, 6, 6, 6]
