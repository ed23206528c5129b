"""The indexer's commands: index files, run the demo, extract, reindex, score and benchmark.

The ``storyrecords`` console script is :func:`compose` of these and the API's own commands
(``serve``, ``openapi``; see ``api.cli``). Every option also reads a ``STORYRECORDS_*``
environment variable, so the same settings work in a shell, a container and CI. The store
options work before the subcommand and after it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from indexer import __version__, ingest
from indexer.errors import StoreUnavailable
from indexer.evaluation import SHARED_DIR
from indexer.intake import Outcome
from indexer.settings import StoreSettings
from indexer.sources import SourceRecord, read_sources

if TYPE_CHECKING:  # heavy imports stay out of `storyrecords --help`
    from indexer.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SAMPLES = SHARED_DIR / "samples"
CONTEXT = {
    "help_option_names": ["-h", "--help"],
    # Options without a documented variable still read STORYRECORDS_<COMMAND>_<OPTION>,
    # e.g. STORYRECORDS_INDEX_SOURCE for `index --source`.
    "auto_envvar_prefix": "STORYRECORDS",
    "show_default": True,
}


def settings_of(ctx: click.Context) -> StoreSettings:
    """The settings of this invocation: environment, then group options, then command options."""
    found: StoreSettings = ctx.obj
    return found


def _override(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A store option given after the subcommand wins over the same option before it."""
    if value is not None and param.name is not None:
        ctx.obj = replace(settings_of(ctx), **{param.name: value})


#: (flag, environment variable, default, help) of the options that say where the store is.
STORE_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("--data-dir", "STORYRECORDS_DATA_DIR", Path(".data"),
     "Where the embedded store keeps its files"),
    ("--elasticsearch-url", "STORYRECORDS_ELASTICSEARCH_URL", None,
     "Use Elasticsearch at this URL instead of the embedded store"),
    ("--elasticsearch-index", "STORYRECORDS_ELASTICSEARCH_INDEX", "storyrecords",
     "Prefix of the Elasticsearch indices and aliases"),
)


def _option(flag: str, envvar: str, default: Any, help_text: str, *, on_group: bool) -> Any:
    kind = click.Path(file_okay=False, path_type=Path) if flag == "--data-dir" else None
    if on_group:
        return click.option(flag, envvar=envvar, default=default, type=kind, show_default=True,
                            help=f"{help_text} [env {envvar}].")
    # On a subcommand: no default and no variable of its own, so it only overrides.
    return click.option(flag, default=None, type=kind, expose_value=False, callback=_override,
                        allow_from_autoenv=False, show_default=False,
                        help=f"{help_text} (as before the subcommand).")


def store_options(command: F) -> F:
    """Accept ``--data-dir``, ``--elasticsearch-url`` and ``--elasticsearch-index`` here too."""
    for spec in reversed(STORE_OPTIONS):
        command = _option(*spec, on_group=False)(command)
    return command


def _group_options(command: F) -> F:
    for spec in reversed(STORE_OPTIONS):
        command = _option(*spec, on_group=True)(command)
    return command


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="storyrecords")
@_group_options
@click.pass_context
def main(
    ctx: click.Context, data_dir: Path, elasticsearch_url: str | None, elasticsearch_index: str
) -> None:
    """storyrecords: news articles in, machine-readable story records out.

    Every option can also be set in the environment: the variable named in its help, or
    STORYRECORDS_<COMMAND>_<OPTION> (for example STORYRECORDS_INDEX_SOURCE).
    """
    ctx.obj = replace(
        StoreSettings.from_env(),
        data_dir=data_dir,
        elasticsearch_url=elasticsearch_url or None,
        elasticsearch_index=elasticsearch_index,
    )


def compose(*commands: click.Command) -> click.Group:
    """The console script: the indexer's group with its commands plus ``commands``.

    A new group rather than registering onto :data:`main`, so importing a module never
    changes what another module's command does.
    """
    group = click.Group(
        name="storyrecords",
        params=list(main.params),
        callback=main.callback,
        commands={**main.commands, **{c.name or "": c for c in commands}},
        context_settings=main.context_settings,
        help=main.help,
    )
    return group


def open_configured_store(settings: StoreSettings) -> Store:
    """The configured store, reachable; exits 3 with a clear message when it is not."""
    from indexer.store.factory import open_store

    try:
        store = open_store(settings)
        store.ping()
    except StoreUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    return store


