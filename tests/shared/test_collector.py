"""The collector pause: the cyclic collector is back on after the work, whatever happens."""

import gc

import pytest

from shared.collector import collector_paused


def _fail_while_paused() -> None:
    with collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the work failed")


def test_collector_runs_again_after_the_paused_work_fails() -> None:
    with pytest.raises(RuntimeError):
        _fail_while_paused()
    assert gc.isenabled()


def test_inner_pause_leaves_the_collector_to_the_outer_one() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collector_keeps_running_when_no_pause_is_asked() -> None:
    with collector_paused(when=False):
        assert gc.isenabled()
