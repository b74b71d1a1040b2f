"""The rule-based checks. Each looks at one piece of content and answers a ``CheckResult``:
a score from 0 (nothing found) to 1 (certain) and a reason an operator can read. Checks that
need the database (repeated text) get what they need from the pipeline, so each is a plain
object that tests call directly."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import phonenumbers
from PIL import Image, UnidentifiedImageError

from core.automod.models import ContentKind
from core.automod.text import squeeze, words
from core.conversations.contact_filter import find_contacts


@dataclass(frozen=True)
class CheckResult:
    check: str
    score: float
    reason: str = ""


@dataclass(frozen=True)
class ImageInput:
    """A listing image as the image check sees it: what the uploader said it is and a way
    to read its bytes (only called when the check runs)."""

    label: str
    declared_type: str
    size: int
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Content:
    kind: ContentKind
    text: str
    author_id: int | None = None
    object_id: int | None = None
    images: Sequence[ImageInput] = ()


class Check(Protocol):
    @property
    def name(self) -> str: ...

    def run(self, content: Content) -> CheckResult: ...


@runtime_checkable
class TextClassifier(Protocol):
    """An optional model that scores text (0 fine .. 1 abusive/spam), e.g. a small
    scikit-learn or ONNX model shipped in a package. None is configured by default: Souk's
    automated moderation is rule-based unless ``AUTOMOD_TEXT_CLASSIFIER`` names one."""

    name: str

    def classify(self, text: str) -> tuple[float, str]: ...


def _clear(name: str) -> CheckResult:
    return CheckResult(name, 0.0, "")


# --- banned words -------------------------------------------------------------------------


@dataclass(frozen=True)
class BannedWordsCheck:
    """Whole words (and phrases) from the operator's list, seen through case, accents,
    l33t look-alikes, repeated letters and s p a c i n g; "class" never matches "ass"."""

    banned: Sequence[str]
    name: str = "banned_words"

    def run(self, content: Content) -> CheckResult:
        phrases = [tuple(words(entry)) for entry in self.banned]
        phrases = [p for p in phrases if p]
        if not phrases:
            return _clear(self.name)
        seen = words(content.text)
        squeezed = [squeeze(w) for w in seen]
        found: list[str] = []
        for phrase, entry in zip(phrases, [e for e in self.banned if words(e)], strict=True):
            squeezed_phrase = tuple(squeeze(w) for w in phrase)
            size = len(phrase)
            for start in range(len(seen) - size + 1):
                if (
                    tuple(seen[start : start + size]) == phrase
                    or tuple(squeezed[start : start + size]) == squeezed_phrase
                ):
                    found.append(entry.strip())
                    break
        if not found:
            return _clear(self.name)
        listed = ", ".join(f"“{word}”" for word in sorted(set(found)))
        return CheckResult(self.name, 1.0, f"Banned words: {listed}.")


# --- contact details ----------------------------------------------------------------------

# Scores: an address or number is there to take the deal elsewhere; a messenger's name alone
# ("send it on telegram") is a strong hint.
_CONTACT_SCORES = {"email": 0.9, "phone": 0.9, "messenger": 0.8}
_CONTACT_LABELS = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "messenger": "a messenger handle",
}


@dataclass(frozen=True)
class ContactDetailsCheck:
    """E-mail addresses and messenger handles as the chat's contact filter finds them
    (disguises included), phone numbers as libphonenumber finds them (so "version 1.2.3" or
    an order number is not a phone)."""

    region: str = "US"
    name: str = "contact_details"

    def run(self, content: Content) -> CheckResult:
        findings = find_contacts(content.text)
        kinds = {finding.kind for finding in findings if finding.kind != "phone"}
        if any(True for _ in phonenumbers.PhoneNumberMatcher(content.text, self.region)) or (
            any(f.kind == "phone" for f in findings)
            and _has_possible_number(content.text, self.region)
        ):
            kinds.add("phone")
        if not kinds:
            return _clear(self.name)
        score = max(_CONTACT_SCORES[kind] for kind in kinds)
        listed = " and ".join(_CONTACT_LABELS[kind] for kind in sorted(kinds))
        return CheckResult(
            self.name, score, f"Contains {listed} (deals must stay on the marketplace)."
        )


_NUMBER_WORDS = dict(
    zip(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
        "0123456789",
        strict=True,
    )
)


def _has_possible_number(text: str, region: str) -> bool:
    """A number spelled out or spaced ("five five five ...") is a phone when its digits make
    a possible number."""
    digits = "".join(
        _NUMBER_WORDS.get(word, word) for word in re.findall(r"[a-z]+|\d", text.lower())
    )
    digits = "".join(ch for ch in digits if ch.isdigit())
    if len(digits) < 7:
        return False
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


# --- links --------------------------------------------------------------------------------

_TLDS = (
    "com|net|org|io|co|info|biz|me|app|dev|shop|store|xyz|online|site|link|ly|gg|tv|us|uk"
    "|de|fr|es|it|nl|ru|cn|in|br|au|ca|eu|ch|se|no|pl|top|club|vip|click"
)
_URL = re.compile(
    rf"(?i)\b(?:(?:https?|ftp)://[^\s<>\"']+|www\.[^\s<>\"']+"
    rf"|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"']*)?)"
)


def hosts_in(text: str) -> list[str]:
    """The host of every link in ``text`` (lower case, no port)."""
    hosts = []
    for match in _URL.finditer(text):
        link = match.group().rstrip(".,;:!?)]}")
        if "://" not in link:
            link = f"http://{link}"
        host = (urlsplit(link).hostname or "").lower().rstrip(".")
        if host:
            hosts.append(host)
    return hosts


def _is_allowed(host: str, allowed: Iterable[str]) -> bool:
    for domain in allowed:
        domain = domain.lower().strip().lstrip(".")
        if domain and (host == domain or host.endswith(f".{domain}")):
            return True
    return False


@dataclass(frozen=True)
class LinksCheck:
    """Links to other sites; the marketplace's own domains and the operator's allowed list
    are fine. ``own_domains`` is asked only when the text has a link."""

    own_domains: Callable[[], Iterable[str]]
    allowed_domains: Sequence[str] = ()
    name: str = "links"

    def run(self, content: Content) -> CheckResult:
        hosts = hosts_in(content.text)
        if not hosts:
            return _clear(self.name)
        allowed = [*self.allowed_domains, *self.own_domains()]
        external = sorted({host for host in hosts if not _is_allowed(host, allowed)})
        if not external:
            return _clear(self.name)
        score = 0.9 if len(external) > 1 else 0.7
        return CheckResult(self.name, score, f"Links to other sites: {', '.join(external[:5])}.")


# --- repeated text ------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatCount:
    earlier: int  # times the same text was posted within the window before this one
    accounts: int  # by how many accounts


@dataclass(frozen=True)
class RepeatedTextCheck:
    """The same text (normalised: case, punctuation, digits and spacing out) posted over and
    over, by one account or many, within the window. ``count`` answers how often it was seen
    (the pipeline reads recorded decisions); short texts ("thanks!") are never counted."""

    count: Callable[[], RepeatCount]
    limit: int
    window_hours: int
    min_letters: int = 20
    name: str = "repeated_text"

    def run(self, content: Content) -> CheckResult:
        if sum(ch.isalpha() for ch in content.text) < self.min_letters:
            return _clear(self.name)
        seen = self.count()
        total = seen.earlier + 1
        if total < 2:
            return _clear(self.name)
        score = 1.0 if total >= self.limit else round(0.5 * (total - 1) / (self.limit - 1), 2)
        by = "one account" if seen.accounts <= 1 else f"{seen.accounts} accounts"
        return CheckResult(
            self.name,
            score,
            f"The same text was posted {total} times in {self.window_hours} hours (by {by}).",
        )


# --- images -------------------------------------------------------------------------------

_FORMAT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True)
class ImageCheck:
    """Listing images are what they claim (the type read from the bytes by Pillow, not the
    name or the uploader's header), of a sane size in pixels and bytes."""

    min_side: int
    max_side: int
    max_bytes: int
    name: str = "image"

    def run(self, content: Content) -> CheckResult:
        problems: list[tuple[float, str]] = []
        for image in content.images:
            problems.extend(self._problems(image))
        if not problems:
            return _clear(self.name)
        return CheckResult(
            self.name, max(score for score, _ in problems), " ".join(r for _, r in problems)
        )

    def _problems(self, image: ImageInput) -> list[tuple[float, str]]:
        if image.size > self.max_bytes:
            return [(0.7, f"{image.label} is {image.size // 1024} KB, over the limit.")]
        try:
            with Image.open(io.BytesIO(image.read())) as opened:
                actual = _FORMAT_TYPES.get(opened.format or "")
                width, height = opened.size
        except (UnidentifiedImageError, OSError, ValueError):
            return [(1.0, f"{image.label} is not an image.")]
        if actual is None:
            return [(0.9, f"{image.label} is not a JPEG, PNG, WebP or GIF image.")]
        found: list[tuple[float, str]] = []
        if image.declared_type and image.declared_type != actual:
            found.append((0.9, f"{image.label} says {image.declared_type} but is {actual}."))
        if min(width, height) < self.min_side:
            found.append((0.6, f"{image.label} is only {width}x{height} pixels."))
        if max(width, height) > self.max_side:
            found.append((0.6, f"{image.label} is {width}x{height} pixels, too large."))
        return found


# --- classifier ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierCheck:
    classifier: TextClassifier
    name: str = field(default="classifier")

    def run(self, content: Content) -> CheckResult:
        score, reason = self.classifier.classify(content.text)
        return CheckResult(self.name, max(0.0, min(1.0, score)), reason if score > 0 else "")
