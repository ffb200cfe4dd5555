"""The offset finder: exact and folded matching, ambiguity, and the round-trip property."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ingest.quotes import QuoteError, check_span, find_quote, fold

TEXT = "Beijing\u00a0agreed to “hold off” – for one year. Beijing agreed again."


def test_exact_match_returns_code_point_offsets() -> None:
    span = find_quote(TEXT, "for one year")
    assert TEXT[span.start : span.end] == "for one year"


def test_folded_match_offsets_point_into_original_text() -> None:
    span = find_quote(TEXT, 'Beijing agreed to "hold off" - for one year')
    assert TEXT[span.start : span.end] == "Beijing\u00a0agreed to “hold off” – for one year"


def test_missing_quote_is_an_error() -> None:
    with pytest.raises(QuoteError, match="does not occur"):
        find_quote(TEXT, "Washington agreed")


def test_repeated_quote_needs_an_occurrence() -> None:
    with pytest.raises(QuoteError, match="occurs 2 times"):
        find_quote(TEXT, "agreed")
    second = find_quote(TEXT, "agreed", occurrence=2)
    assert second.start == TEXT.rindex("agreed")


def test_occurrence_beyond_the_count_is_an_error() -> None:
    with pytest.raises(QuoteError, match="occurrence 3"):
        find_quote(TEXT, "agreed", occurrence=3)


def test_check_span_rejects_offsets_that_do_not_hold_the_quote() -> None:
    check_span(TEXT, "for one year", TEXT.index("for one"), TEXT.index("for one") + 12)
    with pytest.raises(QuoteError):
        check_span(TEXT, "for one year", 0, 12)
    with pytest.raises(QuoteError, match="outside"):
        check_span(TEXT, "x", len(TEXT), len(TEXT) + 1)


def _overlapping(haystack: str, needle: str) -> list[int]:
    return [i for i in range(len(haystack)) if haystack.startswith(needle, i)]


alphabet = st.sampled_from(list("ab \u00a0’'“”\"–-é😀"))


@given(text=st.text(alphabet=alphabet, min_size=1, max_size=40), data=st.data())
def test_a_found_quote_is_always_the_text_at_its_offsets(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    if not quote.strip():
        return
    exact = _overlapping(text, quote)
    candidates = exact or _overlapping(fold(text), fold(quote))  # exact matches win
    if len(candidates) > 1:
        with pytest.raises(QuoteError, match="give `occurrence`"):
            find_quote(text, quote)
        return
    span = find_quote(text, quote)
    assert fold(text[span.start : span.end]) == fold(quote)
    assert span.end - span.start == len(quote)
