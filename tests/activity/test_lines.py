"""The spool line reader's fast paths give what the reference gives, for every line.

`parse_line` reads with orjson and falls back to the json module (`_parse_exactly`, the reference)
whenever orjson would read a line otherwise; `Checker` is `fits` remembered per signature. Both are
compared here with their reference on the lines where the two could part: integers past 64 bits,
lone surrogates, nesting, duplicate keys, JSON's missing constants, other encodings."""

from __future__ import annotations

from typing import Any

import pytest

from schoolgate.activity import lines
from schoolgate.activity.lines import Checker, fits, parse_line
from schoolgate.activity.schema import Field, Source

EVENT = b'{"v":1,"t":1795263348.657,"gw":"squid","user":"amelia","ip":"10.0.0.1","url":"http://a/","o":1}\n'

LINES = [
    EVENT,
    EVENT.replace(b'"v":1,', b""),  # unversioned: version 1
    b'{"v":1,"rule":9223372036854775807}',  # the largest 64-bit integer
    b'{"v":1,"rule":9223372036854775808}',  # one past it
    b'{"v":1,"rule":18446744073709551615}',
    b'{"v":1,"rule":18446744073709551616}',  # past 64 bits: orjson would make it a float
    b'{"v":1,"rule":-9223372036854775809}',
    b'{"v":1,"rule":123456789012345678901234567890}',
    b'{"v":1,"t":123456789012345678901234567890.5}',
    b'{"v":1,"extra":[1,{"n":99999999999999999999}]}',  # deep in an unknown field
    b'{"v":18446744073709551617}',  # a version past 64 bits
    b'{"v":1,"url":"http://a/1234567890123456789"}',  # a long digit run in a string
    b'{"v":1,"user":"\\ud800 lone high"}',  # a lone surrogate, as the writer writes one
    b'{"v":1,"user":"\\udcff\\udcfe"}',
    b'{"v":1,"user":"\\ud83c\\udfeb"}',  # a pair: one character
    b'{"v":1,"user":"\xed\xa0\x80"}',  # a surrogate as raw bytes: not UTF-8
    b'{"v":1,"user":"\xff"}',
    b'{"v":1,"user":"\\u0000\\u001f\\/"}',
    b'{"v":1,"user":"a\x01b"}',  # a raw control character
    b'{"v":1,"user":"a","user":"b"}',  # duplicate keys: the last stands
    b'{"v":1,"v":2}',
    b'{"v":2,"v":1}',
    b'{"v":1,"t":NaN}',
    b'{"v":1,"t":Infinity}',
    b'{"v":1,"t":-Infinity}',
    b'{"v":1,"t":1e400}',
    b'{"v":1,"t":-1e400}',
    b'{"v":1,"t":1e-400}',
    b'{"v":1,"t":5e-324}',
    b'{"v":1,"t":-0}',
    b'{"v":1,"t":-0.0}',
    b'{"v":1,"t":1E+2}',
    b'{"v":1,"t":1.7976931348623157e308}',
    b'{"v":1,"t":01}',
    b'{"v":true}',
    b'{"v":1.0}',
    b'{"v":"1"}',
    b'{"v":null}',
    b'{"v":2}',
    b'{"v":0}',
    b"[" * 1023 + b"]" * 1023,
    b'{"v":1,"x":' + b"[" * 1030 + b"]" * 1030 + b"}",  # past orjson's 1,024 levels
    b"[" * 100_000,
    b"\xef\xbb\xbf" + EVENT,  # a byte order mark
    EVENT.decode().encode("utf-16"),
    EVENT.decode().encode("utf-16-le"),
    EVENT.decode().encode("utf-32"),
    b"",
    b"\n",
    b"   ",
    b"[]",
    b"1",
    b'"text"',
    b"null",
    b"{}",
    b'{"v":1} {"v":1}',
    b'{"v":1}x',
    b'{"v":1,}',
    b"{'v':1}",
]


