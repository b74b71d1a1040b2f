"""Licence keys: readable, unguessable, and forgiving when a person types them.

A key is ``SOUK-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX``: 25 characters of Crockford's base32 (digits
and upper-case letters without I, L, O and U) drawn with ``secrets``, so 125 random bits. The
groups of five are easy to read out and to compare on a screen; the alphabet has no letters
that look like digits.

``normalise_key`` turns what a buyer pasted or typed into the stored form: case, spaces and
dashes do not matter, the prefix may be left out, and the letters Crockford maps to digits
(O -> 0, I and L -> 1) are read as those digits. Anything else is not a key (None), so a lookup
never runs for input that cannot match."""

from __future__ import annotations

import re
import secrets

PREFIX = "SOUK"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
GROUPS = 5
GROUP_LENGTH = 5
BODY_LENGTH = GROUPS * GROUP_LENGTH  # 25 characters x 5 bits = 125 bits
KEY_LENGTH = len(PREFIX) + GROUPS * (GROUP_LENGTH + 1)  # 34

# Read the way Crockford's decoding reads them: letters a person confuses with digits.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_]+")
_BODY = re.compile(f"^[{ALPHABET}]{{{BODY_LENGTH}}}$")


def _format(body: str) -> str:
    groups = [body[i : i + GROUP_LENGTH] for i in range(0, BODY_LENGTH, GROUP_LENGTH)]
    return "-".join([PREFIX, *groups])


def new_key() -> str:
    """A fresh random key in the stored form."""
    return _format("".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH)))


def normalise_key(raw: str) -> str | None:
    """The stored form of ``raw``, or None when it cannot be a key."""
    if not raw or len(raw) > 3 * KEY_LENGTH:  # bounded work for whatever a client sends
        return None
    compact = _SEPARATORS.sub("", raw).upper()
    if len(compact) == len(PREFIX) + BODY_LENGTH and compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    body = compact.translate(_CONFUSABLE)
    if not _BODY.match(body):
        return None
    return _format(body)


def masked_key(key: str) -> str:
    """The key with all but its last group hidden, for lists and logs."""
    return f"{PREFIX}-" + "-".join(["*****"] * (GROUPS - 1)) + key[-(GROUP_LENGTH + 1) :]
