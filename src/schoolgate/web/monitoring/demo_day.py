"""The demo school's days online: a school day of web traffic for its pupils and staff, run through the
real Squid helper and the real worker, so that a new user who logs in as the DSL sees alerts, the
activity log and last week's monitoring report.

What `load_demo_days` does (`schoolgate web demo-day`, which `make run` runs after the lists are
compiled):

1. makes the requests of the last school day and of each school day of the week before, for the
   demo's pupils (by their network user names), its staff and the KS1 classroom tablets (by address):
   school sites, searches, YouTube, Wikipedia; games, social media and shopping that the policy blocks;
   and a few that must worry the DSL: a pupil searching "how to kill myself" (typed as a browser sends
   it, a keystroke trail of searches), another "ana tips", a VPN site, a gambling site;
2. feeds them, as Squid writes its helper lines, to `schoolgate squid-helper` with the school's
   published policy and compiled index, which decides each one and writes the activity spool;
3. dates each event to the moment of the school day it stands for: the helper stamps an event with
   the time it decided it, which is now, and the demo's days are in the past (the decisions are the
   helper's own; the demo's requests depend on no time window);
4. adds two review requests as the block page writes them (its own `ReviewWriter`);
5. runs `schoolgate worker --once`, which reads the spool into the database and raises the alerts;
6. has the DSL deal with last week's alerts (an incident opened, one acknowledged, one dismissed with
   its reason), through the same actions as the alert pages; the last school day's stay new;
7. makes last week's monitoring report.

Everything is made from a fixed seed, so two demos have the same days. A school that has activity in
the database already is left as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

from django.conf import settings

from schoolgate.activity import schema
from schoolgate.activity.reviews import ReviewWriter
from schoolgate.files import write_atomically
from schoolgate.web.monitoring import weekly
from schoolgate.web.monitoring.choices import AlertKind
from schoolgate.web.monitoring.models import ActivityEvent, Alert, WeeklyReport
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity
from schoolgate.web.reports.terms import school_zone
from schoolgate.web.tenancy.models import School

__all__ = ["DemoDays", "load_demo_days", "school_days"]

SCHOOLGATE = [sys.executable, "-m", "schoolgate.cli"]
HELPER_TIMEOUT = 120  # seconds: the helper decides thousands of lines a second
WORKER_TIMEOUT = 300

# What pupils and staff do at school, as (URL, weight). Searches are built from TERMS.
EDUCATION = (
    ("https://www.bbc.co.uk/bitesize/subjects/z826n39", 6),
    ("https://www.bbc.co.uk/bitesize/topics/zkgg87h/articles/zxwxvk7", 4),
    ("https://www.oaknationalacademy.com/pupils/programmes/maths-primary-year-5", 4),
    ("https://classroom.google.com/u/0/h", 5),
    ("https://en.wikipedia.org/wiki/Volcano", 2),
    ("https://en.wikipedia.org/wiki/Ancient_Egypt", 2),
    ("https://www.youtube.com/watch?v=lSmZC0_0Tzk", 2),
    ("https://www.nationalarchives.gov.uk/education/", 1),
    ("https://englishexercises.org/makeagame/viewgame.asp?id=4231", 1),
)
SEARCHES = (
    "volcanoes for kids", "ancient egypt pyramids", "times tables games", "how do plants grow",
    "romans in britain", "fractions year 5", "solar system planets", "rainforest animals",
    "how to draw a cat", "world war 2 evacuees", "water cycle diagram", "famous scientists",
)  # fmt: skip
# Sites the demo policy blocks for pupils: games, social media, shopping.
DISTRACTIONS = (
    "https://www.roblox.com/games",
    "https://www.tiktok.com/foryou",
    "https://www.instagram.com/explore/",
    "https://www.miniclip.com/games/en/",
    "https://www.amazon.co.uk/gp/bestsellers/toys",
)
STAFF_SITES = (
    ("https://www.bbc.co.uk/news", 3),
    ("https://classroom.google.com/u/0/h", 4),
    ("https://www.gov.uk/government/organisations/department-for-education", 2),
    ("https://www.oaknationalacademy.com/teachers", 3),
    ("https://www.youtube.com/watch?v=lSmZC0_0Tzk", 1),
)
STAFF_SEARCHES = (
    "year 5 fractions worksheet",
    "kcsie 2026",
    "phonics screening check",
    "class assembly ideas",
)

# The requests that must reach the DSL: (day: "last" or the weekday of the week before, hour, minute,
# which pupil (index among the pupils), URLs). A search is given as its keystroke trail.
WORRYING = (
    ("last", 11, 47, 7, ("search:how", "search:how to", "search:how to kill", "search:how to kill myself")),
    (2, 12, 31, 23, ("search:ana tips", "search:ana tips to not eat")),
    (3, 10, 5, 41, ("https://nordvpn.com/download/", "https://www.expressvpn.com/vpn-download")),
    ("last", 13, 12, 41, ("https://nordvpn.com/",)),
    (1, 12, 50, 58, ("https://www.bet365.com/", "https://www.williamhill.com/")),
)
DSL = "s.ahmed"  # the demo's DSL (web/demo.py LOGINS), who deals with last week's alerts
REVIEWS = (
    (1, 10, 20, 3, "https://www.roblox.com/games", "games", "We are making a game in computing club."),
    ("last", 9, 40, 12, "https://www.tiktok.com/foryou", "social-media", "My teacher showed us a video."),
)


def school_days(today: dt.date) -> list[dt.date]:
    """The last school day before `today` (Monday to Friday) and every school day of the week before
    this one, oldest first."""
    last = today - dt.timedelta(days=1)
    while last.weekday() > 4:
        last -= dt.timedelta(days=1)
    monday = weekly.this_week(today) - dt.timedelta(days=7)
    days = {monday + dt.timedelta(days=i) for i in range(5)} | {last}
    return sorted(days)


@dataclass(frozen=True)
class Request:
    at: dt.datetime
    url: str
    user: str  # "" for a device known by its address only
    ip: str
    device: str

    def helper_line(self) -> str:
        """The request as Squid writes a url_rewrite helper line (`schoolgate squid config`'s extras)."""
        user = quote_plus(self.user, safe=".") if self.user else "-"
        return f"{self.url} {self.ip}/{self.device or '-'} {user} GET myip=10.10.0.1 myport=3128"


@dataclass(frozen=True)
class DemoDays:
    days: list[dt.date]
    requests: int
    events: int
    alerts: int
    report: WeeklyReport | None
    loaded: bool  # False: the school had activity already, and nothing was done


def _search(term: str) -> str:
    return f"https://www.google.com/search?q={quote_plus(term)}&hl=en-GB"


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c[0] for c in choices], weights=[c[1] for c in choices])[0]


