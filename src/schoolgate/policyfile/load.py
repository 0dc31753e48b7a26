"""Read a policy file (TOML, `schema_version = 1`) into the engine's `Policy`, reporting every problem.

The format is documented in docs/policy-file.md; examples/policy.toml is a complete example. Every
problem names the file, the line and the key, and suggests the intended name where one is close:

    policy.toml:41: rules[3].categories: unknown category "gamblng" (did you mean "gambling"?)

A list's `path` must lie, once its symlinks and `..` are followed, in one of the directories lists may
be read from (`list_roots`): a policy, which the web editor lets a network manager write, must not
make `schoolgate lists compile` read any file the machine holds.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schoolgate.engine.policy import (
    DEFAULT_GROUP,
    EVERYONE,
    UKSIC_CATEGORIES,
    Action,
    AlertLevel,
    Category,
    Group,
    Network,
    Policy,
    Rule,
    SiteList,
    TimedIdentity,
    YouTubeMode,
    user_key,
    within_problem,
)
from schoolgate.engine.windows import Window, WindowError, make_window
from schoolgate.policyfile.errors import (
    KeyPath,
    PolicyFileError,
    Problem,
    render_key,
    suggest,
    toml_syntax_problem,
)
from schoolgate.policyfile.locate import Locator

__all__ = [
    "LISTS_NOT_READ",
    "LISTS_ROOT_VARIABLE",
    "OBTAIN_LOCKED_LIST",
    "SCHEMA_VERSION",
    "ListDeclaration",
    "PolicyFile",
    "check_list_path",
    "list_roots",
    "load_policy",
    "not_installed_words",
    "parse_policy",
    "valid_block_page",
]

SCHEMA_VERSION = 1
BUILTIN_PREFIX = "builtin:"
LISTS_ROOT_VARIABLE = "SCHOOLGATE_LISTS_ROOT"
LIST_FORMATS = ("squidguard", "domains", "hosts")

_TOP_KEYS = (
    "schema_version",
    "school",
    "lists",
    "groups",
    "identities",
    "windows",
    "categories",
    "sites",
    "rules",
    "grants",
)
_SCHOOL_KEYS = ("name", "timezone", "block_page", "unparsable")
_LIST_KEYS = ("format", "path", "locked", "description")
_GROUP_KEYS = ("description", "default", "safe_search", "youtube", "within")
_IDENTITY_KEYS = ("group", "users", "networks", "label", "starts", "expires")
_WINDOW_KEYS = ("days", "times", "terms", "holidays", "timezone", "description")
_CATEGORY_KEYS = ("sources", "uksic", "description", "locked")
_SITE_KEYS = ("domains", "urls", "description")
_RULE_KEYS = (
    "name",
    "groups",
    "categories",
    "sites",
    "domains",
    "urls",
    "patterns",
    "all_sites",
    "window",
    "starts",
    "expires",
    "action",
    "alert",
)
_GRANT_KEYS = ("name", "request", "groups", "domains", "urls", "window", "starts", "expires", "action")
# What a rule may have and a grant may not: a grant is narrow by design (a few sites, for a few people).
_NOT_IN_GRANTS = ("categories", "sites", "patterns", "all_sites", "alert")


@dataclass(frozen=True, slots=True)
class ListDeclaration:
    """A list named in the policy: where it is and how to read it."""

    name: str
    format: str
    path: Path
    locked: bool = False
    description: str = ""
    # False for a locked list whose file is not there (`locked_list_missing`): the policy still loads,
    # the list compiles empty, and every report says the list is not installed.
    installed: bool = True


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """A policy file read and checked: the engine's policy and the lists it names."""

    path: Path
    policy: Policy
    lists: Mapping[str, ListDeclaration]
    text: str

    def line_of(self, key: KeyPath) -> int:
        return Locator(self.text).line(key)

    @property
    def lists_not_installed(self) -> tuple[ListDeclaration, ...]:
        """The locked lists whose file is not there: their categories block nothing yet."""
        return tuple(d for d in self.lists.values() if not d.installed)


