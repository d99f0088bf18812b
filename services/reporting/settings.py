"""Reporting service settings (env prefix ``SCORE_REPORTING_``)."""

from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import FeedReaderSettings


class ReportingSettings(FeedReaderSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_REPORTING_", extra="ignore")

    service_name: str = "reporting"
    port: int = 8003
    # The two event feeds the read models are built from.
    enrolment_url: str = "http://127.0.0.1:8001"
    indicators_url: str = "http://127.0.0.1:8002"
    # Run the feed consumers inside this process (off for one-off commands and some tests).
    consume_feeds: bool = True
    # Groups with fewer enterprises than this are suppressed for anyone outside the
    # owning partner and the ILO (statistical disclosure control).
    min_group_size: int = Field(default=5, ge=1)


def min_group_size(request: Request) -> int:
    """The service's minimum group size: a setting, never a request parameter (a caller
    cannot lower it by adding ``?min_group_size=1``: the report's query model refuses it)."""
    settings: ReportingSettings = request.app.state.settings
    return settings.min_group_size


MinGroupSize = Annotated[int, Depends(min_group_size)]
