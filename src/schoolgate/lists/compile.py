"""Read the lists a policy names, compile them into one index file, and open that file shared.

`compile_lists()` is what `schoolgate lists compile` runs; `open_index()` (defined beside the policy
snapshot, in policyfile/snapshot.py, and named here too) is what every gateway process runs at
start-up and on reload: it memory-maps the file read-only, so N helper processes share one copy of
the pages and start in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from schoolgate.engine.index import SourceEntries, build_index
from schoolgate.engine.lists import (
    ListProblem,
    Parsed,
    parse_domains,
    parse_expressions,
    parse_hosts,
    parse_urls,
)
from schoolgate.files import write_atomically
from schoolgate.policyfile.load import ListDeclaration
from schoolgate.policyfile.snapshot import open_index  # where the gateways open it: named here too

__all__ = ["CompileResult", "compile_lists", "list_files", "open_index", "read_sources"]

_LINK_OUT = "a link to a file outside the list's directory, so it was not read"
_SQUIDGUARD_FILES: dict[str, Callable[..., Parsed]] = {
    "domains": parse_domains,
    "urls": parse_urls,
    "expressions": parse_expressions,
}


@dataclass(slots=True)
class CompileResult:
    """What a compilation produced, for the command's summary."""

    path: Path
    sources: int
    domains: int
    urls: int
    expressions: int
    bytes: int
    seconds: float
    problems: list[ListProblem] = field(default_factory=list)


def list_files(declaration: ListDeclaration) -> list[tuple[str, str, Path]]:
    """(source name, kind, file) for every file of a declared list, in a stable order. A file of a
    squidGuard list that is a link to somewhere outside the list's own directory is left out."""
    return _walk(declaration)[0]


def _walk(declaration: ListDeclaration) -> tuple[list[tuple[str, str, Path]], list[ListProblem]]:
    """The files of a list, and a problem for each link that leads out of its directory: the policy
    loader checked where the list's directory is, and a link inside it must not reach past that."""
    if not declaration.installed:
        return [], []  # a locked list not installed (policyfile.load.locked_list_missing): compiled empty
    if declaration.format != "squidguard":
        return [(declaration.name, declaration.format, declaration.path)], []
    out = []
    problems = []
    top = declaration.path.resolve()
    for category in sorted(p for p in declaration.path.iterdir() if p.is_dir()):
        for kind in _SQUIDGUARD_FILES:
            file = category / kind
            if not file.is_file():
                continue
            if not file.resolve().is_relative_to(top):
                problems.append(ListProblem(str(file), 0, file.name, _LINK_OUT))
                continue
            out.append((f"{declaration.name}/{category.name}", kind, file))
    return out, problems


def _lines(path: Path) -> Iterator[str]:
    # Undecodable bytes become lone surrogates, which no reader accepts: the line is reported, not lost.
    with path.open(encoding="utf-8", errors="surrogateescape", newline=None) as handle:
        yield from handle


def read_sources(
    lists: Mapping[str, ListDeclaration], progress: Callable[[int], None] | None = None
) -> tuple[list[SourceEntries], list[ListProblem]]:
    """Read every declared list. `progress` gets the number of bytes read after each file."""
    by_source: dict[str, dict[str, list[str]]] = {}
    problems: list[ListProblem] = []
    for declaration in lists.values():
        if not declaration.installed:
            # In the index with no entries, so that the policy's locked categories still compile: they
            # block nothing until the list is installed, and every report says so.
            by_source.setdefault(declaration.name, {"domains": [], "urls": [], "expressions": []})
        files, links_out = _walk(declaration)
        problems.extend(links_out)
        for source, kind, file in files:
            slot = by_source.setdefault(source, {"domains": [], "urls": [], "expressions": []})
            if kind in _SQUIDGUARD_FILES:
                parsed = _SQUIDGUARD_FILES[kind](_lines(file), str(file))
                slot[kind].extend(parsed.entries)
            else:
                parsed = (parse_hosts if kind == "hosts" else parse_domains)(_lines(file), str(file))
                slot["domains"].extend(parsed.entries)
            problems.extend(parsed.problems)
            if progress is not None:
                progress(file.stat().st_size)
    sources = [
        SourceEntries(name, d["domains"], d["urls"], d["expressions"])
        for name, d in sorted(by_source.items())
    ]
    return sources, problems


@contextmanager
def _progress_bar(total: int, enabled: bool, description: str) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, desc=description, leave=False) as bar:
        yield bar.update


def compile_lists(
    lists: Mapping[str, ListDeclaration], out: Path, *, progress: bool = False
) -> CompileResult:
    """Compile the lists into `out`, atomically: readers see the old file or the new one, never half."""
    started = time.perf_counter()
    total = sum(f.stat().st_size for d in lists.values() for _, _, f in list_files(d))
    with _progress_bar(total, progress, "reading lists") as update:
        sources, problems = read_sources(lists, update)
    info = {
        "lists": {
            name: {"format": d.format, "path": str(d.path), "locked": d.locked, "installed": d.installed}
            for name, d in lists.items()
        },
        "problems": len(problems),
    }
    data = build_index(sources, info=info)
    write_atomically(out, data)  # the gateways map it while it is replaced
    return CompileResult(
        path=out,
        sources=len(sources),
        domains=sum(len(s.domains) for s in sources),
        urls=sum(len(s.urls) for s in sources),
        expressions=sum(len(s.expressions) for s in sources),
        bytes=len(data),
        seconds=time.perf_counter() - started,
        problems=problems,
    )
