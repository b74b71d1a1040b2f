"""Each automated moderation check on its own: what it flags (with a reason an operator can
read) and what it must leave alone. No database: the checks are plain objects."""

from __future__ import annotations

import io

from PIL import Image

from core.automod.checks import (
    BannedWordsCheck,
    ClassifierCheck,
    ContactDetailsCheck,
    Content,
    ImageCheck,
    ImageInput,
    LinksCheck,
    RepeatCount,
    RepeatedTextCheck,
    TextClassifier,
)
from core.automod.models import ContentKind
from core.automod.text import fingerprint


def _text(text: str, kind: ContentKind = ContentKind.LISTING) -> Content:
    return Content(kind=kind, text=text, author_id=1)


# --- banned words -------------------------------------------------------------------------


def test_banned_words_are_found_through_case_leet_spacing_and_repeated_letters():
    check = BannedWordsCheck(["rolex", "wire transfer"])

    for text in (
        "Genuine ROLEX watches",
        "Genuine R0L3X watches",
        "Genuine r o l e x watches",
        "Genuine r.o.l.e.x watches",
        "Genuine Rooolex watches",
        "Genuine Rolèx watches",
        "Pay by WIRE   transfer only",
    ):
        result = check.run(_text(text))
        assert result.score == 1.0, text
        assert "Banned words" in result.reason


def test_banned_words_match_whole_words_only():
    check = BannedWordsCheck(["ass", "scam"])

    for text in ("A classic assessment of the bass", "Scampi recipes", "Mass-produced"):
        result = check.run(_text(text))
        assert result.score == 0.0, text
        assert result.reason == ""


def test_banned_words_reason_names_the_words_found():
    result = BannedWordsCheck(["scam", "fake"]).run(_text("Not a SCAM, not f4ke"))

    assert result.reason == "Banned words: “fake”, “scam”."


def test_no_banned_words_configured_flags_nothing():
    assert BannedWordsCheck([]).run(_text("anything at all")).score == 0.0


# --- contact details ----------------------------------------------------------------------


def test_an_email_address_is_contact_details():
    result = ContactDetailsCheck().run(_text("Contact me at x@y.com for a discount"))

    assert result.score == 0.9
    assert "an e-mail address" in result.reason


def test_a_disguised_email_address_is_contact_details():
    result = ContactDetailsCheck().run(_text("write to john at gmail dot com"))

    assert result.score == 0.9


def test_phone_numbers_are_contact_details_in_any_usual_shape():
    for text in (
        "Call +44 20 7946 0958 today",
        "Call (212) 555-0100",
        "text me 415-555-2671",
        "call four one five five five five two six seven one",
    ):
        result = ContactDetailsCheck().run(_text(text))
        assert result.score == 0.9, text
        assert "a phone number" in result.reason, text


def test_version_numbers_dates_prices_and_short_numbers_are_not_phones():
    for text in (
        "Version 1.2.3 fixes the export",
        "Released 2026-12-07, version 10.4.1",
        "Costs 19.99 USD, 3 licences, 250 pages",
        "Order 123456789 arrived",
    ):
        result = ContactDetailsCheck().run(_text(text))
        assert result.score == 0.0, text


def test_a_messenger_handle_is_contact_details():
    result = ContactDetailsCheck().run(_text("ping me on telegram @dealsguy"))

    assert result.score == 0.8
    assert "a messenger handle" in result.reason


# --- links --------------------------------------------------------------------------------


def _links(*own: str, allowed: tuple[str, ...] = ()) -> LinksCheck:
    return LinksCheck(lambda: own, allowed)


def test_an_external_link_is_flagged_with_its_host():
    result = _links("shop.souk.test").run(_text("Cheaper at https://deals.example.org/item?id=4"))

    assert result.score == 0.7
    assert result.reason == "Links to other sites: deals.example.org."


def test_bare_domains_and_www_links_count_as_links():
    result = _links().run(_text("see www.elsewhere.net or buy-here.com/now"))

    assert result.score == 0.9
    assert "buy-here.com" in result.reason and "www.elsewhere.net" in result.reason


