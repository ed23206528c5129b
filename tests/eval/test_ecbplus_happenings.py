"""The hand-reviewed ECB+ follow-ups: the happening gold they give and its ceiling."""

from __future__ import annotations

from indexer.evaluation import ecbplus_happenings as eh
from indexer.evaluation.event_clustering import b_cubed


def test_follow_ups_cut_their_subtopic_and_cap_a_one_happening_system() -> None:
    gold = {"1_2ecbplus.xml": "1_ecbplus", "1_3ecbplus.xml": "1_ecbplus",
            "1_20ecbplus.xml": "1_ecbplus", "1_5ecb.xml": "1_ecb"}
    cut = eh.happening_gold(gold)
    assert cut == {"1_2ecbplus.xml": "1_ecbplus", "1_3ecbplus.xml": "1_ecbplus/malibu",
                   "1_20ecbplus.xml": "1_ecbplus/malibu", "1_5ecb.xml": "1_ecb"}
    assert eh.per_subtopic(gold) == {"1_ecbplus": 2}
    ceiling = b_cubed(cut, gold)
    assert ceiling["precision"] == 1.0 and ceiling["recall"] < 1.0


def test_every_label_names_an_ecbplus_document() -> None:
    assert set(eh.OTHER) == set(eh.DATED) | set(eh.BY_LEAD)
    assert all(doc.endswith(".xml") and doc.split("_")[0].isdigit() for doc in eh.OTHER)
    assert all(label and label == label.lower() for label in eh.OTHER.values())
