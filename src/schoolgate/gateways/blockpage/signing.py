"""Signed block page addresses: a pupil cannot make a block page that blames someone else.

The Squid helper sends a blocked browser to the block page with the reason in the address:

    http://filter.school.example/blocked?reason=rule&group=ks2&category=gambling&rule=4
        &url64=aHR0cDovL2JldDM2NS5jb20v&who=ks2-amelia&at=1795263348&sig=Qm9v...

`sig` is a keyed BLAKE2b MAC (16 bytes, base64url without padding) over the bytes of the query string
before `&sig=`, with the school's block page key. The block page shows who, what and why only for an
address whose signature holds; anything else gets a plain notice that names nobody.

The key is 32 random bytes, kept hex-encoded in a file that the helper and the block page server read
(`schoolgate block-page key FILE` makes one).
"""

from __future__ import annotations

import contextlib
import hmac
import os
from base64 import urlsafe_b64encode
from hashlib import blake2b
from pathlib import Path

__all__ = ["KEY_BYTES", "BlockPageKeyError", "create_key", "load_key", "sign", "split_signed", "verify"]

KEY_BYTES = 32
SIG_FIELD = "&sig="


class BlockPageKeyError(ValueError):
    """The key file is missing, unreadable or not a key."""


def sign(key: bytes, message: str | bytes) -> str:
    """The signature of `message` (a query string without its `&sig=` field)."""
    data = message.encode("utf-8", "surrogateescape") if isinstance(message, str) else message
    mac = blake2b(data, key=key, digest_size=16).digest()
    return urlsafe_b64encode(mac).rstrip(b"=").decode()


def split_signed(query: str) -> tuple[str, str | None]:
    """(the signed part, the signature) of a query string; None when it carries no signature."""
    head, found, sig = query.rpartition(SIG_FIELD)
    if not found or "&" in sig:
        return query, None
    return head, sig


def verify(key: bytes, query: str) -> bool:
    """True when the query string's `sig` field is the signature of what comes before it."""
    signed, sig = split_signed(query)
    if sig is None or not sig.isascii():  # a signature is base64url: anything else is not one
        return False
    return hmac.compare_digest(sign(key, signed), sig)


def load_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BlockPageKeyError(f"cannot read the block page key {path}: {exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise BlockPageKeyError(
            f"{path} is not a block page key ({KEY_BYTES * 2} hex digits); "
            f"make one with `schoolgate block-page key {path}`"
        )
    return key


def create_key(path: Path, mode: int = 0o640, group: str | None = "proxy") -> bytes:
    """Write a new random key to `path` (which must not exist yet) and return it. The file is made
    readable by `group` (Squid's, whose helpers sign with it) when that group exists and this process
    may give it; else it stays the owner's."""
    import secrets  # here, not at the top: the Squid helper, which only signs, need not load it

    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
    if group is not None:
        import grp

        with contextlib.suppress(KeyError, PermissionError):  # no such group, or not root
            os.chown(path, -1, grp.getgrnam(group).gr_gid)
    return key
