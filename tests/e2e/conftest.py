"""One real platform for the end-to-end tests (see benchmarks/processes.py, which the
gateway benchmark shares): `score seed --demo` then `score up` as processes."""

from collections.abc import Iterator

import pytest

from benchmarks.processes import Platform, postgres_pids, running_platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("score-data")) as running:
        yield running
    # `score up` stopped on SIGTERM, and its embedded Postgres with it, though
    # test_database_outage.py restarted that server under it.
    assert postgres_pids(running) == []
