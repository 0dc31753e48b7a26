"""`schoolgate squid-helper`: the stdin/stdout loop around the engine.

- Every line gets exactly one answer, in order: blank lines, garbage, 64 KiB lines and bytes that are
  not UTF-8 included (they are answered with the policy's verdict for an unparsable request).
- Answers are written once per batch: the loop reads what Squid has sent (up to 64 KiB), answers all
  of it in one write, and only then waits for more, so nothing waits behind a buffer.
- The spool is written and flushed before the answers, so an answered request is always recorded
  while the spool can be written. When it cannot (a full disk, a file size limit, a deleted
  directory), the answers go out all the same: the writer counts the events it could not record,
  says so on stderr (Squid's cache.log) at once and then at most once a minute, and starts recording
  again by itself once it can (schoolgate.activity.spool).
- Request lines are read exactly as Squid writes them (schoolgate.gateways.squid.protocol): fields
  separated by a space and nothing else, so nothing in a URL can pose as the client or the user.
- The policy and the index are reloaded on SIGHUP and when either file changes (checked between
  batches, at most every `RELOAD_CHECK_SECONDS`); a reload that fails keeps the last good policy and
  says why on stderr. No line is lost: reloading happens between batches, never inside one.
- If no policy can be loaded at all, the helper fails closed: it blocks everything and says why on
  stderr (never squidGuard's fail-open "emergency mode").
"""

from __future__ import annotations

import os
import signal
import sys
import time
from binascii import b2a_base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from schoolgate.activity.spool import SpoolWriter
from schoolgate.engine.decide import Decision, Reason, decide, decide_many
from schoolgate.engine.policy import (
    DEFAULT_GROUP,
    Action,
    CompiledPolicy,
    Group,
    YouTubeMode,
)
from schoolgate.engine.safesearch import SAFE_SEARCH_HOSTS, YOUTUBE_HOSTS, safe_search_url
from schoolgate.gateways.blockpage.signing import sign
from schoolgate.gateways.memory import keep_freed_memory
from schoolgate.gateways.policy import PolicyHolder
from schoolgate.gateways.squid.protocol import (
    Concurrency,
    HelperLine,
    Mode,
    allow_answer,
    format_acl,
    format_rewrite_allow,
    format_rewrite_block,
    parse_lines,
    rewrite_url_answer,
)

# What a block page address says of a decision: its first fields, verdict to alert (what an outcome
# fixes). The addresses made for a decision are remembered by these fields.
PREFIX_FIELDS = Decision._fields.index("alert") + 1

try:
    from schoolgate.gateways import _speedups
except ImportError:  # not built (no C compiler): the pure-Python loops do the same, slower
    _speedups = None  # type: ignore[assignment]
else:
    # The C loop reads a decision by position: it is told the positions here (RuntimeError if they do
    # not fit it), never assumes them.
    _speedups.configure(decision_fields=Decision._fields, prefix_fields=PREFIX_FIELDS)

__all__ = ["BlockPage", "HelperConfig", "SearchAndVideo", "run"]

READ_SIZE = 64 * 1024
MAX_LINE = 1024 * 1024
RELOAD_CHECK_SECONDS = 2.0
MAX_BLOCKED_URL = 2048


@dataclass(frozen=True, slots=True)
class HelperConfig:
    policy: Path
    index: Path
    spool: Path | None
    mode: Mode = Mode.REWRITE
    concurrency: Concurrency = Concurrency.AUTO
    block_page: str | None = None
    block_page_key: bytes | None = None  # signs block page addresses (schoolgate.gateways.blockpage.signing)


_BASE64_URLSAFE = bytes.maketrans(b"+/", b"-_")


