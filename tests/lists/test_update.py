"""Tests for schoolgate.lists.update (download and install the UT1 lists) and the shipped UT1 sample.

Every test serves a tarball built in tmp_path from a real HTTP server on 127.0.0.1; no
test touches the internet.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import socket
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from schoolgate.lists import update as update_mod
from schoolgate.lists.update import DEFAULT_UT1_URL, UpdateError, UpdateResult, update_lists

ARCHIVE_PATH = "/blacklists/download/blacklists.tar.gz"

# --------------------------------------------------------------------------- archive builders

# category -> file -> content, in the UT1 layout (top directory "blacklists/")
UT1_FILES: dict[str, bytes] = {
    "blacklists/README": b"UT1 test archive\n",
    "blacklists/LICENSE": b"CC BY-SA 4.0 - Blacklists UT1, Universite Toulouse Capitole\n",
    "blacklists/global_usage": b"NAME: adult\n",
    "blacklists/adult/domains": b"adult-one.example\nadult-two.example\n\n",
    "blacklists/adult/urls": b"mixed.example/adult/page\n",
    "blacklists/adult/expressions": b"(porn|xxx)\n",
    "blacklists/gambling/domains": b"# comment\nbet365.com\npokerstars.com\nwilliamhill.com\n",
    "blacklists/publicite/domains": b"ads.example\ntracker.example\n",
    "blacklists/publicite/urls": b"cdn.example/ads/\n",
    "blacklists/shopping/domains": b"amazon.co.uk\n",
    "blacklists/shopping/extra/domains": b"ebay.co.uk\nshop.example\n",
}
# alias -> target (relative symlink, as in UT1: ads -> publicite)
UT1_LINKS: dict[str, str] = {"blacklists/ads": "publicite"}
# domains: adult 2 + gambling 3 + publicite 2 + ads (copy) 2 + shopping 1 + shopping/extra 2
EXPECTED_DOMAINS = 12
EXPECTED_URLS = 1 + 1 + 1  # adult, publicite, ads (copy)
EXPECTED_CATEGORIES = 5  # adult, ads, gambling, publicite, shopping


def _add_dirs(tar: tarfile.TarFile, name: str, seen: set[str]) -> None:
    parts = name.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d and d not in seen and not d.startswith(".."):
            seen.add(d)
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)


def make_tarball(
    path: Path,
    files: dict[str, bytes] | None = None,
    links: dict[str, str] | None = None,
    extra: Callable[[tarfile.TarFile], None] | None = None,
) -> bytes:
    """Write a .tar.gz at ``path`` (UT1 layout by default) and return its bytes."""
    files = UT1_FILES if files is None else files
    links = UT1_LINKS if links is None else links
    seen: set[str] = set()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            _add_dirs(tar, name, seen)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            _add_dirs(tar, name, seen)
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
        if extra is not None:
            extra(tar)
    return path.read_bytes()


# --------------------------------------------------------------------------- HTTP server


class Route:
    def __init__(
        self,
        body: bytes,
        status: int = 200,
        content_length: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.body = body
        self.status = status
        self.content_length = len(body) if content_length is None else content_length
        self.delay = delay


class Server:
    """A real ThreadingHTTPServer on 127.0.0.1 serving the routes put in ``routes``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(route.content_length))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = ARCHIVE_PATH) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, body: bytes, path: str = ARCHIVE_PATH, **kwargs: object) -> str:
        self.routes[path] = Route(body, **kwargs)  # type: ignore[arg-type]
        return self.url(path)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        srv.thread.join(timeout=5)


@pytest.fixture
def tarball(tmp_path: Path) -> bytes:
    return make_tarball(tmp_path / "blacklists.tar.gz")


@pytest.fixture
def old_lists(tmp_path: Path) -> Path:
    """An installed lists directory that failed updates must leave exactly as it is."""
    dest = tmp_path / "srv" / "lists"
    (dest / "adult").mkdir(parents=True)
    (dest / "adult" / "domains").write_text("old.example\n")
    (dest / "MARKER").write_text("old lists\n")
    return dest


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
    }


def assert_untouched(dest: Path, before: dict[str, bytes | None]) -> None:
    assert snapshot(dest) == before
    leftovers = [
        p.name for p in dest.parent.iterdir() if p.name != dest.name and not p.name.endswith("-lock")
    ]
    assert leftovers == []


# --------------------------------------------------------------------------- success


