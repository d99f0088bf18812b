"""The subgraphs' SDLs straight from the services' code, for composing without running
them (``score graph compose --offline``, the staleness test)."""

import importlib

from services.registry import SERVICES


def local_sdls() -> dict[str, str]:
    """Each service whose ``services.<name>.graphql.schema`` module defines a ``schema``."""
    sdls: dict[str, str] = {}
    for service in SERVICES:
        name = f"services.{service.name}.graphql.schema"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # the service has no subgraph
            raise
        schema = getattr(module, "schema", None)
        as_str = getattr(schema, "as_str", None)
        if callable(as_str):
            sdl = as_str()
            if isinstance(sdl, str):
                sdls[service.name] = sdl
    return sdls
