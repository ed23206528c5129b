"""Cleaning keeps the article and drops page furniture, so offsets point at real text."""

from __future__ import annotations

from indexer.extract.clean import clean_text


def test_more_stories_block_and_its_headlines_are_cut() -> None:
    raw = "Talks ended.\nMore talks follow\nMore Stories\nSpain: 60 killed\nWill Biden win?"
    assert clean_text(raw) == "Talks ended.\nMore talks follow"


def test_photo_credit_is_removed_but_the_sentence_stays() -> None:
    raw = "Moscow is demanding a reduction. © epa Sergei Ilnitsky / EPA / dpa\n\nNext paragraph."
    assert clean_text(raw) == "Moscow is demanding a reduction.\n\nNext paragraph."


def test_trailing_agency_credit_is_removed() -> None:
    assert clean_text("She said Russia is not entitled to make demands. dpa") == (
        "She said Russia is not entitled to make demands."
    )
    assert clean_text("It rained in Vienna. (AFP)") == "It rained in Vienna."


def test_a_word_ending_like_an_agency_is_kept() -> None:
    assert clean_text("The deal was a trap") == "The deal was a trap"


def test_newsletter_and_related_lines_are_dropped() -> None:
    raw = "Body one.\nSign up for our daily newsletter\nRead more: other story\nBody two."
    assert clean_text(raw) == "Body one.\nBody two."


def test_whitespace_is_normalised_and_paragraphs_kept() -> None:
    raw = "  A  line\twith   gaps. \r\n\r\n\r\n\r\nNext\u00a0para.  "
    assert clean_text(raw) == "A line with gaps.\n\nNext para."
