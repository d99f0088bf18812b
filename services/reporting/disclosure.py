"""Disclosure control that subtraction cannot undo: figures are shown only over whole blocks.

Hiding each small group is not enough: a caller who sees n=7 in total and n=6 for one
sector recovers the seventh enterprise by subtraction. So, for each measure (an indicator,
or one sex part of it; a reach measure family), the enterprises the caller may see are split
once into *blocks* of at least ``k`` enterprises, independently of any request. A figure is
shown only when the enterprises behind it are whole blocks. Every figure the caller can
request - totals, breakdowns by one or more dimensions, filtered totals, any period - is
then an aggregate over whole blocks, and so is any sum, difference or combination of them:
none isolates fewer than ``k`` enterprises, for counts, percentages and medians alike.

Blocks are built like a Mondrian partition: split by country, then project, partner,
sector, module, period (year, quarter, month), stage and sex, as far as every part keeps
``k`` enterprises; the parts smaller than ``k`` are pooled, and a pool still smaller than
``k`` takes in the smallest large part (complementary suppression: that part's figures are
then hidden too). Which dimensions split first decides which breakdowns survive.
"""

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

# A fact's values of the dimensions, in the splitting order (see ``fact``).
Fact = tuple[Any, ...]

SPLIT_ORDER = (
    "country",
    "project_id",
    "partner_id",
    "sector",
    "module",
    "year",
    "quarter",
    "month",
    "stage",
    "sex",
)

PRIMARY_REASON = (
    "Suppressed: fewer than {k} enterprises in this group (confidentiality; only the owning "
    "partner and the ILO see small groups)"
)
COMPLEMENTARY_REASON = (
    "Suppressed: {k} or more enterprises, but showing this figure would let a smaller "
    "suppressed group be recovered by subtraction from the totals and other groups "
    "(complementary suppression)"
)


def method(k: int) -> str:
    """How the blocks decide, in words, for a report's ``method``."""
    return (
        f" Disclosure control for this caller: for each measure, the enterprises you may see "
        f"are split once, whatever you ask, into blocks of at least {k} enterprises (by "
        "country, then project, partner, sector, module, period and stage, as far as every "
        f"block keeps {k} enterprises; parts with fewer are pooled, and a pool still too "
        "small takes in the smallest other part). A figure is shown only when the "
        "enterprises behind it are whole blocks: a group of fewer than "
        f"{k} enterprises is suppressed (primary), and so is any group that would let a "
        "suppressed one be recovered by subtracting it from a total or from other groups "
        "(complementary suppression). Every figure you can request, in any breakdown, with "
        "any filter or period, is an aggregate of whole blocks, so no sum or difference of "
        "counts, percentages or medians isolates fewer than "
        f"{k} enterprises. Suppressed rows keep their dimensions, carry no figures (n "
        "included) and say why."
    )


def month_parts(label: str | None) -> tuple[str | None, str | None, str | None]:
    """'2024-05' as (year '2024', quarter '2024-Q2', month '2024-05')."""
    if label is None:
        return None, None, None
    year, month = label[:4], int(label[5:7])
    return year, f"{year}-Q{(month - 1) // 3 + 1}", label


def fact(values: Mapping[str, Any]) -> Fact:
    """A fact in ``SPLIT_ORDER`` from a row holding some of its dimensions (``period`` as a
    'YYYY-MM' label); dimensions the measure does not have are None."""
    year, quarter, month = month_parts(values.get("period"))
    known = {**values, "year": year, "quarter": quarter, "month": month}
    return tuple(known.get(name) for name in SPLIT_ORDER)


