"""Syndicated copies: trimmed, re-headlined or padded copies match; other stories do not."""

from __future__ import annotations

import pytest

from indexer.dedup import SCHEME, Signature, compare, find_copy, signature

WIRE = "\n".join([
    "Negotiators from Russia and the United States left Geneva on Monday without an agreement,"
    " after nearly eight hours of talks that both sides described as frank and professional.",
    "The US delegation said it had rejected proposals that would bar Ukraine from ever joining"
    " NATO, while Moscow said it needed legally binding guarantees on its security.",
    "Diplomats will meet again on Wednesday in Brussels, where the NATO-Russia Council convenes"
    " for the first time in more than two years, and on Thursday in Vienna.",
    "Analysts said the first round had at least kept both sides at the table, although nobody"
    " had expected a breakthrough in Geneva this week.",
    "Tens of thousands of Russian troops remain massed near the border with Ukraine, a build-up"
    " Western governments say could precede an invasion.",
])
OTHER = "\n".join([
    "Russia and NATO met in Brussels on Wednesday for the first session of their council in two"
    " years, a day after talks in Geneva ended without an agreement.",
    "NATO's secretary general said allies were ready to discuss arms control and transparency"
    " but would not accept Russian demands to close the door on Ukraine.",
    "Russia's delegation warned of unpredictable consequences and said it saw no reason to"
    " keep meeting unless the alliance took its security concerns seriously.",
    "The Organization for Security and Co-operation in Europe meets in Vienna on Thursday.",
])


@pytest.mark.parametrize("copy", [
    "\n".join(WIRE.split("\n")[:3]),  # trimmed
    "Talks end in deadlock\n" + WIRE,  # re-headlined
    "Home | World | Business\nBy Wire Reporter\n" + WIRE
    + "\nSign up for our newsletter\nRelated: Markets slip as oil climbs\n(c) 2022 Example",
])
def test_copies_are_found(copy: str) -> None:
    assert compare(signature(WIRE), signature(copy)).is_copy


def test_a_different_story_on_the_same_subject_is_not_a_copy() -> None:
    similarity = compare(signature(WIRE), signature(OTHER))
    assert not similarity.is_copy and similarity.jaccard < 0.1


def test_short_texts_are_never_called_copies() -> None:
    assert not compare(signature("Talks ended."), signature("Talks ended.")).is_copy


def test_signatures_survive_storage_and_refuse_other_schemes() -> None:
    sig = signature(WIRE)
    stored = sig.encode()
    assert stored.startswith(f"{SCHEME}:") and len(stored) < 400
    assert Signature.decode(stored) == sig
    with pytest.raises(ValueError, match="scheme"):
        Signature.decode("m0" + stored[2:])


def test_the_best_matching_candidate_is_named() -> None:
    padded = signature(WIRE + "\nSign up for our newsletter today.")
    candidates = [("other", signature(OTHER)), ("wire", signature(WIRE))]
    assert find_copy(padded, candidates) == "wire"
    assert find_copy(signature(OTHER + "\nMore."), [("wire", signature(WIRE))]) is None


def test_signatures_are_deterministic() -> None:
    assert signature(WIRE) == signature(WIRE)