class BlockPage:
    """Block page addresses on one base address: what was blocked, why, for whom.

    The requested URL travels base64url-encoded (`url64`): cheap to make on the hot path, and it
    needs no escaping. It is cut to MAX_BLOCKED_URL characters; the spool keeps the whole URL.
    Everything before it is the same for every request an outcome decides, and is made once. After
    it come who was blocked (the user name, else the client address) and when, and, with the school's
    block page key, the signature of the whole query string, so that the block page can trust what
    it shows (docs/block-page.md).
    """

    MAX_REMEMBERED = 4096

    def __init__(self, base: str, key: bytes | None = None) -> None:
        self.base = base
        self.key = key
        self.at = 0  # the time of the batch being answered (Unix seconds)
        # A decision's first PREFIX_FIELDS fields (verdict to alert: what an outcome fixes) -> its prefix.
        self.prefixes: dict[tuple[object, ...], str] = {}
        self._query_start = base.index("?") + 1 if "?" in base else len(base) + 1  # what is signed

    def url(self, line: HelperLine, decision: Decision) -> str:
        prefix = self.prefixes.get(decision[:PREFIX_FIELDS])
        if prefix is None:
            prefix = self.prefix(decision)
        raw = line.url[:MAX_BLOCKED_URL].encode("utf-8", "surrogateescape")
        head = prefix + b2a_base64(raw, newline=False).translate(_BASE64_URLSAFE).rstrip(b"=").decode()
        return head + self.finish(line, decision, head)

    def finish(self, line: HelperLine, decision: Decision, head: str) -> str:
        """What follows the requested URL: who and when, and the signature of the whole query."""
        # A user name that was not UTF-8 keeps its bytes, percent-encoded.
        who = quote(line.user or line.client_ip or "", safe="", errors="surrogateescape")
        tail = f"&who={who}&at={self.at}"
        if self.key is None:
            return tail
        return f"{tail}&sig={sign(self.key, head[self._query_start :] + tail)}"

    def prefix(self, decision: Decision) -> str:
        """What comes before the requested URL in the address for `decision`; remembered."""
        query = f"reason={decision.reason.value}&group={quote(decision.group, safe='')}"
        if decision.category:
            query += f"&category={quote(decision.category, safe='')}"
        if decision.rule is not None:
            query += f"&rule={decision.rule}"
        prefix = f"{self.base}{'&' if '?' in self.base else '?'}{query}&url64="
        if len(self.prefixes) >= self.MAX_REMEMBERED:
            self.prefixes.clear()
        self.prefixes[decision[:PREFIX_FIELDS]] = prefix
        return prefix


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def run(config: HelperConfig, stdin_fd: int = 0, stdout_fd: int = 1, log: TextIO = sys.stderr) -> int:
    """Serve Squid until end of input. Returns the exit status."""
    keep_freed_memory()
    holder = PolicyHolder(config.policy, config.index, log)
    spool = SpoolWriter(config.spool, "squid", log=log) if config.spool is not None else None
    hangup = False

    def on_hangup(signum: int, frame: object) -> None:
        nonlocal hangup
        hangup = True

    previous = signal.signal(signal.SIGHUP, on_hangup) if hasattr(signal, "SIGHUP") else None
    mode, concurrency = config.mode, config.concurrency
    rewrite = mode is Mode.REWRITE
    pending = b""
    oversized = False
    block_page = BlockPage(config.block_page or holder.block_page, config.block_page_key)
    special, special_for = SearchAndVideo.of(holder.compiled), holder.compiled
    last_check = time.monotonic()
    try:
        while True:
            chunk = os.read(stdin_fd, READ_SIZE)
            now = time.monotonic()
            if hangup or now - last_check >= RELOAD_CHECK_SECONDS:
                if hangup or holder.changed():
                    holder.reload()
                hangup = False
                last_check = now
            if not chunk:
                if not (pending or oversized):
                    break
                data, pending = pending + b"\n", b""  # the last line, unterminated
            else:
                data = pending + chunk
                cut = data.rfind(b"\n") + 1
                data, pending = data[:cut], data[cut:]
            # One decode per batch; "\n" and "\r" are single bytes, so splitting after decoding is the same.
            text = data.decode("utf-8", "surrogateescape")
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            lines = text.split("\n")
            lines.pop()  # what follows the last newline: nothing
            if oversized and lines:
                # The end of a line longer than MAX_LINE: answer it once, as unreadable.
                lines[0] = lines[0][: lines[0].index("\x00") + 1]  # keep the head: its channel-ID
                oversized = False
            if len(pending) > MAX_LINE:
                pending = pending[:64] + b"\x00"
                oversized = True
            if not lines:
                continue
            compiled = holder.compiled
            block_base = config.block_page or holder.block_page
            if block_page.base != block_base:
                block_page = BlockPage(block_base, config.block_page_key)
            if special_for is not compiled:
                special, special_for = SearchAndVideo.of(compiled), compiled
            at = datetime.now(UTC)
            block_page.at = int(at.timestamp())
            parsed = parse_lines(lines, mode, concurrency)
            if not rewrite:  # Squid writes "-" for a value it does not have (a TLS hello without SNI)
                parsed = [line._replace(url="") if line.url == "-" else line for line in parsed]
            if "\x00" in text:  # a NUL cannot be in a real request: treat it as unreadable
                parsed = [line._replace(url="") if "\x00" in line.url else line for line in parsed]
            decisions = _decide_batch(compiled, parsed, at, log)
            if rewrite:
                answers = _answer_batch(parsed, decisions, block_page, special, log)
            else:
                answers = _acl_answers(parsed, decisions)
            if spool is not None:
                spool.record(time.time(), parsed, decisions)
            _write_all(stdout_fd, answers)
            if not chunk:
                break
    except KeyboardInterrupt:
        return 130
    except (BrokenPipeError, ConnectionResetError):
        # Squid has gone (stopped, or its worker restarted): nobody is left to answer. The events of
        # every batch decided are already in the spool.
        log.write("schoolgate squid-helper: Squid closed the connection; stopping\n")
        log.flush()
        return 0
    finally:
        if spool is not None:
            spool.close()
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)
    return 0


