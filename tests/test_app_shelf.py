"""The app shelf (tests/conftest.py): a lent app comes back as it was lent, and one app is
never lent to two borrowers at once."""

from fastapi import FastAPI

from shared.db import request_session
from tests.conftest import AppShelf


def test_what_a_borrower_sets_on_an_app_does_not_outlive_its_loan() -> None:
    shelf = AppShelf()
    built: list[FastAPI] = []

    def build() -> FastAPI:
        app = FastAPI()
        app.state.settings = "as built"
        built.append(app)
        return app

    with shelf.lend("key", build) as app:
        app.state.settings = "changed by a test"
        app.state.consumer = "added by a test"
        app.dependency_overrides[request_session] = lambda: None
    with shelf.lend("key", build) as again:
        assert again is app
        assert again.state.settings == "as built"
        assert not hasattr(again.state, "consumer")
        assert again.dependency_overrides == {}
    assert len(built) == 1


def test_an_app_on_loan_is_not_lent_again_and_keys_do_not_share() -> None:
    shelf = AppShelf()
    with shelf.lend("key", FastAPI) as first, shelf.lend("key", FastAPI) as second:
        assert first is not second
    with shelf.lend("other", FastAPI) as other:
        assert other not in (first, second)
