"""Guest proxy logins: the user name and the password a visitor, supply teacher or community user is
given, the proxy's password file they are written to, and the worker's step that takes them out of it
on time.

The password file is the one Squid's `basic_ncsa_auth` reads (`gateways.squid.passwords`: bcrypt,
replaced in one step, owner and mode kept), named by the setting `PROXY_PASSWORDS`
(`SCHOOLGATE_PROXY_PASSWORDS`); unset, no guest login is made. Writers take a lock beside the file
so that two logins made at the same moment (two office computers, the worker) never lose each
other's line: each reads the file, changes it and replaces it while holding the lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from schoolgate.engine.policy import user_key
from schoolgate.gateways.squid import passwords
from schoolgate.web.core.actions import acting
from schoolgate.web.people.choices import IdentityKind

__all__ = [
    "TIDY_ACTOR",
    "GuestFileError",
    "edit_lock",
    "make_password",
    "password_file",
    "tidy",
    "username_for",
]

log = logging.getLogger(__name__)

TIDY_ACTOR = "Schoolgate worker: guest logins past their end"
USERNAME_MAX = 40

# Short, common, unmistakable words (no homophones that a slip read aloud would confuse, nothing a
# child should not read): three of them and a number give about 30 bits, plenty for a login that
# lasts days and that the proxy checks with bcrypt.
_WORD_TEXT = """
    acorn amber anchor apple arrow autumn badge bakery balloon bamboo banjo barley basket beacon
    beaver berry bicycle biscuit blanket blossom bonnet bottle bramble breeze brick bridge bucket
    buffalo bunny butter button cabin cactus camel candle canoe canyon captain carpet carrot castle
    cedar cereal chalk cherry chess chimney circus clover coconut comet compass copper cotton cradle
    crayon cricket crystal cupboard daisy dolphin donkey dragon drum eagle easel elbow ember engine
    falcon feather fern fiddle finch flannel flute forest fossil fountain fox galaxy garden garlic
    ginger giraffe glacier globe goose grape gravel guitar hammer harbour harvest hazel hedgehog helmet
    heron honey horizon icicle igloo island ivy jacket jaguar jelly jigsaw journey kettle kitten koala
    ladder lantern lemon lettuce lily lizard llama lobster locket magnet mango maple marble meadow
    melon meteor mitten monkey mosaic muffin mushroom napkin nectar needle nutmeg oak oasis ocean olive
    onion orange orchard otter owl paddle panda parrot peach peanut pebble pelican pencil pepper piano
    pickle pigeon pillow pinecone planet plum pocket pony poppy potato puffin pumpkin puzzle quilt rabbit
    radish rainbow raven ribbon river robin rocket saddle salmon sandal satchel saucer scarf seagull
    shell shovel silver skipper sledge snail snowman sparrow spider sponge squirrel stamp starfish
    statue stream sugar summit sunflower swallow teapot thimble thistle thunder tiger timber toffee
    tomato tortoise tractor trumpet tulip tunnel turnip turtle umbrella valley velvet violin volcano
    wagon walnut walrus water whistle willow window winter wizard wombat yogurt zebra
"""
WORDS = tuple(_WORD_TEXT.split())


class GuestFileError(Exception):
    """The proxy's password file is not set up, or cannot be read or written; the message says why."""


def password_file() -> Path | None:
    """The proxy's password file, or None when the server is not set up with one."""
    given = getattr(settings, "PROXY_PASSWORDS", None)
    return Path(given) if given else None


def make_password() -> str:
    """Three words and a number, easy to read from a slip and to type: "maple-otter-lantern-47"."""
    words = [secrets.choice(WORDS) for _ in range(3)]
    return "-".join([*words, f"{secrets.randbelow(90) + 10}"])


def _plain(text: str) -> str:
    """Lower case ASCII letters and digits only: "Zoë O'Brien-Smith" -> "zoeobriensmith"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def username_for(first_name: str, last_name: str, taken: Callable[[str], bool]) -> str:
    """A user name made from the name, lower case, no spaces, for which `taken` is false:
    "amelia.hughes", then "amelia.hughes2"... A name with nothing usable in it gives "guest"."""
    first, last = _plain(first_name), _plain(last_name)
    base = ".".join(part for part in (first, last) if part)[: USERNAME_MAX - 4] or "guest"
    candidate, number = base, 1
    while taken(candidate):
        number += 1
        candidate = f"{base}{number}"
    return candidate


def username_taken(candidate: str, in_file: set[str]) -> bool:
    """Whether the user name is in use: in the password file, or as a user name any school's filter
    knows someone by (one proxy may serve several schools). Compared as the policy compares names
    (`user_key`: case does not matter), so that a guest never shares a name with a "Tom.Smith" line
    of the file or an identity of another spelling, and with it that person's filter group."""
    from schoolgate.web.people.models import NetworkIdentity

    key = user_key(candidate)
    return (
        key in {user_key(name) for name in in_file}
        or NetworkIdentity.objects.filter(kind=IdentityKind.USERNAME, value__iexact=candidate).exists()
    )


@contextlib.contextmanager
def edit_lock(path: Path) -> Iterator[None]:
    """Hold the lock beside the password file while reading and replacing it."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a")  # noqa: SIM115 (held for the block, closed below)
    except OSError as exc:
        raise GuestFileError(f"cannot lock the proxy's password file ({lock_path}): {exc.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def users_in(path: Path) -> set[str]:
    try:
        return set(passwords.users(path))
    except passwords.PasswordError as exc:
        raise GuestFileError(str(exc)) from None


def add_user(path: Path, user: str, password: str) -> None:
    """Write the login's line (bcrypt) to the file; call under `edit_lock`."""
    try:
        passwords.set_password(path, user, password)
    except passwords.PasswordError as exc:
        raise GuestFileError(str(exc)) from None
    except OSError as exc:
        raise GuestFileError(f"cannot write the proxy's password file ({path}): {exc.strerror}") from None


def drop_user(path: Path, user: str) -> None:
    """Take the login's line out of the file (nothing to do if it is not there); under `edit_lock`."""
    if user not in users_in(path):
        return
    try:
        passwords.remove_user(path, user)
    except passwords.PasswordError as exc:
        raise GuestFileError(str(exc)) from None
    except OSError as exc:
        raise GuestFileError(f"cannot write the proxy's password file ({path}): {exc.strerror}") from None


def tidy(now: dt.datetime) -> int:
    """The worker's step: take out of the password file every guest login past its end (or whose
    person's access ended or was archived), and record it removed; how many. Cheap when nothing is
    due (one query). A file that cannot be written raises, so the worker reports it; the logins stay
    due and are tried again next round."""
    from schoolgate.web.devices.models import GuestLogin

    due = list(
        GuestLogin.objects.active()
        .filter(Q(until__lte=now) | Q(person__expires_at__lte=now) | Q(person__archived_at__isnull=False))
        .select_related("person")
    )
    if not due:
        return 0
    path = password_file()
    if path is None:
        raise GuestFileError(
            f"{len(due)} guest login(s) ended, but the proxy's password file is not set up "
            "(SCHOOLGATE_PROXY_PASSWORDS): they cannot be taken out of it"
        )
    with edit_lock(path):
        for login in due:
            drop_user(path, login.username)  # raises on a file it cannot write: the rest wait too
            with transaction.atomic(), acting(TIDY_ACTOR, "the login's time is up"):
                login.removed_at = now
                login.removed_why = "its time was up"
                login.save(update_fields=["removed_at", "removed_why"])
    return len(due)
