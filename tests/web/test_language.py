"""Language detection: offline, deterministic, and silent when it cannot tell."""

from __future__ import annotations

import pytest

from indexer.language import detect_language, is_english

SAMPLES = {
    "en": "Negotiators from Russia and the United States left Geneva on Monday without a deal.",
    "pt": "As chuvas fortes deixaram mais de três mil pessoas desalojadas na região Sul.",
    "it": "Il governo italiano ha approvato ieri sera la legge di bilancio per il prossimo anno.",
    "id": "Pemerintah Indonesia mengumumkan kebijakan baru tentang ekonomi digital hari ini.",
    "ko": "정부는 오늘 새로운 경제 정책을 발표했으며 전문가들은 긍정적으로 평가했다.",
    "de": "Die Verhandlungen in Genf endeten am Montag ohne eine Einigung der beiden Seiten.",
}


@pytest.mark.parametrize(("language", "text"), sorted(SAMPLES.items()))
def test_the_benchmark_languages_are_recognised(language: str, text: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "OK", "12 345 678 -- 9", "https://a.example/x?y=1"])
def test_too_little_text_is_no_answer(text: str) -> None:
    assert detect_language(text) is None


def test_the_same_text_always_gets_the_same_answer() -> None:
    mixed = SAMPLES["en"] + " " + SAMPLES["pt"]
    assert len({detect_language(mixed) for _ in range(5)}) == 1


def test_english_only_steps_can_ask() -> None:
    assert is_english("en-GB") and is_english(None) and not is_english("pt-BR")
