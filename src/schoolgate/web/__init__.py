"""Schoolgate's web application: the Django project where the people who keep children safe work.

One Django app per domain concept, each shaped alike (`models.py`, `choices.py`, `forms.py`,
`views.py`, `urls.py`, `actions.py`): `tenancy` (trusts and schools), `accounts` (staff logins, roles,
two-factor authentication), `audit` (the hash-chained trail of every change), `people` (pupils, staff,
parents, visitors and their network identities), `policy` (the policy editor that publishes the
snapshot the gateways read), and `core` (navigation, the home page, "test a URL").

`schoolgate web ...` runs Django's management commands with these settings; `schoolgate web serve`
serves the application.
"""
