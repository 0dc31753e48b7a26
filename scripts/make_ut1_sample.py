#!/usr/bin/env python3
"""Build the small UT1 sample shipped in ``src/schoolgate/data/ut1-sample``.

The sample lets the demo and the tests run on a machine that has no full copy of the
UT1 blacklists. For each category in ``CATEGORIES`` it copies, from a full UT1 tree in
squidGuard layout (``--source``, e.g. ``/work/shared/data/ut1``):

* ``domains``: at most ``DOMAINS_LIMIT`` lines,
* ``urls``: at most ``URLS_LIMIT`` lines,
* ``expressions``: unchanged.

Selection rule: every n-th line of the upstream file (first line included, n chosen so
the result fits the limit), plus every line naming one of the well-known sites in
``KEEP`` (for ``urls``: every line whose host, without a leading ``www.``, is one of
them). Lines are copied byte for byte and stay in upstream order; nothing is added or
edited. A category file that is absent upstream is absent from the sample.

Standard library only; re-running it with the same source gives the same output
(the output directory's category subdirectories are rewritten, ``LICENSE.md`` and
``README.md`` are left alone).

Usage::

    python scripts/make_ut1_sample.py --source /work/shared/data/ut1 \
        --out src/schoolgate/data/ut1-sample
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path

CATEGORIES: tuple[str, ...] = (
    "adult",
    "agressif",
    "arjel",
    "audio-video",
    "bitcoin",
    "blog",
    "chat",
    "cryptojacking",
    "dangerous_material",
    "dating",
    "ddos",
    "doh",
    "download",
    "drogue",
    "educational_games",
    "fakenews",
    "filehosting",
    "financial",
    "forums",
    "gambling",
    "games",
    "hacking",
    "lingerie",
    "malware",
    "mixed_adult",
    "phishing",
    "radio",
    "redirector",
    "remote-control",
    "sect",
    "shopping",
    "social_networks",
    "sports",
    "stalkerware",
    "strict_redirector",
    "tricheur",
    "vpn",
    "warez",
    "webmail",
    "dynamic-dns",
    "residential-proxies",
    "shortener",
    "violence",
)

# Well-known sites kept in the sample wherever the upstream file of a category lists them.
KEEP: frozenset[str] = frozenset(
    {
        "bet365.com",
        "williamhill.com",
        "pokerstars.com",
        "tiktok.com",
        "facebook.com",
        "instagram.com",
        "snapchat.com",
        "twitter.com",
        "x.com",
        "youtube.com",
        "discord.com",
        "roblox.com",
        "miniclip.com",
        "coolmathgames.com",
        "amazon.co.uk",
        "ebay.co.uk",
        "nordvpn.com",
        "expressvpn.com",
        "pornhub.com",
        "xvideos.com",
        "twitch.tv",
        "dns.google",
        "cloudflare-dns.com",
        "mozilla.cloudflare-dns.com",
    }
)

DOMAINS_LIMIT = 300
URLS_LIMIT = 100
SIZE_LIMIT = 400 * 1024


def _domain_key(line: bytes) -> str:
    return line.strip().decode("utf-8", "replace").lower()


def _url_host(line: bytes) -> str:
    host = _domain_key(line).split("/", 1)[0]
    return host.removeprefix("www.")


def select_lines(lines: list[bytes], limit: int, is_kept: set[int]) -> list[bytes]:
    """Every n-th line plus the kept lines (indices in ``is_kept``), in file order, at most ``limit``."""
    if len(lines) <= limit:
        return list(lines)
    budget = limit - len(is_kept)
    if budget <= 0:
        raise ValueError(f"{len(is_kept)} well-known lines do not fit in {limit}")
    step = math.ceil(len(lines) / budget)
    chosen = set(range(0, len(lines), step)) | is_kept
    assert len(chosen) <= limit
    return [lines[i] for i in sorted(chosen)]


def sample_file(src: Path, kind: str) -> tuple[bytes, list[str]]:
    """Return the sampled content of one category file and the well-known entries kept."""
    data = src.read_bytes()
    if kind == "expressions":
        return data, []
    lines = data.splitlines(keepends=True)
    key = _domain_key if kind == "domains" else _url_host
    kept = {i for i, line in enumerate(lines) if key(line) in KEEP}
    limit = DOMAINS_LIMIT if kind == "domains" else URLS_LIMIT
    selected = select_lines(lines, limit, kept)
    found = sorted({_domain_key(lines[i]) for i in kept})
    return b"".join(selected), found


def build(source: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    report: list[str] = []
    for category in CATEGORIES:
        src_dir = source / category
        if not src_dir.is_dir():
            raise SystemExit(f"error: category {category!r} not found in {source}")
        dst_dir = out / category
        if dst_dir.exists():
            shutil.rmtree(dst_dir)
        dst_dir.mkdir()
        for kind in ("domains", "urls", "expressions"):
            src = src_dir / kind
            if not src.is_file():
                continue
            content, found = sample_file(src, kind)
            (dst_dir / kind).write_bytes(content)
            total += len(content)
            if found:
                report.append(f"  {category}/{kind}: {', '.join(found)}")
    print(f"wrote {len(CATEGORIES)} categories to {out} ({total} bytes of list files)")
    if report:
        print("well-known entries kept:")
        print("\n".join(report))
    if total > SIZE_LIMIT:
        print(f"warning: sample is {total} bytes, over the {SIZE_LIMIT} byte budget", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, required=True, help="full UT1 tree (squidGuard layout)")
    parser.add_argument("--out", type=Path, required=True, help="sample directory to (re)write")
    args = parser.parse_args(argv)
    return build(args.source, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
