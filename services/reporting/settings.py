"""Reporting service settings (env prefix ``SCORE_REPORTING_``).

Free of FastAPI: `score up` reads every service's settings (ports) before it starts any
(the dependency reading the minimum group size lives in ``services.reporting.params``)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import Environment, FeedReaderSettings


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
    # Webhook delivery runs in this process too (services/reporting/webhooks/delivery.py):
    # off for one-off commands and tests that drive it themselves.
    deliver_webhooks: bool = True
    # Whether webhook targets may resolve to loopback, private, link-local or reserved
    # addresses; None: anywhere but production (which refuses them: SSRF).
    webhook_allow_private_targets: bool | None = None
    webhook_timeout: float = Field(default=10.0, gt=0)
    # Retry backoff: exponential from the first, capped, with full jitter.
    webhook_backoff_initial: float = Field(default=1.0, gt=0)
    webhook_backoff_max: float = Field(default=3600.0, gt=0)
    # An endpoint whose every attempt failed for this long is disabled (the reason shown).
    webhook_disable_after: float = Field(default=86_400.0, gt=0)
    # How often an idle worker looks for new events (seconds).
    webhook_poll_interval: float = Field(default=0.2, gt=0)
    # Endpoints delivered to at once by one worker.
    webhook_concurrency: int = Field(default=16, ge=1)

    @property
    def private_targets_allowed(self) -> bool:
        if self.webhook_allow_private_targets is not None:
            return self.webhook_allow_private_targets
        return self.platform.environment is not Environment.production
