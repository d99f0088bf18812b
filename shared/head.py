"""HEAD answered as GET without its body (RFC 9110, section 9.3.2: every general-purpose
server supports HEAD wherever it supports GET). FastAPI routes a HEAD to a GET-only route as
405, so an uptime monitor's HEAD, or a client checking an export's size before fetching it,
was refused. The outermost middleware of every process (``ObservabilityMiddleware`` in the
services, ``EdgeMiddleware`` in the gateway) hands the app a GET and keeps the answer's head
(its status and headers, Content-Length included) without its body."""

from starlette.types import Message, Scope, Send


def head_as_get(scope: Scope, send: Send) -> tuple[Scope, Send]:
    """For a HEAD request: the scope the app is called with (the same request as a GET, in a
    copy, so the server still knows it answers a HEAD) and a ``send`` that drops the body."""

    async def without_body(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return  # a streamed answer's chunk: made, not sent
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return {**scope, "method": "GET"}, without_body
