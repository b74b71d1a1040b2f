"""Finds off-platform contact details in a message: e-mail addresses, phone numbers,
messenger handles and links, including the usual disguises ("john at gmail dot com",
"j o h n @ g m a i l . c o m", "five five five one two ...", spaced digits).

The text is split into words that remember where they came from; the words are normalised
(number words become digits, "at"/"(at)" a marker for @, "dot"/"[dot]" a marker for ".",
runs of single characters are joined back into one word), and the patterns run over the
normalised words. A finding maps back to the original characters, so masking hides exactly
the words that made it up."""

from __future__ import annotations

import re
from dataclasses import dataclass

AT = "\u24d0"  # "at" written as a word
DOT = "\u00b7"  # "dot" written as a word
MASK = "[contact hidden]"

_NUMBER_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_NUMBER_WORD = re.compile(r"zero|one|two|three|four|five|six|seven|eight|nine")
_AT_WORDS = {"at", "(at)", "[at]", "{at}", "<at>", "(@)", "[@]"}
_DOT_WORDS = {"dot", "(dot)", "[dot]", "{dot}", "<dot>", "(.)", "[.]"}
_MESSENGERS = {
    "telegram",
    "whatsapp",
    "whatsap",
    "watsapp",
    "skype",
    "instagram",
    "insta",
    "snapchat",
    "viber",
    "wechat",
    "discord",
    "kik",
    "signal",
    "facebook",
    "messenger",
}
_TLD = r"[a-z]{2,10}"
_DOMAIN_SEP = rf"(?:\.|\s*{DOT}\s*)"
_EMAIL = re.compile(
    rf"[a-z0-9][a-z0-9._%+\-]*\s*(?:@|\s{AT}\s|{AT})\s*[a-z0-9\-]+(?:{_DOMAIN_SEP}[a-z0-9\-]+)*"
    rf"{_DOMAIN_SEP}{_TLD}\b"
)
_MAIL_PROVIDER = re.compile(
    rf"(?:[a-z0-9._%+\-]+\s*)?(?:@|{AT})\s*(?:gmail|googlemail|yahoo|hotmail|outlook|live|protonmail|proton|icloud"
    rf"|aol|gmx|yandex|mail)\b"
)
_PHONE = re.compile(r"\+?\(?\d(?:[\s\-().]{0,3}\d){8,}")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_LINK = re.compile(
    r"(?:\b|https?://)(?:t\.me|telegram\.(?:me|org|dog)|wa\.me|chat\.whatsapp\.com"
    r"|api\.whatsapp\.com|instagram\.com|instagr\.am|m\.me|fb\.me|facebook\.com|skype:"
    r"|join\.skype\.com|snapchat\.com|discord\.gg|discord\.com|viber\.com|signal\.me)"
)
_HANDLE = re.compile(r"(?<![\w.])@[a-z][a-z0-9_.]{2,}")


@dataclass(frozen=True)
class Finding:
    kind: str  # "email", "phone", "messenger"
    start: int  # in the original text
    end: int


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int


def _normalised(word: str) -> str:
    lowered = word.lower()
    bare = lowered.strip(",;:!?\"'")
    if bare in _AT_WORDS:
        return AT
    if bare in _DOT_WORDS:
        return DOT
    if bare in _NUMBER_WORDS:
        return _NUMBER_WORDS[bare]
    parts = re.split(r"(-)", lowered)
    if len(parts) > 1 and all(p == "-" or p in _NUMBER_WORDS for p in parts):
        return "".join(_NUMBER_WORDS.get(p, "") for p in parts)
    return lowered


def _words(text: str) -> list[_Word]:
    words = [
        _Word(_normalised(match.group()), match.start(), match.end())
        for match in re.finditer(r"\S+", text)
    ]
    # Join runs of three or more single characters ("j o h n", "5 5 5 1"): spelled out.
    joined: list[_Word] = []
    run: list[_Word] = []
    for word in [*words, _Word("", 0, 0)]:
        if len(word.text) == 1:
            run.append(word)
            continue
        if len(run) >= 3:
            joined.append(_Word("".join(w.text for w in run), run[0].start, run[-1].end))
        else:
            joined.extend(run)
        run = []
        if word.text:
            joined.append(word)
    return joined


def find_contacts(text: str) -> list[Finding]:
    """Every piece of contact detail in ``text``, as spans of the original, merged."""
    words = _words(text)
    if not words:
        return []
    # One string of the normalised words, and which word each character belongs to.
    pieces: list[str] = []
    owners: list[int] = []
    for index, word in enumerate(words):
        if index:
            pieces.append(" ")
            owners.append(index)
        pieces.append(word.text)
        owners.extend([index] * len(word.text))
    flat = "".join(pieces)

    spans: list[tuple[str, int, int]] = []  # kind, first word, last word

    def add(kind: str, start: int, end: int) -> None:
        first = owners[start]
        last = owners[max(start, end - 1)]
        if flat[start] == " ":
            first = owners[start + 1]
        spans.append((kind, first, last))

    for match in _EMAIL.finditer(flat):
        add("email", match.start(), match.end())
    for match in _MAIL_PROVIDER.finditer(flat):
        add("email", match.start(), match.end())
    for match in _PHONE.finditer(flat):
        digits = sum(ch.isdigit() for ch in match.group())
        if digits >= 9 and not _DATE.search(match.group()):
            add("phone", match.start(), match.end())
    for match in _LINK.finditer(flat):
        end = flat.find(" ", match.end())
        add("messenger", match.start(), len(flat) if end < 0 else end)
    for match in _HANDLE.finditer(flat):
        add("messenger", match.start(), match.end())
    for index, word in enumerate(words):
        if word.text.strip(".,;:!?()[]\"'") in _MESSENGERS:
            # The messenger's name and the two words after it ("telegram is johnny").
            spans.append(("messenger", index, min(index + 2, len(words) - 1)))

    spans.sort(key=lambda span: (span[1], span[2]))
    merged: list[tuple[str, int, int]] = []
    for kind, first, last in spans:
        if merged and first <= merged[-1][2]:
            previous = merged[-1]
            merged[-1] = (previous[0], previous[1], max(previous[2], last))
        else:
            merged.append((kind, first, last))
    return [Finding(kind, words[first].start, words[last].end) for kind, first, last in merged]


def mask_contacts(text: str, findings: list[Finding]) -> str:
    """``text`` with each finding replaced by ``MASK``."""
    masked = text
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        masked = masked[: finding.start] + MASK + masked[finding.end :]
    return masked
