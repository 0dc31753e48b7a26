"""The school the `schoolgate check` tests share, its lists compiled once."""

from __future__ import annotations

import pytest

from tests.cli.school import make_school
from tests.school import School


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> School:
    school = make_school(tmp_path_factory.mktemp("school"))
    assert school.run("lists", "compile").returncode == 0
    return school
