"""Tests for schoolgate.lists.compile: which files of a declared list are read, how their entries and
problems are gathered per source, and the index file `schoolgate lists compile` writes and the gateways
open. Real lists in a temporary directory, a real index file; no mocks.

(Where a policy may read lists from, and links out of a list's directory: test_compile_paths.py.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schoolgate.engine.index import IndexFileError
from schoolgate.lists.compile import compile_lists, list_files, open_index, read_sources
from schoolgate.policyfile.load import ListDeclaration


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ut1(tmp_path: Path) -> ListDeclaration:
    """A small squidGuard tree: categories with domains, urls and expressions files, a stray file at the
    top, a category directory holding none of the three, and an unknown file in a category."""
    root = tmp_path / "ut1"
    write(root / "gambling" / "domains", "bet.example\nCasino.Example\n")
    write(root / "gambling" / "urls", "poker.example/Play\n")
    write(root / "adult" / "domains", "adult.example\n")
    write(root / "adult" / "expressions", "(porn|xxx)\n")
    write(root / "adult" / "usage", "adult\n")  # UT1's description file: not a list
    write(root / "empty" / "README", "nothing here\n")
    write(root / "global_usage", "a file at the top, not a category\n")
    return ListDeclaration("ut1", "squidguard", root)


def test_list_files_walks_a_squidguard_tree_in_a_stable_order(ut1: ListDeclaration) -> None:
    root = ut1.path
    assert list_files(ut1) == [
        ("ut1/adult", "domains", root / "adult" / "domains"),
        ("ut1/adult", "expressions", root / "adult" / "expressions"),
        ("ut1/gambling", "domains", root / "gambling" / "domains"),
        ("ut1/gambling", "urls", root / "gambling" / "urls"),
    ]


@pytest.mark.parametrize("fmt", ["hosts", "domains"])
def test_list_files_of_a_one_file_list_is_that_file(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path / "extra.txt", "x.example\n")
    assert list_files(ListDeclaration("extra", fmt, path)) == [("extra", fmt, path)]


def test_read_sources_gives_one_source_per_category_and_list_with_canonical_entries(
    tmp_path: Path, ut1: ListDeclaration
) -> None:
    hosts = write(tmp_path / "ads.txt", "# a hosts file\n0.0.0.0 Ads.Example tracker.example\n")
    plain = write(tmp_path / "extra.txt", "*.straße.de\nxn--i-7iq.ws\n")
    lists = {
        "ut1": ut1,
        "ads": ListDeclaration("ads", "hosts", hosts),
        "extra": ListDeclaration("extra", "domains", plain),
    }
    sources, problems = read_sources(lists)
    assert problems == []
    assert [s.name for s in sources] == ["ads", "extra", "ut1/adult", "ut1/gambling"]  # sorted by name
    by_name = {s.name: s for s in sources}
    assert by_name["ads"].domains == ["ads.example", "tracker.example"]
    assert by_name["extra"].domains == ["xn--strae-oqa.de", "xn--i-7iq.ws"]  # as the browser asks
    assert by_name["ut1/adult"].domains == ["adult.example"]
    assert by_name["ut1/adult"].expressions == ["(porn|xxx)"]
    assert by_name["ut1/gambling"].domains == ["bet.example", "casino.example"]
    assert by_name["ut1/gambling"].urls == ["poker.example/play"]


def test_read_sources_reports_bad_lines_with_their_file_and_line_and_keeps_the_rest(tmp_path: Path) -> None:
    # A line that is not UTF-8 is reported, never dropped in silence and never a traceback.
    path = write(tmp_path / "extra.txt", b"good.example\nbad!name\n\xff\xfe.example\nalso-good.example\n")
    sources, problems = read_sources({"extra": ListDeclaration("extra", "domains", path)})
    assert sources[0].domains == ["good.example", "also-good.example"]
    assert [(p.file, p.line) for p in problems] == [(str(path), 2), (str(path), 3)]
    assert all(p.message == "not a valid domain name or address" for p in problems)


def test_read_sources_reports_the_bytes_of_each_file_read(tmp_path: Path, ut1: ListDeclaration) -> None:
    seen: list[int] = []
    read_sources({"ut1": ut1}, progress=seen.append)
    assert seen == [file.stat().st_size for _, _, file in list_files(ut1)]


def test_compile_lists_writes_an_index_the_gateways_open(tmp_path: Path, ut1: ListDeclaration) -> None:
    hosts = write(tmp_path / "ads.txt", "0.0.0.0 ads.example\n0.0.0.0 bad!name\n")
    lists = {"ut1": ut1, "ads": ListDeclaration("ads", "hosts", hosts, locked=True)}
    out = tmp_path / "var" / "new" / "lists.sgidx"  # a directory that is not there yet is made
    result = compile_lists(lists, out)

    assert (result.path, result.sources, result.domains, result.urls, result.expressions) == (out, 3, 4, 1, 1)
    assert result.bytes == out.stat().st_size
    assert [(p.file, p.line) for p in result.problems] == [(str(hosts), 2)]
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)  # every gateway's user may read it

    index = open_index(out)
    assert [
        (hit.entry, index.source_names(hit.sources)) for hit in index.match_host("www.casino.example")
    ] == [("casino.example", ["ut1/gambling"])]
    assert index.match_host("ads.example")[0].entry == "ads.example"
    assert index.info["problems"] == 1
    assert index.info["lists"]["ads"]["locked"] is True
    ut1_info = index.info["lists"]["ut1"]
    assert (ut1_info["format"], ut1_info["path"], ut1_info["locked"]) == ("squidguard", str(ut1.path), False)


def test_compiling_again_replaces_the_index_and_leaves_no_temporary_file(
    tmp_path: Path, ut1: ListDeclaration
) -> None:
    out = tmp_path / "lists.sgidx"
    compile_lists({"ut1": ut1}, out)
    before = open_index(out)
    assert before.match_host("new.example") == []

    write(ut1.path / "gambling" / "domains", "new.example\n")
    compile_lists({"ut1": ut1}, out)
    after = open_index(out)
    assert [hit.entry for hit in after.match_host("new.example")] == ["new.example"]
    assert after.match_host("bet.example") == []
    assert before.match_host("bet.example") != []  # a gateway that mapped the old file keeps reading it
    assert sorted(os.listdir(tmp_path)) == ["lists.sgidx", "ut1"]


def test_open_index_explains_an_empty_file_and_a_foreign_one(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.sgidx", b"")
    with pytest.raises(IndexFileError, match="the index file is empty: compile it again"):
        open_index(empty)
    foreign = write(tmp_path / "foreign.sgidx", b"not an index at all\n")
    with pytest.raises(IndexFileError):
        open_index(foreign)
    with pytest.raises(FileNotFoundError):
        open_index(tmp_path / "missing.sgidx")
