"""`schoolgate rpz export`: the policy as one Response Policy Zone per group.

A small school's zones are compared with golden files (tests/gateways/dns/golden; write them again with
SCHOOLGATE_WRITE_GOLDEN=1 after a deliberate change, and read the diff), and parsed back with
dnspython. The zones of the whole UT1 snapshot are the benchmark's (make bench).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dns.rdatatype
import dns.zone
import pytest

from schoolgate.engine.policy import compile_policy
from schoolgate.gateways.dns.rpz import (
    DOH_RESOLVERS,
    MAX_NAME,
    export_zones,
    rest_text,
    rest_zone,
    zone_label,
    zone_text,
)
from schoolgate.lists.compile import compile_lists, open_index
from schoolgate.policyfile.load import load_policy
from tests.school import compile_index, write_lists

GOLDEN = Path(__file__).parent / "golden"
ZONE = ZoneInfo("Europe/London")
LESSON = datetime(2026, 11, 23, 10, 30, tzinfo=ZONE)  # a Monday in term
LUNCH = datetime(2026, 11, 23, 12, 30, tzinfo=ZONE)

POLICY = """
schema_version = 1

[school]
name = "DNS Test Primary"
timezone = "Europe/London"
block_page = "http://filter.dns-test.sch.uk/blocked"

[lists.ut1]
format = "squidguard"
path = "lists"

[sites.curriculum]
domains = ["maths.games.test"]

[groups.default]
default = "block"
youtube = "strict"

[groups.ks2]
default = "allow"

[groups."Staff Room"]
default = "allow"
safe_search = false
youtube = "moderate"

[[identities]]
group = "ks2"
networks = ["10.1.0.0/16"]

[[identities]]
group = "Staff Room"
networks = ["10.2.0.0/16"]

[windows.lessons]
days = ["mon-fri"]
times = ["09:00-12:00", "13:00-15:15"]

[categories.gambling]
sources = ["ut1/gambling"]
uksic = "gambling"

[categories.games]
sources = ["ut1/games"]

[categories.illegal]
sources = ["ut1/illegal"]
locked = true

[[rules]]
name = "everyone may reach curriculum sites"
sites = ["curriculum"]
action = "allow"

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"

[[rules]]
name = "no games in lessons"
groups = ["ks2"]
categories = ["games"]
window = "lessons"
action = "block"

