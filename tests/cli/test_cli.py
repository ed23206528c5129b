"""The ``storyrecords`` command as an operator uses it: index files, see what happened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import cli
from indexer.sources import read_sources, txt_article
from indexer.store.embedded import EmbeddedStore
from tests.conftest import fake_extract


@pytest.fixture(autouse=True)
def _no_nlp(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI behaviour, not NLP: the fake extractor stands in for spaCy."""
    monkeypatch.setattr(
        "indexer.ingest.default_extractor", lambda: (fake_extract, "test-1")
    )


def _files(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Geneva talks\nRussia and NATO met in Geneva.\n")
    (folder / "b.json").write_text(json.dumps({"text": "NATO met Russia.", "source": "x"}))
    (folder / "c.ndjson").write_text(
        json.dumps({"text": "Berlin news about Russia."}) + "\n\n" + '{"title": "no text"}\n'
    )
    (folder / "ignored.csv").write_text("a,b\n")
    return folder


def test_index_reports_counts_and_fails_on_rejections(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(
        cli.main, ["--data-dir", str(data), "index", "--no-progress", str(_files(tmp_path))]
    )
    assert result.exit_code == 1
    assert "indexed 3, unchanged 0, rejected 1" in result.output
    assert "c.ndjson:3" in result.output and "text" in result.output
    store = EmbeddedStore(data / "storyrecords.sqlite3")
    assert store.count_articles() == 3
    store.close()


def test_indexing_again_changes_nothing(tmp_path: Path) -> None:
    folder = _files(tmp_path)
    (folder / "c.ndjson").unlink()
    args = ["--data-dir", str(tmp_path / "d"), "index", "--no-progress", str(folder)]
    assert CliRunner().invoke(cli.main, args).exit_code == 0
    again = CliRunner().invoke(cli.main, args)
    assert again.exit_code == 0
    assert "indexed 0, unchanged 2, rejected 0" in again.output


def test_env_vars_configure_the_command(tmp_path: Path) -> None:
    folder = _files(tmp_path)
    (folder / "c.ndjson").unlink()
    env = {"STORYRECORDS_DATA_DIR": str(tmp_path / "envdata")}
    result = CliRunner(env=env).invoke(cli.main, ["index", "--no-progress", str(folder)])
    assert result.exit_code == 0
    assert (tmp_path / "envdata" / "storyrecords.sqlite3").exists()


def test_defaults_fill_what_files_leave_out(tmp_path: Path) -> None:
    folder = _files(tmp_path)
    records = list(read_sources([folder], {"source": "cli", "published_at": "2022-01-11"}))
    by_origin = {Path(r.origin.split(":")[0]).name: r for r in records}
    assert by_origin["a.txt"].data["source"] == "cli"
    assert by_origin["b.json"].data["source"] == "x"
    assert by_origin["b.json"].data["published_at"] == "2022-01-11"


def test_txt_title_is_first_line_and_long_first_lines_stay_in_the_text() -> None:
    assert txt_article("Headline\n\nBody text.") == {"title": "Headline", "text": "Body text."}
    body = "During talks in Geneva yesterday, the sides met. " * 10
    article = txt_article(body + "\nMore.")
    assert article["text"].startswith("During talks")
    assert len(article["title"]) <= 201


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli.main, ["--help"])
    for command in ("serve", "index", "demo", "openapi"):
        assert command in result.output
    assert "STORYRECORDS_DATA_DIR" in result.output


def test_openapi_check_catches_drift(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.yaml"
    stale.write_text("openapi: 3.0.3\n")
    result = CliRunner().invoke(cli.main, ["openapi", "--check", str(stale)])
    assert result.exit_code != 0 and "out of date" in result.output


def test_every_option_reads_the_environment(tmp_path: Path) -> None:
    folder = _files(tmp_path)
    (folder / "c.ndjson").unlink()
    env = {
        "STORYRECORDS_DATA_DIR": str(tmp_path / "d"),
        "STORYRECORDS_INDEX_SOURCE": "from-env",
        "STORYRECORDS_INDEX_PUBLISHED_AT": "2022-01-11",
    }
    result = CliRunner(env=env).invoke(cli.main, ["index", "--no-progress", str(folder)])
    assert result.exit_code == 0, result.output
    store = EmbeddedStore(tmp_path / "d" / "storyrecords.sqlite3")
    sources = {a.source for a in store.iter_articles()}
    dates = {a.published_at for a in store.iter_articles()}
    store.close()
    assert sources == {"from-env", "x"}  # b.json names its own source
    assert dates == {"2022-01-11"}


def test_store_options_work_after_the_subcommand_too(tmp_path: Path) -> None:
    folder = _files(tmp_path)
    (folder / "c.ndjson").unlink()
    after = CliRunner().invoke(
        cli.main, ["index", "--data-dir", str(tmp_path / "after"), "--no-progress", str(folder)]
    )
    assert after.exit_code == 0, after.output
    assert (tmp_path / "after" / "storyrecords.sqlite3").exists()
    # After the subcommand wins over before it.
    both = CliRunner().invoke(cli.main, [
        "--data-dir", str(tmp_path / "before"), "check", "--data-dir", str(tmp_path / "after"),
    ])
    assert both.exit_code == 0, both.output
    assert "checked 2 articles" in both.output
    assert not (tmp_path / "before").exists()
    for command in (["serve"], ["index"], ["demo"], ["reindex"], ["check"], ["keys", "create"]):
        shown = CliRunner().invoke(cli.main, [*command, "--help"])
        assert "--data-dir" in shown.output and "--elasticsearch-url" in shown.output, command


def test_bench_without_a_name_shows_its_help_and_names_the_benchmarks() -> None:
    shown = CliRunner().invoke(cli.main, ["bench", "--help"])
    assert shown.exit_code == 0 and "{assign|extract|ingest|load|memory|search}" in shown.output
    wrong = CliRunner().invoke(cli.main, ["bench", "nope"])
    assert wrong.exit_code == 2 and "'nope' is not one of assign" in wrong.output
