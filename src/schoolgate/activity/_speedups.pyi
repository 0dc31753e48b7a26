"""The spool writer's per-event loop in C (_speedups.c); it has a pure-Python twin it must match."""

from collections.abc import Callable
from typing import Any

def configure(
    *,
    decision_fields: tuple[str, ...],
    outcome_fields: int,
    event_fields: tuple[tuple[str, str, str, bool], ...],
) -> None: ...
def format_events(
    head: str,
    requests: list[Any],
    request_type: type,
    layout: tuple[int, ...],
    decisions: list[Any],
    outcomes: dict[tuple[object, ...], str],
    define: Callable[[Any], tuple[str, str]],
) -> bytes: ...