[[rules]]
name = "staff may play games"
groups = ["Staff Room"]
categories = ["games"]
action = "allow"
"""

LISTS = {
    "gambling": "bet.test\ncasino.test\n",
    "games": "games.test\nplay.test\n10.9.9.9\n",
    "illegal": "bad.test\n",
}


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dns-school")
    write_lists(root / "lists", LISTS)
    (root / "policy.toml").write_text(POLICY)
    compile_index(root / "policy.toml", root / "lists.sgidx")
    return root


def compiled(school: Path):  # type: ignore[no-untyped-def]
    return compile_policy(load_policy(school / "policy.toml").policy, open_index(school / "lists.sgidx"))


@pytest.mark.parametrize(("group", "at", "golden"), [
    ("ks2", LESSON, "ks2-lessons.rpz"),
    ("ks2", LUNCH, "ks2-lunch.rpz"),
    ("Staff Room", LESSON, "staff-room.rpz"),
    ("default", LESSON, "default.rpz"),
])  # fmt: skip
def test_the_zones_are_the_golden_ones(school: Path, group: str, at: datetime, golden: str) -> None:
    text, _, _ = zone_text(compiled(school), group, at, serial=1)
    if os.environ.get("SCHOOLGATE_WRITE_GOLDEN"):
        (GOLDEN / golden).write_text(text)
    assert text == (GOLDEN / golden).read_text()


def answers(school: Path, group: str, at: datetime = LESSON) -> dict[str, str]:
    """owner name (relative) -> the CNAME target, parsed back with dnspython."""
    text, _, _ = zone_text(compiled(school), group, at, serial=7)
    origin = f"{zone_label(group)}.rpz.schoolgate."
    zone = dns.zone.from_text(text, origin=origin, relativize=True, check_origin=True)
    out = {}
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            if rdataset.rdtype == dns.rdatatype.CNAME:
                [rdata] = list(rdataset)
                out[name.to_text()] = rdata.target.to_text()
    soa = zone.get_soa()
    assert soa.serial == 7
    return out


def test_a_blocked_domain_and_its_subdomains_answer_no_such_name(school: Path) -> None:
    ks2 = answers(school, "ks2")
    assert ks2["bet.test"] == "." and ks2["*.bet.test"] == "."
    assert ks2["games.test"] == "."  # games in lessons
    assert ks2["maths.games.test"] == "rpz-passthru." and ks2["*.maths.games.test"] == "rpz-passthru."
    assert "play.test" in ks2


def test_time_windows_are_as_they_stand_at_the_export(school: Path) -> None:
    lunch = answers(school, "ks2", LUNCH)
    assert "games.test" not in lunch  # no games rule out of lessons: it resolves
    assert "maths.games.test" not in lunch  # nothing to let through under it now
    assert lunch["bet.test"] == "."


def test_a_locked_list_blocks_even_where_a_rule_allows(school: Path) -> None:
    assert answers(school, "Staff Room")["bad.test"] == "."
    assert "games.test" not in answers(school, "Staff Room")  # staff may play


def test_safe_search_and_youtube_per_group(school: Path) -> None:
    ks2, staff = answers(school, "ks2"), answers(school, "Staff Room")
    assert ks2["www.google.co.uk"] == "forcesafesearch.google.com."
    assert ks2["www.bing.com"] == "strict.bing.com."
    assert ks2["duckduckgo.com"] == "safe.duckduckgo.com."
    assert ks2["www.youtube.com"] == "restrict.youtube.com."
    assert "www.google.co.uk" not in staff  # the staff's group has safe search off
    assert staff["www.youtube.com"] == "restrictmoderate.youtube.com."


def test_the_canary_and_doh_resolvers_for_everyone(school: Path) -> None:
    for group in ("ks2", "Staff Room", "default"):
        zone = answers(school, group)
        assert zone["use-application-dns.net"] == "."
        for name in DOH_RESOLVERS:
            assert zone[name] == "." and zone[f"*.{name}"] == "."


def test_a_group_that_blocks_by_default_blocks_every_name_but_what_is_allowed(school: Path) -> None:
    """Its zone lets the allowed names through; a second zone, applied after it, blocks the rest."""
    default = answers(school, "default")
    assert "*" not in default
    assert default["maths.games.test"] == "rpz-passthru."
    _, _, rest = zone_text(compiled(school), "default", LESSON, serial=7)
    assert rest
    zone = dns.zone.from_text(rest_text("default", 7, "."), origin=rest_zone("default"), relativize=True)
    assert {name.to_text() for name in zone.nodes} == {"@", "*"}
    assert zone.get_soa().serial == 7
    # Safe search would be pointless on names that are blocked anyway; the targets of any left resolve.
    assert "www.google.co.uk" not in default


def test_addresses_in_domain_lists_are_left_to_the_proxy(school: Path) -> None:
    assert not any("10.9.9.9" in name for name in answers(school, "ks2"))


def test_export_writes_every_zone_and_a_manifest_with_a_rising_serial(school: Path, tmp_path: Path) -> None:
    out = tmp_path / "rpz"
    first = export_zones(compiled(school), out, LESSON)
    second = export_zones(compiled(school), out, LESSON)
    assert second.serial > first.serial
    manifest = json.loads((out / "zones.json").read_text())
    assert manifest["serial"] == second.serial
    assert [(z["group"], z["zone"]) for z in manifest["zones"]] == [
        ("default", "default.rpz.schoolgate."),
        ("default", "default._rest.rpz.schoolgate."),  # after the group's own zone
        ("ks2", "ks2.rpz.schoolgate."),
        ("ks2", "ks2._rest.rpz.schoolgate."),  # empty: ks2 lets unlisted names through
        ("Staff Room", "staff-room.rpz.schoolgate."),
        ("Staff Room", "staff-room._rest.rpz.schoolgate."),
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "default._rest.rpz",
        "default.rpz",
        "ks2._rest.rpz",
        "ks2.rpz",
        "staff-room._rest.rpz",
        "staff-room.rpz",
        "zones.json",
    ]
    assert "* CNAME ." in (out / "default._rest.rpz").read_text().splitlines()
    assert "* CNAME ." not in (out / "ks2._rest.rpz").read_text().splitlines()
    zone = dns.zone.from_file(str(out / "ks2.rpz"), origin="ks2.rpz.schoolgate.", relativize=True)
    assert zone.get_soa().serial == second.serial


def test_the_command_explains_a_block_page_on_an_address(school: Path, tmp_path: Path) -> None:
    policy = school / "policy-address.toml"  # beside the lists it names
    policy.write_text(POLICY.replace("http://filter.dns-test.sch.uk/blocked", "http://10.0.0.2/blocked"))
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "rpz", "export", "--policy", str(policy),
         "--index", str(school / "lists.sgidx"), "--out", str(tmp_path / "rpz"),
         "--block-with", "block-page"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "DNS can send a blocked name to a host name only" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_command_can_send_blocked_names_to_the_block_page(school: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "rpz", "export", "--policy", str(school / "policy.toml"),
         "--index", str(school / "lists.sgidx"), "--out", str(tmp_path / "rpz"), "--block-with", "block-page",
         "--at", "2026-11-23T10:30", "--quiet"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "ks2.rpz: group ks2" in done.stdout
    text = (tmp_path / "rpz" / "ks2.rpz").read_text()
    assert "bet.test CNAME filter.dns-test.sch.uk." in text.splitlines()
    assert "use-application-dns.net CNAME ." in text.splitlines()  # the canary stays NXDOMAIN


def test_a_rule_for_every_site_is_what_unlisted_names_get(school: Path) -> None:
    """A group that blocks by default but has a rule allowing every other site: unlisted names
    resolve, so the zone has no `*` and names the blocked ones."""
    policy = school / "policy-all-sites.toml"
    policy.write_text(
        POLICY.replace(
            'groups = ["ks2"]\ncategories = ["games"]', 'groups = ["ks2", "default"]\ncategories = ["games"]'
        )
        + '\n[[rules]]\nname = "everything else"\nall_sites = true\naction = "allow"\n'
    )
    compiled_all = compile_policy(load_policy(policy).policy, open_index(school / "lists.sgidx"))
    text, blocked, rest = zone_text(compiled_all, "default", LESSON, serial=1)
    lines = text.splitlines()
    assert not rest  # no second zone blocking the rest
    assert "bet.test CNAME ." in lines  # "no gambling" comes first
    assert "games.test CNAME ." in lines  # in lessons, for default as for ks2
    assert blocked == 5  # bet.test, casino.test, games.test, play.test and the locked bad.test


def test_names_between_an_exception_and_its_blocked_parent_are_written(school: Path, tmp_path: Path) -> None:
    """A resolver matches the wildcard of the parent a name shares with the entry before it: with
    `games.test` blocked and `a.b.games.test` allowed, `b.games.test` must be written (blocked), or
    `c.b.games.test` would fall out of `*.games.test` and resolve."""
    policy = school / "policy-deep.toml"
    policy.write_text(POLICY.replace('domains = ["maths.games.test"]', 'domains = ["a.b.games.test"]'))
    deep = compile_policy(load_policy(policy).policy, open_index(school / "lists.sgidx"))
    text, _, _ = zone_text(deep, "ks2", LESSON, serial=1)
    lines = text.splitlines()
    assert "a.b.games.test CNAME rpz-passthru." in lines
    assert "b.games.test CNAME ." in lines and "*.b.games.test CNAME ." in lines


def test_a_name_too_long_for_a_zone_is_left_to_the_proxy(school: Path) -> None:
    long = ".".join(["x" * 60] * 3) + ".test"  # 188 characters: a DNS name, but not inside a zone
    assert len(long) > MAX_NAME
    text, _, _ = zone_text(compiled(school), "ks2", LESSON, serial=1, domains=["bet.test", long])
    assert long not in text
    assert "bet.test CNAME ." in text.splitlines()


def test_groups_whose_zones_would_clash_are_a_clear_error(school: Path, tmp_path: Path) -> None:
    policy = school / "policy-clash.toml"
    policy.write_text(
        POLICY.replace("[groups.ks2]", '[groups."KS 2"]\ndefault = "allow"\n\n[groups.ks2]').replace(
            '[groups."Staff Room"]', '[groups."ks-2"]\ndefault = "allow"\n\n[groups."Staff Room"]'
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "schoolgate.cli", "rpz", "export", "--policy", str(policy),
         "--index", str(school / "lists.sgidx"), "--out", str(tmp_path / "rpz")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "would have the same zone (ks-2)" in done.stderr
    assert not (tmp_path / "rpz").exists() or not any((tmp_path / "rpz").iterdir())


def test_names_written_in_unicode_are_exported_as_the_a_labels_browsers_ask_for(tmp_path: Path) -> None:
    """A list may write a name in Unicode or as its A-label; the resolver is asked for the A-label (UTS #46
    as the browser converts it: `straße.de` is `xn--strae-oqa.de`, never `strasse.de`). The block page's
    own Unicode host is its A-label too."""
    lists = {
        "gambling": "straße.de\nβόλος.com\nxn--nxasmm1c.com\ni❤\ufe0f.ws\n",
        "games": "",
        "illegal": "",
    }
    for name, text in lists.items():
        (tmp_path / "lists" / name).mkdir(parents=True)
        (tmp_path / "lists" / name / "domains").write_text(text, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(
        POLICY.replace("http://filter.dns-test.sch.uk/blocked", "http://blöcked.dns-test.sch.uk/blocked"),
        encoding="utf-8",
    )
    loaded = load_policy(tmp_path / "policy.toml")
    result = compile_lists(loaded.lists, tmp_path / "lists.sgidx")
    assert result.problems == []
    unicode_school = compile_policy(loaded.policy, open_index(tmp_path / "lists.sgidx"))

    out = tmp_path / "rpz"
    export_zones(unicode_school, out, LESSON, block_with="block-page")
    text = (out / "ks2.rpz").read_text(encoding="utf-8")
    assert text.isascii()
    zone = dns.zone.from_text(text, origin="ks2.rpz.schoolgate.", relativize=True, check_origin=True)
    targets = {
        name.to_text(): rdata.target.to_text()
        for name, node in zone.nodes.items()
        for rdataset in node.rdatasets
        if rdataset.rdtype == dns.rdatatype.CNAME
        for rdata in rdataset
    }
    blocked = "xn--blcked-xxa.dns-test.sch.uk."
    for a_label in ("xn--strae-oqa.de", "xn--nxasmm1c.com", "xn--i-7iq.ws"):
        assert targets[a_label] == blocked
        assert targets[f"*.{a_label}"] == blocked
    assert "strasse.de" not in targets
