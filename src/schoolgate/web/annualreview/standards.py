"""The DfE "Filtering and monitoring standards for schools and colleges" as data: the four standards,
and under each the points a school must be able to show, in plain words, with what "met" looks like
and which of Schoolgate's evidence (`evidence.KEYS`) speaks to it.

The wording is Schoolgate's own summary of the standards, for a school's annual review; the
standards themselves are the Department for Education's. A point's `key` is kept in the answers of
every review: never rename one that has been answered (add a new point instead).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["POINTS", "STANDARDS", "Point", "Standard", "point"]


@dataclass(frozen=True)
class Point:
    """One thing a school must show: `key` (kept in the answers), `text` (the point), `met` (what
    "met" looks like), `evidence` (the keys of `evidence.gather` shown beside it)."""

    key: str
    text: str
    met: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Standard:
    number: int
    title: str
    points: tuple[Point, ...]


STANDARDS: tuple[Standard, ...] = (
    Standard(
        1,
        "Roles and responsibilities for filtering and monitoring are given to named people",
        (
            Point(
                "roles-governors",
                "The governing body has the overall responsibility, and a named governor looks after "
                "filtering and monitoring with a member of the senior leadership team.",
                "A governor is named for online safety and knows what the school's filtering and "
                "monitoring do; the headteacher or a senior leader answers to them.",
                ("roles",),
            ),
            Point(
                "roles-leaders",
                "A senior leader is responsible for the filtering and monitoring: choosing them, "
                "writing down what is blocked or allowed and why, and checking they work.",
                "The decisions about what is blocked and allowed are written down with their reasons, "
                "and someone senior signs them off.",
                ("roles", "policy", "requests"),
            ),
            Point(
                "roles-dsl",
                "The DSL leads on online safety, and on the safeguarding that the filtering and "
                "monitoring reports and checks show up.",
                "The DSL (and the deputies) receive the alerts and the weekly reports and act on them.",
                ("roles", "monitoring-settings", "weekly"),
            ),
            Point(
                "roles-technical",
                "The IT support (the network manager or the school's provider) keeps the systems "
                "working, provides the reports and makes the changes agreed after a concern or a check.",
                "The network manager is named, runs the checks and makes the changes asked for.",
                ("roles", "selftest", "requests"),
            ),
            Point(
                "roles-staff",
                "Every member of staff knows their part: they are trained, follow the agreements and "
                "know how to report a concern or a site wrongly blocked or open.",
                "Staff training is in date, staff have accepted this year's agreement, and staff use "
                "the requests and concern forms.",
                ("training", "agreements", "requests", "incidents"),
            ),
        ),
    ),
    Standard(
        2,
        "The filtering and monitoring are reviewed at least once a year",
        (
            Point(
                "review-who",
                "The review is made by the senior leadership team, the DSL and the IT support, with "
                "the responsible governor involved.",
                "This review is answered by them and signed by the headteacher, the DSL and the online "
                "safety governor.",
                ("roles",),
            ),
            Point(
                "review-what",
                "The review looks at the school's risks: its pupils, what is blocked and allowed and "
                "why, outside influences, what the curriculum needs, the devices used (including "
                "personal devices) and the related policies.",
                "Each of these was talked through and what came out of it is written in the notes or "
                "as actions.",
                ("policy", "requests", "alerts", "incidents"),
            ),
            Point(
                "review-checks",
                "Filtering is checked regularly, on different devices, in different places and for "
                "the different groups of users, and each check is recorded with what it led to.",
                "The self-test runs regularly for every group, its results are kept, and failures "
                "were followed up.",
                ("selftest",),
            ),
            Point(
                "review-results",
                "What the review finds is recorded and used: for the online safety and safeguarding "
                "policies, staff training, the curriculum and the filtering and monitoring themselves.",
                "The review has actions with owners and dates, and last year's actions were done.",
                ("training",),
            ),
        ),
    ),
    Standard(
        3,
        "Filtering blocks harmful and inappropriate content without unreasonably getting in the way "
        "of teaching and learning",
        (
            Point(
                "filter-illegal",
                "The filtering blocks illegal content: the Internet Watch Foundation's list of child "
                "abuse images and the police's list of unlawful terrorist content.",
                "The locked lists are in force for every group and the self-test checks them.",
                ("selftest", "alerts"),
            ),
            Point(
                "filter-everyone",
                "The filtering works, is kept up to date and applies to everyone and every device on "
                "the school's connection, guests and school devices taken home included.",
                "Every group has a test identity, the policy is current, and guests and loaned devices "
                "go through the filter.",
                ("selftest", "policy"),
            ),
            Point(
                "filter-appropriate",
                "What is blocked suits the pupils' ages and needs, and does not stop teaching or "
                "pupils learning to judge risks for themselves (no over-blocking).",
                "Requests to unblock are answered quickly, and the curriculum sites stay open.",
                ("requests", "selftest"),
            ),
            Point(
                "filter-circumvention",
                "Ways round the filter (VPNs, proxies, other DNS resolvers) are blocked, and attempts "
                "are noticed.",
                "Circumvention attempts raise alerts, and the self-test checks the VPN and DNS checks.",
                ("alerts", "selftest"),
            ),
            Point(
                "filter-records",
                "The filtering can say who asked for what, from which device and address, and when; "
                "staff know how to report a site that is wrongly blocked or open.",
                "Blocked requests are logged against the person; staff use the requests page.",
                ("requests", "alerts"),
            ),
        ),
    ),
    Standard(
        4,
        "Monitoring meets the school's safeguarding needs",
        (
            Point(
                "monitor-strategy",
                "The school monitors in the ways that suit its pupils: staff supervising in the room, "
                "the logs of internet use, and alerts from the monitoring.",
                "The monitoring is running, staff supervise online work, and the weekly reports are "
                "sent and read.",
                ("alerts", "weekly"),
            ),
            Point(
                "monitor-response",
                "A concern the monitoring raises reaches the DSL quickly, is acted on, and what was "
                "done is recorded.",
                "High alerts go to the DSL at once, alerts are handled, and concerns become incidents "
                "with their outcomes recorded.",
                ("monitoring-settings", "alerts", "incidents"),
            ),
            Point(
                "monitor-identify",
                "The monitoring can trace a concern back to the person, guests included, and the data "
                "comes in a form staff can understand.",
                "Alerts name the person (or the guest login) and the reports are in plain words.",
                ("alerts", "weekly"),
            ),
            Point(
                "monitor-governors",
                "The governors support the senior leaders in making sure the monitoring reports reach "
                "the DSL and are acted on.",
                "The governors' report shows the monitoring in numbers, and the online safety governor "
                "has seen it.",
                ("weekly", "incidents", "agreements"),
            ),
        ),
    ),
)

POINTS: dict[str, Point] = {p.key: p for s in STANDARDS for p in s.points}


def point(key: str) -> Point | None:
    """The point of `key`, or None for a key that names none."""
    return POINTS.get(key)