@dataclass(frozen=True)
class Blocks:
    """A measure's partition of the caller's enterprises into blocks of ``k`` or more."""

    k: int
    block_of: dict[UUID, int] = field(default_factory=dict)
    sizes: tuple[int, ...] = ()

    def shows(self, enterprises: Collection[UUID]) -> bool:
        """Whether a figure over ``enterprises`` may be shown: they are whole blocks."""
        counted: Counter[int] = Counter()
        for enterprise in enterprises:
            block = self.block_of.get(enterprise)
            if block is None:
                return False
            counted[block] += 1
        return all(count == self.sizes[block] for block, count in counted.items())

    def reason(self, enterprises: Collection[UUID]) -> str:
        template = PRIMARY_REASON if len(set(enterprises)) < self.k else COMPLEMENTARY_REASON
        return template.format(k=self.k)


def partition(facts: Mapping[UUID, Collection[Fact]], k: int) -> Blocks:
    """The blocks of one measure from each enterprise's facts (its pairs, participants,
    ratings ... as dimension values in ``SPLIT_ORDER``). Deterministic: the same facts
    always give the same blocks."""
    enterprises = sorted(facts, key=str)
    if len(enterprises) < k:
        return Blocks(k=k)
    # Enterprises with the very same facts fall on the same side of every split, so the
    # split works on these classes (a few dozen) rather than on each enterprise.
    classes: dict[frozenset[Fact], list[UUID]] = {}
    for enterprise in enterprises:
        classes.setdefault(frozenset(facts[enterprise]), []).append(enterprise)
    # Values as small numbers, numbered in a fixed order, so signatures compare quickly.
    width = len(SPLIT_ORDER)
    numbering: list[dict[Any, int]] = []
    for position in range(width):
        values = {f[position] for found in classes for f in found}
        ordered = sorted(values, key=repr)
        numbering.append({value: number for number, value in enumerate(ordered)})
    coded = [
        _Class(frozenset(tuple(numbering[i][f[i]] for i in range(width)) for f in found), members)
        for found, members in classes.items()
    ]
    groups = _split(coded, k, accepted=(), remaining=tuple(range(width)))
    block_of = {
        enterprise: index
        for index, group in enumerate(groups)
        for one in group
        for enterprise in one.members
    }
    return Blocks(k=k, block_of=block_of, sizes=tuple(_size(group) for group in groups))


@dataclass(frozen=True)
class _Class:
    """Enterprises with the same facts (coded): they always stay together."""

    facts: frozenset[tuple[int, ...]]
    members: list[UUID]


def _size(group: Sequence[_Class]) -> int:
    return sum(len(one.members) for one in group)


def _signature(
    facts: Collection[tuple[int, ...]], dimensions: Sequence[int]
) -> tuple[tuple[int, ...], ...]:
    return tuple(sorted({tuple(f[i] for i in dimensions) for f in facts}))


def _split(
    group: list[_Class],
    k: int,
    *,
    accepted: tuple[int, ...],
    remaining: tuple[int, ...],
) -> list[list[_Class]]:
    """Split ``group`` (k or more enterprises, alike in the ``accepted`` dimensions) by the
    first remaining dimension that leaves at least two parts of k or more."""
    for position, dimension in enumerate(remaining):
        dimensions = (*accepted, dimension)
        keyed: dict[tuple[tuple[int, ...], ...], list[_Class]] = {}
        for one in group:
            keyed.setdefault(_signature(one.facts, dimensions), []).append(one)
        if len(keyed) == 1:
            accepted = dimensions
            continue
        # Largest first, ties by value: the same facts always split the same way.
        ordered = sorted(keyed.items(), key=lambda item: (-_size(item[1]), item[0]))
        large = [members for _, members in ordered if _size(members) >= k]
        pooled = [one for _, members in ordered if _size(members) < k for one in members]
        if pooled and _size(pooled) < k and large:
            pooled = large.pop() + pooled
        if len(large) + (1 if pooled else 0) < 2:
            continue
        later = remaining[position + 1 :]
        parts = [
            part
            for members in large
            for part in _split(members, k, accepted=dimensions, remaining=later)
        ]
        if pooled:
            parts += _split(pooled, k, accepted=accepted, remaining=later)
        return parts
    return [group]
