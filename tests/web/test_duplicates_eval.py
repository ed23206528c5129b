"""A slice of the syndicated-copy scorer on ECB+ (skips locally without ../shared, fails in CI)."""

from __future__ import annotations

import pytest

from indexer.evaluation import duplicates
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval]


def test_copies_of_ecbplus_articles_are_found_and_distinct_articles_kept_apart() -> None:
    folder = require_shared(duplicates.DEFAULT_DIR / "docs", "ECB+ documents").parent
    result = duplicates.run(folder, limit=60)
    assert result["documents"] >= 40
    assert result["precision"] >= 0.9 and result["recall"] >= 0.9
    assert "re-headlined" in duplicates.format_report(result)


def test_copies_are_made_the_same_way_every_run() -> None:
    import random

    text = "Headline here\nFirst line of the story.\nSecond line.\nThird line.\nFourth."
    made = [duplicates.copies(text, [text], "Other headline", random.Random(1))
            for _ in range(2)]
    assert made[0] == made[1]
    assert made[0]["re-headlined"].startswith("Other headline")


def test_copies_are_found_through_the_store_as_ingest_finds_them() -> None:
    from indexer.evaluation import duplicates_store

    folder = require_shared(duplicates.DEFAULT_DIR / "docs", "ECB+ documents").parent
    result = duplicates_store.run(folder, limit=40)
    assert result["documents"] >= 30 and result["copies"] == 4 * result["documents"]
    assert result["precision"] >= 0.9 and result["recall"] >= 0.9
    assert "recall by kind" in duplicates_store.format_report(result)
