"""WCAG 2 contrast between brand colours, for the branding page's warnings (a warning, not a
refusal: the operator may know better, but should see that text will be hard to read)."""

from __future__ import annotations

from dataclasses import dataclass

MINIMUM_TEXT_CONTRAST = 4.5  # WCAG AA for body text


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class ContrastWarning:
    pair: str
    ratio: float


def contrast_warnings(colours: dict[str, str]) -> list[ContrastWarning]:
    """Pairs people read on the storefront that fall below WCAG AA (4.5:1)."""
    pairs = [
        ("Text on the background", colours["text_colour"], colours["background_colour"]),
        ("White header text on the primary colour", "#ffffff", colours["primary_colour"]),
        ("Primary-coloured prices on the background", colours["primary_colour"],
         colours["background_colour"]),
    ]  # fmt: skip
    warnings = []
    for label, foreground, background in pairs:
        ratio = contrast_ratio(foreground, background)
        if ratio < MINIMUM_TEXT_CONTRAST:
            warnings.append(ContrastWarning(label, round(ratio, 1)))
    return warnings
