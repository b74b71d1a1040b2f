"""Money: integer minor units and an ISO-4217 currency. No floats anywhere near money."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Minor-unit exponents (ISO 4217) of the currencies Souk accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AED": 2,
    "AUD": 2,
    "BGN": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EGP": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "JOD": 3,
    "JPY": 0,
    "KES": 2,
    "KRW": 0,
    "KWD": 3,
    "MAD": 2,
    "MXN": 2,
    "MYR": 2,
    "NGN": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PHP": 2,
    "PLN": 2,
    "QAR": 2,
    "RON": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "USD": 2,
    "VND": 0,
    "ZAR": 2,
}
_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")


class MoneyError(ValueError):
    pass


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if code not in CURRENCY_EXPONENTS:
        raise MoneyError(f"unsupported currency {code!r}")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units (cents)
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise MoneyError("Money amounts are integers of minor units")
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """``"12.34"`` in USD -> 1234; more decimals than the currency has is an error."""
        currency = check_currency(currency)
        text = text.strip()
        if not _AMOUNT.match(text):
            raise MoneyError(f"{text!r} is not an amount")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"{text!r} is not an amount") from exc
        scaled = value.scaleb(CURRENCY_EXPONENTS[currency])
        if scaled != scaled.to_integral_value():
            raise MoneyError(
                f"{currency} has {CURRENCY_EXPONENTS[currency]} decimal places; got {text!r}"
            )
        return cls(int(scaled), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError("cannot combine amounts of different currencies")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise MoneyError("multiply money by whole numbers; use allocate() for shares")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split by integer weights; remainders go to the largest shares first, so the parts
        always sum to the whole."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise MoneyError("allocate() needs non-negative weights with a positive sum")
        total = sum(weights)
        shares = [self.amount * w // total for w in weights]
        remainder = self.amount - sum(shares)
        order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
        step = 1 if remainder >= 0 else -1
        for index in order[: abs(remainder)]:
            shares[index] += step
        return [Money(share, self.currency) for share in shares]

    def basis_points(self, rate_bp: int) -> Money:
        """``rate_bp`` basis points of this amount, rounded half up (1250 bp = 12.5 %)."""
        numerator = self.amount * rate_bp
        return Money((numerator + 5_000) // 10_000, self.currency)

    def to_decimal_string(self) -> str:
        exponent = CURRENCY_EXPONENTS[self.currency]
        if exponent == 0:
            return str(self.amount)
        sign = "-" if self.amount < 0 else ""
        whole, fraction = divmod(abs(self.amount), 10**exponent)
        return f"{sign}{whole}.{fraction:0{exponent}d}"

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self.currency}"