def _day_requests(
    rng: random.Random,
    day: dt.date,
    zone: dt.tzinfo,
    pupils: list[str],
    staff: list[str],
    *,
    last: bool,
    pupils_a_day: int,
) -> Iterator[Request]:
    def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=zone)

    for index in rng.sample(range(len(pupils)), min(pupils_a_day, len(pupils))):
        user, ip = pupils[index], f"10.10.{20 + index // 250}.{10 + index % 250}"
        device = f"laptop-{index:03d}"
        start = at(rng.choice((9, 10, 11, 13, 14)), rng.randrange(60))
        for n in range(rng.randrange(8, 18)):
            when = start + dt.timedelta(seconds=25 * n + rng.randrange(20))
            roll = rng.random()
            if roll < 0.25:
                url = _search(rng.choice(SEARCHES))
            elif roll < 0.93:
                url = _weighted(rng, EDUCATION)
            else:
                url = rng.choice(DISTRACTIONS)
            yield Request(when, url, user, ip, device)
    for index in rng.sample(range(len(staff)), min(12, len(staff))):
        user, ip = staff[index], f"10.10.5.{10 + index}"
        start = at(rng.choice((8, 12, 15)), rng.randrange(60))
        for n in range(rng.randrange(4, 10)):
            when = start + dt.timedelta(seconds=40 * n + rng.randrange(30))
            url = _search(rng.choice(STAFF_SEARCHES)) if rng.random() < 0.2 else _weighted(rng, STAFF_SITES)
            yield Request(when, url, user, ip, f"staff-pc-{index:02d}")
    for tablet in range(6):  # the KS1 classroom tablets: no login, known by their address
        start = at(rng.choice((9, 10, 14)), rng.randrange(60))
        for n in range(rng.randrange(3, 8)):
            when = start + dt.timedelta(seconds=30 * n)
            url = (
                "https://www.bbc.co.uk/cbeebies/games" if n % 2 else "https://www.topmarks.co.uk/maths-games"
            )
            yield Request(when, url, "", f"10.10.1.{20 + tablet}", f"ks1-tablet-{tablet + 1}")
    for when_day, hour, minute, index, urls in WORRYING:
        if (when_day == "last") != last or (when_day != "last" and when_day != day.weekday()):
            continue
        user, ip = pupils[index % len(pupils)], f"10.10.30.{10 + index % 200}"
        for n, url in enumerate(urls):
            full = _search(url.removeprefix("search:")) if url.startswith("search:") else url
            yield Request(at(hour, minute, 2 * n), full, user, ip, f"laptop-{index % 1000:03d}")


