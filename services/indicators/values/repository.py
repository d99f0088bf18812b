"""Queries for rounds and values; every read of values applies the caller's tenancy.

Batch work loads whole sets with one query each (ids passed as one array parameter, not a
parameter per id) and writes with one statement per chunk over unnested arrays.
"""

import os
import time
from collections.abc import Collection, Container, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
from asyncpg.pgproto import pgproto
from sqlalchemy import (
    ColumnElement,
    String,
    func,
    insert,
    or_,
    text,
)
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.types import Date
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator
from services.indicators.db import changes
from services.indicators.replica.models import (
    ReplicaEnrolment,
    ReplicaEnterprise,
)
from services.indicators.rounds.models import MeasurementRound
from services.indicators.tenancy import (
    enterprise_visible,
    value_visible,
)
from services.indicators.values.models import IndicatorValue, IndicatorValueVersion
from services.indicators.values.schemas import ValueStatus
from services.indicators.values.validation import IndicatorInfo, StoredValue
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page
from shared.sql import any_of

# Rows per UPDATE statement: bounds the size of one statement's arrays.
WRITE_CHUNK = 20_000
REVIEWED = (ValueStatus.submitted.value, ValueStatus.validated.value)
COUNTING = (
    ValueStatus.validated.value,
    ValueStatus.withdrawn.value,
    ValueStatus.not_computable.value,
)


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """A submitted or validated current value another value may be compared with."""

    enterprise_id: UUID
    indicator_id: UUID
    project_id: UUID
    round_id: UUID | None
    round_kind: str | None
    month: str | None
    sex: str | None
    role: str | None
    value: Decimal
    country: str | None = None
    sector: str | None = None


class SlotTaken(Exception):
    """A concurrent writer stored a value for one of the batch's slots first."""


