"""Text normalisation shared by the checks: what a word is once case, accents, look-alike
digits and symbols ("l33t") and s p a c i n g are taken out of it."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)
_SEPARATORS = re.compile(r"[^a-z]+")


def fold(text: str) -> str:
    """Lower case without accents (NFKD, combining marks dropped; full-width letters too)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _join_single_letters(tokens: list[str]) -> list[str]:
    """Runs of three or more one-letter tokens were one word spelled out ("s p a m")."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1:
            run.append(token)
            continue
        joined.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if token:
            joined.append(token)
    return joined


def words(text: str) -> list[str]:
    """The words of ``text`` as the banned-words check compares them: folded, look-alikes
    read as letters, separators inside a word ("s.p.a.m", "s-p-a-m") and spaced-out letters
    joined."""
    tokens: list[str] = []
    for raw in fold(text).split():
        # A token of letters with one separator between each ("s.p.a.m") is one word.
        if re.fullmatch(r"(?:[^\W_]|[@$!|+])(?:[.\-_*](?:[^\W_]|[@$!|+]))+", raw):
            raw = re.sub(r"[.\-_*]", "", raw)
        tokens.extend(part for part in _SEPARATORS.split(raw.translate(_LEET)) if part)
    return _join_single_letters(tokens)


def squeeze(word: str) -> str:
    """Repeated letters as one ("spaaam" -> "spam")."""
    return re.sub(r"(.)\1+", r"\1", word)


def fingerprint(text: str) -> str:
    """The hash of the text with case, accents, punctuation, digits and spacing taken out:
    the same message with a different order number or emoji hashes the same."""
    letters = " ".join(_SEPARATORS.split(fold(text))).strip()
    return hashlib.sha1(letters.encode(), usedforsecurity=False).hexdigest() if letters else ""


def letter_count(text: str) -> int:
    return sum(ch.isalpha() for ch in text)
