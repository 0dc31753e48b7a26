"""The Squid helper's per-request loops in C (_speedups.c); each has a pure-Python twin it must match."""

from collections.abc import Callable
from typing import Any

def configure(
    *,
    line_fields: tuple[str, ...] = ...,
    decision_fields: tuple[str, ...] = ...,
    prefix_fields: int = ...,
) -> None: ...
def parse_lines(
    lines: list[str],
    line_type: type,
    acl: bool,
    channels: bool,
    always: bool,
    unquote: Callable[[str], str],
) -> list[Any]: ...
def rewrite_answers(
    lines: list[Any],
    decisions: list[Any],
    block: object,
    prefixes: dict[tuple[object, ...], str],
    make_prefix: Callable[[Any], str],
    limit: int,
    finish: Callable[[Any, Any, str], str],
    hosts: frozenset[str],
    special: Callable[[Any, Any], str | None],
) -> bytes: ...
