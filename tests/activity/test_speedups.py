"""The spool writer's C loop (schoolgate.activity._speedups) against its pure-Python twin: the same
bytes, the same outcomes, the same errors, for any input; and the layout it is given from the schema,
checked when it is given."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schoolgate.activity import _speedups, schema
from schoolgate.activity import spool as spool_module
from schoolgate.activity.spool import SpoolWriter, _layout, event_head, read_events
from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action, AlertLevel
from schoolgate.gateways.squid.protocol import HelperLine

# Text as it reaches the gateways: ASCII mostly, with what is hard to get right: quotes, backslashes,
# control characters, DEL, Latin-1, the BMP, beyond it (surrogate pairs in JSON), lone surrogates
# (bytes that were not UTF-8), Unicode spaces (str.split() splits on them), digits, "/", "-", "%".
HARD = (
    '"\\\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1c\x1f\x7f\x80\x85\xa0\xe9'
    "\u1680\u2028\u3000\ufffd\U0001f600\udc80\udcff"
)
CHARS = st.one_of(
    st.sampled_from("abcxyz09 ./:-_%?=&" + HARD),
    st.characters(codec="utf-8"),
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
)
TEXT = st.text(CHARS, max_size=40)
MAYBE = st.none() | TEXT
GROUPS = ("default", "ks2", 'odd "group"\\')


def test_the_c_module_is_built() -> None:
    """Setup builds it; without it the spool would fall back to the slower Python loop."""
    assert _speedups.__file__ is not None
    assert spool_module._speedups is _speedups


@st.composite
def decisions(draw: st.DrawFn) -> Decision:
    verdict = draw(st.sampled_from(Action))
    return Decision(
        verdict,
        draw(st.sampled_from(Reason)),
        draw(st.sampled_from(GROUPS)),
        category=draw(st.sampled_from([None, "gambling", "adult", "caf\xe9"])),
        rule=draw(st.sampled_from([None, 1, 12])),
        alert=draw(st.sampled_from(AlertLevel)),
        source=draw(st.sampled_from([None, "ut1/gambling", "site:homework"])),
        identity=draw(st.sampled_from(["unidentified", "user amelia"])),
        entry=draw(MAYBE),
        host=draw(MAYBE),
    )


REQUESTS = st.builds(
    HelperLine, st.none() | st.just("7"), TEXT, MAYBE, MAYBE, MAYBE, st.sampled_from([None, "GET", "CONNECT"])
)
BATCHES = st.lists(st.tuples(REQUESTS, decisions()), max_size=12)


def both_formats(tmp_path: Path, batches: list[list[tuple[HelperLine, Decision]]]) -> tuple[bytes, bytes]:
    python = SpoolWriter(tmp_path / "python", "squid")
    c = SpoolWriter(tmp_path / "c", "squid")
    made_python, made_c = [], []
    for n, batch in enumerate(batches):
        requests, decided = [r for r, _ in batch], [d for _, d in batch]
        head = event_head(1_800_000_000.5 + n, "squid")
        made_python.append(python._format_events(head, requests, decided))
        layout = _layout(HelperLine)
        assert layout is not None
        made_c.append(
            _speedups.format_events(head, requests, HelperLine, layout, decided, c._outcomes, c._define)
        )
        assert python._outcomes == c._outcomes
    python.close()
    c.close()
    return b"".join(made_python), b"".join(made_c)


@settings(max_examples=300, deadline=None)
@given(batches=st.lists(BATCHES, min_size=1, max_size=3))
def test_events_are_formatted_alike(tmp_path_factory: pytest.TempPathFactory, batches: list) -> None:  # type: ignore[type-arg]
    made_python, made_c = both_formats(tmp_path_factory.mktemp("spool"), batches)
    assert made_c == made_python
    for line in made_c.splitlines():
        json.loads(line)  # every line is JSON on its own


def test_every_escape_is_json_s_own(tmp_path: Path) -> None:
    every = "".join(chr(c) for c in range(0x300)) + "\u2028\ud7ff\ue000\uffff\U00010000\U0010ffff\udc80"
    request = HelperLine(None, every, every, every, every, every)
    decision = Decision(Action.BLOCK, Reason.RULE, every, host=every, entry=every)
    made_python, made_c = both_formats(tmp_path, [[(request, decision)]])
    assert made_c == made_python
    event = [json.loads(line) for line in made_c.splitlines()][-1]
    assert event["url"] == event["user"] == event["host"] == every


def test_events_written_through_c_read_back_whole(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, "squid")
    request = HelperLine(None, "https://bet365.com/\U0001f600", "10.0.0.1", None, "amelia", "GET")
    decision = Decision(Action.BLOCK, Reason.RULE, "ks2", category="gambling", rule=4, host="bet365.com")
    writer.record(1_800_000_000.0, [request, request], [decision, decision])
    writer.close()
    [file] = tmp_path.glob("*.jsonl")
    events = list(read_events(file))
    assert [e["url"] for e in events] == [request.url] * 2
    assert events[0]["verdict"] == "block" and events[0]["rule"] == 4 and events[0]["user"] == "amelia"


@pytest.mark.parametrize(
    ("requests", "decided", "error"),
    [
        (
            [HelperLine(None, b"bytes", None, None, None, None)],
            [Decision(Action.ALLOW, Reason.RULE, "g")],
            TypeError,
        ),  # type: ignore[arg-type]
        ([("not", "a", "line")], [Decision(Action.ALLOW, Reason.RULE, "g")], TypeError),
        ([HelperLine(None, "u", None, None, None, None)], [("short",)], TypeError),
        ([HelperLine(None, "u", None, None, None, None)], [], ValueError),
    ],
)
def test_bad_input_is_an_error_not_a_crash(requests: list, decided: list, error: type[Exception]) -> None:  # type: ignore[type-arg]
    layout = _layout(HelperLine)
    assert layout is not None
    with pytest.raises(error):
        _speedups.format_events(
            event_head(0.0, "squid"), requests, HelperLine, layout, decided, {}, lambda d: ("", "")
        )


def test_an_outcome_definition_must_be_ascii() -> None:
    layout = _layout(HelperLine)
    assert layout is not None
    request = HelperLine(None, "u", None, None, None, None)
    with pytest.raises(ValueError):
        _speedups.format_events(
            event_head(0.0, "squid"),
            [request],
            HelperLine,
            layout,
            [Decision(Action.ALLOW, Reason.RULE, "g")],
            {},
            lambda d: ("caf\xe9\n", ',"o":1}\n'),
        )


def test_no_reference_is_lost() -> None:
    """A loop that leaked a reference per event would grow an object's count by thousands."""
    layout = _layout(HelperLine)
    assert layout is not None
    url = "https://example.org/" + "x" * 10
    request = HelperLine(None, url, "10.0.0.1", None, "amelia", "GET")
    decision = Decision(Action.BLOCK, Reason.RULE, "ks2", host="example.org")
    outcomes: dict[tuple[object, ...], str] = {}
    define = SpoolWriter.__new__(SpoolWriter)
    define._outcomes, define._numbered = outcomes, 0
    before = (sys.getrefcount(url), sys.getrefcount(request), sys.getrefcount(decision))
    for _ in range(1000):
        _speedups.format_events(
            "{", [request] * 3, HelperLine, layout, [decision] * 3, outcomes, define._define
        )
    assert (sys.getrefcount(url), sys.getrefcount(request), sys.getrefcount(decision)) == before


