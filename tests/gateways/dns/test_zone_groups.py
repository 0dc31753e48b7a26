"""Which groups get a DNS zone: not those Schoolgate makes for the people of an approved request
(every identity of theirs timed), whose zone no device could be given (docs/dns.md)."""

from __future__ import annotations

import pytest

from schoolgate.gateways.dns.rpz import zone_groups
from schoolgate.policyfile.load import LISTS_NOT_READ, parse_policy

HEAD = """schema_version = 1

[groups.default]
default = "block"

[groups.pupils]
default = "allow"

[groups.visitors]
default = "block"

[groups.request-14]
default = "allow"
within = "pupils"

[groups.empty]
default = "block"

[[identities]]
group = "pupils"
networks = ["10.1.0.0/16"]
"""


@pytest.mark.parametrize(
    ("identities", "groups"),
    [
        pytest.param("", ("default", "pupils", "visitors", "request-14", "empty"), id="no-timed"),
        pytest.param(
            '[[identities]]\ngroup = "request-14"\nusers = ["amy"]\nexpires = 2026-12-19T15:30:00\n',
            ("default", "pupils", "visitors", "empty"),
            id="timed-users-only",
        ),
        pytest.param(
            '[[identities]]\ngroup = "visitors"\nnetworks = ["10.9.0.0/24"]\nexpires = 2026-12-06T17:00:00\n'
            '[[identities]]\ngroup = "visitors"\nusers = ["vic"]\n',
            ("default", "pupils", "visitors", "request-14", "empty"),
            id="timed-and-untimed",
        ),
        pytest.param(
            '[[identities]]\ngroup = "pupils"\nusers = ["bob"]\nstarts = 2026-12-07T09:00:00\n',
            ("default", "pupils", "visitors", "request-14", "empty"),
            id="timed-in-a-group-with-a-range",
        ),
    ],
)
def test_a_group_whose_every_identity_is_timed_gets_no_zone(identities: str, groups: tuple[str, ...]) -> None:
    policy = parse_policy(HEAD + "\n" + identities, roots=LISTS_NOT_READ).policy
    assert zone_groups(policy) == groups
