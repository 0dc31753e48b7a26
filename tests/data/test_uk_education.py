"""The curated UK education and child-support allow-list (src/schoolgate/data/uk-education.txt): every
entry says what it is and why a school needs it; the filter reads it as a plain list; none of it is in
a locked list, or in what UT1 files as adult content, malware or phishing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schoolgate.engine.lists import parse_domains
from schoolgate.web.demo import STAND_IN_LISTS

ROOT = Path(__file__).resolve().parents[2]
ALLOW = ROOT / "src" / "schoolgate" / "data" / "uk-education.txt"
STAND_INS = ROOT / "examples" / "lists"
UT1 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ut1"  # the real UT1 lists, CI too
KINDS = {"child-support", "online-safety", "health", "curriculum", "school-tools", "government"}
ENTRY = re.compile(r"(?P<domain>\S+)\s+# (?P<kind>[a-z-]+): (?P<reason>\S.*)")
# What a school must reach, by name in the issue: each must be on the list.
NEEDED = (
    "childline.org.uk", "nspcc.org.uk", "ceop.police.uk", "samaritans.org", "kooth.com",
    "youngminds.org.uk", "mind.org.uk", "internetmatters.org", "saferinternet.org.uk", "bbc.co.uk",
    "thenational.academy", "ttrockstars.com", "numbots.com", "purplemash.com", "educationcity.com",
    "spellingshed.com", "timestables.co.uk", "whiterosemaths.com", "seesaw.me", "classroom.google.com",
    "teams.microsoft.com", "www.office.com", "scratch.mit.edu", "code.org", "khanacademy.org", "gov.uk",
    "ofsted.gov.uk", "nhs.uk",
)  # fmt: skip


def _entries() -> list[re.Match[str]]:
    lines = [line for line in ALLOW.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [m for line in lines if not line.startswith("#") and (m := ENTRY.fullmatch(line)) is not None]


def _domains() -> set[str]:
    return {m["domain"] for m in _entries()}


def test_every_entry_says_its_kind_what_it_is_and_why_a_school_needs_it() -> None:
    content = [line for line in ALLOW.read_text(encoding="utf-8").splitlines() if line.strip()]
    entries = [line for line in content if not line.startswith("#")]
    assert len(_entries()) == len(entries) >= len(NEEDED), [e for e in entries if not ENTRY.fullmatch(e)]
    for entry in _entries():
        assert entry["kind"] in KINDS, entry.group(0)
        assert len(entry["reason"].split()) >= 6, entry.group(0)  # what it is, and why: in words
    assert len(_domains()) == len(entries), "an entry is there twice"


def test_the_filter_reads_it_as_the_domains_it_lists() -> None:
    parsed = parse_domains(ALLOW.read_text(encoding="utf-8").splitlines(), str(ALLOW))
    assert parsed.problems == []
    assert set(parsed.entries) == _domains()


def test_the_sites_the_issue_names_are_there() -> None:
    assert set(NEEDED) <= _domains()


def _covers(allowed: set[str], listed: str) -> bool:
    """Whether allowing `allowed` would reach `listed` (the same domain, or one under it)."""
    return any(listed == a or listed.endswith("." + a) for a in allowed)


def _listed(text: str) -> set[str]:
    return set(parse_domains(text.splitlines(), "list").entries)


def test_nothing_on_it_is_in_a_locked_list() -> None:
    allowed = _domains()
    for locked in [*STAND_INS.glob("*.txt")]:
        hits = {d for d in _listed(locked.read_text()) if _covers(allowed, d) or d in allowed}
        assert hits == set(), locked
    for name, text in STAND_IN_LISTS.items():
        assert {d for d in _listed(text) if _covers(allowed, d)} == set(), name


@pytest.mark.parametrize("category", ["adult", "mixed_adult", "malware", "phishing", "cryptojacking"])
def test_nothing_on_it_is_what_ut1_calls_harmful(category: str) -> None:
    allowed = _domains()
    listed: set[str] = set()
    for name in ("domains", "urls"):  # the snapshot lacks some big files: read what it has
        file = UT1 / category / name
        if file.is_file():
            text = file.read_text(encoding="utf-8", errors="replace")
            listed |= {line.split("/", 1)[0].lower() for line in text.split()}
    assert listed, f"UT1's {category} has neither domains nor urls"
    assert sorted(d for d in listed if _covers(allowed, d)) == []


def test_it_is_needed_because_ut1_files_some_of_it_under_categories_schools_block() -> None:
    games = set((UT1 / "games" / "domains").read_text(encoding="utf-8", errors="replace").split())
    assert {"internetmatters.org", "ttrockstars.com"} <= games & _domains()