def make_requests(
    school: School, days: list[dt.date], *, seed: int = 15, pupils_a_day: int = 70
) -> list[Request]:
    """The demo's requests on `days` (the last of them the last school day), in time order."""
    names = NetworkIdentity.objects.filter(school=school, kind=IdentityKind.USERNAME)
    pupils = sorted(names.filter(person__kind=PersonKind.PUPIL).values_list("value", flat=True))
    staff = sorted(names.filter(person__kind=PersonKind.STAFF).values_list("value", flat=True))
    if not pupils or not staff:
        raise ValueError(f"{school.name} has no pupils or staff with network user names: load the demo first")
    rng = random.Random(seed)
    zone = school_zone(school)
    out: list[Request] = []
    for day in days:
        out += _day_requests(rng, day, zone, pupils, staff, last=day == days[-1], pupils_a_day=pupils_a_day)
    out.sort(key=lambda r: r.at)
    return out


def _run_helper(requests: list[Request], policy: Path, index: Path, spool: Path) -> None:
    """The real helper over the requests, writing its spool into `spool`."""
    lines = "".join(r.helper_line() + "\n" for r in requests)
    done = subprocess.run(
        [*SCHOOLGATE, "squid-helper", "--policy", str(policy), "--index", str(index), "--spool", str(spool)],
        input=lines, capture_output=True, text=True, check=False, timeout=HELPER_TIMEOUT,
    )  # fmt: skip
    answers = done.stdout.count("\n")
    if done.returncode != 0 or answers != len(requests):
        raise RuntimeError(
            f"the Squid helper answered {answers} of {len(requests)} requests "
            f"(exit status {done.returncode}): {done.stderr.strip()[:500]}"
        )


def _redate(source: Path, target: Path, requests: list[Request]) -> int:
    """Move the helper's spool files into `target`, each event dated to the moment its request stands
    for (the k-th event the helper wrote is the k-th request it was given). Returns how many events."""
    times = iter(r.at.timestamp() for r in requests)
    count = 0
    for path in sorted(source.iterdir()):
        if schema.parse_spool_name(path.name) is None or path.name.endswith(".part"):
            continue
        out = []
        for raw in path.read_text(encoding="ascii").splitlines():
            line = json.loads(raw)
            if "t" in line and "o" in line:  # an event (an outcome line has no time)
                line["t"] = round(next(times), 3)
                count += 1
            out.append(json.dumps(line, ensure_ascii=True, separators=(",", ":")))
        write_atomically(target / path.name, "\n".join(out) + "\n")
    return count


