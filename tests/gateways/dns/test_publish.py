"""`schoolgate rpz watch` (`Publisher`): the zones follow the policy, its lists and the clock."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from schoolgate.gateways.dns.publish import Publisher
from tests.school import compile_index, run_schoolgate

from .conftest import PUPIL, Resolver, blocked, publish, resolves, write_policy

ZONE = ZoneInfo("Europe/London")
BEFORE_SCHOOL = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)  # a Monday
LESSONS = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)
LATER_IN_LESSONS = datetime(2026, 11, 23, 11, 0, tzinfo=ZONE)

POLICY = """
schema_version = 1

[school]
name = "Watch Test Primary"
timezone = "Europe/London"

[lists.games]
format = "domains"
path = "games.txt"

[groups.default]
default = "block"

[groups.ks2]
default = "allow"

[[identities]]
group = "ks2"
networks = ["10.1.0.0/16"]

[windows.lessons]
days = ["mon-fri"]
times = ["09:00-12:00"]

[categories.games]
sources = ["games"]

[[rules]]
name = "no games in lessons"
groups = ["ks2", "default"]
categories = ["games"]
window = "lessons"
action = "block"
"""


def school(root: Path) -> tuple[Path, Path, Path]:
    (root / "games.txt").write_text("games.test\n")
    policy, index = root / "policy.toml", root / "lists.sgidx"
    policy.write_text(POLICY)
    compile_index(policy, index)
    return policy, index, root / "zones"


def ks2_zone(out: Path) -> list[str]:
    return (out / "ks2.rpz").read_text().splitlines()


def test_the_zones_follow_the_time_windows(tmp_path: Path) -> None:
    policy, index, out = school(tmp_path)
    log = io.StringIO()
    publisher = Publisher(policy, index, out, None, None, log)
    first = publisher.step(BEFORE_SCHOOL)
    assert first is not None  # the first check always exports
    assert "games.test CNAME ." not in ks2_zone(out)
    assert publisher.step(BEFORE_SCHOOL) is None  # nothing changed: nothing written
    second = publisher.step(LESSONS)  # the lessons window opened
    assert second is not None and second.serial > first.serial
    assert "games.test CNAME ." in ks2_zone(out)
    assert publisher.step(LATER_IN_LESSONS) is None  # still in the same window
    assert "exported the zones" in log.getvalue()


def test_the_zones_follow_a_published_policy(tmp_path: Path) -> None:
    policy, index, out = school(tmp_path)
    publisher = Publisher(policy, index, out, None, None, io.StringIO())
    assert publisher.step(LESSONS) is not None
    (tmp_path / "games.txt").write_text("games.test\nplay.test\n")
    compile_index(policy, index)
    assert publisher.step(LESSONS) is not None
    assert "play.test CNAME ." in ks2_zone(out)


def test_a_broken_policy_keeps_the_zones_in_force(tmp_path: Path) -> None:
    policy, index, out = school(tmp_path)
    log = io.StringIO()
    publisher = Publisher(policy, index, out, None, None, log)
    assert publisher.step(LESSONS) is not None
    serial = json.loads((out / "zones.json").read_text())["serial"]
    policy.write_text(POLICY.replace('action = "block"', 'action = "blok"'))
    assert publisher.step(LESSONS) is None  # nothing written
    assert "keeping the last good policy" in log.getvalue()
    assert "games.test CNAME ." in ks2_zone(out)
    assert json.loads((out / "zones.json").read_text())["serial"] == serial
    assert publisher.step(LATER_IN_LESSONS) is None  # and not tried again until the file changes


def test_a_published_change_reaches_the_running_unbound(resolver: Resolver) -> None:
    log = io.StringIO()
    publisher = Publisher(
        resolver.policy, resolver.index, resolver.zones, resolver.conf, resolver.control, log
    )
    assert publisher.step(datetime.now(ZONE)) is not None
    assert resolves(resolver, "games.test", PUPIL)
    try:
        write_policy(resolver.policy, games_blocked_for_pupils=True)
        run_schoolgate(
            "lists", "compile", "--policy", str(resolver.policy), "--index", str(resolver.index), "--quiet"
        )
        assert publisher.step(datetime.now(ZONE)) is not None
        assert "unbound reloaded" in log.getvalue(), log.getvalue()
        assert blocked(resolver, "games.test", PUPIL)
    finally:
        write_policy(resolver.policy)
        publish(resolver.policy, resolver.index, resolver.zones)
        resolver.reload()


def test_a_reload_that_failed_is_tried_again(tmp_path: Path) -> None:
    policy, index, out = school(tmp_path)
    conf = tmp_path / "unbound.conf"
    conf.write_text("server:\n")
    log = io.StringIO()
    publisher = Publisher(policy, index, out, conf, tmp_path / "no-such.ctl", log)  # unbound is down
    assert publisher.step(LESSONS) is not None
    assert "trying again at the next check" in log.getvalue()
    assert publisher.step(LESSONS) is not None  # nothing changed, but the zones are not in force yet
    assert log.getvalue().count("unbound is not running") == 2
