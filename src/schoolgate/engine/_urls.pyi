"""parse_url's fast path in C (_urls.c); the Python parser is its reference."""

from typing import Any

def fast_url(text: str, url_type: type) -> Any: ...
