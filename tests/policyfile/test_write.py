"""policyfile/write.py: what the writer writes, the reader (tomllib, and the policy loader) reads back
exactly — every string, every key, arrays short and long, date-times with their offset, comments with
line breaks in them; and a policy file is put in place atomically, readable by the gateways."""

from __future__ import annotations

import stat
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from schoolgate.policyfile.load import load_policy
from schoolgate.policyfile.write import TomlWriter, toml_comment, toml_key, toml_string, write_policy

KEYS = st.text(min_size=1)
VALUES = st.one_of(
    st.text(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.lists(st.text(), max_size=12),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        lambda at: at.replace(microsecond=0)
    ),
)


@given(st.text())
def test_every_string_round_trips_through_tomllib(text: str) -> None:
    assert tomllib.loads(f"key = {toml_string(text)}\n")["key"] == text
    assert tomllib.loads(f"{toml_key(text or 'x')} = 1\n") == {text or "x": 1}


def test_strings_that_would_break_a_careless_writer() -> None:
    for text in [
        '"',
        "\\",
        'a"b\\c',
        "line\nbreak",
        "tab\there",
        "\x00\x01\x1f\x7f",
        "'''",
        '"""',
        "é — ✓ 🎓",
        "\r\n",
    ]:
        assert tomllib.loads(f"key = {toml_string(text)}")["key"] == text
    assert toml_string("\ud800") == '"\ufffd"'  # a lone surrogate cannot be written in UTF-8


@given(st.dictionaries(KEYS, st.dictionaries(KEYS, VALUES, max_size=6), max_size=5), st.text())
def test_a_document_of_tables_round_trips(tables: dict[str, dict[str, object]], note: str) -> None:
    writer = TomlWriter()
    writer.comment(note)  # a line break in a comment must not end it and start a key
    writer.pair("schema_version", 1)
    for name, table in tables.items():
        writer.header("tables", name)
        for key, value in table.items():
            writer.pair(key, value)  # type: ignore[arg-type]
    text = writer.text()
    assert tomllib.loads(text) == {"schema_version": 1, **({"tables": tables} if tables else {})}
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_arrays_of_tables_and_long_arrays_one_item_a_line() -> None:
    writer = TomlWriter()
    names = [f"pupil{n:03d}" for n in range(20)]
    for n in range(2):
        writer.header("rules", array=True)
        writer.pair("name", f"rule {n}")
        writer.pair("users", names)
    text = writer.text()
    assert '[[rules]]\nname = "rule 0"\nusers = [\n    "pupil000",\n' in text
    rules = [{"name": "rule 0", "users": names}, {"name": "rule 1", "users": names}]
    assert tomllib.loads(text) == {"rules": rules}


def test_a_date_time_keeps_its_offset_to_the_second() -> None:
    writer = TomlWriter()
    at = datetime(2026, 12, 18, 15, 30, 7, 999, tzinfo=timezone(timedelta(hours=1)))
    writer.pair("expires", at)
    assert writer.text() == "expires = 2026-12-18T15:30:07+01:00\n"
    assert tomllib.loads(writer.text())["expires"] == at.replace(microsecond=0)


def test_blank_lines_are_never_doubled_nor_left_at_the_end() -> None:
    writer = TomlWriter()
    writer.blank()
    writer.comment("head")
    writer.blank()
    writer.blank()
    writer.header("school")
    writer.pair("name", "Northfield")
    writer.blank()
    assert writer.text() == '# head\n\n[school]\nname = "Northfield"\n'
    assert toml_comment("a\nb\x7fc") == "# a b c"


def test_a_written_policy_is_read_back_by_the_loader_and_put_in_place_atomically(tmp_path: Path) -> None:
    writer = TomlWriter()
    writer.comment('Filtering policy for St Mary\'s "Primary"\nwritten by hand')
    writer.pair("schema_version", 1)
    writer.header("school")
    writer.pair("name", 'St Mary\'s "Primary" — Ysgol')
    writer.header("groups", "default")
    writer.pair("default", "block")
    writer.header("sites", "curriculum tools")
    writer.pair("domains", ["bbc.co.uk", "thenational.academy"])
    path = tmp_path / "var" / "policy.toml"
    path.parent.mkdir()
    path.write_text("# the old policy\n")
    write_policy(path, writer.text())
    assert sorted(p.name for p in path.parent.iterdir()) == ["policy.toml"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # the gateways run as other users
    policy = load_policy(path).policy
    assert policy.school == 'St Mary\'s "Primary" — Ysgol'
    assert policy.sites["curriculum tools"].domains == ("bbc.co.uk", "thenational.academy")
