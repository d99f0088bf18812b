"""Order status contracts: up to 12 months per buyer, each month once."""

from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

Pieces = Annotated[int, Field(ge=0, le=1_000_000_000)]


class MonthOrders(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2019-03"])
    confirmed: Pieces = Field(description="Pieces on confirmed orders")
    pipeline: Pieces = Field(description="Pieces on orders in the pipeline")

    @field_validator("month")
    @classmethod
    def _plausible_year(cls, value: str) -> str:
        if not 2000 <= int(value[:4]) <= 2100:
            raise PydanticCustomError("year_range", "the year must be 2000..2100")
        return value

    def first_day(self) -> date:
        return date(int(self.month[:4]), int(self.month[5:]), 1)


class OrderStatusPut(BaseModel):
    """The order status shared with one buyer, replacing what was shared before."""

    model_config = ConfigDict(extra="forbid")

    months: list[MonthOrders] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _each_month_once(self) -> Self:
        months = [m.month for m in self.months]
        if len(set(months)) != len(months):
            raise PydanticCustomError("duplicate_month", "each month is given once")
        return self


class OrderStatusPublic(BaseModel):
    enterprise_id: UUID
    buyer_id: UUID
    months: list[MonthOrders] = Field(description="Oldest month first")
    recorded_at: datetime | None = Field(description="When it was last shared")
