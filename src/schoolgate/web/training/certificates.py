"""Certificates of training, kept as the online safety log keeps its evidence files: under the data
directory, named by their SHA-256 (never by the name they came with, so a file called "../../x" is just
a name shown on the page), written whole and synced before they are renamed into place, and only PDF,
PNG or JPEG, told by their first bytes, never by their name or the type the browser claims.

The directory is `DATA/certificates` (`TRAINING_CERTIFICATES_DIR` in the settings moves it).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from django.conf import settings

from schoolgate.web.core import uploads

MAX_BYTES = 5 * 1024 * 1024
NAME_MAX = 200

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
TYPES = frozenset(content_type for _, content_type in _MAGIC)
# The endings a downloaded file may have for its type: the first is added to a name without one.
SUFFIXES = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}


def directory() -> Path:
    configured = getattr(settings, "TRAINING_CERTIFICATES_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "certificates"


def path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")
    return directory() / sha256[:2] / sha256


def sniff(head: bytes) -> str | None:
    """The type of a file from its first bytes: PDF, PNG or JPEG; None for anything else."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def shown_name(filename: str) -> str:
    """The name the file came with, as shown and offered on download: its last part only, no control
    characters, capped."""
    last = filename.replace("\\", "/").rsplit("/", 1)[-1]
    tidy = "".join(c for c in last if c.isprintable()).strip().lstrip(".")
    return tidy[:NAME_MAX] or "certificate"


def download_name(shown: str, content_type: str) -> str:
    """The name a certificate is downloaded as: the name it came with, ending as its type does. The
    file's first bytes made it a PDF, PNG or JPEG, but a computer opens a saved file by its name's
    ending: "x.html" with a PDF's first bytes and HTML after would open in a browser as a page."""
    suffixes = SUFFIXES.get(content_type)
    if suffixes is None or shown.casefold().endswith(suffixes):
        return shown
    return shown[: NAME_MAX - len(suffixes[0])] + suffixes[0]


def store(upload: IO[bytes]) -> tuple[Path, str, int, str]:
    """Copy `upload` into the store: (where, its SHA-256, its size, its type). ValidationError on the
    form's `certificate` field for a file too large, empty, or not a PDF, PNG or JPEG; nothing is left
    behind then (`core.uploads.store`)."""
    return uploads.store(
        upload,
        folder=directory(),
        place=path,
        max_bytes=MAX_BYTES,
        field="certificate",
        sniff=lambda head, _text: sniff(head),
        wrong_type="Keep a certificate as a PDF, or a photo or scan (PNG, JPEG)",
    )