def _write_reviews(school: School, spool: Path, days: list[dt.date]) -> None:
    """Two pupils asking from the block page for a blocked site to be looked at again."""
    zone = school_zone(school)
    pupils = sorted(
        NetworkIdentity.objects.filter(
            school=school, kind=IdentityKind.USERNAME, person__kind=PersonKind.PUPIL
        ).values_list("value", flat=True)
    )
    for when_day, hour, minute, index, url, category, message in REVIEWS:
        day = days[-1] if when_day == "last" else next((d for d in days if d.weekday() == when_day), None)
        if day is None:
            continue
        sent = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).timestamp()
        writer = ReviewWriter(spool, clock=functools.partial(float, sent))
        writer.record(
            {
                "url": url, "host": url.split("/")[2], "who": pupils[index % len(pupils)],
                "at": int(sent) - 60, "reason": "rule", "group": "pupils", "category": category,
                "message": message, "ip": f"10.10.20.{10 + index}", "user_agent": "Mozilla/5.0 (demo)",
            }
        )  # fmt: skip
        writer.close()


def _worker_once() -> None:
    done = subprocess.run(
        [*SCHOOLGATE, "worker", "--once"], capture_output=True, text=True, check=False, timeout=WORKER_TIMEOUT
    )
    if done.returncode != 0:
        raise RuntimeError(f"`schoolgate worker --once` failed: {done.stderr.strip()[-800:]}")


def _handle_last_week(school: School, monday: dt.date, *, before: dt.date) -> None:
    """The DSL has dealt with last week's alerts, so that the report says what was done: the risk
    phrase made an incident, one alert acknowledged, the others dismissed with a reason. This week's
    stay new, for the DSL to triage."""
    from schoolgate.web.accounts.models import User
    from schoolgate.web.monitoring import actions

    dsl = User.objects.filter(username=DSL).first()
    if dsl is None:
        return
    zone = school_zone(school)
    start, end = weekly.week_bounds(monday, zone)
    end = min(end, dt.datetime.combine(before, dt.time.min, tzinfo=zone))  # the last school day's stay new
    acknowledged = False
    for alert in Alert.objects.filter(school=school, first_at__gte=start, first_at__lt=end).order_by(
        "first_at"
    ):
        if alert.kind == AlertKind.PHRASE:
            actions.do_open_incident(alert, actor=dsl)
        elif not acknowledged:
            actions.do_acknowledge(alert, actor=dsl)
            acknowledged = True
        else:
            actions.do_dismiss(
                alert,
                actor=dsl,
                reason="Spoke to the pupil: a link in a game's chat. Parents told; no further action.",
            )


def load_demo_days(
    school: School,
    *,
    policy: Path,
    index: Path,
    today: dt.date | None = None,
    seed: int = 15,
    pupils_a_day: int = 70,
) -> DemoDays:
    """The demo school's last school day and the week before, through the real helper and worker
    (see the module); nothing if the school has activity already."""
    from django.utils import timezone

    now = timezone.now()
    today = today or now.astimezone(school_zone(school)).date()
    days = school_days(today)
    if ActivityEvent.objects.filter(school=school).exists():
        return DemoDays(days, 0, 0, 0, None, False)
    for path, what in ((policy, "policy"), (index, "compiled list index")):
        if not path.is_file():
            raise FileNotFoundError(f"the demo's {what} is not at {path}: run `schoolgate web demo` first")
    requests = make_requests(school, days, seed=seed, pupils_a_day=pupils_a_day)
    spool = Path(settings.SPOOL_DIR)
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="schoolgate-demo-") as work:
        _run_helper(requests, policy, index, Path(work))
        events = _redate(Path(work), spool, requests)
    if events != len(requests):
        raise RuntimeError(f"the helper recorded {events} events of {len(requests)} requests")
    _write_reviews(school, spool, days)
    _worker_once()
    last_week = weekly.this_week(today) - dt.timedelta(days=7)
    _handle_last_week(school, last_week, before=days[-1])
    report = weekly.make_report(school, last_week)
    return DemoDays(
        days=days,
        requests=len(requests),
        events=ActivityEvent.objects.filter(school=school).count(),
        alerts=Alert.objects.filter(school=school).count(),
        report=report,
        loaded=True,
    )
