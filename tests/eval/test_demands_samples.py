"""The samples' demands scorer on hand-made extractions (no model)."""

from __future__ import annotations

from typing import Any

from indexer.evaluation.demands_samples import has_key_words, score_samples
from indexer.models import Demand, Extraction, Mention, Party

EXPECTED: dict[str, Any] = {
    "articles": {"a.txt": {}, "b.txt": {}},
    "demands": [
        {
            "claimant": "Russia",
            "addressee": "United States",
            "stance": "demand",
            "action_key_words": ["reduc", "forces", "Europe"],
            "in": "both",
        },
    ],
}
PARTIES = (
    Party("country:RU", "Russia", "country"),
    Party("country:US", "United States", "country"),
)


def _extraction(action: str, stance: str = "demand") -> Extraction:
    sentence = Mention(0, 1, "x")
    demand = Demand("country:RU", "country:US", action, "demand", stance, sentence)  # type: ignore[arg-type]
    return Extraction(text="x", parties=PARTIES, demands=(demand,))


def test_synonyms_count_as_key_words() -> None:
    assert has_key_words("reduce US troops and arms in Europe", ["reduc", "forces", "Europe"])
    assert not has_key_words("reduce tariffs", ["reduc", "forces"])


def test_found_per_article() -> None:
    result = score_samples(
        {"a.txt": _extraction("reduce US forces in Europe"), "b.txt": _extraction("stop")},
        EXPECTED,
    )
    assert (result["found"], result["expected"]) == (1, 2)
    assert [i["found"] for i in result["items"]] == [True, False]


def test_stance_must_match() -> None:
    result = score_samples(
        {"a.txt": _extraction("reduce US forces in Europe", "offers"), "b.txt": _extraction("")},
        EXPECTED,
    )
    assert result["found"] == 0