def test_successful_update(server: Server, tarball: bytes, tmp_path: Path) -> None:
    url = server.serve(tarball)
    dest = tmp_path / "srv" / "lists"

    result = update_lists(dest, url, timeout=10, progress=False)

    assert result == UpdateResult(
        dest=dest,
        categories=EXPECTED_CATEGORIES,
        domains=EXPECTED_DOMAINS,
        urls=EXPECTED_URLS,
        bytes_downloaded=len(tarball),
    )
    # the archive's top directory "blacklists/" becomes dest itself
    assert (dest / "gambling" / "domains").read_bytes() == UT1_FILES["blacklists/gambling/domains"]
    assert (dest / "adult" / "expressions").read_bytes() == b"(porn|xxx)\n"
    assert (dest / "shopping" / "extra" / "domains").read_bytes() == b"ebay.co.uk\nshop.example\n"
    # the alias category is a real directory holding a copy of its target
    assert (dest / "ads").is_dir()
    assert not (dest / "ads").is_symlink()
    assert (dest / "ads" / "domains").read_bytes() == UT1_FILES["blacklists/publicite/domains"]
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    # the archive's licence is kept
    assert (dest / "LICENSE").read_bytes() == UT1_FILES["blacklists/LICENSE"]

    source = (dest / "SOURCE").read_text()
    assert f"url: {url}\n" in source
    assert f"sha256: {hashlib.sha256(tarball).hexdigest()}\n" in source
    assert "downloaded: 20" in source
    assert source.splitlines()[2].endswith("Z")
    # nothing left behind next to dest
    assert sorted(p.name for p in dest.parent.iterdir() if not p.name.endswith("-lock")) == ["lists"]


def test_progress_bar_enabled_without_tty_is_harmless(server: Server, tarball: bytes, tmp_path: Path) -> None:
    url = server.serve(tarball)
    result = update_lists(tmp_path / "lists", url, timeout=10, progress=True)
    assert result.categories == EXPECTED_CATEGORIES


def test_update_replaces_existing_directory(
    server: Server, tarball: bytes, old_lists: Path, tmp_path: Path
) -> None:
    url = server.serve(tarball)
    old_inode = old_lists.stat().st_ino

    result = update_lists(old_lists, url, timeout=10, progress=False)

    assert result.dest == old_lists
    assert old_lists.stat().st_ino != old_inode  # a new directory was renamed into place
    assert not (old_lists / "MARKER").exists()
    assert (old_lists / "adult" / "domains").read_bytes() == UT1_FILES["blacklists/adult/domains"]
    assert sorted(p.name for p in old_lists.parent.iterdir() if not p.name.endswith("-lock")) == ["lists"]