class SearchAndVideo:
    """Answers for allowed requests to search engines and YouTube: safe search locked on in the URL
    for groups with `safe_search`, and the note `youtube=strict` or `youtube=moderate` that makes
    Squid add the `YouTube-Restrict` header (docs/squid.md)."""

    HOSTS = SAFE_SEARCH_HOSTS | YOUTUBE_HOSTS

    def __init__(self, groups: Mapping[str, Group]) -> None:
        self.safe_search = {name for name, group in groups.items() if group.safe_search}
        self.youtube = {
            name: f" youtube={group.youtube.value}"
            for name, group in groups.items()
            if group.youtube is not YouTubeMode.OFF
        }

    @classmethod
    def of(cls, compiled: CompiledPolicy | None) -> SearchAndVideo:
        return cls(compiled.policy.groups if compiled is not None else {})

    def answer(self, line: HelperLine, decision: Decision) -> str | None:
        """The answer (without channel-ID and line end), or None for the plain allowed one."""
        host = decision.host
        if host in YOUTUBE_HOSTS:
            notes = self.youtube.get(decision.group)
            return None if notes is None else allow_answer(notes)
        if host is None or decision.group not in self.safe_search:
            return None
        url = safe_search_url(line.url, host)
        return None if url is None else rewrite_url_answer(url)


def rewrite_answers(
    lines: list[HelperLine], decisions: list[Decision], block_page: BlockPage, special: SearchAndVideo
) -> bytes:
    """The url_rewrite answers to a batch, in order: OK without a URL (leave it alone) for an allowed
    request (with safe search locked on, or a YouTube note, where `special` says), a redirect to the
    block page for a blocked one; each with its `schoolgate=` note."""
    if _speedups is None:
        return _rewrite_answers(lines, decisions, block_page, special)
    return _speedups.rewrite_answers(
        lines,
        decisions,
        BLOCK,
        block_page.prefixes,
        block_page.prefix,
        MAX_BLOCKED_URL,
        block_page.finish,
        special.HOSTS,
        special.answer,
    )


