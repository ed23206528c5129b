"""The ``storyrecords`` console script: the indexer's commands plus the API's own.

``serve`` and ``openapi`` need Flask, so they live here; everything else comes from
``indexer.cli``, which never imports this package.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import click

from api.config import Settings
from indexer.cli import CONTEXT, compose, settings_of, store_options
from indexer.settings import StoreSettings


def api_settings(ctx: click.Context) -> Settings:
    """The API's settings from the environment, with the store options of this invocation."""
    store = settings_of(ctx)
    chosen = {f.name: getattr(store, f.name) for f in fields(StoreSettings)}
    return replace(Settings.from_env(), **chosen)


@click.command(context_settings=CONTEXT)
@store_options
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
    from api.serve import run

    run(api_settings(ctx), host=host, port=port, workers=workers, threads=threads)


@click.command(context_settings=CONTEXT)
@click.option("--check", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Exit 1 if this file differs from the generated contract.")
def openapi(check: Path | None) -> None:
    """Print the OpenAPI contract generated from the code (write it to openapi.yaml)."""
    from api.app import create_app
    from api.docs import spec_yaml

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


main = compose(serve, openapi)

if __name__ == "__main__":
    main()
