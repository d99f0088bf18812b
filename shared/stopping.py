"""Letting long-running answers know that their server has begun to stop.

uvicorn tells an app that it is stopping only once every connection has closed (the
lifespan's shutdown). A long poll in flight at SIGTERM therefore waited out the whole
graceful period and was then cut off: its caller got a 500, and the process logged a
traceback for it. That happens at every rolling deploy, with the other services' consumers
connected. ``set_on_stop_signals`` puts a handler in front of uvicorn's own for SIGINT and
SIGTERM that sets an event the long polls watch: they answer their page at once (the
caller asks again, of another replica or later), and the stop goes on without waiting.
"""

import asyncio
import signal
import time
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopEvent(asyncio.Event):
    """The event ``set_on_stop_signals`` sets, remembering when it was first set
    (``time.monotonic()``): what is left of the graceful period is counted from the stop,
    also for a request that comes to wait only later."""

    def __init__(self) -> None:
        super().__init__()
        self.set_at: float | None = None

    def set(self) -> None:
        if self.set_at is None:
            self.set_at = time.monotonic()
        super().set()

    def seconds_since(self) -> float:
        """Seconds since the event was first set (0 while it is not)."""
        return 0.0 if self.set_at is None else time.monotonic() - self.set_at


def set_on_stop_signals(stopping: asyncio.Event) -> float | None:
    """Set ``stopping`` when the uvicorn server serving this app is told to stop, then let
    uvicorn handle the signal as before. Does nothing where no uvicorn server handles the
    signals (an app served in-process by tests, or from a thread).

    Returns the server's graceful period: the seconds it then lets requests in flight finish
    before it cuts them off (``None``: no such server, or no limit)."""
    loop = asyncio.get_running_loop()
    graceful: float | None = None
    for number in STOP_SIGNALS:
        handler = signal.getsignal(number)
        server = _uvicorn_server(handler)
        if server is None:
            continue
        graceful = server.config.timeout_graceful_shutdown

        def chained(signum: int, frame: FrameType | None, handler: Any = handler) -> None:
            # A signal handler runs between any two bytecodes: the event is set by the loop.
            loop.call_soon_threadsafe(stopping.set)
            handler(signum, frame)

        signal.signal(number, chained)
    return graceful


def _uvicorn_server(handler: object) -> Any | None:
    """The uvicorn server whose handler ``handler`` is, if it is one: uvicorn's
    Server.handle_exit, a bound method, which uvicorn installs from the main thread for the
    time it serves (and puts back what was there before when it stops)."""
    owner = getattr(handler, "__self__", None)
    if owner is not None and type(owner).__module__.startswith("uvicorn."):
        return owner
    return None
