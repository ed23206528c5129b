"""Demands step on real parses with hand-built parties, and end to end on the samples."""

from __future__ import annotations

import json

import pytest
from spacy.language import Language

from indexer.evaluation import SHARED_DIR
from indexer.evaluation.demands_samples import score_samples
from indexer.extract.demands import extract_demands
from indexer.models import Demand
from indexer.pipeline import default_pipeline, load_model, parse
from tests.conftest import require_shared
from tests.extract.hand_parties import build_parties

pytestmark = pytest.mark.slow
SAMPLES = SHARED_DIR / "samples"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_model()


def _demands(nlp: Language, text: str) -> list[Demand]:
    return list(extract_demands(parse(nlp, text), build_parties(text)))


def _one(found: list[Demand], claimant: str, stance: str = "demand") -> Demand:
    hits = [d for d in found if d.claimant == claimant and d.stance == stance]
    assert hits, f"no {stance} by {claimant} in {found}"
    return hits[0]


def test_coordinated_claimants_give_one_demand_each(nlp: Language) -> None:
    text = (
        "The United States and the Western Defense Alliance are demanding the withdrawal "
        "of Russian forces from the border with Ukraine."
    )
    found = _demands(nlp, text)
    assert {d.claimant for d in found} == {"country:US", "org:nato"}
    for demand in found:
        assert demand.addressee == "country:RU"
        assert demand.action == "withdraw Russian forces from the border with Ukraine"
        assert demand.cue == "demand"
        assert demand.sentence.text == text


def test_coordinated_demands_are_split_and_addressed(nlp: Language) -> None:
    text = (
        "Russia is demanding a reduction in the number of US forces and weapons in Europe "
        "and an assurance that NATO will not expand to the east."
    )
    found = {d.addressee: d for d in _demands(nlp, text)}
    assert found["country:US"].action == "reduce US forces and weapons in Europe"
    assert "NATO will not expand to the east" in found["org:nato"].action


def test_call_on_names_the_addressee(nlp: Language) -> None:
    found = _demands(nlp, "Sherman again called on Russia to stop the escalation of the crisis.")
    demand = _one(found, "person:wendy-sherman")
    assert (demand.addressee, demand.cue) == ("country:RU", "call on")
    assert demand.action == "stop the escalation of the crisis"


def test_passive_call_for_becomes_an_active_action(nlp: Language) -> None:
    text = "The USA and NATO are calling for Russian troops to be withdrawn from the border."
    found = _demands(nlp, text)
    assert {d.claimant for d in found} == {"country:US", "org:nato"}
    assert all(d.action == "withdraw Russian troops from the border" for d in found)
    assert all(d.cue == "call for" for d in found)


def test_urging_not_to_is_negated(nlp: Language) -> None:
    text = (
        "Ukrainian Foreign Minister Dmytro Kuleba urged the Western alliance "
        "not to make any concessions."
    )
    demand = _one(_demands(nlp, text), "person:dmytro-kuleba")
    assert (demand.addressee, demand.negated) == ("org:nato", True)
    assert "concessions" in demand.action and "not" not in demand.action


def test_reported_rejection_names_whose_demand(nlp: Language) -> None:
    text = (
        "Sherman again rejected Russia's demands for a guaranteed end to NATO's eastward expansion."
    )
    found = _demands(nlp, text)
    rejection = _one(found, "person:wendy-sherman", "rejects")
    assert rejection.addressee == "country:RU"
    assert "NATO" in rejection.action and "expansion" in rejection.action
    noun_form = _one(found, "country:RU")
    assert (noun_form.addressee, noun_form.cue) == ("org:nato", "demands for")


def test_willingness_is_an_offer_to_the_counterpart(nlp: Language) -> None:
    text = (
        "Sherman called on Russia to de-escalate. Sherman said the United States was willing "
        "to talk about limiting maneuvers or deploying missiles."
    )
    offer = _one(_demands(nlp, text), "country:US", "offers")
    assert offer.addressee == "country:RU"
    assert "maneuvers" in offer.action and "missiles" in offer.action


def test_listed_demands_inherit_the_claimant(nlp: Language) -> None:
    text = (
        "Moscow has made clear that progress must be made on the main demands. This included "
        "the termination of NATO's eastward expansion and the withdrawal of the Western "
        "military alliance from stationing offensive weapons near the Russian border."
    )
    found = [d for d in _demands(nlp, text) if d.claimant == "country:RU"]
    assert len(found) == 2
    assert all(d.addressee == "org:nato" for d in found)
    assert any("offensive weapons" in d.action for d in found)


def test_call_for_with_a_source_names_the_addressee(nlp: Language) -> None:
    text = (
        "The Ukrainian ambassador in Berlin, Andrij Melnyk, once again called for "
        "arms deliveries from Germany."
    )
    demand = _one(_demands(nlp, text), "person:andrij-melnyk")
    assert (demand.addressee, demand.action) == ("country:DE", "deliver arms from Germany")


def test_no_party_no_demand(nlp: Language) -> None:
    assert _demands(nlp, "Both sides insisted on their positions. A call for de-escalation") == []


def test_sentence_span_points_at_the_text(nlp: Language) -> None:
    text = "Talks ended.\nSherman again called on Russia to stop the escalation."
    demand = _one(_demands(nlp, text), "person:wendy-sherman")
    assert text[demand.sentence.start : demand.sentence.end] == demand.sentence.text
    assert demand.sentence.text.startswith("Sherman")


def test_samples_demands_end_to_end() -> None:
    expected_file = require_shared(SAMPLES / "geneva-talks.expected.json", "samples")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    pipeline = default_pipeline()
    extractions = {
        name: pipeline.extract(
            (SAMPLES / name).read_text(encoding="utf-8"), published_at=spec["published_at"]
        )
        for name, spec in expected["articles"].items()
    }
    result = score_samples(extractions, expected)
    missing = [item["item"] for item in result["items"] if not item["found"]]
    assert missing == []
    assert result["found"] == result["expected"] == 18
