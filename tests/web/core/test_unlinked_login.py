"""A login not linked to a person's record (`Person.user`): the pages that need the link say so and
say where it is made (the login's Staff logins page, `accounts.actions.do_link_person`)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.pages import logged_in, text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["agreements:mine", "training:mine", "training:needs"])
def test_a_login_with_no_record_is_told_where_the_link_is_made(cast: Cast, page: str) -> None:
    assert not Person.objects.filter(user=cast.tom).exists()
    said = text(logged_in(cast.tom).get(reverse(page)))
    assert "not linked to a person" in said
    assert "whoever manages staff logins" in said and "People pages" not in said