# ----------------------------------------------------------------------------- the layout, from Python


ADD_A_FIELD = """
import json, sys
from schoolgate.activity import schema
# The decision's identity, added after the entry: in the schema, and nowhere else.
who = schema.Field("who", "string", schema.Source.DECISION, "identity", False, "the identity")
schema.EVENT_FIELDS = (*schema.EVENT_FIELDS, who)
from schoolgate.activity import _speedups, spool
from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action
from schoolgate.gateways.squid.protocol import HelperLine

request = HelperLine(None, "http://bet365.com/", "10.0.0.1", None, "amelia", "GET")
decision = Decision(Action.BLOCK, Reason.RULE, "ks2", identity="user amelia", host="bet365.com")
python, c = spool.SpoolWriter(sys.argv[1] + "/p", "squid"), spool.SpoolWriter(sys.argv[1] + "/c", "squid")
head = spool.event_head(1.0, "squid")
made_python = python._format_events(head, [request], [decision])
made_c = _speedups.format_events(head, [request], HelperLine, spool._layout(HelperLine), [decision],
                                 c._outcomes, c._define)
python.close(), c.close()
print(json.dumps([made_python.decode(), made_c.decode()]))
"""


def test_a_field_added_to_the_schema_is_written_by_both_loops(tmp_path: Path) -> None:
    """A new event field is written once, in the schema: the Python loop and the C loop both write it,
    alike, without a line of C."""
    done = subprocess.run(
        [sys.executable, "-c", ADD_A_FIELD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    made_python, made_c = json.loads(done.stdout)
    assert made_c == made_python
    event = json.loads(made_c.splitlines()[-1])
    assert list(event)[-3:] == ["host", "who", "o"]  # after the fields before it, before the outcome
    assert event["who"] == "user amelia"


def run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A script in a process of its own: a layout given there changes nothing in this one."""
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60, check=False
    )


def refused_layout(package: str, given: dict[str, object]) -> str:
    """What schoolgate.PACKAGE._speedups.configure(**given) says as it refuses the layout, in a process
    of its own (a refused layout leaves the module as it was, but a test must not depend on that)."""
    done = run_python(f"""
import sys
from schoolgate.{package} import _speedups
try:
    _speedups.configure(**{given!r})
except RuntimeError as exc:
    print(exc)
    sys.exit(0)
sys.exit("configured")
""")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def layout(**changes: object) -> dict[str, object]:
    return {**schema.c_layout(), **changes}


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (layout(event_fields=(("user", "request", "user", False), ("host", "decision", "hostname", False))),
         "reads the decision's 'hostname', which Decision does not have"),
        (layout(event_fields=(("u\"ser", "request", "user", False),)), "holds a character JSON must escape"),
        (layout(event_fields=(("caf\xe9", "request", "user", False),)), "is not 1 to 64 ASCII characters"),
        (layout(event_fields=(("", "request", "user", False),)), "is not 1 to 64 ASCII characters"),
        (layout(event_fields=(("url", "request", "url", True), ("url", "decision", "host", False))),
         "the event key 'url' is named twice"),
        (layout(event_fields=(("url", "form", "url", True),)), "only 'request' or 'decision'"),
        (layout(event_fields=()), "from 1 to 32 per-request fields"),
        (layout(outcome_fields=14), "an outcome fixes 14 of the Decision's fields, but it has 13"),
        (layout(outcome_fields=0), "an outcome fixes 0"),
        (layout(decision_fields=("verdict", 2)), "must name the Decision's fields as str"),
    ],
)  # fmt: skip
def test_a_layout_that_does_not_fit_is_refused_loudly(given: dict[str, object], said: str) -> None:
    message = refused_layout("activity", given)
    assert message.startswith("schoolgate.activity._speedups cannot write this event layout: ")
    assert said in message


def test_the_loop_refuses_to_run_before_it_is_told_the_layout() -> None:
    script = """
from schoolgate.activity import _speedups
try:
    _speedups.format_events("{", [], tuple, (), [], {}, print)
except RuntimeError as exc:
    print(exc)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "is not configured" in done.stdout


def test_a_layout_the_c_loop_cannot_write_fails_the_import(tmp_path: Path) -> None:
    """What the schema says is given to the C loop at import: a field it cannot write stops the spool
    module from importing, with the reason, instead of writing wrong events."""
    script = """
from schoolgate.activity import schema
schema.EVENT_FIELDS = (*schema.EVENT_FIELDS, schema.Field('bad"key', "string", schema.Source.REQUEST, "user",
                       False, "a key JSON must escape"))
import schoolgate.activity.spool
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "RuntimeError: schoolgate.activity._speedups cannot write this event layout" in done.stderr
    assert "holds a character JSON must escape" in done.stderr


def test_the_layout_cannot_change_under_a_running_loop() -> None:
    """define() is Python code: a configure() made from it would change the fields under a loop that
    checked its requests against the old layout. It is refused, and the loop goes on unharmed."""
    layout = _layout(HelperLine)
    assert layout is not None
    request = HelperLine(None, "https://example.org/", "10.0.0.1", None, "amelia", "GET")
    refused: list[str] = []

    def define(decision: Decision) -> tuple[str, str]:
        try:
            _speedups.configure(
                decision_fields=("action",),
                outcome_fields=1,
                event_fields=(("k", "decision", "action", True),),
            )
        except RuntimeError as exc:
            refused.append(str(exc))
        return ("", "}\n")

    made = _speedups.format_events(
        "{", [request], HelperLine, layout, [Decision(Action.ALLOW, Reason.RULE, "g")], {}, define
    )
    assert refused and "cannot change while events are being formatted" in refused[0]
    assert made.startswith(b"{") and b'"url":"https://example.org/"' in made
    # The module is still configured as the schema says, and works.
    again = _speedups.format_events(
        "{",
        [request],
        HelperLine,
        layout,
        [Decision(Action.ALLOW, Reason.RULE, "g")],
        {},
        lambda d: ("", "}\n"),
    )
    assert again == made