@main.command()
@store_options
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--source", default=None, help="Source for files that do not name one.")
@click.option("--published-at", default=None,
              help="Publication date for files that do not give one (YYYY-MM-DD).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
@click.option("--report", "report_file", type=click.File("w", encoding="utf-8"), default=None,
              help="Write one NDJSON line per article: line, origin, id, status, errors.")
@click.option("--store-html/--no-store-html", envvar="STORYRECORDS_STORE_HTML", default=False,
              help="Keep each page's HTML in its record (page.html) [env STORYRECORDS_STORE_HTML]; "
              "by default only its SHA-256.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Extraction processes (default: one per core, at most 4).")
@click.pass_context
def index(
    ctx: click.Context,
    paths: tuple[Path, ...],
    source: str | None,
    published_at: str | None,
    progress: bool | None,
    report_file: TextIO | None,
    store_html: bool,
    jobs: int | None,
) -> None:
    """Index article files, or directories of them.

    \b
    .txt                first line = title, the rest the text
    .json, .ndjson      article objects (text or html, as POST /v1/articles takes)
    .html, .htm (.gz)   a web page: the article and what the page says about itself
    .warc, .warc.gz     a web archive: each HTML response record
    .rss, .atom, .xml   an RSS/Atom feed: each item's own text, or the page it links to
                        (fetched politely, public addresses only; reported if unreachable)

    Exits 1 when any article was rejected, 3 when the store is unreachable.
    """
    defaults = {"source": source, "published_at": published_at}
    records = list(read_sources(paths, defaults, keep_html=store_html))
    counts = index_records(settings_of(ctx), records, progress, report_file, jobs)
    sys.exit(1 if counts["rejected"] or counts["conflict"] else 0)


@main.command()
@store_options
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
    counts = index_records(settings_of(ctx), records, progress=False)
    sys.exit(1 if counts["rejected"] else 0)


@main.command()
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--published-at", default=None,
              help="Publication time: an RFC 3339 date-time with offset, or YYYY-MM-DD.")
@click.option("--title", default=None, help="Article title.")
@click.option("--source-name", "source_name", default=None, help="Who published it.")
def extract(
    source: Any, published_at: str | None, title: str | None, source_name: str | None
) -> None:
    """Print the article record the indexer would store for FILE (or - for stdin), as JSON.

    Nothing is stored. The output is the API's article resource.
    """
    import marshmallow as ma

    from indexer.errors import Unprocessable
    from indexer.ingest import build_article
    from indexer.intake import load_input
    from indexer.records import article_json

    fields = {"text": source.read(), "title": title, "published_at": published_at,
              "source": source_name}
    try:
        item = load_input({k: v for k, v in fields.items() if v})
    except ma.ValidationError as exc:
        raise click.ClickException(f"invalid input: {json.dumps(exc.messages)}") from exc
    run_extract, version = ingest.default_extractor()
    try:
        extraction = ingest.language_aware(run_extract)(item)
    except Unprocessable as exc:  # over the extraction budget: what the API answers with a 422
        raise click.ClickException(str(exc)) from exc
    if not extraction.text.strip():
        raise click.ClickException(str(Unprocessable("nothing article-like was left after "
                                                     "cleaning")))
    article = build_article(item, extraction, version)
    click.echo(json.dumps(article_json(article), indent=2, ensure_ascii=False))


@main.command()
@store_options
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
@click.pass_context
def reindex(ctx: click.Context, progress: bool | None) -> None:
    """Rebuild all articles and events from the stored articles, then switch over atomically.

    The API keeps answering from the old data during the rebuild; articles indexed or deleted
    meanwhile are carried over after the switch.
    """
    from tqdm import tqdm

    from indexer.reindex import reindex as rebuild

    store = open_configured_store(settings_of(ctx))
    try:
        total = store.count_articles()
    except StoreUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    extract, version = ingest.default_extractor()
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


