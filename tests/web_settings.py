"""The web application's settings for the tests: plain HTTP on the test client, a throw-away data
directory, and the database from SCHOOLGATE_DATABASE (SQLite unless tests/postgresql.py started a
PostgreSQL cluster for the run)."""

import os
import tempfile

os.environ.setdefault("SCHOOLGATE_HTTPS", "0")
os.environ.setdefault("SCHOOLGATE_DATA", tempfile.mkdtemp(prefix="schoolgate-test-data-"))
os.environ.setdefault("SCHOOLGATE_SECRET_KEY", "tests-only-" + "k" * 50)

from schoolgate.web.settings import *  # noqa: F403
