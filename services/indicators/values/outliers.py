"""Outlier flags: a value far from the enterprise's own history or from its peers is flagged
for review (never dropped), by the modified z-score of Iglewicz and Hoaglin.

M = 0.6745 * (x - median) / MAD. The median and the median absolute deviation (MAD) are
robust: the outliers being looked for cannot drag the reference towards themselves.
When more than half of the reference shares one value the MAD is 0 (common for counts such
as accidents, mostly 0); then the mean absolute deviation around the median is used,
scaled by 1.253314 = sqrt(pi / 2). Both MAD / 0.6745 and 1.253314 * mean absolute deviation
estimate the standard deviation of normal data, so the score keeps its scale and the same
threshold applies. If both are 0 every reference value is the same and no score exists.
"""

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.settings import IndicatorsSettings
from services.indicators.values.repository import StoredPoint, value_repository
from services.indicators.values.validation import (
    NUMERIC_KINDS,
    TOTAL,
    CheckedRow,
    IdTexts,
    distinct_ids,
    shared_objects,
)
from shared.identity import Principal

MAD_FACTOR = 0.6745
MEAN_AD_FACTOR = 1.253314


@dataclass(frozen=True)
class OutlierPolicy:
    threshold: float = IndicatorsSettings.model_fields["outlier_threshold"].default
    min_history: int = IndicatorsSettings.model_fields["outlier_min_history"].default
    min_peers: int = 5

    @classmethod
    def from_settings(cls, settings: IndicatorsSettings) -> "OutlierPolicy":
        return cls(threshold=settings.outlier_threshold, min_history=settings.outlier_min_history)


@dataclass(frozen=True, slots=True)
class Spread:
    median: float
    mad: float
    mean_ad: float
    n: int

    def score(self, x: float) -> float:
        if self.mad > 0:
            return MAD_FACTOR * (x - self.median) / self.mad
        return (x - self.median) / (MEAN_AD_FACTOR * self.mean_ad)

    @property
    def method(self) -> str:
        return "mad" if self.mad > 0 else "mean_absolute_deviation"


def _median_at(at: Callable[[int], float], k: int) -> float:
    middle = k // 2
    return at(middle) if k % 2 else (at(middle - 1) + at(middle)) / 2


def spread_of(values: Sequence[float]) -> Spread | None:
    """Median, MAD and mean absolute deviation, or None if no score can be computed."""
    ordered = sorted(values)
    k = len(ordered)
    if k == 0:
        return None
    median = _median_at(ordered.__getitem__, k)
    deviations = sorted(abs(v - median) for v in ordered)
    mad = _median_at(deviations.__getitem__, k)
    # Values equal to the median deviate by exactly 0.0, so an all-equal sample gives 0.0
    # here, not a rounding residue that would make every other value an outlier.
    mean_ad = sum(deviations) / k
    if mad == 0 and mean_ad == 0:
        return None
    return Spread(median=median, mad=mad, mean_ad=mean_ad, n=k)