class ValueRepository:
    # --- what a batch needs, one query each -------------------------------------------

    async def indicators_by_code(
        self, session: AsyncSession, codes: Collection[str]
    ) -> dict[str, IndicatorInfo]:
        rows = await session.execute(
            core_select(
                col(Indicator.id),
                col(Indicator.code),
                col(Indicator.version),
                col(Indicator.kind),
                col(Indicator.min_value),
                col(Indicator.max_value),
                col(Indicator.disaggregations),
                col(Indicator.active),
                col(Indicator.formula),
            ).where(any_of(Indicator.code, codes, String()))
        )
        return {
            r[1]: IndicatorInfo(
                id=r[0],
                code=r[1],
                version=r[2],
                kind=r[3],
                min_value=r[4],
                max_value=r[5],
                disaggregations=tuple(r[6] or ()),
                active=r[7],
                formula_inputs=(r[8]["numerator"], r[8]["denominator"]) if r[8] else None,
            )
            for r in rows
        }

    async def visible_enrolments(
        self, session: AsyncSession, enterprise_ids: Collection[UUID], *, principal: Principal
    ) -> dict[UUID, dict[UUID, str]]:
        """Enterprises the caller may see (others are absent) -> project -> stage."""
        rows = await session.exec(
            select(ReplicaEnterprise.id, ReplicaEnrolment.project_id, ReplicaEnrolment.stage)
            .outerjoin(
                ReplicaEnrolment, col(ReplicaEnrolment.enterprise_id) == ReplicaEnterprise.id
            )
            .where(
                any_of(ReplicaEnterprise.id, enterprise_ids),
                enterprise_visible(ReplicaEnterprise.id, principal),
            )
        )
        result: dict[UUID, dict[UUID, str]] = {}
        for enterprise_id, project_id, stage in rows:
            projects = result.setdefault(enterprise_id, {})
            if project_id is not None:
                projects[project_id] = stage
        return result

    async def current_by_slots(
        self,
        session: AsyncSession,
        slots: Container[str],
        *,
        enterprise_ids: Collection[UUID],
        indicator_ids: Collection[UUID],
        round_ids: Collection[UUID],
        months: Collection[date],
        lock: bool = False,
    ) -> dict[str, StoredValue]:
        """The current versions of these slots. Selected by their enterprises, indicators and
        periods (small array parameters, indexed columns) and narrowed to the slots here."""
        if not slots:
            return {}
        statement = core_select(
            col(IndicatorValue.id),
            col(IndicatorValue.slot),
            col(IndicatorValue.status),
            col(IndicatorValue.version),
            col(IndicatorValue.value),
            col(IndicatorValue.value_bool),
        ).where(
            col(IndicatorValue.is_current),
            any_of(IndicatorValue.enterprise_id, enterprise_ids),
            any_of(IndicatorValue.indicator_id, indicator_ids),
            or_(
                any_of(IndicatorValue.round_id, round_ids),
                any_of(IndicatorValue.month, months, Date()),
            ),
        )
        if lock:
            # A reviewer's concurrent validate must not slip between our check and our write.
            statement = statement.with_for_update()
        rows = await session.execute(statement)
        return {
            r[1]: StoredValue(
                id=r[0], slot=r[1], status=r[2], version=r[3], value=r[4], value_bool=r[5]
            )
            for r in rows
            if r[1] in slots
        }

    async def history_points(
        self,
        session: AsyncSession,
        *,
        enterprise_ids: Collection[UUID],
        indicator_ids: Collection[UUID],
    ) -> list[StoredPoint]:
        """The enterprises' own submitted or validated numeric values of these indicators."""
        statement = self._points().where(
            any_of(IndicatorValue.enterprise_id, enterprise_ids),
            any_of(IndicatorValue.indicator_id, indicator_ids),
        )
        return await self._fetch_points(session, statement)

    async def peer_points(
        self,
        session: AsyncSession,
        *,
        project_ids: Collection[UUID],
        indicator_ids: Collection[UUID],
        months: Collection[date],
        round_kinds: Collection[str],
        exclude_enterprise_ids: Collection[UUID],
        principal: Principal,
    ) -> list[StoredPoint]:
        """Other enterprises' values in the same projects, for the same months or round kinds:
        of enterprises the caller may see only (a flag shows its peers' median and n)."""
        if not project_ids or not (months or round_kinds):
            return []
        period = or_(
            any_of(IndicatorValue.month, months, Date()),
            any_of(MeasurementRound.kind, round_kinds, String()),
        )
        statement = self._points().where(
            any_of(IndicatorValue.project_id, project_ids),
            any_of(IndicatorValue.indicator_id, indicator_ids),
            period,
            ~any_of(IndicatorValue.enterprise_id, exclude_enterprise_ids),
            enterprise_visible(IndicatorValue.enterprise_id, principal),
        )
        return await self._fetch_points(session, statement)

    async def sector_peer_points(
        self,
        session: AsyncSession,
        *,
        sectors: Collection[str],
        indicator_ids: Collection[UUID],
        months: Collection[date],
        round_kinds: Collection[str],
        exclude_enterprise_ids: Collection[UUID],
        principal: Principal,
    ) -> list[StoredPoint]:
        """Enterprises of the same sectors in any project, for the same months or round
        kinds: the wider peer groups of a project with too few enterprises (those the caller
        may see, as ``peer_points``)."""
        if not sectors or not (months or round_kinds):
            return []
        period = or_(
            any_of(IndicatorValue.month, months, Date()),
            any_of(MeasurementRound.kind, round_kinds, String()),
        )
        statement = self._points(places=True).where(
            any_of(ReplicaEnterprise.sector, sectors, String()),
            any_of(IndicatorValue.indicator_id, indicator_ids),
            period,
            ~any_of(IndicatorValue.enterprise_id, exclude_enterprise_ids),
            enterprise_visible(IndicatorValue.enterprise_id, principal),
        )
        return await self._fetch_points(session, statement)

    async def places(
        self, session: AsyncSession, enterprise_ids: Collection[UUID]
    ) -> dict[UUID, tuple[str, str]]:
        """Each enterprise's (country, sector), as the replica knows them."""
        if not enterprise_ids:
            return {}
        rows = await session.execute(
            core_select(
                col(ReplicaEnterprise.id),
                col(ReplicaEnterprise.country),
                col(ReplicaEnterprise.sector),
            ).where(any_of(ReplicaEnterprise.id, enterprise_ids))
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def _points(self, *, places: bool = False) -> Any:
        located = [col(ReplicaEnterprise.country), col(ReplicaEnterprise.sector)] if places else []
        statement = (
            core_select(
                col(IndicatorValue.enterprise_id),
                col(IndicatorValue.indicator_id),
                col(IndicatorValue.project_id),
                col(IndicatorValue.round_id),
                col(MeasurementRound.kind),
                col(IndicatorValue.month),
                col(IndicatorValue.sex),
                col(IndicatorValue.role),
                col(IndicatorValue.value),
                *located,
            )
            .outerjoin(MeasurementRound, col(MeasurementRound.id) == IndicatorValue.round_id)
            .where(
                col(IndicatorValue.is_current),
                any_of(IndicatorValue.status, REVIEWED, String()),
                col(IndicatorValue.value).is_not(None),
            )
        )
        if places:
            statement = statement.join(
                ReplicaEnterprise, col(ReplicaEnterprise.id) == IndicatorValue.enterprise_id
            )
        return statement

    async def _fetch_points(self, session: AsyncSession, statement: Any) -> list[StoredPoint]:
        rows = await session.execute(statement)
        return [
            StoredPoint(
                enterprise_id=r[0],
                indicator_id=r[1],
                project_id=r[2],
                round_id=r[3],
                round_kind=r[4],
                month=r[5].isoformat() if r[5] is not None else None,
                sex=r[6],
                role=r[7],
                value=r[8],
                country=r[9] if len(r) > 9 else None,
                sector=r[10] if len(r) > 10 else None,
            )
            for r in rows
        ]

    # --- batch writes -------------------------------------------------------------------

    async def insert_new(
        self,
        session: AsyncSession,
        rows: Sequence[tuple[Any, ...]],
        *,
        batch_id: UUID,
        entered_by: str,
        entered_at: datetime,
        status: str,
        submitted_at: datetime | None,
    ) -> None:
        """Insert version-1 values (``rows``: tuples in ValueRow's field order) with a binary
        COPY on the session's own connection (so inside its transaction): the fastest way
        into Postgres, and no statement parameters to encode per value. A slot taken
        meanwhile raises ``SlotTaken``."""
        if not rows:
            return
        tail = (status, 1, True, batch_id, entered_by, entered_at, submitted_at)
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        try:
            await driver.copy_records_to_table(
                IndicatorValue.__tablename__,
                records=[row + tail for row in rows],
                columns=[*ValueRow._fields, *_COPY_TAIL],
            )
        except asyncpg.UniqueViolationError as exc:
            raise SlotTaken from exc

    async def replace_drafts(
        self,
        session: AsyncSession,
        rows: Sequence["ValueRow"],
        *,
        batch_id: UUID,
        entered_by: str,
        entered_at: datetime,
        status: str,
        submitted_at: datetime | None,
    ) -> None:
        """Change draft or returned values in place (they are not reviewed facts yet), one
        UPDATE per chunk over unnested column arrays; each becomes its next version, and the
        state it replaces is kept first as a version of its history."""
        constants = {
            "batch_id": batch_id,
            "entered_by": entered_by,
            "entered_at": entered_at,
            "status": status,
            "submitted_at": submitted_at,
            "reason": f"re-sent in batch {batch_id}",
        }
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start : start + WRITE_CHUNK]
            await self.archive(session, [row.id for row in chunk])
            # Rows to columns in C (zip), one array parameter per column.
            columns = dict(zip(ValueRow._fields, map(list, zip(*chunk, strict=True)), strict=True))
            await session.execute(_REPLACE_DRAFTS, {**columns, **constants})

    async def archive(self, session: AsyncSession, value_ids: Sequence[UUID]) -> None:
        """Keep the present state of values about to change in place as versions."""
        if value_ids:
            await session.execute(_ARCHIVE, {"ids": list(value_ids)})

    async def archived(
        self, session: AsyncSession, value_ids: Collection[UUID]
    ) -> list[IndicatorValueVersion]:
        """Earlier states of values changed in place, oldest first."""
        statement = (
            select(IndicatorValueVersion)
            .where(any_of(IndicatorValueVersion.value_id, value_ids))
            .order_by(col(IndicatorValueVersion.version), col(IndicatorValueVersion.replaced_at))
        )
        return list((await session.exec(statement)).all())

    async def earlier_enterers(
        self, session: AsyncSession, value_ids: Collection[UUID]
    ) -> dict[UUID, set[str]]:
        """Who entered or changed each value before its present version."""
        if not value_ids:
            return {}
        rows = await session.execute(
            core_select(col(IndicatorValueVersion.value_id), col(IndicatorValueVersion.entered_by))
            .where(any_of(IndicatorValueVersion.value_id, value_ids))
            .distinct()
        )
        enterers: dict[UUID, set[str]] = {}
        for value_id, actor in rows:
            enterers.setdefault(value_id, set()).add(actor)
        return enterers

    # --- derived values -------------------------------------------------------------------

    async def formulas(self, session: AsyncSession) -> list[Indicator]:
        """The active derived indicators, with their formulas."""
        statement = select(Indicator).where(
            col(Indicator.formula).is_not(None), col(Indicator.active).is_(True)
        )
        return list((await session.exec(statement)).all())

    async def counting_versions(
        self, session: AsyncSession, slots: Collection[str]
    ) -> dict[str, IndicatorValue]:
        """Per slot, the version that counts: the newest validated, withdrawn or
        not-computable one. A correction awaiting review does not count yet, so the
        version it corrects still does; a withdrawn or uncomputable one means none does."""
        if not slots:
            return {}
        statement = (
            select(IndicatorValue)
            .where(
                any_of(IndicatorValue.slot, slots, String()),
                any_of(IndicatorValue.status, COUNTING, String()),
            )
            .order_by(col(IndicatorValue.slot), col(IndicatorValue.version).desc())
            .ext(distinct_on(col(IndicatorValue.slot)))
            .execution_options(populate_existing=True)
        )
        return {value.slot: value for value in (await session.exec(statement)).all()}

    async def current_of_slots(
        self, session: AsyncSession, slots: Collection[str], *, lock: bool = False
    ) -> dict[str, IndicatorValue]:
        if not slots:
            return {}
        statement = (
            select(IndicatorValue)
            .where(any_of(IndicatorValue.slot, slots, String()), col(IndicatorValue.is_current))
            .execution_options(populate_existing=True)
        )
        if lock:
            statement = statement.with_for_update()
        return {value.slot: value for value in (await session.exec(statement)).all()}

    # --- review policy ----------------------------------------------------------------------

    async def add_audit_entries(
        self, session: AsyncSession, principal: Principal, entries: Sequence[dict[str, Any]]
    ) -> None:
        """Many audit entries in one round trip (``changes.audit`` writes one per call)."""
        if not entries:
            return
        await session.execute(
            insert(changes.plumbing.audit),
            [
                {
                    "actor": principal.actor,
                    "actor_role": principal.role.value,
                    "before": None,
                    "after": None,
                    "reason": None,
                    **entry,
                }
                for entry in entries
            ],
        )

    # --- single values and lists -------------------------------------------------------

    async def get(
        self,
        session: AsyncSession,
        value_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> tuple[IndicatorValue, str] | None:
        rows = await self.get_many(session, [value_id], principal=principal, lock=lock)
        return rows[0] if rows else None

    async def get_many(
        self,
        session: AsyncSession,
        ids: Collection[UUID],
        *,
        principal: Principal,
        lock: bool = False,
    ) -> list[tuple[IndicatorValue, str]]:
        statement = (
            select(IndicatorValue, Indicator.code)
            .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
            .where(any_of(IndicatorValue.id, ids), value_visible(principal))
            .order_by(col(IndicatorValue.id))
            # Batches write with Core statements: never answer from a stale identity map.
            .execution_options(populate_existing=True)
        )
        if lock:
            statement = statement.with_for_update(of=IndicatorValue)
        return [(value, code) for value, code in (await session.exec(statement)).all()]

    async def for_enterprises(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        *,
        principal: Principal,
        indicator_code: str | None = None,
        round_id: UUID | None = None,
        status: str | None = None,
        current_only: bool = True,
    ) -> dict[UUID, list[tuple[IndicatorValue, Indicator]]]:
        """Each enterprise's values with their indicator, in one statement for the batch."""
        conditions: list[ColumnElement[bool]] = [
            any_of(IndicatorValue.enterprise_id, enterprise_ids),
            value_visible(principal),
        ]
        if indicator_code is not None:
            conditions.append(col(Indicator.code) == indicator_code)
        if round_id is not None:
            conditions.append(col(IndicatorValue.round_id) == round_id)
        if status is not None:
            conditions.append(col(IndicatorValue.status) == status)
        if current_only:
            conditions.append(col(IndicatorValue.is_current).is_(True))
        statement = (
            select(IndicatorValue, Indicator)
            .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
            .where(*conditions)
            .order_by(
                col(Indicator.code),
                col(IndicatorValue.round_id).nulls_first(),
                col(IndicatorValue.month).nulls_first(),
                col(IndicatorValue.sex).nulls_first(),
                col(IndicatorValue.role).nulls_first(),
                col(IndicatorValue.version).desc(),
                col(IndicatorValue.id),
            )
        )
        result: dict[UUID, list[tuple[IndicatorValue, Indicator]]] = {
            enterprise_id: [] for enterprise_id in enterprise_ids
        }
        for value, indicator in (await session.exec(statement)).all():
            result[value.enterprise_id].append((value, indicator))
        return result

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        indicator_code: str | None = None,
        round_id: UUID | None = None,
        month: date | None = None,
        status: str | None = None,
        flagged: bool | None = None,
        batch_id: UUID | None = None,
        current_only: bool = True,
    ) -> list[tuple[IndicatorValue, str]]:
        statement = (
            select(IndicatorValue)
            .where(value_visible(principal))
            .execution_options(populate_existing=True)
        )
        if current_only:
            statement = statement.where(col(IndicatorValue.is_current))
        if enterprise_id is not None:
            statement = statement.where(col(IndicatorValue.enterprise_id) == enterprise_id)
        if indicator_code is not None:
            statement = statement.join(
                Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id)
            ).where(col(Indicator.code) == indicator_code)
        if round_id is not None:
            statement = statement.where(col(IndicatorValue.round_id) == round_id)
        if month is not None:
            statement = statement.where(col(IndicatorValue.month) == month.replace(day=1))
        if status is not None:
            statement = statement.where(col(IndicatorValue.status) == status)
        if batch_id is not None:
            statement = statement.where(col(IndicatorValue.batch_id) == batch_id)
        if flagged is not None:
            flags = func.jsonb_array_length(col(IndicatorValue.outlier_flags))
            statement = statement.where(flags > 0 if flagged else flags == 0)
        statement = keyset_page(statement, col(IndicatorValue.id), page)
        values = list((await session.exec(statement)).all())
        codes = await self.indicator_codes(session, {v.indicator_id for v in values})
        return [(value, codes[value.indicator_id]) for value in values]

    async def versions(self, session: AsyncSession, slot: str) -> list[IndicatorValue]:
        statement = (
            select(IndicatorValue)
            .where(IndicatorValue.slot == slot)
            .order_by(col(IndicatorValue.version))
            .execution_options(populate_existing=True)
        )
        return list((await session.exec(statement)).all())

    async def trail(
        self, session: AsyncSession, value_ids: Collection[UUID]
    ) -> list[dict[str, Any]]:
        audit = changes.plumbing.audit
        rows = await session.execute(
            core_select(
                audit.c.at, audit.c.actor, audit.c.action, audit.c.entity_id, audit.c.reason
            )
            .where(
                audit.c.entity_type == "indicator_value",
                any_of(audit.c.entity_id, value_ids),
            )
            .order_by(audit.c.id)
        )
        return [dict(row._mapping) for row in rows]

    async def indicator_codes(
        self, session: AsyncSession, indicator_ids: Collection[UUID]
    ) -> dict[UUID, str]:
        rows = await session.exec(
            select(Indicator.id, Indicator.code).where(any_of(Indicator.id, indicator_ids))
        )
        return dict(rows.all())


