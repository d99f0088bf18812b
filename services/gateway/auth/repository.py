"""Rate-limit bucket queries: one atomic statement reserves tokens from a caller's bucket."""

from dataclasses import dataclass

from sqlalchemy import Float, cast, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.auth.models import RateLimitBucket


@dataclass(frozen=True)
class Reservation:
    granted: int
    # Tokens left in the shared bucket after the reservation.
    left: float


class RateLimitBucketRepository:
    async def reserve(
        self,
        session: AsyncSession,
        caller: str,
        *,
        want: int,
        returned: float,
        rate: float,
        burst: float,
    ) -> Reservation:
        """Refill ``caller``'s bucket for the time since it was counted (up to ``burst``),
        give back ``returned`` unused tokens, and take up to ``want`` whole tokens, in one
        statement: concurrent replicas queue on the row, none can overdraw it."""
        tokens = col(RateLimitBucket.tokens)
        elapsed = func.greatest(
            0.0, func.extract("epoch", func.now() - col(RateLimitBucket.counted_at))
        )
        available = func.least(burst, tokens + returned + elapsed * rate)
        granted = func.greatest(0, func.least(want, func.floor(available)))
        first = min(want, int(burst))
        statement = (
            insert(RateLimitBucket)
            .values(caller=caller, tokens=burst - first, granted=first, counted_at=func.now())
            .on_conflict_do_update(
                index_elements=[col(RateLimitBucket.caller)],
                set_={
                    "tokens": cast(available - granted, Float),
                    "granted": granted,
                    "counted_at": func.now(),
                },
            )
            .returning(col(RateLimitBucket.granted), col(RateLimitBucket.tokens))
        )
        row = (await session.execute(statement)).one()
        return Reservation(granted=int(row[0]), left=float(row[1]))


rate_limit_bucket_repository = RateLimitBucketRepository()
