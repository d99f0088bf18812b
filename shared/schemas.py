"""Field types of the services' contracts that mean the same everywhere."""

from typing import Annotated

from pydantic import StringConstraints

# Why someone did something (a transition, a withdrawal, a policy change): stated, not blank.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
