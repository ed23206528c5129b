"""The ``storyrecords`` command: serve the API, index files, run the demo, print the contract.

Every option also reads a ``STORYRECORDS_*`` environment variable, so the same settings work
in a shell, a container and CI.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from storyrecords import __version__
from storyrecords.api.config import Settings
from storyrecords.evaluation import SHARED_DIR
from storyrecords.indexer.errors import StoreUnavailable
from storyrecords.indexer.sources import SourceRecord, read_sources

if TYPE_CHECKING:  # heavy imports stay out of `storyrecords --help`
    from storyrecords.indexer.ingest import Indexer

DEFAULT_SAMPLES = SHARED_DIR / "samples"


def _settings(ctx: click.Context) -> Settings:
    found: Settings = ctx.obj
    return found


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        # Options without a documented variable still read STORYRECORDS_<COMMAND>_<OPTION>,
        # e.g. STORYRECORDS_INDEX_SOURCE for `index --source`.
        "auto_envvar_prefix": "STORYRECORDS",
        "show_default": True,
    }
)
@click.version_option(__version__, prog_name="storyrecords")
@click.option(
    "--data-dir",
    envvar="STORYRECORDS_DATA_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".data"),
    show_default=True,
    help="Where the embedded store keeps its files [env STORYRECORDS_DATA_DIR].",
)
@click.option(
    "--elasticsearch-url",
    envvar="STORYRECORDS_ELASTICSEARCH_URL",
    default=None,
    help="Use Elasticsearch at this URL instead of the embedded store "
    "[env STORYRECORDS_ELASTICSEARCH_URL].",
)
@click.option(
    "--elasticsearch-index",
    envvar="STORYRECORDS_ELASTICSEARCH_INDEX",
    default="storyrecords",
    show_default=True,
    help="Prefix of the Elasticsearch indices and aliases [env STORYRECORDS_ELASTICSEARCH_INDEX].",
)
@click.pass_context
def main(
    ctx: click.Context, data_dir: Path, elasticsearch_url: str | None, elasticsearch_index: str
) -> None:
    """storyrecords: news articles in, machine-readable story records out.

    Every option can also be set in the environment: the variable named in its help, or
    STORYRECORDS_<COMMAND>_<OPTION> (for example STORYRECORDS_INDEX_SOURCE).
    """
    ctx.obj = replace(
        Settings.from_env(),
        data_dir=data_dir,
        elasticsearch_url=elasticsearch_url or None,
        elasticsearch_index=elasticsearch_index,
    )


@main.command()
@click.option("--host", envvar="STORYRECORDS_HOST", default="127.0.0.1", show_default=True,
              help="Interface to listen on [env STORYRECORDS_HOST].")
@click.option("--port", envvar="STORYRECORDS_PORT", default=8080, show_default=True, type=int,
              help="Port to listen on [env STORYRECORDS_PORT].")
@click.option("--workers", envvar="STORYRECORDS_WORKERS", default=1, show_default=True, type=int,
              help="Worker processes [env STORYRECORDS_WORKERS].")
@click.option("--threads", envvar="STORYRECORDS_THREADS", default=8, show_default=True, type=int,
              help="Threads per worker [env STORYRECORDS_THREADS].")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, threads: int) -> None:
    """Run the HTTP API (gunicorn)."""
    from storyrecords.serve import run

    run(_settings(ctx), host=host, port=port, workers=workers, threads=threads)


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--source", default=None, help="Source for files that do not name one.")
@click.option("--published-at", default=None,
              help="Publication date for files that do not give one (YYYY-MM-DD).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
@click.pass_context
def index(
    ctx: click.Context,
    paths: tuple[Path, ...],
    source: str | None,
    published_at: str | None,
    progress: bool | None,
) -> None:
    """Index .txt (first line = title), .json and .ndjson article files or directories of them.

    Exits 1 when any article was rejected, 3 when the store is unreachable.
    """
    defaults = {"source": source, "published_at": published_at}
    records = list(read_sources(paths, defaults))
    counts = _index_records(_settings(ctx), records, progress)
    sys.exit(1 if counts["rejected"] or counts["conflict"] else 0)


@main.command()
@click.option("--samples", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=DEFAULT_SAMPLES, show_default=True,
              help="Folder with the sample articles and geneva-talks.expected.json.")
@click.pass_context
def demo(ctx: click.Context, samples: Path) -> None:
    """Index the two Geneva sample articles with the dates and sources they were published with."""
    expected = json.loads((samples / "geneva-talks.expected.json").read_text(encoding="utf-8"))
    records: list[SourceRecord] = []
    for name, meta in expected["articles"].items():
        defaults = {"source": meta.get("source"), "published_at": meta.get("published_at")}
        records.extend(read_sources([samples / name], defaults))
    counts = _index_records(_settings(ctx), records, progress=False)
    sys.exit(1 if counts["rejected"] else 0)


@main.command()
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--published-at", default=None, help="Publication date (YYYY-MM-DD or ISO time).")
@click.option("--title", default=None, help="Article title.")
@click.option("--source-name", "source_name", default=None, help="Who published it.")
def extract(
    source: Any, published_at: str | None, title: str | None, source_name: str | None
) -> None:
    """Print the article record the indexer would store for FILE (or - for stdin), as JSON.

    Nothing is stored. The output has the schema of the API's article resource.
    """
    import marshmallow as ma

    from storyrecords.api.articles.outcomes import to_input
    from storyrecords.api.articles.schemas import ArticleInSchema, ArticleSchema
    from storyrecords.api.services import pipeline_extractor
    from storyrecords.indexer.ingest import build_article

    fields = {"text": source.read(), "title": title, "published_at": published_at,
              "source": source_name}
    try:
        item = to_input(ArticleInSchema().load({k: v for k, v in fields.items() if v}))
    except ma.ValidationError as exc:
        raise click.ClickException(f"invalid input: {json.dumps(exc.messages)}") from exc
    run_extract, version = pipeline_extractor()
    article = build_article(item, run_extract(item), version)
    click.echo(json.dumps(ArticleSchema().dump(article.to_dict()), indent=2, ensure_ascii=False))


@main.command()
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
@click.pass_context
def reindex(ctx: click.Context, progress: bool | None) -> None:
    """Rebuild all articles and events from the stored articles, then switch over atomically.

    The API keeps answering from the old data during the rebuild; articles indexed or deleted
    meanwhile are carried over after the switch.
    """
    from tqdm import tqdm

    from storyrecords.api.services import pipeline_extractor
    from storyrecords.indexer.reindex import reindex as rebuild
    from storyrecords.indexer.store.factory import open_store

    settings = _settings(ctx)
    try:
        store = open_store(
            settings.data_dir, settings.elasticsearch_url, settings.elasticsearch_index
        )
        total = store.count_articles()
    except StoreUnavailable as exc:
        click.echo(f"error: store unavailable: {exc}", err=True)
        sys.exit(3)
    extract, version = pipeline_extractor()
    show = progress if progress is not None else sys.stderr.isatty()
    with tqdm(total=total, desc="rebuilding", unit="article", disable=not show) as bar:

        def advance(done: int) -> None:
            bar.update(done)

        report = rebuild(store, extract, version, progress=advance)
    store.close()
    click.echo(
        f"rebuilt {report.rebuilt} articles into {report.events} events in "
        f"{report.seconds:.1f}s; carried over {report.caught_up} new and "
        f"{report.removed} deletions made during the rebuild"
    )


SCORERS = {
    "samples": "storyrecords.evaluation.samples",
    "tempeval": "storyrecords.evaluation.tempeval",
    "ecbplus": "storyrecords.evaluation.ecbplus",
    "rams": "storyrecords.evaluation.rams",
    "ecbplus-events": "storyrecords.evaluation.ecbplus_events",
    "meantime-events": "storyrecords.evaluation.meantime_events",
}


@main.command(name="eval")
@click.argument("corpus", type=click.Choice(sorted(SCORERS)))
@click.option("--eval-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Corpus folder (default: under ../shared).")
@click.option("--limit", type=int, default=None, help="Score only the first N documents.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def evaluate(corpus: str, eval_dir: Path | None, limit: int | None, as_json: bool) -> None:
    """Score extraction or event merging on a public corpus and print the report."""
    import importlib

    module = importlib.import_module(SCORERS[corpus])
    folder = eval_dir or module.DEFAULT_DIR
    if not Path(folder).exists():
        raise click.ClickException(f"{folder} not found; pass --eval-dir")
    result = module.run(Path(folder), limit=limit)
    click.echo(json.dumps(result, indent=2, default=str) if as_json
               else module.format_report(result))


BENCHMARKS = {
    "extract": "storyrecords.benchmarks.extract",
    "search": "storyrecords.benchmarks.search",
    "assign": "storyrecords.benchmarks.assign",
}


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                      "help_option_names": []}
)
@click.argument("name", type=click.Choice(sorted(BENCHMARKS)))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(name: str, args: tuple[str, ...]) -> None:
    """Run a benchmark and print its table (options: storyrecords bench NAME --help).

    extract: pipeline vs bare spaCy; search: latency under load vs a raw Elasticsearch
    query; assign: event assignment cost as the index grows.
    """
    import importlib

    importlib.import_module(BENCHMARKS[name]).main(list(args))


@main.command()
@click.option("--check", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Exit 1 if this file differs from the generated contract.")
def openapi(check: Path | None) -> None:
    """Print the OpenAPI contract generated from the code (write it to openapi.yaml)."""
    from storyrecords.api.app import create_app
    from storyrecords.api.docs import spec_yaml

    app = create_app(Settings())
    with app.app_context():
        text = spec_yaml()
    if check is None:
        click.echo(text, nl=False)
        return
    if check.read_text(encoding="utf-8") != text:
        raise click.ClickException(
            f"{check} is out of date; regenerate it with: storyrecords openapi > {check}"
        )
    click.echo(f"{check} matches the code")


def _index_records(
    settings: Settings, records: list[SourceRecord], progress: bool | None
) -> Counter[str]:
    """Validate and ingest each record; report per outcome and never hide a rejection."""
    from tqdm import tqdm

    from storyrecords.api.services import pipeline_extractor
    from storyrecords.indexer.ingest import Indexer
    from storyrecords.indexer.store.factory import open_store

    counts: Counter[str] = Counter(created=0, unchanged=0, rejected=0, conflict=0)
    try:
        store = open_store(
            settings.data_dir, settings.elasticsearch_url, settings.elasticsearch_index
        )
        store.ping()
    except StoreUnavailable as exc:
        click.echo(f"error: store unavailable: {exc}", err=True)
        sys.exit(3)
    extract, version = pipeline_extractor()
    indexer = Indexer(store, extract, version)
    show = progress if progress is not None else sys.stderr.isatty()
    for record in tqdm(records, desc="indexing", unit="article", disable=not show):
        status, message = _ingest_one(indexer, record)
        counts[status] += 1
        if status in ("created", "unchanged"):
            continue
        click.echo(f"{status}: {record.origin}: {message}", err=True)
        if status == "unavailable":
            click.echo("stopping: the store is unreachable; nothing after this was indexed",
                       err=True)
            _summary(counts)
            sys.exit(3)
    store.close()
    _summary(counts)
    return counts


def _ingest_one(indexer: Indexer, record: SourceRecord) -> tuple[str, str]:
    """One record's outcome as (status, message) instead of an exception."""
    from storyrecords.api.articles.outcomes import ingest_record

    if record.error is not None:
        return "rejected", record.error
    outcome = ingest_record(indexer, record.data)
    if outcome.id is not None:
        return outcome.status, outcome.id
    return outcome.status, json.dumps(outcome.errors)


def _summary(counts: Counter[str]) -> None:
    click.echo(
        f"indexed {counts['created']}, unchanged {counts['unchanged']}, "
        f"rejected {counts['rejected']}, conflicts {counts['conflict']}"
    )


if __name__ == "__main__":
    main()