# How a school obtains each locked list, by the names the default policy gives them; said wherever a
# locked list is reported not installed (`schoolgate policy check`, `lists compile`, the web editor).
OBTAIN_LOCKED_LIST = {
    "iwf": (
        "the Internet Watch Foundation's URL list of child sexual abuse content is licensed to IWF "
        "members: get it through a filtering or broadband provider that is an IWF member, or by the "
        "school's trust or local authority joining the IWF (iwf.org.uk/membership)"
    ),
    "terrorism": (
        "the police-assessed list of unlawful terrorist content (the Counter Terrorism Internet "
        "Referral Unit's list, produced on behalf of the Home Office) is given to filtering providers: "
        "ask the school's filtering or broadband provider for it"
    ),
}


def not_installed_words(declaration: ListDeclaration) -> str:
    """One line for a locked list that is not installed: what blocks nothing, and how to get the list."""
    how = OBTAIN_LOCKED_LIST.get(declaration.name, "ask whoever supplies this list for it")
    return (
        f'locked list "{declaration.name}" not installed: there is no file at {declaration.path}, so the '
        f"categories drawn from it block nothing until it is put there and `schoolgate lists compile` "
        f"is run; {how}"
    )


def builtin_lists_dir() -> Path:
    """The directory of the lists shipped with Schoolgate (a sample of UT1)."""
    return Path(__file__).resolve().parent.parent / "data"


def resolve_list_path(text: str, base: Path) -> Path:
    if text.startswith(BUILTIN_PREFIX):
        return builtin_lists_dir() / text.removeprefix(BUILTIN_PREFIX)
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


# For readers that never open a list file (the gateways and the block page, which use the compiled
# index): a list anywhere is no concern of theirs, and refusing the policy for it would stop the
# filter over a setting (`SCHOOLGATE_LISTS_ROOT`) that only `lists compile` needs.
LISTS_NOT_READ: tuple[Path, ...] = (Path("/"),)