def test_the_marketplaces_own_domains_and_allowed_sites_are_fine():
    check = _links("shop.souk.test", allowed=("github.com",))

    for text in (
        "More in https://shop.souk.test/products/editor",
        "Docs at https://www.shop.souk.test/help",
        "Source on https://github.com/acme/editor",
    ):
        assert check.run(_text(text)).score == 0.0, text


def test_version_numbers_and_file_names_are_not_links():
    check = _links()

    for text in ("Version 1.2.3", "edit config.yaml and main.py", "e.g. this, i.e. that"):
        assert check.run(_text(text)).score == 0.0, text


def test_own_domains_are_only_asked_when_the_text_has_a_link():
    asked: list[int] = []

    def own() -> list[str]:
        asked.append(1)
        return []

    LinksCheck(own).run(_text("no links here at all"))

    assert asked == []


# --- repeated text ------------------------------------------------------------------------


def _repeat(earlier: int, accounts: int) -> RepeatedTextCheck:
    return RepeatedTextCheck(
        lambda: RepeatCount(earlier=earlier, accounts=accounts), limit=3, window_hours=24
    )


SPAM = "Best prices on followers, visit my shop for more followers"


def test_the_same_text_at_the_limit_is_spam():
    result = _repeat(earlier=2, accounts=3).run(_text(SPAM))

    assert result.score == 1.0
    assert result.reason == "The same text was posted 3 times in 24 hours (by 3 accounts)."


def test_a_text_seen_once_before_is_suspicious_but_below_a_hold():
    result = _repeat(earlier=1, accounts=1).run(_text(SPAM))

    assert result.score == 0.25
    assert "by one account" in result.reason


def test_short_texts_are_never_counted_as_repeats():
    result = _repeat(earlier=50, accounts=50).run(_text("Thanks, got it!"))

    assert result.score == 0.0


def test_the_fingerprint_ignores_case_punctuation_digits_and_spacing():
    assert fingerprint("Great  deal!! Order #123 now") == fingerprint("great deal, order #9 NOW")
    assert fingerprint("Great deal") != fingerprint("Great meal")


# --- images -------------------------------------------------------------------------------


def _image(kind: str = "PNG", size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def _input(data: bytes, declared: str) -> ImageInput:
    return ImageInput("Image 1", declared, len(data), lambda: data)


def _images(*inputs: ImageInput) -> Content:
    return Content(kind=ContentKind.LISTING, text="", images=inputs)


CHECK = ImageCheck(min_side=200, max_side=4000, max_bytes=2_000_000)


def test_a_sane_image_passes():
    assert CHECK.run(_images(_input(_image("PNG"), "image/png"))).score == 0.0
    assert CHECK.run(_images(_input(_image("JPEG"), "image/jpeg"))).score == 0.0


def test_an_image_whose_bytes_disagree_with_its_type_is_flagged():
    result = CHECK.run(_images(_input(_image("PNG"), "image/jpeg")))

    assert result.score == 0.9
    assert result.reason == "Image 1 says image/jpeg but is image/png."


def test_something_that_is_not_an_image_is_flagged():
    result = CHECK.run(_images(_input(b"%PDF-1.7 not a picture", "image/png")))

    assert result.score == 1.0
    assert result.reason == "Image 1 is not an image."


def test_tiny_and_oversized_images_are_flagged():
    tiny = CHECK.run(_images(_input(_image(size=(40, 40)), "image/png")))
    heavy = ImageCheck(min_side=200, max_side=4000, max_bytes=100).run(
        _images(_input(_image(), "image/png"))
    )

    assert tiny.score == 0.6 and "40x40" in tiny.reason
    assert heavy.score == 0.7 and "over the limit" in heavy.reason


# --- classifier ---------------------------------------------------------------------------


class KeywordClassifier:
    """A stand-in model: a real implementation of the protocol, not a mock."""

    name = "keywords"

    def classify(self, text: str) -> tuple[float, str]:
        return (0.95, "Looks like a scam offer.") if "guaranteed" in text.lower() else (0.0, "")


def test_a_classifier_behind_the_protocol_scores_text():
    classifier = KeywordClassifier()
    assert isinstance(classifier, TextClassifier)
    check = ClassifierCheck(classifier)

    assert check.run(_text("Guaranteed returns")).score == 0.95
    assert check.run(_text("A text editor")).score == 0.0