class Reference:
    """A sample of values each with an owner, answering robust statistics of the sample
    without one owner's values: an enterprise among its peers, a period within a history.

    Leaving one value out moves the median to one of a few neighbours, so the sorted
    deviations are built once per such median and each question costs a binary search:
    tens of thousands of values are scored without sorting a sample per value.
    """

    __slots__ = ("_count", "_deviations", "_flags", "_last", "_several", "_sorted", "_spreads")

    def __init__(self, points: Iterable[tuple[str, float]]) -> None:
        points = list(points)
        # Each owner's value (dict() in C, the last value of an owner with several), and the
        # values of owners with several: most owners have one, and a list each would be
        # tens of thousands of lists made and dropped in a big batch.
        self._last: dict[str, float] = dict(points)
        self._several: dict[str, list[float]] = {}
        if len(self._last) < len(points):
            owned: dict[str, list[float]] = {}
            for owner, value in points:
                owned.setdefault(owner, []).append(value)
            self._several = {owner: values for owner, values in owned.items() if len(values) > 1}
        self._sorted = sorted(value for _, value in points)
        self._count = len(points)
        self._deviations: dict[float, tuple[list[float], float]] = {}
        # Without one value, the statistics depend on that value alone, and counts repeat
        # a lot (many enterprises report 0 accidents): each is worked out once.
        self._spreads: dict[float | None, Spread | None] = {}
        # ``flag``'s answers by (the owner's value, x, check, threshold): a batch scores
        # tens of thousands of values against a sample of a few dozen distinct figures.
        self._flags: dict[tuple[float | None, float, str, float], dict[str, Any] | None] = {}

    def count_without(self, owner: str) -> int:
        several = self._several.get(owner) if self._several else None
        if several is not None:
            return self._count - len(several)
        return self._count - (owner in self._last)

    def without(self, owner: str) -> Spread | None:
        if self._several and owner in self._several:
            return spread_of(
                [v for o, v in self._last.items() if o != owner and o not in self._several]
                + [v for o, values in self._several.items() if o != owner for v in values]
            )
        key = self._last.get(owner)
        if key not in self._spreads:
            self._spreads[key] = self._without_one([] if key is None else [key])
        return self._spreads[key]

    def flag(
        self, owner: str, x: float, check: str, policy: OutlierPolicy
    ) -> dict[str, Any] | None:
        """``outlier_flag(check, x, self.without(owner), policy)``: a new dict each time."""
        if self._several and owner in self._several:
            return outlier_flag(check, x, self.without(owner), policy)
        key = (self._last.get(owner), x, check, policy.threshold)
        try:
            flag = self._flags[key]
        except KeyError:
            flag = self._flags[key] = outlier_flag(check, x, self.without(owner), policy)
        # A copy: the caller adds to its flag (the peer group).
        return None if flag is None else dict(flag)

    def _without_one(self, own: list[float]) -> Spread | None:
        """The statistics without ``own``, a list of no value or one."""
        ordered = self._sorted
        k = len(ordered) - len(own)
        if k == 0:
            return None
        removed = bisect_left(ordered, own[0]) if own else k

        def at(j: int) -> float:
            return ordered[j] if j < removed else ordered[j + 1]

        median = _median_at(at, k)
        deviations, total = self._deviations_from(median)
        own_deviation = abs(own[0] - median) if own else 0.0
        skipped = bisect_left(deviations, own_deviation) if own else k

        def deviation_at(j: int) -> float:
            return deviations[j] if j < skipped else deviations[j + 1]

        mad = _median_at(deviation_at, k)
        mean_ad = (total - own_deviation) / k
        if mad == 0 and mean_ad <= 0:
            return None
        return Spread(median=median, mad=mad, mean_ad=mean_ad, n=k)

    def _deviations_from(self, median: float) -> tuple[list[float], float]:
        cached = self._deviations.get(median)
        if cached is None:
            deviations = sorted(abs(v - median) for v in self._sorted)
            cached = (deviations, sum(deviations))
            self._deviations[median] = cached
        return cached


def outlier_flag(
    check: str, x: float, spread: Spread | None, policy: OutlierPolicy
) -> dict[str, Any] | None:
    """The flag stored with the value when its score passes the threshold."""
    if spread is None:
        return None
    score = spread.score(x)
    if abs(score) <= policy.threshold:
        return None
    return {
        "check": check,
        "score": round(score, 2),
        "median": round(spread.median, 6),
        "n": spread.n,
        "method": spread.method,
        "threshold": policy.threshold,
    }


# Peer groups from the closest to the widest: the project's other enterprises; else the
# enterprises of the same country and sector in any project; else the same sector anywhere.
# A typical cohort has 4-5 enterprises, too few to judge one of them by the others.
PEER_SCOPES = ("project", "country_and_sector", "sector")


def _peer_keys(
    project_id: Any, place: tuple[str, str] | None, period: str, part: str
) -> dict[str, str]:
    keys = {"project": f"{project_id}|{period}|{part}"}
    if place is not None:
        country, sector = place
        keys["country_and_sector"] = f"{country}|{sector}|{period}|{part}"
        keys["sector"] = f"{sector}|{period}|{part}"
    return keys


def _peer_group(scope: str, project_id: Any, place: tuple[str, str] | None) -> dict[str, Any]:
    """Which peers a flag was judged against, in its own words."""
    group: dict[str, Any] = {"scope": scope}
    if scope == "project":
        group["project_id"] = str(project_id)
    elif place is not None:
        if scope == "country_and_sector":
            group["country"] = place[0]
        group["sector"] = place[1]
    return group


