"""How amounts of money and counts of things are written for people: one formatter each.

Every page, message, PDF and verifier line that shows money to a person goes through `money`,
and every count next to a noun goes through `plural`, so that "£3,200,000.00", not "320000000",
and "1 signature", not "1 signatures", are written the same way everywhere. The module is pure
(no imports of ours), so the web layer, the services, the ballot rules and the audit package can
all use it.

`money_for_input(pence)` writes the same amount for a form's input box, without symbol or
separators ('12500.50'), so that what the box shows is what people would type.

`money(amount, currency)` takes the app's stored unit, integer pence (hundredths of the
currency), or an exact `Fraction` of them, and rounds half away from zero to the currency's
smallest printed unit. With ``minor_units=False`` the amount is in whole currency units, as in
pabulib files, and whole amounts print without decimals.

>>> money(320_000_000)
'£3,200,000.00'
>>> money(123_456, "PLN")
'1,234.56 zł'
>>> plural(1, "signature"), plural(2, "payment"), plural(1_500, "person", "people")
('1 signature', '2 payments', '1,500 people')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["CURRENCIES", "Currency", "currency_of", "money", "money_for_input", "number", "plural"]


@dataclass(frozen=True)
class Currency:
    """How one currency is printed: its symbol, on which side, and how many decimals."""

    code: str
    symbol: str
    before: bool = True
    decimals: int = 2


CURRENCIES: Mapping[str, Currency] = {
    c.code: c
    for c in (
        Currency("GBP", "£"),
        Currency("EUR", "€"),
        Currency("USD", "$"),
        Currency("PLN", "zł", before=False),
        Currency("CZK", "Kč", before=False),
        # The forint's fillér went out of use in 1999: whole forints unless an amount has a part.
        Currency("HUF", "Ft", before=False, decimals=0),
    )
}
_BY_SYMBOL = {c.symbol: c for c in CURRENCIES.values()}


def currency_of(name: str | None) -> Currency:
    """Return the currency for an ISO code or a symbol ('GBP', 'gbp', '£'); unknown codes print
    after the amount."""
    text = (name or "").strip()
    found = CURRENCIES.get(text.upper()) or _BY_SYMBOL.get(text)
    if found is not None:
        return found
    return Currency(text.upper(), text.upper(), before=False)


def _rounded(value: Fraction, decimals: int) -> tuple[int, int]:
    """Return (whole, fraction digits) of |value|, rounded half away from zero."""
    scale: int = 10**decimals
    scaled = (abs(value) * scale * 2 + 1) // 2
    return divmod(int(scaled), scale)


def money(
    amount: Fraction | int | None, currency: str | None = "GBP", *, minor_units: bool = True
) -> str:
    """Write an amount for people, e.g. 320000000 pence -> '£3,200,000.00'; None -> '–'."""
    if amount is None:
        return "–"
    cur = currency_of(currency)
    value = Fraction(amount)
    if minor_units:
        value /= 100
        decimals = cur.decimals if (value * 10**cur.decimals).denominator == 1 else 2
    else:
        decimals = 0 if value.denominator == 1 else 2
    whole, frac = _rounded(value, decimals)
    sign = "-" if value < 0 and (whole or frac) else ""
    digits = f"{whole:,}" + (f".{frac:0{decimals}d}" if decimals else "")
    if not cur.symbol:
        return f"{sign}{digits}"
    if cur.before:
        return f"{sign}{cur.symbol}{digits}"
    return f"{sign}{digits} {cur.symbol}"


def money_for_input(pence: int | None) -> str:
    """Write integer pence for a form's input box, to be typed over: 1250050 -> '12500.50'.

    No symbol and no separators, and whole amounts without decimals ('12500'), so that what
    the box shows is what people type; exact, as integer pence are. None -> ''.
    """
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    units, rest = divmod(abs(pence), 100)
    return f"{sign}{units}" if rest == 0 else f"{sign}{units}.{rest:02d}"


def number(n: int) -> str:
    """Write a whole number with thousands separators, e.g. 48000 -> '48,000'."""
    return f"{n:,}"


def exact_figure(value: Fraction | int) -> str:
    """Write a figure exactly, with thousands separators: 1234.5 -> "1,234.5".

    Figures are reported with at most a few decimal places, so their sums have a finite
    decimal; one that has none (never expected) is written as an exact fraction."""
    q = Fraction(value)
    whole, rest = divmod(abs(q.numerator), q.denominator)
    sign = "-" if q < 0 else ""
    if rest == 0:
        return f"{sign}{whole:,}"
    digits = []
    for _ in range(40):
        if rest == 0:
            break
        rest *= 10
        digits.append(str(rest // q.denominator))
        rest %= q.denominator
    if rest:
        return f"{sign}{abs(q.numerator):,}/{q.denominator:,}"
    return f"{sign}{whole:,}." + "".join(digits)


def plural(n: int, one: str, many: str | None = None) -> str:
    """Write a count with its noun in agreement: '1 point', '2 points', '3 people'."""
    noun = one if n in (1, -1) else (many if many is not None else one + "s")
    return f"{number(n)} {noun}"


def impact_total_text(value: Fraction | int) -> str:
    """Write an impact total: exactly when its decimal is short, else to two places.

    A mean may have no finite decimal (7/3): it is written "about 2.33", rounded half to even
    on the exact fraction, never through a float."""
    exact = exact_figure(value)
    if "/" not in exact and len(exact.partition(".")[2]) <= 4:
        return exact
    return "about " + exact_figure(round(Fraction(value), 2))


def combined_words(aggregation: str, figures: int, projects: int) -> str:
    """Say how a measure's total was made: 'mean of 6 figures', 'latest of 3 projects'."""
    if aggregation == "mean":
        return f"mean of {plural(figures, 'figure')}"
    if aggregation == "latest":
        return f"latest figures of {plural(projects, 'project')} added up"
    return f"sum of {plural(figures, 'figure')}"
