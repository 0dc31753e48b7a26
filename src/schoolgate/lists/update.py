"""Download the full UT1 blacklists and install them as a lists directory.

:func:`update_lists` fetches the UT1 archive (``blacklists.tar.gz``: a top directory
``blacklists/`` holding one squidGuard-style directory per category, with ``domains``,
``urls`` and ``expressions`` files), extracts it safely and swaps it into place so that
readers only ever see either the old complete lists or the new complete lists.

Every failure a network manager can meet (no network, proxy or firewall, HTTP error,
timeout, a login or error page instead of the archive, a cut-short download, an unsafe
archive, a full disk) is reported as an :class:`UpdateError` whose message says what
failed and what to do; the lists already installed are left untouched in every case.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import glob
import gzip
import hashlib
import http.client
import os
import posixpath
import secrets
import shutil
import ssl
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

__all__ = ["DEFAULT_UT1_URL", "UpdateError", "UpdateResult", "update_lists"]

DEFAULT_UT1_URL = "https://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz"

_CHUNK = 64 * 1024
_USER_AGENT = "schoolgate-lists-update/0.1 (+UT1 blacklists)"
_ALLOWED_SCHEMES = ("http", "https", "file")
_GZIP_MAGIC = b"\x1f\x8b"
_LIST_FILES = ("domains", "urls", "expressions")
# Upper bound on symlink materialisations, so a hostile archive cannot make us copy forever.
_MAX_LINK_COPIES = 1000
_MAX_LINK_PASSES = 4
_KEPT_TOP_FILES_PREFIX = ("LICENSE", "COPYING")


class UpdateError(Exception):
    """The lists could not be updated; the message says what failed and what to do.

    The lists directory that was in place before the update is left untouched.
    """


@dataclass(frozen=True)
class UpdateResult:
    """What :func:`update_lists` installed."""

    dest: Path
    categories: int
    domains: int
    urls: int
    bytes_downloaded: int


def update_lists(
    dest: Path,
    url: str = DEFAULT_UT1_URL,
    *,
    timeout: float = 60.0,
    progress: bool = True,
) -> UpdateResult:
    """Download the UT1 archive at ``url`` and install it as the lists directory ``dest``.

    The archive is streamed to a temporary file next to ``dest``, extracted into
    ``<dest>.new-XXXX`` and only then swapped into place; the previous lists stay usable
    until the swap and are removed after it. ``dest/SOURCE`` records the URL, the UTC
    download time and the SHA-256 of the archive.

    ``timeout`` applies to connecting and to each network read. A progress bar (bytes)
    is shown on stderr when ``progress`` is true and stderr is a terminal.

    Raises :class:`UpdateError` on any failure, leaving the existing ``dest`` untouched.
    """
    dest = Path(os.path.abspath(dest))
    parent = dest.parent
    _check_url(url)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _disk_error(parent, exc) from exc

    try:
        with _update_lock(dest):
            return _update_locked(dest, url, timeout=timeout, progress=progress)
    except OSError as exc:  # network errors are already UpdateErrors: this is the local disk
        raise _disk_error(parent, exc) from None


def _update_locked(dest: Path, url: str, *, timeout: float, progress: bool) -> UpdateResult:
    """The update proper, run with the update lock held."""
    parent = dest.parent
    _tidy_leftovers(dest)
    archive = _new_temp_file(parent, f".{dest.name}.download-", ".tar.gz")
    try:
        sha256, size = _download(url, archive, timeout=timeout, progress=progress)
        downloaded_at = dt.datetime.now(dt.UTC)
        staging = _new_temp_dir(parent, f"{dest.name}.new-")
        try:
            lists = _unpack(archive, staging, url)
            categories, domains, urls, any_domains = _count(lists)
            if not any_domains:
                raise UpdateError(
                    f"the archive at {url} holds no category lists (no category directory with a "
                    "'domains' file was found in it). Check that the URL points to the UT1 "
                    f"blacklists archive (the default is {DEFAULT_UT1_URL}); the current lists were "
                    "left in place."
                )
            _write_source(lists, url, downloaded_at, sha256, size)
            _swap_into_place(lists, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        with contextlib.suppress(OSError):
            archive.unlink()
    return UpdateResult(dest=dest, categories=categories, domains=domains, urls=urls, bytes_downloaded=size)


# --------------------------------------------------------------------------- download


def _check_url(url: str) -> None:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise UpdateError(
            f"cannot download the lists from {url!r}: the address must start with http://, https:// "
            f"or file:// (the default is {DEFAULT_UT1_URL})."
        )


def _download(url: str, target: Path, *, timeout: float, progress: bool) -> tuple[str, int]:
    """Stream ``url`` into ``target``; return (sha256 hex digest, bytes written)."""
    host = urllib.parse.urlsplit(url).hostname or url
    kept = " The current lists were left in place."
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise UpdateError(
            f"could not download the lists from {url}: the server answered HTTP {exc.code} {exc.reason}. "
            + _http_advice(exc.code)
            + kept
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise _timeout_error(url, timeout) from None
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise UpdateError(
                f"could not download the lists from {url}: the HTTPS certificate check failed "
                f"({_describe(reason)}). This usually means a proxy or firewall inspects HTTPS: install "
                "its CA certificate on this server or exempt the lists site from inspection." + kept
            ) from None
        if urllib.parse.urlsplit(url).scheme == "file":
            raise UpdateError(
                f"could not read the lists archive {url} ({_describe(reason)})." + kept
            ) from None
        raise UpdateError(
            f"could not connect to {host} to download the lists ({_describe(reason)}). Check this "
            "server's internet access, DNS and any proxy (http_proxy/https_proxy) or firewall rules "
            "for outbound HTTPS, then try again." + kept
        ) from None
    except TimeoutError:
        raise _timeout_error(url, timeout) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise UpdateError(
            f"could not download the lists from {url} ({_describe(exc)}). Check the address and this "
            "server's network access, then try again." + kept
        ) from None

    digest = hashlib.sha256()
    written = 0
    with response:
        expected = _content_length(response.headers.get("Content-Length"))
        show = progress and sys.stderr.isatty()
        bar = tqdm(
            total=expected,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="UT1 lists",
            disable=not show,
            leave=False,
        )
        try:
            with bar, target.open("wb") as out:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except TimeoutError:
                        raise _timeout_error(url, timeout) from None
                    except (OSError, http.client.HTTPException) as exc:
                        raise UpdateError(
                            f"the download of the lists from {url} broke off after {written} bytes "
                            f"({_describe(exc)}). Try again; if it keeps failing check the connection "
                            "and any proxy between this server and the internet." + kept
                        ) from None
                    if not chunk:
                        break
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise _disk_error(target.parent, exc) from None
                    digest.update(chunk)
                    written += len(chunk)
                    bar.update(len(chunk))
        except OSError as exc:  # opening or closing the temporary file
            raise _disk_error(target.parent, exc) from None
    if expected is not None and written < expected:
        raise UpdateError(
            f"the download of the lists from {url} was cut short: got {written} of {expected} bytes. "
            "Try again; if it keeps failing check the connection and any proxy." + kept
        )
    return digest.hexdigest(), written


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def _http_advice(code: int) -> str:
    if code in (401, 403, 407):
        return (
            "Access was refused: check any proxy credentials and that this server is allowed to "
            "reach the lists site."
        )
    if code == 404:
        return f"Check that the lists URL is right (the default is {DEFAULT_UT1_URL})."
    if code >= 500:
        return "The lists server has a problem: try again later."
    return "Check the lists URL and try again later."


def _timeout_error(url: str, timeout: float) -> UpdateError:
    return UpdateError(
        f"the download of the lists from {url} timed out (no answer within {timeout:g} s). The lists "
        "server or the network is slow or blocked: try again later, or allow a longer timeout. "
        "The current lists were left in place."
    )


def _disk_error(where: Path, exc: OSError) -> UpdateError:
    return UpdateError(
        f"could not write the new lists in {where} ({_describe(exc)}). Check the free disk space and "
        "that schoolgate may write to that directory; the current lists were left in place."
    )


def _describe(exc: object) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    return text if text else type(exc).__name__


# --------------------------------------------------------------------------- extraction


def _unpack(archive: Path, staging: Path, url: str) -> Path:
    """Extract ``archive`` under ``staging`` and return the prepared lists directory."""
    with archive.open("rb") as fh:
        head = fh.read(len(_GZIP_MAGIC))
    if head != _GZIP_MAGIC:
        with archive.open("rb") as fh:
            start = fh.read(16)
        raise UpdateError(
            f"the file downloaded from {url} is not a .tar.gz archive (it starts with {start!r}); "
            "the server or a proxy probably sent an error or login page instead. Check the URL and "
            "any proxy, then try again. The current lists were left in place."
        )

    extract_dir = staging / "archive"
    extract_dir.mkdir()
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            tar.extractall(extract_dir, filter=_safe_filter())
    except tarfile.FilterError as exc:
        raise UpdateError(
            f"the archive downloaded from {url} was rejected because it contains an unsafe entry "
            f"({exc}). Nothing was installed and the current lists were left in place; check that "
            "the URL points to the genuine UT1 lists."
        ) from None
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise UpdateError(
            f"the archive downloaded from {url} is damaged or incomplete ({_describe(exc)}); the "
            "download was probably cut short or altered by a proxy. Try again later. The current "
            "lists were left in place."
        ) from None
    except OSError as exc:
        raise _disk_error(staging.parent, exc) from None

    root = _find_root(extract_dir)
    try:
        _materialise_links(root, extract_dir, url)
        _keep_licence_files(extract_dir, root)
        lists = staging / "lists"
        root.rename(lists)
    except OSError as exc:
        raise _disk_error(staging.parent, exc) from None
    return lists


def _safe_filter() -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo | None]:
    """tarfile's ``data`` filter plus stricter checks on names and links.

    On top of the ``data`` filter (no absolute paths, no ``..`` escape, no device files,
    no links out of the archive), refuse: ``..`` anywhere in a member name; members placed
    beneath, or over, an earlier symlink; link targets using ``..`` after a normal path
    component. With these rules a link can be resolved textually, so containment does
    not depend on ``os.path.realpath`` behaving well on hostile trees.
    """
    symlinks: set[str] = set()

    def check(member: tarfile.TarInfo, dest_path: str) -> tarfile.TarInfo | None:
        name = member.name
        if name.startswith("/"):
            raise tarfile.AbsolutePathError(member)
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts or "\\" in name:
            raise tarfile.OutsideDestinationError(member, name)
        norm = "/".join(parts)
        for i in range(1, len(parts) + 1):
            if "/".join(parts[:i]) in symlinks:
                # beneath or over an earlier symlink: would write through the link
                raise tarfile.OutsideDestinationError(member, norm)
        if member.issym() or member.islnk():
            link = member.linkname
            if link.startswith("/"):
                raise tarfile.AbsoluteLinkError(member)
            link_parts = [p for p in link.split("/") if p not in ("", ".")]
            seen_normal = False
            for p in link_parts:
                if p == "..":
                    if seen_normal:
                        raise tarfile.LinkOutsideDestinationError(member, link)
                else:
                    seen_normal = True
            base = posixpath.dirname(norm) if member.issym() else ""
            resolved = posixpath.normpath(posixpath.join(base, link))
            if resolved == ".." or resolved.startswith("../"):
                raise tarfile.LinkOutsideDestinationError(member, link)
            if member.islnk() and resolved in symlinks:
                raise tarfile.LinkOutsideDestinationError(member, link)
        filtered = tarfile.data_filter(member, dest_path)
        if member.issym():
            symlinks.add(norm)
        return filtered

    return check


def _is_category(path: Path) -> bool:
    return path.is_dir() and any((path / f).is_file() for f in _LIST_FILES)


def _find_root(extract_dir: Path) -> Path:
    """The directory holding the category directories (``blacklists/`` in the UT1 archive)."""
    root = extract_dir
    for _ in range(3):
        children = [c for c in root.iterdir() if not c.is_symlink()]
        if any(_is_category(c) for c in children):
            return root
        dirs = [c for c in children if c.is_dir()]
        if len(dirs) != 1:
            break
        root = dirs[0]
    named = extract_dir / "blacklists"
    return named if named.is_dir() and not named.is_symlink() else root


def _iter_symlinks(root: Path) -> Iterator[Path]:
    for current, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(current, name)
            if path.is_symlink():
                yield path


def _materialise_links(root: Path, extract_dir: Path, url: str) -> None:
    """Replace every symlink under ``root`` by a copy of its target (UT1 aliases such as ``ads``).

    Targets must lie inside the extracted archive; dangling links and links to one of
    their own ancestors (loops) are dropped.
    """
    base = extract_dir.resolve()
    copies = 0
    for _pass in range(_MAX_LINK_PASSES):
        links = list(_iter_symlinks(root))
        if not links:
            return
        for link in links:
            if not link.is_symlink():  # already replaced in this pass (nested alias)
                continue
            try:
                target = link.resolve(strict=True)
            except (OSError, RuntimeError):
                link.unlink()  # dangling or looping link
                continue
            if not target.is_relative_to(base):
                raise UpdateError(
                    f"the archive downloaded from {url} was rejected because the link {link.name} "
                    "points outside it. Nothing was installed and the current lists were left in place."
                )
            link_parent = link.parent.resolve()
            if target.is_dir() and link_parent.is_relative_to(target):
                link.unlink()  # a link to its own ancestor would copy forever
                continue
            copies += 1
            if copies > _MAX_LINK_COPIES:
                raise UpdateError(
                    f"the archive downloaded from {url} has too many linked categories (over "
                    f"{_MAX_LINK_COPIES}); it does not look like the UT1 lists. The current lists were "
                    "left in place."
                )
            tmp = link.with_name(f".{link.name}.copy-{secrets.token_hex(4)}")
            if target.is_dir():
                shutil.copytree(target, tmp, symlinks=True)
            else:
                shutil.copy2(target, tmp)
            link.unlink()
            tmp.rename(link)
    for link in _iter_symlinks(root):  # links within links within links...: give up on those
        link.unlink()


def _keep_licence_files(extract_dir: Path, root: Path) -> None:
    """Copy licence files lying above ``root`` in the archive into ``root``."""
    current = root.parent
    while current.is_relative_to(extract_dir):
        for entry in current.iterdir():
            if (
                entry.name.upper().startswith(_KEPT_TOP_FILES_PREFIX)
                and entry.is_file()
                and not entry.is_symlink()
                and not (root / entry.name).exists()
            ):
                shutil.copy2(entry, root / entry.name)
        if current == extract_dir:
            break
        current = current.parent


# --------------------------------------------------------------------------- counting


def _count_entries(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        for line in fh:
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                count += 1
    return count


def _count(lists: Path) -> tuple[int, int, int, bool]:
    """Count what ``lists`` holds.

    Returns (categories, domain entries, url entries, whether any ``domains`` file exists).
    A category is a top-level directory with a ``domains``, ``urls`` or ``expressions``
    file in it or in one of its subdirectories; entries are non-blank, non-comment lines
    of every ``domains``/``urls`` file, nested ones included.
    """
    categories = 0
    domains = 0
    urls = 0
    any_domains = False
    for category in sorted(lists.iterdir()):
        if not category.is_dir() or category.is_symlink():
            continue
        is_category = False
        for current, _dirs, files in os.walk(category):
            if "domains" in files:
                any_domains = True
                domains += _count_entries(Path(current, "domains"))
            if "urls" in files:
                urls += _count_entries(Path(current, "urls"))
            if any(f in files for f in _LIST_FILES):
                is_category = True
        if is_category:
            categories += 1
    return categories, domains, urls, any_domains


# --------------------------------------------------------------------------- install


def _write_source(lists: Path, url: str, when: dt.datetime, sha256: str, size: int) -> None:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = (
        "# Lists installed by schoolgate.lists.update\n"
        f"url: {url}\n"
        f"downloaded: {stamp}\n"
        f"sha256: {sha256}\n"
        f"bytes: {size}\n"
    )
    (lists / "SOURCE").write_text(text, encoding="utf-8")


def _swap_into_place(new: Path, dest: Path) -> None:
    """Put ``new`` at ``dest``; the old ``dest`` is renamed aside first and removed last."""
    old: Path | None = None
    try:
        if dest.exists() or dest.is_symlink():
            old = _unused_name(dest.parent, f"{dest.name}.old-")
            dest.rename(old)
        try:
            new.rename(dest)
        except OSError:
            if old is not None:
                old.rename(dest)  # put the previous lists back
            raise
    except OSError as exc:
        raise _disk_error(dest.parent, exc) from None
    if old is not None:
        _remove(old)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(OSError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _unused_name(parent: Path, prefix: str) -> Path:
    while True:
        candidate = parent / f"{prefix}{secrets.token_hex(4)}"
        if not candidate.exists() and not candidate.is_symlink():
            return candidate


def _new_temp_dir(parent: Path, prefix: str) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as exc:
        raise _disk_error(parent, exc) from None


def _new_temp_file(parent: Path, prefix: str, suffix: str) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=parent)
    except OSError as exc:
        raise _disk_error(parent, exc) from None
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def _update_lock(dest: Path) -> Iterator[None]:
    """Serialise updates of the same ``dest`` (e.g. a cron job and a manual run)."""
    lock_path = dest.parent / f".{dest.name}.update-lock"
    try:
        fh: BinaryIO = lock_path.open("ab")
    except OSError as exc:
        raise _disk_error(dest.parent, exc) from None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UpdateError(
                f"another update of {dest} is already running; wait for it to finish and try again."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _tidy_leftovers(dest: Path) -> None:
    """Clean up after an update that was killed part-way (called with the lock held).

    If it was killed between the two renames, ``dest`` is missing and the previous lists
    sit in ``<dest>.old-XXXX``: put them back. Then drop stale staging directories,
    downloads and old copies.
    """
    parent = dest.parent
    name = glob.escape(dest.name)
    olds = sorted(parent.glob(f"{name}.old-*"), key=lambda p: p.lstat().st_mtime)
    if not dest.exists() and not dest.is_symlink() and olds:
        with contextlib.suppress(OSError):
            olds.pop().rename(dest)
    for leftover in [
        *olds,
        *parent.glob(f"{name}.new-*"),
        *parent.glob(f".{name}.download-*"),
    ]:
        _remove(leftover)
