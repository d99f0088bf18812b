"""The cyclic GC tuned for the suite's Python processes (the pytest-xdist workers and the
schemathesis run); ``python -m tests.tuned_gc MODULE ARGS...`` runs ``python -m MODULE ARGS...``
under it.

Python's first generation is collected every 700 allocations net of frees. One request
through an app, or one test's set-up, keeps more than that alive at once, so objects still in
use were promoted to the older generations, and these were collected again and again: every
full collection rescanned a worker's whole heap (~1.6M objects of imported code, apps and
schemas, ~0.5 s each), a sixth of a worker's CPU. With a first generation larger than what a
request holds, what a request made dies young; and what the process keeps for its life (the
imported code) is frozen, left out of every later collection.
"""

import gc
import importlib
import importlib.util
import runpy
import sys

# The serving processes' value (services/serving.py YOUNG_GENERATION_THRESHOLD; not imported:
# the schemathesis run would import FastAPI for it). The older generations keep theirs.
GC_GEN0_THRESHOLD = 10_000


def set_threshold() -> None:
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])


def freeze_what_lives() -> None:
    """What is alive now stays out of later collections (garbage collected first)."""
    gc.collect()
    gc.freeze()


def main() -> None:
    set_threshold()
    module = sys.argv.pop(1)
    # Its package's imports frozen before it runs (a package's __main__ runs, not the package:
    # importing a plain module first would run it twice).
    spec = importlib.util.find_spec(module)
    package = module if spec and spec.submodule_search_locations else module.rpartition(".")[0]
    if package:
        importlib.import_module(package)
    freeze_what_lives()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
