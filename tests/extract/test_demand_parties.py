"""Who demands of whom when the text names them by a pronoun, a title or a common noun.

Real parses through the parties and demands steps (the product path), plus a hand-built parse
for the rule that keeps a person from becoming an organisation.
"""

from __future__ import annotations

import pytest
from spacy.language import Language

from indexer.events.merge import _content_words
from indexer.extract.demands import extract_demands
from indexer.extract.parties import extract_parties
from indexer.extract.reference import country_words, demonyms
from indexer.models import Demand, Party
from indexer.pipeline import load_model, parse
from tests.extract.handmade import make_doc

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_model()


def _run(nlp: Language, text: str) -> tuple[dict[str, Party], list[Demand]]:
    doc = parse(nlp, text)
    parties = extract_parties(doc)
    return {p.id: p for p in parties}, list(extract_demands(doc, parties))


def _first(demands: list[Demand]) -> Demand:
    assert demands, "no demand found"
    return demands[0]


def test_common_noun_claimant_is_a_group_party(nlp: Language) -> None:
    parties, demands = _run(nlp, "Protesters demanded the release of the detained journalists.")
    demand = _first(demands)
    assert demand.claimant == "group:protesters"
    assert parties["group:protesters"].kind == "group"
    assert parties["group:protesters"].name == "protesters"
    assert "journalists" in demand.action


def test_group_keeps_the_affiliation_its_phrase_states(nlp: Language) -> None:
    parties, demands = _run(nlp, "Ukrainian protesters urged the government to resign.")
    group = parties[_first(demands).claimant]
    assert group.kind == "group"
    assert group.affiliation == "country:UA"


def test_officials_of_a_country_speak_for_the_country(nlp: Language) -> None:
    parties, demands = _run(nlp, "U.S. officials urged Russia to pull its troops back.")
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("country:US", "country:RU")
    assert not [p for p in parties.values() if p.kind == "group"]


def test_common_noun_addressee_is_a_group(nlp: Language) -> None:
    text = "Prosecutor General Yuri Chaika urged law enforcement agencies to act faster."
    parties, demands = _run(nlp, text)
    demand = _first(demands)
    assert demand.claimant == "person:yuri-chaika"
    assert demand.addressee == "group:law-enforcement-agencies"
    assert parties[demand.addressee].name == "law enforcement agencies"


def test_pronoun_claimant_is_the_person_named_before(nlp: Language) -> None:
    text = (
        "Wendy Sherman met the Russian delegation in Geneva on Monday. "
        "She urged Russia to withdraw its troops from the border."
    )
    parties, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:wendy-sherman", "country:RU")
    assert "She" in [m.text for m in parties["person:wendy-sherman"].mentions]


def test_an_object_pronoun_is_never_its_own_clause_subject(nlp: Language) -> None:
    text = "John Smith met Peter Jones on Friday. Smith urged him to resign."
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:john-smith", "person:peter-jones")


def test_title_noun_is_the_person_with_that_role(nlp: Language) -> None:
    text = (
        "Ukrainian Foreign Minister Dmytro Kuleba arrived in Berlin. "
        "The minister called on Germany to deliver weapons."
    )
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:dmytro-kuleba", "country:DE")


def test_that_clause_subject_is_the_addressee(nlp: Language) -> None:
    _, demands = _run(nlp, "Donald Trump demanded that Barack Obama release his birth certificate.")
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:donald-trump", "person:barack-obama")


def test_suggesting_a_fact_is_not_a_demand_but_suggesting_an_act_is(nlp: Language) -> None:
    _, fact = _run(nlp, "Devin Stewart suggests that an apology could open a can of worms.")
    assert fact == []
    _, advice = _run(nlp, "James Blair suggested that Hillary Clinton get into the market.")
    assert _first(advice).addressee == "person:hillary-clinton"


def test_passive_cue_names_the_addressee_as_subject(nlp: Language) -> None:
    _, demands = _run(nlp, "Russia was urged by the United States to withdraw its forces.")
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("country:US", "country:RU")


def test_told_reporters_is_no_demand(nlp: Language) -> None:
    _, demands = _run(nlp, "Sergei Ryabkov told reporters that the talks were difficult.")
    assert demands == []


def test_an_apposition_relative_clause_is_its_anchors(nlp: Language) -> None:
    text = (
        "Anna Weber, a veteran lobbyist who had been advising Governor Tom Keller, "
        "left the firm."
    )
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:anna-weber", "person:tom-keller")
    assert demand.action == ""  # advice given, content unstated


def test_coordinated_passives_share_the_agent_and_quantifiers_name_their_of_phrase(
    nlp: Language,
) -> None:
    text = (
        "The Pinewood Institute is funded, advised and staffed by some of the leading "
        "economists."
    )
    parties, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == (
        "group:leading-economists",
        "org:pinewood-institute",
    )
    assert parties[demand.claimant].kind == "group"


def test_a_that_clause_hung_on_the_verb_above_the_cue_is_the_cues(nlp: Language) -> None:
    text = (
        "The women were approached by officers who demanded, in a loud voice, "
        "that they show their papers."
    )
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("group:officers", "group:women")
    assert demand.action.startswith("they show")


def test_a_participle_cue_addresses_the_object_of_the_act_it_accompanies(nlp: Language) -> None:
    text = "Police officers stopped John Reyes at the border while demanding a bribe."
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("group:police-officers", "person:john-reyes")


