"""One real platform for the end-to-end tests (see benchmarks/processes.py, which the
gateway benchmark shares): `score seed --demo` then `score up` as processes."""

from collections.abc import Iterator

import pytest

from benchmarks.processes import Platform, postgres_pids, running_seeded_platform
from tests.e2e.demo_template import seed_for_real

GRACEFUL_SHUTDOWN_SECONDS = 1


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    # Seeded for real, not copied (tests/e2e/test_score_up.py is about the README's first
    # commands); the seeded folder becomes the template other platforms copy.
    data_dir = tmp_path_factory.mktemp("score-data")
    seed_for_real(tmp_path_factory, data_dir)
    # A failed webhook delivery is retried after a tenth of the default wait: the retries, in
    # order, are what tests/e2e/test_webhooks.py proves (their spacing is
    # tests/reporting/test_webhooks.py's), and seconds of waiting would be idle on every run.
    # Its processes stop within a second: each holds its consumers' long polls open on the
    # others' feeds, and every stop waited them out for the default 3 s.
    with running_seeded_platform(
        data_dir,
        SCORE_REPORTING_WEBHOOK_BACKOFF_INITIAL="0.1",
        SCORE_GRACEFUL_SHUTDOWN_SECONDS=str(GRACEFUL_SHUTDOWN_SECONDS),
    ) as running:
        yield running
    # `score up` stopped on SIGTERM, and its embedded Postgres with it, though
    # test_database_outage.py restarted that server under it.
    assert postgres_pids(running) == []
