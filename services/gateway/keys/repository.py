"""API key queries."""

from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.keys.models import ApiKey


class ApiKeyRepository:
    async def get(self, session: AsyncSession, key_id: UUID) -> ApiKey | None:
        return await session.get(ApiKey, key_id)

    async def get_by_prefix(self, session: AsyncSession, prefix: str) -> ApiKey | None:
        statement = select(ApiKey).where(ApiKey.prefix == prefix)
        return (await session.exec(statement)).first()

    async def get_all(
        self, session: AsyncSession, *, organisation_id: UUID | None = None
    ) -> list[ApiKey]:
        statement = select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))
        if organisation_id is not None:
            statement = statement.where(ApiKey.organisation_id == organisation_id)
        return list((await session.exec(statement)).all())

    async def add(self, session: AsyncSession, key: ApiKey) -> ApiKey:
        session.add(key)
        await session.flush()
        return key


api_key_repository = ApiKeyRepository()
