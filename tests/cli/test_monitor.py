"""cli/monitor.py: `schoolgate monitor term URL...` and `schoolgate monitor scan TEXT...`, one JSON object
a line; "-" reads standard input. In-process through `main` for the output, and as a real process for
standard input, bad bytes and the exit status."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from schoolgate.cli import main
from tests.school import SCHOOLGATE, run_schoolgate


def lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_term_prints_the_engine_and_term_of_each_url(capsys: pytest.CaptureFixture[str]) -> None:
    urls = [
        "https://www.google.co.uk/search?q=how+to+revise&client=firefox-b-d",
        "https://www.google.com/complete/search?q=how+to+r&client=gws-wiz",
        "https://example.org/news",
        "not a url",
    ]
    assert main(["monitor", "term", *urls]) == 0
    assert lines(capsys.readouterr().out) == [
        {"url": urls[0], "engine": "google", "term": "how to revise"},
        {"url": urls[1], "engine": "google", "term": None},  # autocomplete: never a search
        {"url": urls[2], "engine": None, "term": None},  # not a search engine
        {"url": urls[3], "engine": None, "term": None},
    ]


def test_scan_prints_each_texts_matches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "scan", "how 2 k1ll mys3lf", "kill a process", "porn"]) == 0
    found = lines(capsys.readouterr().out)
    assert [record["text"] for record in found] == ["how 2 k1ll mys3lf", "kill a process", "porn"]
    first = found[0]["matches"]
    assert isinstance(first, list)
    assert [{key: match[key] for key in ("area", "severity", "phrase")} for match in first] == [
        {"area": "suicide", "severity": "high", "phrase": "how to kill myself"}
    ]
    assert list(first[0]) == ["area", "severity", "phrase", "matched", "start", "end", "why"]
    assert first[0]["matched"] == "how 2 k1ll mys3lf"
    assert "numbers or symbols for letters" in first[0]["why"]
    assert found[1]["matches"] == []
    assert [match["severity"] for match in found[2]["matches"]] == ["low"]  # type: ignore[union-attr]


@pytest.mark.parametrize(("audience", "severities"), [("ks1", ["medium"]), ("ks4", ["low"]), ("staff", [])])
def test_scan_grades_for_an_audience(
    audience: str, severities: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["monitor", "scan", "--audience", audience, "porn"]) == 0
    (record,) = lines(capsys.readouterr().out)
    assert [match["severity"] for match in record["matches"]] == severities  # type: ignore[union-attr]


def test_the_output_is_ascii_so_that_no_invisible_character_reaches_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "\u202eمیں مرنا چاہتا ہوں"
    assert main(["monitor", "scan", text]) == 0
    out = capsys.readouterr().out
    assert out.isascii()
    assert "\\u202e" in out
    (record,) = lines(out)
    assert record["text"] == text
    assert [match["phrase"] for match in record["matches"]] == ["میں مرنا چاہتا ہوں"]  # type: ignore[union-attr]


def test_dash_reads_one_a_line_from_standard_input_in_order() -> None:
    ran = run_schoolgate("monitor", "scan", "first", "-", "last", stdin="kms\n\nsend nudes\r\n\x00\n")
    assert ran.returncode == 0
    found = lines(ran.stdout)
    assert [record["text"] for record in found] == ["first", "kms", "", "send nudes", "\x00", "last"]
    assert [len(record["matches"]) for record in found] == [0, 1, 0, 1, 0, 0]  # type: ignore[arg-type]
    assert ran.stderr == ""


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCHOOLGATE_")}
    ran = subprocess.run(
        [*SCHOOLGATE, "monitor", "scan", "-"],
        input=b"\xffk\xc3ms\nkms \xe2\x80\n",
        capture_output=True,
        check=False,
        env=env,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert [(r["text"], len(r["matches"])) for r in lines(ran.stdout.decode())] == [  # type: ignore[arg-type]
        ("\ufffdk\ufffdms", 0),
        ("kms \ufffd", 1),
    ]


def test_term_reads_standard_input_too() -> None:
    ran = run_schoolgate("monitor", "term", "-", stdin="https://duckduckgo.com/?q=cats\n")
    assert lines(ran.stdout) == [
        {"url": "https://duckduckgo.com/?q=cats", "engine": "duckduckgo", "term": "cats"}
    ]


def test_an_unknown_audience_is_a_usage_error_not_a_traceback() -> None:
    ran = run_schoolgate("monitor", "scan", "--audience", "year2", "x", ok=False)
    assert ran.returncode == 2
    assert "invalid choice: 'year2'" in ran.stderr