def test_a_surname_ner_calls_an_organisation_is_a_person_when_his_follows() -> None:
    rows = [
        ("Trump", 1, "nsubj", "PROPN"),
        ("repeated", 1, "ROOT", "VERB"),
        ("his", 3, "poss", "PRON"),
        ("admiration", 1, "dobj", "NOUN"),
        (".", 1, "punct", "PUNCT"),
    ]
    parties = extract_parties(make_doc(rows, {0: "B-ORG"}))
    assert [(p.id, p.kind) for p in parties] == [("person:trump", "person")]


def test_first_person_in_a_quotation_is_its_speaker(nlp: Language) -> None:
    text = '"We urge Russia to withdraw its troops from the border," Antony Blinken said.'
    parties, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:antony-blinken", "country:RU")
    assert "We" in [m.text for m in parties["person:antony-blinken"].mentions]
    _, before = _run(nlp, 'Sergei Lavrov said: "We demand that NATO stop its expansion."')
    assert (_first(before).claimant, _first(before).addressee) == (
        "person:sergei-lavrov",
        "org:nato",
    )


def test_a_quotation_after_an_attributed_one_has_the_same_speaker_and_a_capital_is_its_state(
    nlp: Language,
) -> None:
    text = (
        'Antony Blinken spoke in Geneva. "We will not accept this," he said. '
        '"We call on Moscow to pull back its forces."'
    )
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:antony-blinken", "country:RU")
    assert demand.action == "pull back its forces"


def test_first_person_outside_a_quotation_names_no_one(nlp: Language) -> None:
    _, demands = _run(nlp, "We urge Russia to withdraw its troops, Antony Blinken wrote on Monday.")
    assert all(d.claimant != "person:antony-blinken" for d in demands)


def test_an_object_pronoun_of_a_coordinated_verb_is_not_the_shared_subject(
    nlp: Language,
) -> None:
    text = "Peter Jones arrived. John Smith met him and urged him to resign."
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:john-smith", "person:peter-jones")


def test_a_quotation_said_by_a_title_is_the_person_holding_it(nlp: Language) -> None:
    text = (
        "Ukrainian Foreign Minister Dmytro Kuleba arrived in Berlin. "
        '"We ask Germany to deliver weapons," the minister said.'
    )
    _, demands = _run(nlp, text)
    demand = _first(demands)
    assert (demand.claimant, demand.addressee) == ("person:dmytro-kuleba", "country:DE")


def _kinds(rows: list[tuple[str, int, str, str]], ents: dict[int, str]) -> list[tuple[str, str]]:
    return [(p.id, p.kind) for p in extract_parties(make_doc(rows, ents))]


def test_a_surname_ner_calls_an_organisation_is_a_person_by_what_only_people_have() -> None:
    rows = [
        ("The", 2, "det", "DET"),
        ("Trump", 2, "compound", "PROPN"),
        ("adviser", 3, "nsubj", "NOUN"),
        ("resigned", 3, "ROOT", "VERB"),
        (".", 3, "punct", "PUNCT"),
    ]
    assert _kinds(rows, {1: "B-ORG"}) == [("person:trump", "person")]


def test_a_surname_ner_calls_an_organisation_is_a_person_by_a_stated_age() -> None:
    rows = [
        ("Sanchez", 4, "nsubj", "PROPN"),
        (",", 0, "punct", "PUNCT"),
        ("56", 0, "appos", "NUM"),
        (",", 0, "punct", "PUNCT"),
        ("spoke", 4, "ROOT", "VERB"),
        (".", 4, "punct", "PUNCT"),
    ]
    assert _kinds(rows, {0: "B-ORG"}) == [("person:sanchez", "person")]


def test_a_bare_name_saying_a_direct_quotation_is_a_person_an_organisation_stays_one() -> None:
    def rows(name: str, tail: list[tuple[str, int, str, str]]) -> list[tuple[str, int, str, str]]:
        return [
            ("We", 1, "nsubj", "PRON"),
            ("won", 5, "ccomp", "VERB"),
            (",", 5, "punct", "PUNCT"),
            ('"', 5, "punct", "PUNCT"),
            (name, 5, "nsubj", "PROPN"),
            ("said", 5, "ROOT", "VERB"),
            *tail,
        ]

    stop = [(".", 5, "punct", "PUNCT")]
    assert _kinds(rows("Weiss", stop), {4: "B-ORG"}) == [("person:weiss", "person")]
    statement = [
        ("in", 5, "prep", "ADP"),
        ("a", 8, "det", "DET"),
        ("statement", 6, "pobj", "NOUN"),
        (".", 5, "punct", "PUNCT"),
    ]
    assert _kinds(rows("Gazprom", statement), {4: "B-ORG"}) == [("org:gazprom", "organization")]


def test_a_one_word_organisation_without_personal_evidence_stays_an_organisation() -> None:
    rows = [
        ("Gazprom", 1, "nsubj", "PROPN"),
        ("raised", 1, "ROOT", "VERB"),
        ("prices", 1, "dobj", "NOUN"),
        (".", 1, "punct", "PUNCT"),
    ]
    assert _kinds(rows, {0: "B-ORG"}) == [("org:gazprom", "organization")]


def test_a_pronoun_tagged_as_a_country_is_no_party() -> None:
    rows = [("between", 0, "ROOT", "ADP"), ("us", 0, "pobj", "PRON")]
    assert extract_parties(make_doc(rows, {1: "B-GPE"})) == ()


def test_one_demonym_table_serves_extraction_and_the_event_merge() -> None:
    assert demonyms()["russian"] == country_words()["russian"] == "RU"
    assert country_words()["usa"] == country_words()["american"] == "US"
    assert _content_words("withdraw Russian troops") == _content_words("withdraw Russia forces")
    assert _content_words("American weapons") == _content_words("USA arms")
