"""Each distinct set of subgraph SDLs composed once per test process.

Every gateway app a test builds composes its graph at start (``GraphRuntime``), and the
suite builds hundreds of them over the same few SDL sets: ~70 ms of CPU each time. A
composed ``Supergraph`` is never changed once made (a runtime swaps in a new one), so
runtimes can share it. Exceptions are not kept: a set that does not compose fails every
time. Tests of the composer itself call ``services.gateway.graph.composer.compose``.
(tests/conftest.py makes every runtime compose through ``composed_once``.)
"""

from collections.abc import Mapping

from services.gateway.graph.composer import Supergraph, compose
from services.gateway.graph.local import local_sdls

_composed: dict[tuple[tuple[str, str], ...], Supergraph] = {}


def composed_once(sdls: Mapping[str, str]) -> Supergraph:
    key = tuple(sorted(sdls.items()))
    if key not in _composed:
        _composed[key] = compose(sdls)
    return _composed[key]


_local: list[Supergraph] = []


def local_supergraph() -> Supergraph:
    """The graph composed from the services' own code (``local_sdls``), made once."""
    if not _local:
        _local.append(composed_once(local_sdls()))
    return _local[0]