def typed(value: object) -> Any:
    """A value with the type of everything in it, so that 1 and 1.0 (and True) differ."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize("raw", LINES, ids=range(len(LINES)))
def test_parse_line_gives_what_the_json_module_gives(raw: bytes) -> None:
    expected = lines._parse_exactly(raw)
    found = parse_line(raw)
    assert typed(found) == typed(expected)


def test_a_plain_line_is_read_and_its_version_taken_out() -> None:
    record, why, version = parse_line(EVENT)
    assert (why, version) == ("", None)
    assert record == {"t": 1795263348.657, "gw": "squid", "user": "amelia", "ip": "10.0.0.1",
                      "url": "http://a/", "o": 1}  # fmt: skip


def test_integers_past_64_bits_stay_integers() -> None:
    record, _, _ = parse_line(b'{"v":1,"rule":18446744073709551616,"n":-99999999999999999999}')
    assert record == {"rule": 2**64, "n": -99999999999999999999}
    assert type(record["rule"]) is int


def test_a_lone_surrogate_or_a_nul_reads_as_a_replacement_character() -> None:
    # Neither can be stored (UTF-8 has no lone surrogates; PostgreSQL takes no NUL in text): one such
    # line must never stop an ingester at the same place every round.
    record, _, _ = parse_line(b'{"v":1,"user":"\\ud800x"}')
    assert record == {"user": "\ufffdx"}
    record, _, _ = parse_line(b'{"v":1,"user":"a\\u0000b","url":"\\udcff\\udcfe"}')
    assert record == {"user": "a\ufffdb", "url": "\ufffd\ufffd"}
    record, _, _ = parse_line('{"v":1,"user":"\U0001f600 \u0645"}'.encode())
    assert record == {"user": "\U0001f600 \u0645"}  # what is storable is kept as it is


FIELDS = (
    Field("t", "number", Source.WRITER, None, True, "time"),
    Field("url", "string", Source.REQUEST, "url", True, "address"),
    Field("rule", "integer", Source.DECISION, "rule", False, "rule"),
    Field("user", "string", Source.REQUEST, "user", False, "user"),
)

RECORDS: list[dict[str, Any]] = [
    {"t": 1.5, "url": "http://a/"},
    {"t": 1, "url": "http://a/"},
    {"url": "http://a/", "t": 1.5},  # the same keys in another order
    {"t": 1.5, "url": "http://a/", "rule": 4, "user": "amelia", "extra": [1]},
    {"t": 1.5, "url": "http://a/", "rule": None},
    {"t": 1.5, "url": "http://a/", "user": None},
    {"t": None, "url": "http://a/"},
    {"url": "http://a/"},
    {"t": 1.5},
    {"t": True, "url": "http://a/"},
    {"t": "1.5", "url": "http://a/"},
    {"t": 1.5, "url": 5},
    {"t": 1.5, "url": "http://a/", "rule": 4.0},
    {"t": 1.5, "url": "http://a/", "rule": False},
    {"t": 1.5, "url": "http://a/", "rule": "4"},
    {"t": 1.5, "url": "http://a/", "user": ["amelia"]},
    {"t": 1.5, "url": "http://a/", "user": {"name": "amelia"}},
    {},
]


def test_a_checker_says_what_fits_says_every_time() -> None:
    check = Checker(FIELDS)
    for _ in range(2):  # the second time from what it remembered
        assert [check(r) for r in RECORDS] == [fits(r, FIELDS) for r in RECORDS]


def test_a_checker_remembers_a_bounded_number_of_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Checker, "MEMORY", 3)
    check = Checker(FIELDS)
    shapes = [{"t": 1.5, "url": "http://a/", f"extra{n}": n} for n in range(10)]
    assert [check(r) for r in shapes] == [None] * 10
    assert len(check._known) == 3
    assert check({"t": "x", "url": "http://a/", "extra9": 9}) == "'t' is not a JSON number"