def list_roots(policy_dir: Path | None, environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The directories a policy's lists may lie in, resolved (symlinks followed).

    `SCHOOLGATE_LISTS_ROOT` (directories separated by `:`) names them all when it is set; otherwise
    they are the data directory (`SCHOOLGATE_DATA`, default `var`), where `schoolgate lists update`
    installs lists (`SCHOOLGATE_LISTS`, default `var/lists/ut1`), and the policy file's own directory
    (`policy_dir`). The sample lists shipped with Schoolgate (`builtin:`) are always allowed.
    Relative directories are taken from the current directory, as the commands take them.
    """
    env = os.environ if environ is None else environ
    configured = [part for part in env.get(LISTS_ROOT_VARIABLE, "").split(os.pathsep) if part.strip()]
    if configured:
        named = [Path(part.strip()) for part in configured]
    else:
        named = [
            Path(env.get("SCHOOLGATE_DATA") or "var"),
            Path(env.get("SCHOOLGATE_LISTS") or "var/lists/ut1"),
        ]
        if policy_dir is not None:
            named.append(policy_dir)
    named.append(builtin_lists_dir())
    resolved = [real for real in map(_real_path, named) if real is not None]
    # One inside another (var/lists/ut1 in var) says nothing more, and would only lengthen messages.
    return tuple(
        dict.fromkeys(
            root
            for root in resolved
            if not any(root != other and root.is_relative_to(other) for other in resolved)
        )
    )


def _real_path(path: Path) -> Path | None:
    """`path` with `~`, its symlinks and `..` followed, or None if it cannot be (no such home, a loop,
    a NUL byte)."""
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def check_list_path(text: str, base: Path, roots: Sequence[Path]) -> tuple[Path | None, str | None]:
    """(the list's real path, None) when the `path` text names somewhere inside `roots`, else
    (None, what is wrong). The answer for a path outside the roots is the same whether or not
    anything is there, and nothing there is read."""
    try:
        named = resolve_list_path(text, base)
    except RuntimeError:  # "~someone/lists" for no such user, or "~" with no home directory
        named = None
    real = _real_path(named) if named is not None else None
    if real is not None and any(real.is_relative_to(root) for root in roots):
        return real, None
    shown = ", ".join(str(root) for root in roots)
    return None, (
        f"{text!r} is outside the directories lists are read from ({shown}): put the list in one of "
        f"them, or name its directory in {LISTS_ROOT_VARIABLE}"
    )


_BLOCK_PAGE = re.compile(r"https?://[^\s\"'<>\\]+", re.ASCII)


def valid_block_page(url: str) -> bool:
    """An http(s) address that can go into a helper answer as it is: no spaces, quotes or brackets."""
    return _BLOCK_PAGE.fullmatch(url) is not None and url.isprintable()


class _Reader:
    """Walks the parsed TOML, collecting problems instead of stopping at the first."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.locator = Locator(text)
        self.problems: list[Problem] = []

    def problem(self, key: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.file, self.locator.line(key), render_key(key), message))

    def table(self, value: object, key: KeyPath, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(key, f"expected a table, found {_kind(value)}")
            return {}
        for name in value:
            if name not in allowed:
                self.problem((*key, name), f'unknown key "{name}"{suggest(name, allowed)}')
        return value

    def text(
        self, table: Mapping[str, Any], key: KeyPath, name: str, default: str | None = None
    ) -> str | None:
        value = table.get(name, default)
        if value is None or isinstance(value, str):
            return value
        self.problem((*key, name), f"expected text, found {_kind(value)}")
        return default

    def flag(self, table: Mapping[str, Any], key: KeyPath, name: str, default: bool) -> bool:
        value = table.get(name, default)
        if isinstance(value, bool):
            return value
        self.problem((*key, name), f"expected true or false, found {_kind(value)}")
        return default

    def texts(self, table: Mapping[str, Any], key: KeyPath, name: str) -> tuple[str, ...]:
        value = table.get(name, [])
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            self.problem((*key, name), f"expected a list of text, found {_kind(value)}")
            return ()
        out = []
        for n, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            else:
                self.problem((*key, name, n), f"expected text, found {_kind(item)}")
        return tuple(out)

    def choice(
        self, table: Mapping[str, Any], key: KeyPath, name: str, choices: tuple[str, ...], default: str
    ) -> str:
        value = self.text(table, key, name, default)
        if value is None or value not in choices:
            shown = ", ".join(f'"{c}"' for c in choices)
            self.problem((*key, name), f'"{value}" is not one of {shown}{suggest(str(value), choices)}')
            return default
        return value


def _kind(value: object) -> str:
    kinds: dict[type, str] = {
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
        datetime: "a date-time",
        date: "a date",
        time: "a time",
    }
    return kinds.get(type(value), type(value).__name__)


def _zone(reader: _Reader, key: KeyPath, name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        reader.problem(key, f'unknown time zone "{name}" (use a name such as "Europe/London")')
        return None


def _instant(reader: _Reader, key: KeyPath, value: object, zone: tzinfo) -> datetime | None:
    """A TOML date or date-time; a local one is read in the school's time zone."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=zone)
    reader.problem(key, f"expected a date or date-time such as 2026-12-18T15:30:00, found {_kind(value)}")
    return None


def parse_policy(
    text: str, file: str = "policy.toml", base: Path | None = None, roots: Sequence[Path] | None = None
) -> PolicyFile:
    """Read policy text. Raises PolicyFileError listing every problem found.

    Relative list paths start from `base` (the policy file's directory; default the current one), and
    every list must lie in one of `roots` (default `list_roots(base)`)."""
    reader = _Reader(file, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError((toml_syntax_problem(file, exc, text),)) from None
    base = base if base is not None else Path(".")
    roots = tuple(roots) if roots is not None else list_roots(base)

    version = data.get("schema_version")
    if version is None:
        reader.problem((), f"missing schema_version: add `schema_version = {SCHEMA_VERSION}` at the top")
    elif version != SCHEMA_VERSION:
        reader.problem(
            ("schema_version",),
            f"this policy file is schema version {version!r}; this Schoolgate reads version {SCHEMA_VERSION}",
        )
    reader.table(data, (), _TOP_KEYS)

    school = reader.table(data.get("school", {}), ("school",), _SCHOOL_KEYS)
    zone_name = reader.text(school, ("school",), "timezone", "Europe/London") or "Europe/London"
    zone = _zone(reader, ("school", "timezone"), zone_name) or ZoneInfo("Europe/London")
    school_name = reader.text(school, ("school",), "name", "") or ""
    block_page = reader.text(school, ("school",), "block_page", "http://127.0.0.1:8080/blocked") or ""
    if not valid_block_page(block_page):
        reader.problem(
            ("school", "block_page"),
            f"{block_page!r} is not a usable block page address: give an http:// or https:// URL "
            "without spaces or quotes",
        )
    unparsable = reader.choice(school, ("school",), "unparsable", ("block", "allow"), "block")

    lists, refused = _read_lists(reader, data.get("lists", {}), base, roots)
    groups = _read_groups(reader, data.get("groups", {}))
    users, networks, timed = _read_identities(reader, data.get("identities", []), groups, zone)
    windows = _read_windows(reader, data.get("windows", {}), zone)
    categories = _read_categories(reader, data.get("categories", {}), lists, refused)
    sites = _read_sites(reader, data.get("sites", {}))
    rules = _read_rules(reader, data.get("rules", []), groups, windows, categories, sites, zone)
    grants = _read_grants(reader, data.get("grants", []), groups, windows, zone, len(rules))

    if reader.problems:
        raise PolicyFileError(tuple(reader.problems))
    locked_sources = frozenset(
        source
        for category in categories.values()
        for source in category.sources
        if lists.get(source.split("/", 1)[0], ListDeclaration("", "", Path())).locked
    )
    policy = Policy(
        school=school_name,
        timezone=zone,
        groups=groups,
        users=users,
        networks=networks,
        windows=windows,
        categories=categories,
        sites=sites,
        rules=rules,
        locked_sources=locked_sources,
        unparsable_action=Action(unparsable),
        block_page=block_page,
        grants=grants,
        timed_identities=timed,
    )
    return PolicyFile(Path(file), policy, lists, text)


def load_policy(path: Path | str, roots: Sequence[Path] | None = None) -> PolicyFile:
    """Read and check a policy file. Raises PolicyFileError (never a bare OSError or decode error).
    Its lists must lie in `roots` (default `list_roots` of the file's directory)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyFileError(
            (Problem(str(path), 0, "", f"cannot read the policy file: {exc.strerror}"),)
        ) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows Notepad) is not part of the text
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyFileError((Problem(str(path), line, "", "the file is not UTF-8 text"),)) from None
    return parse_policy(text, str(path), path.resolve().parent, roots)


def _read_lists(
    reader: _Reader, value: object, base: Path, roots: Sequence[Path]
) -> tuple[dict[str, ListDeclaration], set[str]]:
    """The declared lists, and the names of those whose path lies outside `roots` (declared, so that
    the categories drawing on them are not also reported, but never looked at)."""
    out: dict[str, ListDeclaration] = {}
    refused: set[str] = set()
    for name, spec in _items(reader, value, ("lists",)):
        key: KeyPath = ("lists", name)
        installed = True
        table = reader.table(spec, key, _LIST_KEYS)
        fmt = reader.choice(table, key, "format", LIST_FORMATS, "squidguard")
        path_text = reader.text(table, key, "path")
        if not path_text:
            reader.problem(key, 'missing "path": the directory or file that holds the list')
            continue
        path, outside = check_list_path(path_text, base, roots)
        if path is None:
            reader.problem((*key, "path"), outside or "")
            refused.add(name)
            path = Path(path_text)
        elif locked_list_missing(table, fmt, path):
            installed = False
        elif fmt == "squidguard" and not path.is_dir():
            reader.problem((*key, "path"), f"{path} is not a directory of category lists")
        elif fmt != "squidguard" and not path.is_file():
            reader.problem((*key, "path"), f"{path} is not a file")
        if "/" in name:
            reader.problem(key, f'list name "{name}" may not contain "/"')
        description = reader.text(table, key, "description", "") or ""
        locked = reader.flag(table, key, "locked", False)
        out[name] = ListDeclaration(name, fmt, path, locked, description, installed)
    return out, refused


def locked_list_missing(table: Mapping[str, Any], fmt: str, path: Path) -> bool:
    """Whether this is a locked single-file list with nothing at its path. Such a list (the IWF's, the
    police-assessed terrorism list) comes from outside, under licence, and a new school may not have it
    yet: the policy is not refused for it (that would leave the school with no filter at all), but
    loads with the list marked not installed, and says so everywhere (`PolicyFile.lists_not_installed`).
    Only a path that does not exist counts: a directory where a file should be is still an error."""
    return table.get("locked") is True and fmt != "squidguard" and not os.path.lexists(path)


def _items(reader: _Reader, value: object, key: KeyPath) -> list[tuple[str, Any]]:
    if not isinstance(value, dict):
        reader.problem(key, f"expected a table, found {_kind(value)}")
        return []
    return list(value.items())


def _read_groups(reader: _Reader, value: object) -> dict[str, Group]:
    out: dict[str, Group] = {}
    for name, spec in _items(reader, value, ("groups",)):
        key: KeyPath = ("groups", name)
        if name == EVERYONE:
            reader.problem(key, f'"{EVERYONE}" is reserved: rules use it to mean every group')
            continue
        table = reader.table(spec, key, _GROUP_KEYS)
        default = reader.choice(table, key, "default", ("allow", "block"), "block")
        youtube = reader.choice(table, key, "youtube", tuple(m.value for m in YouTubeMode), "strict")
        out[name] = Group(
            name=name,
            default_action=Action(default),
            description=reader.text(table, key, "description", "") or "",
            safe_search=reader.flag(table, key, "safe_search", True),
            youtube=YouTubeMode(youtube),
            within=reader.text(table, key, "within"),
        )
    if DEFAULT_GROUP not in out:
        reader.problem(("groups",), f'add a group "{DEFAULT_GROUP}": unidentified users and devices get it')
    _check_within(reader, out)
    return out


def _check_within(reader: _Reader, groups: Mapping[str, Group]) -> None:
    """Every `within` names another group, not `default`, and no circle (the engine's own check, so
    that the message is the same wherever the policy comes from, with a suggestion for a typing slip)."""
    holder = Policy("", ZoneInfo("UTC"), groups, {}, (), {}, {}, {}, ())
    for name, group in groups.items():
        problem = within_problem(holder, name)
        if problem is None:
            continue
        hint = ""
        if group.within is not None and group.within not in groups and name != DEFAULT_GROUP:
            hint = suggest(group.within, [g for g in groups if g not in (name, DEFAULT_GROUP)])
        reader.problem(("groups", name, "within"), problem + hint)


def _group_ref(reader: _Reader, key: KeyPath, name: str, groups: Mapping[str, Group]) -> bool:
    if name in groups:
        return True
    reader.problem(key, f'unknown group "{name}"{suggest(name, groups)}')
    return False


def _read_identities(
    reader: _Reader, value: object, groups: Mapping[str, Group], zone: tzinfo
) -> tuple[dict[str, str], tuple[Network, ...], tuple[TimedIdentity, ...]]:
    """The identities without times (a user name in one group at most), and the timed blocks (a user
    name or network in any number of them: each wins over the untimed block while it is in force)."""
    users: dict[str, str] = {}
    networks: list[Network] = []
    timed: list[TimedIdentity] = []
    if not isinstance(value, list):
        reader.problem(("identities",), "expected [[identities]] entries")
        return users, (), ()
    user_keys: dict[str, KeyPath] = {}
    for n, spec in enumerate(value):
        key: KeyPath = ("identities", n)
        table = reader.table(spec, key, _IDENTITY_KEYS)
        group = reader.text(table, key, "group")
        if not group:
            reader.problem(key, 'missing "group"')
            continue
        if not _group_ref(reader, (*key, "group"), group, groups):
            continue
        label = reader.text(table, key, "label", "") or ""
        starts, expires = _times(reader, table, key, zone, "the identity")
        is_timed = "starts" in table or "expires" in table
        names: list[str] = []
        for i, user in enumerate(reader.texts(table, key, "users")):
            lowered = user_key(user)
            if is_timed:
                names.append(user)
                continue
            if lowered in users and users[lowered] != group:
                reader.problem(
                    (*key, "users", i),
                    f'user "{user}" is already in group "{users[lowered]}" '
                    f"(line {reader.locator.line(user_keys[lowered])})",
                )
                continue
            users[lowered] = group
            user_keys[lowered] = (*key, "users", i)
        block_networks: list[Network] = []
        for i, text in enumerate(reader.texts(table, key, "networks")):
            try:
                net = ipaddress.ip_network(text, strict=False)
            except ValueError:
                reader.problem(
                    (*key, "networks", i), f'"{text}" is not an address or range such as 10.1.0.0/16'
                )
                continue
            block_networks.append(Network(net, group, label))
        if "users" not in table and "networks" not in table:
            reader.problem(key, 'an identity needs "users" or "networks"')
        if is_timed:
            timed.append(TimedIdentity(group, tuple(names), tuple(block_networks), starts, expires, label))
        else:
            networks.extend(block_networks)
    return users, tuple(networks), tuple(timed)


def _times(
    reader: _Reader, table: Mapping[str, Any], key: KeyPath, zone: tzinfo, what: str
) -> tuple[datetime | None, datetime | None]:
    """`starts` and `expires`, read as instants in the school's time zone; `expires` must be later."""
    starts = _instant(reader, (*key, "starts"), table["starts"], zone) if "starts" in table else None
    expires = _instant(reader, (*key, "expires"), table["expires"], zone) if "expires" in table else None
    if starts and expires and expires <= starts:
        reader.problem((*key, "expires"), f"{what} expires before it starts")
    return starts, expires


def _read_windows(reader: _Reader, value: object, zone: tzinfo) -> dict[str, Window]:
    out: dict[str, Window] = {}
    for name, spec in _items(reader, value, ("windows",)):
        key: KeyPath = ("windows", name)
        table = reader.table(spec, key, _WINDOW_KEYS)
        window_zone = zone
        if "timezone" in table:
            zone_name = reader.text(table, key, "timezone")
            window_zone = (_zone(reader, (*key, "timezone"), zone_name) if zone_name else None) or zone
        parts = {field: reader.texts(table, key, field) for field in ("days", "times", "terms", "holidays")}
        try:
            out[name] = make_window(
                name,
                window_zone,
                days=parts["days"],
                spans=parts["times"],
                terms=parts["terms"],
                holidays=parts["holidays"],
            )
        except WindowError as exc:
            reader.problem(_window_field(key, str(exc), parts), str(exc))
    return out


def _window_field(key: KeyPath, message: str, parts: Mapping[str, tuple[str, ...]]) -> KeyPath:
    """Point a window error at the item it quotes, when it quotes one."""
    for field, items in parts.items():
        for n, item in enumerate(items):
            if f'"{item}"' in message:
                return (*key, field, n)
    return key


def _read_categories(
    reader: _Reader, value: object, lists: Mapping[str, ListDeclaration], refused: set[str]
) -> dict[str, Category]:
    out: dict[str, Category] = {}
    for name, spec in _items(reader, value, ("categories",)):
        key: KeyPath = ("categories", name)
        table = reader.table(spec, key, _CATEGORY_KEYS)
        sources = reader.texts(table, key, "sources")
        for n, source in enumerate(sources):
            _check_source(reader, (*key, "sources", n), source, lists, refused)
        uksic = reader.text(table, key, "uksic")
        if uksic is not None and uksic not in UKSIC_CATEGORIES:
            reader.problem(
                (*key, "uksic"), f'"{uksic}" is not a UKSIC category{suggest(uksic, UKSIC_CATEGORIES)}'
            )
        out[name] = Category(
            name=name,
            sources=sources,
            uksic=uksic,
            description=reader.text(table, key, "description", "") or "",
            locked=reader.flag(table, key, "locked", False),
        )
    return out


_CATEGORY_DIR = re.compile(r"(?!\.\.?$)[A-Za-z0-9_.-]{1,100}", re.ASCII)


def _check_source(
    reader: _Reader, key: KeyPath, source: str, lists: Mapping[str, ListDeclaration], refused: set[str]
) -> None:
    list_name, _, category = source.partition("/")
    declared = lists.get(list_name)
    if declared is None:
        reader.problem(key, f'unknown list "{list_name}" in "{source}"{suggest(list_name, lists)}')
        return
    if list_name in refused:  # its path is reported already, and is not to be looked at
        return
    if declared.format == "squidguard":
        if not category:
            reader.problem(key, f'"{source}": name a category of the list, such as "{list_name}/gambling"')
        elif _CATEGORY_DIR.fullmatch(category) is None:
            # One folder of the list: never a path that leads elsewhere ("../..", "a/b").
            reader.problem(
                key,
                f'"{source}": a category is one folder name of the list (letters, digits, "_", "-", ".")',
            )
        elif declared.path.is_dir() and not (declared.path / category).is_dir():
            names = sorted(p.name for p in declared.path.iterdir() if p.is_dir())
            reader.problem(key, f'list "{list_name}" has no category "{category}"{suggest(category, names)}')
    elif category:
        reader.problem(key, f'"{source}": list "{list_name}" is a single list; write just "{list_name}"')


def _read_sites(reader: _Reader, value: object) -> dict[str, SiteList]:
    out: dict[str, SiteList] = {}
    for name, spec in _items(reader, value, ("sites",)):
        key: KeyPath = ("sites", name)
        table = reader.table(spec, key, _SITE_KEYS)
        out[name] = SiteList(
            name=name,
            domains=reader.texts(table, key, "domains"),
            urls=reader.texts(table, key, "urls"),
            description=reader.text(table, key, "description", "") or "",
        )
    return out


def _refs(
    reader: _Reader,
    table: Mapping[str, Any],
    key: KeyPath,
    field: str,
    known: Mapping[str, object],
    what: str,
    check: Callable[[str], bool] | None = None,
) -> tuple[str, ...]:
    names = reader.texts(table, key, field)
    for n, name in enumerate(names):
        if name not in known and not (check and check(name)):
            reader.problem((*key, field, n), f'unknown {what} "{name}"{suggest(name, known)}')
    return names


def _read_rules(
    reader: _Reader,
    value: object,
    groups: Mapping[str, Group],
    windows: Mapping[str, Window],
    categories: Mapping[str, Category],
    sites: Mapping[str, SiteList],
    zone: tzinfo,
) -> tuple[Rule, ...]:
    if not isinstance(value, list):
        reader.problem(("rules",), "expected [[rules]] entries")
        return ()
    rules: list[Rule] = []
    for n, spec in enumerate(value):
        key: KeyPath = ("rules", n)
        table = reader.table(spec, key, _RULE_KEYS)
        name = reader.text(table, key, "name", f"rule {n + 1}") or f"rule {n + 1}"
        if "action" not in table:
            reader.problem(key, 'missing "action": "allow" or "block"')
        action = reader.choice(table, key, "action", ("allow", "block"), "block")
        who = _refs(reader, table, key, "groups", groups, "group", lambda g: g == EVERYONE) or (EVERYONE,)
        cats = _refs(reader, table, key, "categories", categories, "category")
        site_refs = _refs(reader, table, key, "sites", sites, "site list")
        domains = reader.texts(table, key, "domains")
        urls = reader.texts(table, key, "urls")
        patterns = reader.texts(table, key, "patterns")
        all_sites = reader.flag(table, key, "all_sites", False)
        if not (cats or site_refs or domains or urls or patterns or all_sites):
            reader.problem(
                key,
                f'rule {n + 1} "{name}" matches nothing: give categories, sites, domains, urls, '
                "patterns, or all_sites = true",
            )
        window = reader.text(table, key, "window")
        if window is not None and window not in windows:
            reader.problem((*key, "window"), f'unknown window "{window}"{suggest(window, windows)}')
        starts, expires = _times(reader, table, key, zone, "the rule")
        alert = reader.choice(table, key, "alert", tuple(a.value for a in AlertLevel), "none")
        rules.append(
            Rule(
                number=n + 1,
                name=name,
                action=Action(action),
                groups=who,
                categories=cats,
                sites=site_refs,
                domains=domains,
                urls=urls,
                patterns=patterns,
                all_sites=all_sites,
                window=window,
                starts=starts,
                expires=expires,
                alert=AlertLevel(alert),
            )
        )
    return tuple(rules)


def _read_grants(
    reader: _Reader,
    value: object,
    groups: Mapping[str, Group],
    windows: Mapping[str, Window],
    zone: tzinfo,
    after: int,
) -> tuple[Rule, ...]:
    """The `[[grants]]` entries approved requests wrote, as rules numbered from `after` + 1: a few
    domains or URLs for some groups (none named: everyone), at some times, allowed or blocked."""
    if not isinstance(value, list):
        reader.problem(("grants",), "expected [[grants]] entries")
        return ()
    grants: list[Rule] = []
    for n, spec in enumerate(value):
        key: KeyPath = ("grants", n)
        if isinstance(spec, dict):
            for name in spec:
                if name in _NOT_IN_GRANTS:
                    reader.problem(
                        (*key, name),
                        f'a grant may name only domains and urls, not "{name}": it is narrow by design '
                        "(write a [[rules]] entry for more)",
                    )
            spec = {k: v for k, v in spec.items() if k not in _NOT_IN_GRANTS}
        table = reader.table(spec, key, _GRANT_KEYS)
        request = table.get("request")
        if "request" not in table:
            reader.problem(key, 'missing "request": the number of the request this grant was approved for')
            request = None
        elif isinstance(request, bool) or not isinstance(request, int) or request < 1:
            reader.problem((*key, "request"), f"expected a request number (1 or more), found {request!r}")
            request = None
        name = reader.text(table, key, "name") or (f"request {request}" if request else f"grant {n + 1}")
        if "action" not in table:
            reader.problem(key, 'missing "action": "allow" or "block"')
        action = reader.choice(table, key, "action", ("allow", "block"), "block")
        who = _refs(reader, table, key, "groups", groups, "group", lambda g: g == EVERYONE) or (EVERYONE,)
        if "groups" in table and table["groups"] == []:
            # A grant is narrow by design: everyone must be said by leaving "groups" out, never by a
            # list that lost its names.
            reader.problem(
                (*key, "groups"), 'an empty "groups": name the groups, or leave it out for everyone'
            )
        domains = reader.texts(table, key, "domains")
        urls = reader.texts(table, key, "urls")
        if not (domains or urls):
            reader.problem(key, f'grant "{name}" names no site: give domains or urls')
        window = reader.text(table, key, "window")
        if window is not None and window not in windows:
            reader.problem((*key, "window"), f'unknown window "{window}"{suggest(window, windows)}')
        starts, expires = _times(reader, table, key, zone, "the grant")
        grants.append(
            Rule(
                number=after + n + 1,
                name=name,
                action=Action(action),
                groups=who,
                domains=domains,
                urls=urls,
                window=window,
                starts=starts,
                expires=expires,
                request=request or 0,  # 0 only when a problem is reported
            )
        )
    return tuple(grants)
