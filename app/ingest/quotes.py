"""The one place where quote offsets are found and checked.

Offsets are Python string indices (Unicode code points) into the source text. Matching is exact
first; failing that, both sides are folded with a one-character-to-one-character map (non-breaking
space, typographic quotes and dashes), so an index in the folded text is the same index in the
original, and the stored quote is always the original text at those offsets.
"""

from dataclasses import dataclass

_FOLD = str.maketrans(
    {
        "\u00a0": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)


class QuoteError(ValueError):
    """A quote is missing from its source, ambiguous, or does not match its offsets."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def fold(text: str) -> str:
    return text.translate(_FOLD)


def _all_occurrences(haystack: str, needle: str) -> list[int]:
    found: list[int] = []
    index = haystack.find(needle)
    while index != -1:
        found.append(index)
        index = haystack.find(needle, index + 1)
    return found


def find_quote(text: str, quote: str, occurrence: int | None = None) -> Span:
    """Locate `quote` in `text`. `occurrence` (1-based) picks one when it occurs several times."""
    if not quote.strip():
        raise QuoteError("the quote is empty")
    starts = _all_occurrences(text, quote) or _all_occurrences(fold(text), fold(quote))
    if not starts:
        raise QuoteError("the quote does not occur in the source text")
    if occurrence is None:
        if len(starts) > 1:
            raise QuoteError(
                f"the quote occurs {len(starts)} times in the source text; "
                "give `occurrence` (1-based) to say which"
            )
        occurrence = 1
    if not 1 <= occurrence <= len(starts):
        raise QuoteError(
            f"occurrence {occurrence} asked for, but the quote occurs {len(starts)} times"
        )
    start = starts[occurrence - 1]
    return Span(start, start + len(quote))


def check_span(text: str, quote: str, start: int, end: int) -> None:
    """Raise unless `quote` is exactly (or after folding) `text[start:end]`."""
    if not 0 <= start < end <= len(text):
        raise QuoteError(f"offsets {start}..{end} fall outside the source text (0..{len(text)})")
    span = text[start:end]
    if span != quote and fold(span) != fold(quote):
        raise QuoteError(f"the source text at {start}..{end} is not the quote")