def test_failed_swap_puts_old_lists_back(
    server: Server, tarball: bytes, old_lists: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.serve(tarball)
    before = snapshot(old_lists)
    real_rename = Path.rename

    def failing_rename(self: Path, target: str | Path) -> Path:
        if Path(target) == old_lists and ".old-" not in self.name:
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(UpdateError, match="could not write the new lists"):
        update_lists(old_lists, url, timeout=10, progress=False)
    monkeypatch.undo()
    assert_untouched(old_lists, before)


def test_interrupted_swap_is_recovered(server: Server, old_lists: Path) -> None:
    """Killed between the two renames: dest is missing, the old lists sit in dest.old-XXXX."""
    before = snapshot(old_lists)
    old_lists.rename(old_lists.with_name("lists.old-1234abcd"))
    # any update, even a failing one, first puts the old lists back
    with pytest.raises(UpdateError, match="HTTP 404"):
        update_lists(old_lists, server.url("/nothing-here"), timeout=10, progress=False)
    assert_untouched(old_lists, before)


# --------------------------------------------------------------------------- failures


def test_http_404(server: Server, old_lists: Path) -> None:
    before = snapshot(old_lists)
    with pytest.raises(UpdateError, match=r"HTTP 404.*Check that the lists URL is right") as info:
        update_lists(old_lists, server.url("/no/such/archive.tar.gz"), timeout=10, progress=False)
    assert "current lists were left in place" in str(info.value)
    assert_untouched(old_lists, before)


def test_http_500(server: Server, old_lists: Path) -> None:
    before = snapshot(old_lists)
    url = server.serve(b"oops", status=500)
    with pytest.raises(UpdateError, match=r"HTTP 500.*try again later"):
        update_lists(old_lists, url, timeout=10, progress=False)
    assert_untouched(old_lists, before)


def test_non_gzip_body(server: Server, old_lists: Path) -> None:
    before = snapshot(old_lists)
    url = server.serve(b"<html><body>Please log in to the proxy</body></html>")
    with pytest.raises(UpdateError, match=r"not a \.tar\.gz archive.*error or login page"):
        update_lists(old_lists, url, timeout=10, progress=False)
    assert_untouched(old_lists, before)


def test_gzip_but_not_tar(server: Server, old_lists: Path) -> None:
    import gzip

    before = snapshot(old_lists)
    url = server.serve(gzip.compress(b"just some text, not a tar archive\n" * 50))
    with pytest.raises(UpdateError, match="damaged or incomplete"):
        update_lists(old_lists, url, timeout=10, progress=False)
    assert_untouched(old_lists, before)


def test_truncated_archive(server: Server, old_lists: Path, tmp_path: Path) -> None:
    # big enough that the cut falls inside the compressed data
    files = dict(UT1_FILES)
    files["blacklists/games/domains"] = b"".join(
        hashlib.sha256(str(i).encode()).hexdigest().encode() + b".example\n" for i in range(5000)
    )
    full = make_tarball(tmp_path / "big.tar.gz", files=files)
    before = snapshot(old_lists)
    url = server.serve(full[: len(full) // 2])
    with pytest.raises(UpdateError, match="damaged or incomplete"):
        update_lists(old_lists, url, timeout=10, progress=False)
    assert_untouched(old_lists, before)


def test_download_cut_short(server: Server, tarball: bytes, old_lists: Path) -> None:
    """The server announces more bytes than it sends, then closes the connection."""
    before = snapshot(old_lists)
    url = server.serve(tarball[:100], content_length=len(tarball))
    with pytest.raises(UpdateError, match=r"cut short|broke off"):
        update_lists(old_lists, url, timeout=10, progress=False)
    assert_untouched(old_lists, before)


def _add_member(tar: tarfile.TarFile, name: str, data: bytes = b"x\n", **attrs: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    if info.type in (tarfile.REGTYPE, tarfile.AREGTYPE):
        tar.addfile(info, io.BytesIO(data))
    else:
        info.size = 0
        tar.addfile(info)


UNSAFE: dict[str, Callable[[tarfile.TarFile], None]] = {
    "dotdot": lambda tar: _add_member(tar, "../evil"),
    "dotdot-inside": lambda tar: _add_member(tar, "blacklists/../../evil"),
    "absolute": lambda tar: _add_member(tar, "/tmp/schoolgate-test-evil"),
    "symlink-outside": lambda tar: _add_member(
        tar, "blacklists/escape", type=tarfile.SYMTYPE, linkname="../../evil"
    ),
    "absolute-symlink": lambda tar: _add_member(
        tar, "blacklists/escape", type=tarfile.SYMTYPE, linkname="/etc"
    ),
    "write-through-symlink": lambda tar: (
        _add_member(tar, "blacklists/through", type=tarfile.SYMTYPE, linkname="adult"),
        _add_member(tar, "blacklists/through/domains", b"evil.example\n"),
    ),
    "hardlink-outside": lambda tar: _add_member(
        tar, "blacklists/hard", type=tarfile.LNKTYPE, linkname="../evil"
    ),
    "device": lambda tar: _add_member(tar, "blacklists/dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3),
    "fifo": lambda tar: _add_member(tar, "blacklists/fifo", type=tarfile.FIFOTYPE),
}


@pytest.mark.parametrize("kind", sorted(UNSAFE))
def test_unsafe_archive_is_rejected(server: Server, old_lists: Path, tmp_path: Path, kind: str) -> None:
    before = snapshot(old_lists)
    body = make_tarball(tmp_path / "evil.tar.gz", extra=UNSAFE[kind])
    url = server.serve(body)
    with pytest.raises(UpdateError, match="unsafe entry"):
        update_lists(old_lists, url, timeout=10, progress=False)
    assert_untouched(old_lists, before)
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "srv" / "evil").exists()
    assert not Path("/tmp/schoolgate-test-evil").exists()


def test_archive_without_domains(server: Server, old_lists: Path, tmp_path: Path) -> None:
    before = snapshot(old_lists)
    body = make_tarball(
        tmp_path / "empty.tar.gz",
        files={"blacklists/README": b"nothing here\n", "blacklists/adult/urls": b"a.example/x\n"},
        links={},
    )
    url = server.serve(body)
    with pytest.raises(UpdateError, match=r"the archive at .* holds no category lists"):
        update_lists(old_lists, url, timeout=10, progress=False)
    assert_untouched(old_lists, before)


def test_connection_refused(old_lists: Path) -> None:
    before = snapshot(old_lists)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nobody listens on that port any more
    with pytest.raises(UpdateError, match=r"could not connect to 127\.0\.0\.1.*(?i:refused)"):
        update_lists(old_lists, f"http://127.0.0.1:{port}/blacklists.tar.gz", timeout=5, progress=False)
    assert_untouched(old_lists, before)


def test_timeout(server: Server, tarball: bytes, old_lists: Path) -> None:
    before = snapshot(old_lists)
    url = server.serve(tarball, delay=2.0)
    started = time.monotonic()
    with pytest.raises(UpdateError, match="timed out"):
        update_lists(old_lists, url, timeout=0.3, progress=False)
    assert time.monotonic() - started < 2.0
    assert_untouched(old_lists, before)


def test_unsupported_scheme(old_lists: Path) -> None:
    with pytest.raises(UpdateError, match="must start with http"):
        update_lists(old_lists, "ftp://example.org/blacklists.tar.gz", progress=False)


def test_default_url() -> None:
    assert DEFAULT_UT1_URL == "https://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz"
    assert update_mod.update_lists is update_lists


# --------------------------------------------------------------------------- shipped sample

# src/schoolgate/data/ut1-sample (schoolgate may be a namespace package without __file__)
SAMPLE = Path(update_mod.__file__).resolve().parents[1] / "data" / "ut1-sample"
SAMPLE_CATEGORIES = {
    "adult", "agressif", "arjel", "audio-video", "bitcoin", "blog", "chat", "cryptojacking",
    "dangerous_material", "dating", "ddos", "doh", "download", "drogue", "educational_games",
    "fakenews", "filehosting", "financial", "forums", "gambling", "games", "hacking", "lingerie",
    "malware", "mixed_adult", "phishing", "radio", "redirector", "remote-control", "sect", "shopping",
    "social_networks", "sports", "stalkerware", "strict_redirector", "tricheur", "vpn", "warez",
    "webmail", "dynamic-dns", "residential-proxies", "shortener", "violence",
}  # fmt: skip


def test_sample_licence() -> None:
    licence = (SAMPLE / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in licence
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in licence
    assert "Blacklists UT1, Université Toulouse Capitole (Fabrice Prigent)" in licence
    assert "https://dsi.ut-capitole.fr/blacklists/" in licence
    assert "selection" in licence
    assert (SAMPLE / "README.md").is_file()


def test_sample_categories_and_sizes() -> None:
    dirs = {p.name for p in SAMPLE.iterdir() if p.is_dir()}
    assert dirs == SAMPLE_CATEGORIES
    total = 0
    for category in dirs:
        files = {p.name for p in (SAMPLE / category).iterdir()}
        assert files <= {"domains", "urls", "expressions"}, category
        assert files, category
        for name in files:
            data = (SAMPLE / category / name).read_bytes()
            total += len(data)
            if name == "domains":
                assert len(data.splitlines()) <= 300, category
            elif name == "urls":
                assert len(data.splitlines()) <= 100, category
    assert total < 400 * 1024
    # the snapshot the sample comes from has no domains file for these (see LICENSE.md)
    assert not (SAMPLE / "adult" / "domains").exists()
    assert (SAMPLE / "gambling" / "domains").stat().st_size > 0


@pytest.mark.parametrize(
    ("category", "entries"),
    [
        ("gambling", ["bet365.com", "williamhill.com", "pokerstars.com"]),
        ("social_networks", ["tiktok.com", "facebook.com", "instagram.com", "snapchat.com", "x.com"]),
        ("audio-video", ["youtube.com", "twitch.tv"]),
        ("chat", ["discord.com"]),
        ("games", ["roblox.com", "miniclip.com", "coolmathgames.com"]),
        ("shopping", ["amazon.co.uk", "ebay.co.uk"]),
        ("vpn", ["nordvpn.com", "expressvpn.com"]),
        ("doh", ["dns.google", "cloudflare-dns.com"]),
    ],
)
def test_sample_keeps_well_known_sites(category: str, entries: list[str]) -> None:
    lines = (SAMPLE / category / "domains").read_text(encoding="utf-8").split()
    for entry in entries:
        assert entry in lines, (category, entry)


def _load_sample_script() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts" / "make_ut1_sample.py"
    spec = importlib.util.spec_from_file_location("make_ut1_sample", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_selection_rule(tmp_path: Path) -> None:
    script = _load_sample_script()
    lines = [f"site{i:05d}.example\n".encode() for i in range(5000)]
    lines.insert(1234, b"tiktok.com\n")
    src = tmp_path / "domains"
    src.write_bytes(b"".join(lines))
    content, found = script.sample_file(src, "domains")
    out = content.splitlines(keepends=True)
    assert len(out) <= 300
    assert b"tiktok.com\n" in out
    assert found == ["tiktok.com"]
    assert out[0] == lines[0]
    assert out == [line for line in lines if line in set(out)]  # upstream order, unedited lines
    small = tmp_path / "urls"
    small.write_bytes(b"a.example/x\nb.example/y")
    assert script.sample_file(small, "urls")[0] == b"a.example/x\nb.example/y"