def _rewrite_answers(
    lines: list[HelperLine], decisions: list[Decision], block_page: BlockPage, special: SearchAndVideo
) -> bytes:
    """What `_speedups.rewrite_answers` does in C; its reference."""
    if len(lines) != len(decisions):
        raise ValueError("as many decisions as lines are needed")
    answers: list[str] = []
    allow = format_rewrite_allow(None)
    hosts = special.HOSTS
    for line, decision in zip(lines, decisions, strict=True):
        channel = line.channel
        if decision.verdict is not BLOCK:
            answer = special.answer(line, decision) if decision.host in hosts else None
            if answer is not None:
                answers.append(f"{channel} {answer}\n" if channel is not None else f"{answer}\n")
            else:
                answers.append(allow if channel is None else format_rewrite_allow(channel))
        else:
            redirect = block_page.url(line, decision)
            answers.append(format_rewrite_block(channel, redirect, checked=True))
    return "".join(answers).encode("utf-8", "surrogateescape")


def _acl_answers(lines: list[HelperLine], decisions: list[Decision]) -> bytes:
    answers: list[str] = []
    for line, decision in zip(lines, decisions, strict=True):
        blocked = decision.verdict is Action.BLOCK
        message = _acl_message(decision) if blocked else ""
        answers.append(format_acl(line.channel, not blocked, decision.group, message))
    return "".join(answers).encode("utf-8", "surrogateescape")


def _decide_batch(
    compiled: CompiledPolicy | None, lines: list[HelperLine], at: datetime, log: TextIO
) -> list[Decision]:
    """Decide a batch; a bug costs only the requests it hits (blocked), never the helper."""
    if compiled is None:
        return [_NO_POLICY] * len(lines)
    try:
        return decide_many(compiled, lines, at)
    except Exception:
        pass
    decisions = []
    for line in lines:
        try:
            decisions.append(decide(compiled, line, at))
        except Exception as exc:
            decisions.append(_internal_error(line.url, exc, log))
    return decisions


def _answer_batch(
    lines: list[HelperLine],
    decisions: list[Decision],
    block_page: BlockPage,
    special: SearchAndVideo,
    log: TextIO,
) -> bytes:
    """The batch's answers; a bug costs only the lines it hits (sent to the block page unexplained),
    never the helper, and never an allowed request."""
    try:
        return rewrite_answers(lines, decisions, block_page, special)
    except Exception:
        pass
    answers = []
    for line, decision in zip(lines, decisions, strict=True):
        try:
            answers.append(_rewrite_answers([line], [decision], block_page, special))
        except Exception as exc:
            log.write(f"schoolgate squid-helper: internal error answering {line.url[:200]!r}: {exc!r}\n")
            log.flush()
            base = block_page.base
            answer = format_rewrite_block(
                line.channel, f"{base}{'&' if '?' in base else '?'}reason=internal-error"
            )
            answers.append(answer.encode("utf-8", "surrogateescape"))
    return b"".join(answers)


BLOCK = Action.BLOCK
_NO_POLICY = Decision(Action.BLOCK, Reason.NO_POLICY, DEFAULT_GROUP)


def _internal_error(url: str, exc: Exception, log: TextIO) -> Decision:
    log.write(f"schoolgate squid-helper: internal error on {url[:200]!r}: {exc!r}; blocked it\n")
    log.flush()
    return Decision(Action.BLOCK, Reason.INTERNAL_ERROR, DEFAULT_GROUP)


def _acl_message(decision: Decision) -> str:
    if decision.category:
        return f"blocked: {decision.category}"
    if decision.reason is Reason.NO_POLICY:
        return "blocked: no filtering policy is loaded"
    if decision.reason is Reason.UNPARSABLE:
        return "blocked: the address could not be read"
    return "blocked"
