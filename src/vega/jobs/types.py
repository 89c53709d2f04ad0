"""What a job's work looks like to the runners and the schedules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session

Progress = Callable[[float], None]  # reports a job's progress, 0 to 1
# A kind's work: the job's parameters and a progress callback in, its result out.
Handler = Callable[[dict[str, Any], Progress], Awaitable[dict[str, Any]]]
# Writes that belong in the transaction that creates the job (the row's id given).
Alongside = Callable[[Session, str], None]