class ValueRow(NamedTuple):
    """One row of a batch write, in the order of the unnest statements' columns."""

    id: UUID
    slot: str
    enterprise_id: UUID
    project_id: UUID
    indicator_id: UUID
    indicator_version: int
    round_id: UUID | None
    month: date | None
    sex: str | None
    role: str | None
    value: Decimal | None
    value_bool: bool | None
    currency: str | None
    note: str | None
    # JSON text: cast to jsonb in the statement.
    outlier_flags: str


def new_ids(count: int) -> list[UUID]:
    """``count`` UUIDv7s of this millisecond, in increasing order, for one batch.

    ``shared.ids.new_id`` costs ~10 microseconds (a library object, then text, then a UUID);
    at 100,000 values that is a second. RFC 9562 section 6.2, method 1: a 42-bit counter in
    rand_a and the top of rand_b, started at a random point, then 32 random bits. They are
    asyncpg's own UUIDs (a ``uuid.UUID`` subclass, as asyncpg returns from queries): made
    from bytes in C, ten times cheaper than ``uuid.UUID(int=...)``, and hashed in C.
    The first eight bytes (time, version, the counter's top 12 bits) change only when the
    counter's low 30 bits wrap, so they are made once per run of ids that share them and
    each id joins them to its own 4 counter and 4 random bytes: a third less than building
    a 128-bit number per id.
    """
    counter = int.from_bytes(os.urandom(6)) >> 7  # 41 bits: room to count up
    return uuid7_run(time.time_ns() // 1_000_000, counter, os.urandom(4 * count))


def uuid7_run(millis: int, counter: int, randoms: bytes) -> list[UUID]:
    """``new_ids``' ids from their parts: one per 4 bytes of ``randoms``, the counter
    counting up from ``counter``."""
    count = len(randoms) // 4
    make = pgproto.UUID
    ids: list[UUID] = []
    done = 0
    while done < count:
        at = counter + done
        low = at & 0x3FFF_FFFF
        head = ((millis << 16) | (0x7 << 12) | (at >> 30)).to_bytes(8)
        run = min(count - done, (1 << 30) - low)
        # The variant (0b10) above the counter's low 30 bits.
        first = (0b10 << 30) | low
        ids += [
            make(head + (first + n).to_bytes(4) + randoms[4 * (done + n) : 4 * (done + n) + 4])
            for n in range(run)
        ]
        done += run
    return ids


# Per-row columns of a batch write (ValueRow's fields), with their Postgres array types.
_ROW_TYPES = {
    "id": "uuid",
    "slot": "varchar",
    "enterprise_id": "uuid",
    "project_id": "uuid",
    "indicator_id": "uuid",
    "indicator_version": "integer",
    "round_id": "uuid",
    "month": "date",
    "sex": "varchar",
    "role": "varchar",
    "value": "numeric",
    "value_bool": "boolean",
    "currency": "varchar",
    "note": "varchar",
    "outlier_flags": "text",
}
_ROW_COLUMNS = tuple(_ROW_TYPES)
assert ValueRow._fields == _ROW_COLUMNS
_UNNEST = (
    "unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _ROW_TYPES.items())
    + ") AS u("
    + ", ".join(_ROW_COLUMNS)
    + ")"
)
_COPY_TAIL = (
    "status",
    "version",
    "is_current",
    "batch_id",
    "entered_by",
    "entered_at",
    "submitted_at",
)
_REPLACE_DRAFTS = text(
    "UPDATE indicator_value AS v SET "
    + ", ".join(
        f"{name} = u.{name}"
        for name in ("project_id", "indicator_version", "value", "value_bool", "currency", "note")
    )
    + ", outlier_flags = u.outlier_flags::jsonb, status = :status, batch_id = :batch_id, "
    + "entered_by = :entered_by, entered_at = :entered_at, "
    + "submitted_at = CAST(:submitted_at AS timestamptz), "
    + "version = v.version + 1, change_reason = :reason FROM "
    + _UNNEST
    + " WHERE v.id = u.id"
)
# The state of values about to change in place, kept as a version of their history.
_ARCHIVE = text(
    "INSERT INTO indicator_value_version (id, value_id, version, status, value, value_bool, "
    "currency, note, reason, entered_by, entered_at, replaced_at) "
    "SELECT gen_random_uuid(), id, version, status, value, value_bool, currency, note, "
    "coalesce(change_reason, correction_reason), entered_by, entered_at, now() "
    "FROM indicator_value WHERE id = ANY(CAST(:ids AS uuid[]))"
)

value_repository = ValueRepository()