@main.command(name="check")
@store_options
@click.option("--repair", is_flag=True, help="Fix what can be derived from the truth.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_context
def check_store(ctx: click.Context, repair: bool, as_json: bool) -> None:
    """Verify the store's invariants; exit 0 when clean, 1 on a violation, 3 if unreachable.

    With --repair, every violation that can be derived from the articles' own records is
    fixed, the store is checked again, and the exit code says how that second check went.
    """
    from indexer.check import check, format_report

    store = open_configured_store(settings_of(ctx))
    try:
        report = check(store, repair=repair)
        after = check(store) if repair and not report.clean else None
    except StoreUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    finally:
        store.close()
    final = after if after is not None else report
    if as_json:
        body = report.to_dict()
        if after is not None:
            body["after_repair"] = after.to_dict()
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(format_report(report, repaired=after if repair else None))
    sys.exit(0 if final.clean else 1)


SCORERS = {
    "samples": "indexer.evaluation.samples",
    "tempeval": "indexer.evaluation.tempeval",
    "ecbplus": "indexer.evaluation.ecbplus",
    "rams": "indexer.evaluation.rams",
    "ecbplus-events": "indexer.evaluation.ecbplus_events",
    "meantime-events": "indexer.evaluation.meantime_events",
    "aeb": "indexer.evaluation.aeb",
    "duplicates": "indexer.evaluation.duplicates",
    "duplicates-store": "indexer.evaluation.duplicates_store",
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
    "extract": "indexer.benchmarks.extract",
    "search": "indexer.benchmarks.search",
    "assign": "indexer.benchmarks.assign",
    "ingest": "indexer.benchmarks.ingest",
    "memory": "indexer.benchmarks.memory",
    "load": "indexer.benchmarks.load",
}


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                      "help_option_names": []}
)
@click.argument("name", metavar="{" + "|".join(sorted(BENCHMARKS)) + "}", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def bench(ctx: click.Context, name: str | None, args: tuple[str, ...]) -> None:
    """Run a benchmark and print its table (options: storyrecords bench NAME --help).

    extract: pipeline vs bare spaCy; search: latency under load vs a raw Elasticsearch
    query; assign: event assignment cost as the index grows; ingest: indexing throughput
    (store writes, event assignment, optionally NLP) by worker count; memory: a worker's
    resident memory as articles are extracted; load: a big load through the API's bulk jobs
    (progress, timeouts, worker memory, disk per 1k articles).
    """
    import importlib

    if name in (None, "-h", "--help"):  # --help is the benchmark's own after NAME
        click.echo(ctx.get_help())
        ctx.exit(0 if name else 2)
    if name not in BENCHMARKS:
        raise click.BadParameter(f"{name!r} is not one of {', '.join(sorted(BENCHMARKS))}",
                                 param_hint="NAME")
    importlib.import_module(BENCHMARKS[name]).main(list(args))


def index_records(
    settings: StoreSettings,
    records: list[SourceRecord],
    progress: bool | None,
    report: TextIO | None = None,
    jobs: int | None = None,
) -> Counter[str]:
    """Validate and ingest each record; report per outcome and never hide a rejection.

    ``report`` gets one NDJSON line per record (``line``, ``origin``, ``id``, ``status``,
    ``errors``), written as each is decided, so even a killed run says what it acknowledged.
    Records never attempted because the store went away are reported as ``unavailable``.
    Extraction runs in ``jobs`` processes (default: one per core, at most 4).
    """
    from tqdm import tqdm

    from indexer.ingest import Indexer

    counts: Counter[str] = Counter(created=0, unchanged=0, rejected=0, conflict=0)
    store = open_configured_store(settings)
    extract, version = ingest.default_extractor()
    indexer = Indexer(store, extract, version)
    show = progress if progress is not None else sys.stderr.isatty()
    from indexer.batch import default_processes, index_all, pool_size

    tqdm.monitor_interval = 0  # tqdm's monitor is a thread, and the extraction pool forks
    bar = tqdm(total=len(records), desc="indexing", unit="article", disable=not show)
    processes = pool_size(jobs or default_processes())
    if jobs and jobs > processes:
        click.echo(f"--jobs {jobs}: extracting in this process only (it runs other threads, "
                   "and forking it could hang)", err=True)
    elif processes > 1:
        click.echo(f"extracting in {processes} processes", err=True)

    def heard(number: int, record: SourceRecord, outcome: Outcome) -> bool:
        bar.update(1)
        _report(report, number, record, outcome)
        counts[outcome.status] += 1
        if outcome.status in ("created", "unchanged"):
            return True
        click.echo(f"{outcome.status}: {record.origin}: {json.dumps(outcome.errors)}", err=True)
        if outcome.status != "unavailable":
            return True
        for later, rest in enumerate(records[number:], start=number + 1):
            _report(report, later, rest, Outcome(
                "unavailable", errors={"_store": ["not attempted: the store went away"]}
            ))
        return False

    index_all(indexer, records, processes=processes, on_outcome=heard)
    bar.close()
    if counts["unavailable"]:
        click.echo("stopping: the store is unreachable; nothing after this was indexed",
                   err=True)
        _summary(counts)
        sys.exit(3)
    store.close()
    _summary(counts)
    return counts


def _report(report: TextIO | None, number: int, record: SourceRecord, outcome: Outcome) -> None:
    if report is None:
        return
    line = {"line": number, "origin": record.origin, "id": outcome.id,
            "status": outcome.status, "errors": outcome.errors}
    report.write(json.dumps(line, ensure_ascii=False) + "\n")
    report.flush()


def _summary(counts: Counter[str]) -> None:
    click.echo(
        f"indexed {counts['created']}, unchanged {counts['unchanged']}, "
        f"rejected {counts['rejected']}, conflicts {counts['conflict']}"
    )


# Registered last: the keys commands use the helpers above.
from indexer import jobs_cli, keys_cli  # noqa: E402

main.add_command(keys_cli.keys)
main.add_command(jobs_cli.jobs)

from indexer.web.follow import follow  # noqa: E402

main.add_command(store_options(follow))