def assess(
    rows: Iterable[CheckedRow],
    stored: Iterable[StoredPoint],
    policy: OutlierPolicy,
    places: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Set ``outlier_flags`` on every accepted numeric row (the rows are part of the sample).

    Own history: the same enterprise, indicator and disaggregation in other periods.
    Peers: other enterprises with the same indicator and disaggregation, at the same kind
    of round (every baseline, every follow-up) or in the same month - of the same project,
    or, when it has too few, of the same country and sector, or of the same sector (the
    flag names the group). ``places``: (country, sector) of the batch's enterprises.
    Keys are the slot's text parts, so no UUID is hashed per value.
    """
    _Assessment(rows, stored, policy, places or {}).flag()


class _PeerContext:
    """The peer samples of the values of one project, place, peer period and part, from the
    closest scope to the widest, and (once every value is in) their references."""

    __slots__ = ("groups", "lists", "part", "period", "samples")

    def __init__(
        self, period: str, part: str, samples: list[tuple[str, str, list[tuple[str, float]]]]
    ) -> None:
        # The slot key's period and its part ("indicator|sex|role"), shared by the values.
        self.period = period
        self.part = part
        self.samples = samples
        # The sample lists alone, which every value of the context joins.
        self.lists = [sample for _, _, sample in samples]
        self.groups: list[tuple[str, Reference]] = []

    def resolve(self, references: dict[tuple[str, str], Reference], policy: OutlierPolicy) -> None:
        """``groups``: the scopes with more than the minimum of values, closest first; a
        sample's reference is shared with every context that has the same sample."""
        self.groups = []
        for scope, key, sample in self.samples:
            if len(sample) <= policy.min_peers:
                continue
            reference = references.get((scope, key))
            if reference is None:
                reference = references[scope, key] = Reference(sample)
            self.groups.append((scope, reference))


class _Assessment:
    """``assess`` in two passes: the samples (the stored points and the rows), then the
    flags. In between, the samples tell which rows have too few project peers."""

    def __init__(
        self,
        rows: Iterable[CheckedRow],
        stored: Iterable[StoredPoint],
        policy: OutlierPolicy,
        places: Mapping[str, tuple[str, str]],
    ) -> None:
        self.policy = policy
        self.places = places
        texts = IdTexts()
        # Stored history per enterprise and part; the batch's own values are counted here
        # and gathered only for the few histories long enough to score (see ``flag``).
        histories: dict[tuple[str, str], list[tuple[str, float]]] = {}
        peers: dict[str, dict[str, list[tuple[str, float]]]] = {s: {} for s in PEER_SCOPES}
        for point in stored:
            part = f"{texts[point.indicator_id.int]}|{point.sex or TOTAL}|{point.role or TOTAL}"
            owner = texts[point.enterprise_id.int]
            period = texts[point.round_id.int] if point.round_id is not None else str(point.month)
            peer_period = (
                f"round:{point.round_kind}" if point.round_kind else f"month:{point.month}"
            )
            x = float(point.value)
            histories.setdefault((owner, part), []).append((period, x))
            if point.sector is None:
                # From the project's own values: of the batch's enterprises, placed too.
                keys = _peer_keys(texts[point.project_id.int], places.get(owner), peer_period, part)
            else:
                keys = _peer_keys(None, (point.country or "", point.sector), peer_period, part)
                del keys["project"]
            for scope, key in keys.items():
                peers[scope].setdefault(key, []).append((owner, x))
        # Rows of one project, place and slot key but the enterprise share their peer keys:
        # each such context is worked out once, not once per value (a batch has tens of
        # thousands of values in a few dozen contexts), and the rest of the slot key is
        # split only then.
        contexts: dict[tuple[Any, ...], _PeerContext] = {}
        keyed: list[tuple[CheckedRow, float, tuple[str, str], _PeerContext, str]] = []
        for row in rows:
            # row.ok, row.number and indicator.numeric inlined: three calls per value.
            number = row.data.value
            if row.errors or row.slot is None or not isinstance(number, Decimal):
                continue
            if row.indicator is None or row.indicator.kind not in NUMERIC_KINDS:
                continue
            enterprise, _, rest = row.slot.partition("|")
            place = places.get(enterprise)
            # The project id itself: its text is needed only for a new context.
            context_key = (row.project_id, place, rest)
            context = contexts.get(context_key)
            if context is None:
                project = texts[row.project_id.int] if row.project_id is not None else None
                indicator, period, sex, role = rest.split("|")
                peer_period = f"round:{row.round.kind}" if row.round else f"month:{period}"
                part = f"{indicator}|{sex}|{role}"
                keys = _peer_keys(project, place, peer_period, part)
                context = contexts[context_key] = _PeerContext(
                    period,
                    part,
                    [(scope, key, peers[scope].setdefault(key, [])) for scope, key in keys.items()],
                )
            x = float(number)
            peer = (enterprise, x)
            for sample in context.lists:
                sample.append(peer)
            keyed.append((row, x, (enterprise, context.part), context, enterprise))
        self.histories = histories
        # Counted in C, not with a get and a store per value.
        self.in_batch = Counter(map(itemgetter(2), keyed))
        self.contexts = contexts
        self.keyed = keyed

    def too_few_project_peers(self) -> list[CheckedRow]:
        """The rows whose project has fewer than the minimum of other enterprises to compare
        with: their peer groups must widen."""
        minimum = self.policy.min_peers
        # Only a project sample of few enterprises can leave one of them short of peers:
        # the others are not looked at row by row.
        few: dict[int, set[str]] = {}
        for context in self.contexts.values():
            for scope, _, sample in context.samples:
                if scope == "project":
                    owners = set(dict(sample))
                    if len(owners) <= minimum:
                        few[id(context)] = owners
        if not few:
            return []
        lacking = []
        for row, _, _, context, enterprise in self.keyed:
            of_context = few.get(id(context))
            if of_context is not None and len(of_context) - (enterprise in of_context) < minimum:
                lacking.append(row)
        return lacking

    def _scored_histories(self) -> dict[tuple[str, str], list[tuple[str, float]]]:
        """The histories with more values than the minimum, the batch's values included."""
        minimum = self.policy.min_history
        longest_stored = max(map(len, self.histories.values()), default=0)
        if max(self.in_batch.values(), default=0) + longest_stored <= minimum:
            # No history can be long enough (a batch into a new round, one value per
            # enterprise and part): told in C, without a look at each of them.
            return {}
        scored = {
            key: list(self.histories.get(key, ()))
            for key, count in self.in_batch.items()
            if count + len(self.histories.get(key, ())) > minimum
        }
        if scored:
            for _, x, history_key, context, _ in self.keyed:
                history = scored.get(history_key)
                if history is not None:
                    history.append((context.period, x))
        return scored

    def flag(self) -> None:
        """Set each row's ``outlier_flags``."""
        policy, places = self.policy, self.places
        histories = self._scored_histories()
        history_refs: dict[tuple[str, str], Reference] = {}
        peer_refs: dict[tuple[str, str], Reference] = {}
        for context in self.contexts.values():
            context.resolve(peer_refs, policy)
        for row, x, history_key, context, enterprise in self.keyed:
            flags = []
            # The value itself is one point of each sample: fewer than minimum + 1, no score.
            if history_key in histories:
                history = history_refs.get(history_key)
                if history is None:
                    history = history_refs[history_key] = Reference(histories[history_key])
                period = context.period
                if history.count_without(period) >= policy.min_history:
                    flag = history.flag(period, x, "own_history", policy)
                    if flag is not None:
                        flags.append(flag)
            for scope, group in context.groups:
                if group.count_without(enterprise) < policy.min_peers:
                    continue
                flag = group.flag(enterprise, x, "peers", policy)
                if flag is not None:
                    flag["peers"] = _peer_group(scope, row.project_id, places.get(enterprise))
                    flags.append(flag)
                break
            # A row comes with no flags: a list each is left to the flagged ones.
            if flags or row.outlier_flags:
                row.outlier_flags = flags


async def flag_outliers(
    session: AsyncSession,
    rows: Sequence[CheckedRow],
    policy: OutlierPolicy,
    *,
    principal: Principal,
) -> None:
    """Load the stored history and peers of the rows (two queries; a third for rows whose
    project has too few peers) and flag the rows.

    Peers are enterprises the caller may see: a flag shows its sample's median and n, and a
    dry run with values of one's own enterprises picked to move that median would otherwise
    read another partner's figures, value by value."""
    # row.ok and indicator.numeric inlined: two calls per value.
    numeric = [
        r
        for r in rows
        if not r.errors and r.indicator is not None and r.indicator.kind in NUMERIC_KINDS
    ]
    if not numeric:
        return
    indicator_ids = distinct_ids(i.id for i in shared_objects(r.indicator for r in numeric))
    enterprises = distinct_ids(r.data.enterprise_id for r in numeric)
    stored = await value_repository.history_points(
        session, enterprise_ids=enterprises, indicator_ids=indicator_ids
    )
    stored += await value_repository.peer_points(
        session,
        project_ids=distinct_ids(shared_objects(r.project_id for r in numeric)),
        indicator_ids=indicator_ids,
        months={r.month for r in numeric if r.month is not None},
        round_kinds={found.kind for found in shared_objects(r.round for r in numeric)},
        exclude_enterprise_ids=enterprises,
        principal=principal,
    )
    # The project's own peers first: the samples built for them also tell which rows have
    # too few, and serve as they are when none has (the usual case of a big batch).
    assessment = _Assessment(numeric, stored, policy, {})
    lacking = assessment.too_few_project_peers()
    if lacking:
        located = await value_repository.places(
            session, {row.data.enterprise_id for row in lacking}
        )
        places = {str(enterprise): place for enterprise, place in located.items()}
        stored += await value_repository.sector_peer_points(
            session,
            sectors={sector for _, sector in located.values()},
            indicator_ids={r.indicator.id for r in lacking if r.indicator is not None},
            months={r.month for r in lacking if r.month is not None},
            round_kinds={r.round.kind for r in lacking if r.round is not None},
            exclude_enterprise_ids=enterprises,
            principal=principal,
        )
        # The lacking rows' enterprises now have places: their values join wider samples.
        assessment = _Assessment(numeric, stored, policy, places)
    assessment.flag()
