"""policyfile/snapshot.py: the one load-and-compile. One error type (PolicyFileError) whose problems
carry the file and the line, whether the file does not read, the index cannot be opened, or the policy
does not fit; and every check that needs no lists made without them."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from schoolgate.policyfile.errors import ListIndexError, PolicyFileError, PolicyFitError, Problem
from schoolgate.policyfile.load import LISTS_NOT_READ, load_policy
from schoolgate.policyfile.snapshot import compile_snapshot, load_snapshot, open_index
from tests.policyfile.school import POLICY, compiled_school


@pytest.fixture
def school(tmp_path: Path) -> Path:
    return compiled_school(tmp_path)


def line(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def test_a_good_policy_is_compiled_against_its_index(school: Path) -> None:
    snapshot = load_snapshot(school / "policy.toml", school / "lists.sgidx")
    assert snapshot.compiled is not None and snapshot.index_path == school / "lists.sgidx"
    assert snapshot.path == school / "policy.toml"
    assert snapshot.policy.block_page == "http://filter.school.example/blocked"
    assert "x/gambling" in snapshot.compiled.index.source_ids


def test_without_an_index_a_good_policy_is_checked_but_not_compiled(school: Path) -> None:
    snapshot = load_snapshot(school / "policy.toml", None)
    assert snapshot.compiled is None and snapshot.index_path is None


@pytest.mark.parametrize("index", [True, False], ids=["with the index", "without the index"])
def test_an_allowing_default_group_is_refused_with_or_without_the_lists(school: Path, index: bool) -> None:
    text = POLICY.replace('[groups.default]\ndefault = "block"', '[groups.default]\ndefault = "allow"')
    (school / "policy.toml").write_text(text)
    with pytest.raises(PolicyFitError) as raised:
        load_snapshot(school / "policy.toml", school / "lists.sgidx" if index else None)
    assert raised.value.problems == (
        Problem(
            str(school / "policy.toml"),
            line(text, "[groups.default]") + 1,
            "groups.default.default",
            'the "default" group is for unidentified users and must be the most restrictive: '
            'its default must be "block"',
        ),
    )
    assert isinstance(raised.value, PolicyFileError)  # one type to catch
    assert raised.value.policy_file is not None  # a gateway failing closed still knows the block page
    assert raised.value.policy_file.policy.block_page == "http://filter.school.example/blocked"


def test_without_the_lists_every_check_that_needs_none_is_made(school: Path) -> None:
    text = POLICY + (
        '\n[[rules]]\nname = "a pattern"\npatterns = ["(unclosed"]\naction = "block"\n'
        '\n[[rules]]\nname = "for unidentified users"\ngroups = ["default"]\n'
        'domains = ["bbc.co.uk"]\naction = "allow"\n'
    )
    (school / "policy.toml").write_text(text)
    with pytest.raises(PolicyFitError) as raised:
        load_snapshot(school / "policy.toml", None)
    found = [(p.line, p.key) for p in raised.value.problems]
    assert found == [
        (line(text, 'patterns = ["(unclosed"]'), "rules[2].patterns[1]"),
        (line(text, 'groups = ["default"]'), "rules[3].groups"),
    ]
    assert 'allows "default" (unidentified users) more than pupils' in raised.value.problems[1].message


def test_a_list_source_the_index_lacks_is_reported_at_its_line_in_the_order_found(school: Path) -> None:
    text = POLICY.replace('sources = ["x/gambling"]', 'sources = ["x/gambling", "x/violence"]')
    text = text.replace('[groups.default]\ndefault = "block"', '[groups.default]\ndefault = "allow"')
    (school / "lists" / "violence").mkdir()
    (school / "policy.toml").write_text(text)
    with pytest.raises(PolicyFitError) as raised:
        load_snapshot(school / "policy.toml", school / "lists.sgidx")
    sources = line(text, 'sources = ["x/gambling", "x/violence"]')
    assert [(p.line, p.key) for p in raised.value.problems] == [
        (sources, "categories.gambling.sources"),
        (line(text, "[groups.default]") + 1, "groups.default.default"),
    ]
    assert str(raised.value).splitlines()[0] == (
        f"{school / 'policy.toml'}:{sources}: "
        'categories.gambling.sources: list source "x/violence" is not in the compiled lists: '
        'run "schoolgate lists compile"'
    )


def test_a_missing_index_says_how_to_make_it(school: Path) -> None:
    missing = school / "var" / "none.sgidx"
    with pytest.raises(ListIndexError) as raised:
        load_snapshot(school / "policy.toml", missing)
    assert raised.value.missing
    assert str(raised.value) == (
        f"no compiled lists at {missing}: run `schoolgate lists compile --policy {school / 'policy.toml'}`"
    )
    assert raised.value.problems[0].file == str(missing)


@pytest.mark.parametrize(("content", "reason"), [(b"", "empty"), (b"not an index at all", "")])
def test_a_damaged_index_is_a_clear_error(school: Path, content: bytes, reason: str) -> None:
    (school / "lists.sgidx").write_bytes(content)
    with pytest.raises(ListIndexError) as raised:
        load_snapshot(school / "policy.toml", school / "lists.sgidx")
    assert not raised.value.missing
    assert str(raised.value).startswith(f"cannot open the list index {school / 'lists.sgidx'}: ")
    assert reason in raised.value.reason
    assert raised.value.policy_file is not None


def test_a_policy_that_does_not_read_is_the_loader_s_error_with_its_count_line(school: Path) -> None:
    (school / "policy.toml").write_text(POLICY.replace('action = "block"', 'action = "blok"'))
    with pytest.raises(PolicyFileError) as raised:
        load_snapshot(school / "policy.toml", school / "lists.sgidx")
    assert type(raised.value) is PolicyFileError
    assert str(raised.value).splitlines()[-1] == f"1 problem in {school / 'policy.toml'}"


def test_lists_outside_the_roots_are_no_concern_of_a_reader_that_never_opens_them(
    school: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    with pytest.raises(PolicyFileError, match="outside the directories lists are read from"):
        load_snapshot(school / "policy.toml", None, roots=[elsewhere])
    assert load_snapshot(school / "policy.toml", school / "lists.sgidx", LISTS_NOT_READ).compiled


def test_text_already_read_is_checked_the_same_way(school: Path) -> None:
    policy_file = load_policy(school / "policy.toml")
    assert compile_snapshot(policy_file, school / "lists.sgidx").compiled is not None
    assert compile_snapshot(policy_file, None).compiled is None


def test_the_errors_pickle_with_their_problems(school: Path) -> None:
    fit = PolicyFitError([Problem("p.toml", 3, "groups", "m"), Problem("p.toml", 1, "", "n")])
    index = ListIndexError([Problem("i.sgidx", 0, "", "gone")], missing=True, reason="no file")
    for error in (fit, index):
        copy = pickle.loads(pickle.dumps(error))
        assert copy.problems == error.problems and str(copy) == str(error)
    assert [p.line for p in fit.problems] == [3, 1]  # kept in the order found
    assert str(fit) == "p.toml:3: groups: m\np.toml:1: n"  # no count line, as `schoolgate check` says it
    assert pickle.loads(pickle.dumps(index)).missing


def test_open_index_maps_the_file_read_only(school: Path) -> None:
    index = open_index(school / "lists.sgidx")
    assert "x/gambling" in index.source_ids
