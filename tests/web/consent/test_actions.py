"""Recording consent by hand, the current state, and sending parents their links (the e-mail to a real
SMTP server on loopback)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.consent import actions, links
from schoolgate.web.consent.choices import NOT_ASKED, Decision, HowGiven, Purpose
from schoolgate.web.consent.models import ConsentLink, ConsentRecord
from schoolgate.web.consent.state import current
from schoolgate.web.core.actions import save
from tests.web.conftest import Mailbox
from tests.web.consent.conftest import Family
from tests.web.factories import Cast

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


def _record(family: Family, cast: Cast, **given: object) -> list[ConsentRecord]:
    fields: dict[str, object] = {
        "decisions": {Purpose.WEBSITE: Decision.GIVEN}, "how": HowGiven.PAPER, "on": timezone.localdate(),
        "actor": cast.omar, "given_by": family.mum,
    }  # fmt: skip
    fields.update(given)
    return actions.do_record(family.child, **fields)  # type: ignore[arg-type]


def test_no_record_means_not_asked_and_the_latest_record_is_in_force(cast: Cast, family: Family) -> None:
    states = current(cast.a, [family.child.pk])[family.child.pk]
    assert {s.value for s in states.values()} == {NOT_ASKED}
    assert not any(s.given for s in states.values())
    _record(family, cast, decisions={Purpose.WEBSITE: Decision.GIVEN, Purpose.PRESS: Decision.GIVEN})
    _record(family, cast, decisions={Purpose.WEBSITE: Decision.WITHDRAWN})
    # An older paper form typed in later does not undo the newer decision.
    _record(
        family,
        cast,
        decisions={Purpose.WEBSITE: Decision.GIVEN},
        on=timezone.localdate() - dt.timedelta(days=30),
    )
    states = current(cast.a, [family.child.pk])[family.child.pk]
    assert states[Purpose.WEBSITE].value == Decision.WITHDRAWN
    assert states[Purpose.PRESS].given and states[Purpose.SOCIAL].value == NOT_ASKED
    assert ConsentRecord.objects.filter(child=family.child).count() == 4  # the history is kept
    with pytest.raises(PermissionError):
        ConsentRecord.objects.filter(child=family.child).delete()


@pytest.mark.parametrize(
    ("user", "allowed"),
    [("omar", True), ("alice", True), ("olu", True), ("hana", True), ("tom", False), ("nina", False),
     ("greta", False), ("sami", False), ("zack", False)],
)  # fmt: skip
def test_who_may_record(cast: Cast, family: Family, user: str, allowed: bool) -> None:
    if allowed:
        made = _record(family, cast, actor=cast.users[user])
        assert made[0].recorded_by == cast.users[user]
        entry = AuditEntry.objects.filter(object_id=str(made[0].pk)).latest("pk")
        assert entry.actor == cast.users[user]
    else:
        with pytest.raises(PermissionDenied):
            _record(family, cast, actor=cast.users[user])
        assert not ConsentRecord.objects.exists()


def test_another_schools_child_is_refused(cast: Cast, family: Family) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_record(
            family.other_school_child, decisions={Purpose.WEBSITE: Decision.GIVEN}, how=HowGiven.PAPER,
            on=timezone.localdate(), actor=cast.omar, given_by=family.mum,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        actions.do_send_links(family.other_school_child, actor=cast.omar)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"given_by": "uncle"}, "given_by"),  # no parental responsibility
        ({"given_by": "stranger"}, "given_by"),  # a parent of the school, not of this child
        ({"given_by": None}, "note"),  # not on record: the note must say who
        ({"how": HowGiven.LINK}, "how"),  # the link is the parent's own
        ({"how": "carrier pigeon"}, "how"),
        ({"on": "future"}, "on"),
        ({"decisions": {}}, None),
        ({"decisions": {"billboards": Decision.GIVEN}}, None),
        ({"decisions": {Purpose.PRESS: "maybe"}}, None),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    cast: Cast, family: Family, given: dict[str, object], field: str | None
) -> None:
    from schoolgate.web.people.choices import PersonKind
    from tests.web.factories import person

    fields = dict(given)
    if fields.get("given_by") == "uncle":
        fields["given_by"] = family.uncle
    elif fields.get("given_by") == "stranger":
        fields["given_by"] = person(cast.a, PersonKind.PARENT, first_name="Someone", last_name="Else")
    if fields.get("on") == "future":
        fields["on"] = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        _record(family, cast, **fields)
    if field is not None:
        assert field in refused.value.message_dict
    assert not ConsentRecord.objects.exists()


def test_someone_not_on_record_is_named_in_the_note(cast: Cast, family: Family) -> None:
    made = _record(family, cast, given_by=None, note="Grandma (Mrs Jones), by phone", how=HowGiven.PHONE)
    assert made[0].given_by is None and made[0].note == "Grandma (Mrs Jones), by phone"


def test_a_pupil_who_left_is_not_changed(cast: Cast, family: Family) -> None:
    family.child.archived_at = timezone.now()
    save(family.child, actor=cast.hana)
    with pytest.raises(ValidationError):
        _record(family, cast)


def test_links_go_to_parents_with_responsibility_without_the_surname_in_the_subject(
    cast: Cast, family: Family, smtp: Mailbox
) -> None:
    sent = actions.do_send_links(family.child, actor=cast.omar)
    assert [(s.parent, s.sent) for s in sent] == [(family.mum, True)]
    assert not smtp.to("dan@home.example")  # no parental responsibility
    message = smtp.to("sarah@home.example")[-1]
    assert "Hughes" not in str(message["Subject"]) and "Northfield" in str(message["Subject"])
    address = smtp.link("sarah@home.example")
    token = address.rsplit("/", 2)[-2]
    link = ConsentLink.objects.get()
    assert link.token_hash == links._hash(token) and token not in link.token_hash
    assert links.find(token) == link
    assert link.expires_at - link.made_at == dt.timedelta(days=14)


def test_a_newer_link_cancels_the_older_and_a_few_an_hour_at_most(
    cast: Cast, family: Family, smtp: Mailbox
) -> None:
    tokens = []
    for _ in range(links.PER_HOUR):
        assert actions.do_send_links(family.child, actor=cast.omar)[0].sent
        tokens.append(smtp.link("sarah@home.example").rsplit("/", 2)[-2])
    assert [links.find(t) is not None for t in tokens] == [False] * (links.PER_HOUR - 1) + [True]
    refused = actions.do_send_links(family.child, actor=cast.omar)[0]
    assert not refused.sent and "last hour" in refused.why
    assert len(smtp.to("sarah@home.example")) == links.PER_HOUR


def test_no_mail_server_says_so_and_leaves_no_working_link(cast: Cast, family: Family) -> None:
    outcome = actions.do_send_links(family.child, actor=cast.omar)[0]
    assert not outcome.sent and "not set up" in outcome.why
    assert not ConsentLink.objects.exists()


def test_sending_needs_consent_change(cast: Cast, family: Family) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_send_links(family.child, actor=cast.tom)


def test_a_class_send_goes_to_the_families_who_have_not_answered(
    cast: Cast, family: Family, smtp: Mailbox
) -> None:
    from schoolgate.web.people.choices import PersonKind, Relationship
    from schoolgate.web.people.models import GuardianLink
    from tests.web.factories import person

    answered = person(cast.a, first_name="Ben", last_name="Ode", class_group=family.klass)
    dad = person(cast.a, PersonKind.PARENT, first_name="Tunde", last_name="Ode", email="tunde@home.example")
    GuardianLink.objects.create(school=cast.a, child=answered, guardian=dad, relationship=Relationship.FATHER)
    actions.do_record(
        answered, decisions={p.value: Decision.GIVEN for p in Purpose}, how=HowGiven.PAPER,
        on=timezone.localdate(), actor=cast.omar, given_by=dad,
    )  # fmt: skip
    sent = actions.do_send_class_links(family.klass, actor=cast.omar)
    assert [(s.parent, s.sent) for s in sent] == [(family.mum, True)]
    assert smtp.to("sarah@home.example") and not smtp.to("tunde@home.example")
    with pytest.raises(PermissionDenied):
        actions.do_send_class_links(family.klass, actor=cast.tom)
    with pytest.raises(PermissionDenied):
        actions.do_send_class_links(family.klass, actor=cast.zack)
