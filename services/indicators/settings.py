"""Indicators service settings (env prefix ``SCORE_INDICATORS_``)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import FeedReaderSettings


class IndicatorsSettings(FeedReaderSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_INDICATORS_", extra="ignore")

    service_name: str = "indicators"
    port: int = 8002
    # Where the enrolment service's event feed is; its events build the local replica.
    enrolment_url: str = "http://127.0.0.1:8001"
    # Run the enrolment replica consumer inside this process (off for one-off commands).
    consume_enrolment: bool = True
    # Modified z-score beyond which a value is flagged for review (Iglewicz and Hoaglin).
    outlier_threshold: float = Field(default=3.5, gt=0)
    # Fewest earlier values before an enterprise's own history is used for outliers.
    outlier_min_history: int = Field(default=4, ge=2)
