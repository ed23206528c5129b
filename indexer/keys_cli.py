"""``storyrecords keys``: make, list and revoke API keys, kept (as digests) in the store itself.

``create`` prints the new key alone on stdout, so ``storyrecords keys create … > file`` keeps
exactly the key; everything else goes to stderr. A revoked key stops working in every API
worker within :data:`~indexer.keys.CACHE_SECONDS` (each worker caches a key that long).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from indexer.cli import open_configured_store, settings_of, store_options
from indexer.errors import Conflict, NotFound, StoreUnavailable
from indexer.keys import CACHE_SECONDS, SCOPES, KeyRing, check_name


def _keys(ctx: click.Context) -> KeyRing:
    return open_configured_store(settings_of(ctx)).keys()


def _unavailable(exc: StoreUnavailable) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(3)


def _group() -> None:
    """Manage API keys: writes need a key with the write scope."""


# Annotated, not decorated: indexer.cli imports this module while it is itself importing.
keys: click.Group = click.group(name="keys")(_group)


@keys.command()
@store_options
@click.option("--name", required=True, help="A label for the key (unique; letters, digits, ._-).")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES),
              help="What the key may do; repeat for several. write implies read.")
@click.pass_context
def create(ctx: click.Context, name: str, scopes: tuple[str, ...]) -> None:
    """Create a key and print it once on stdout; only its digest is stored."""
    try:
        check_name(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--name") from exc
    try:
        key = _keys(ctx).create(name, scopes)
    except Conflict as exc:
        raise click.ClickException(f"{exc}; choose another name or revoke it first") from exc
    except StoreUnavailable as exc:
        _unavailable(exc)
    click.echo(key)
    click.echo(f"created key {name!r}; it is shown only this once", err=True)


@keys.command(name="list")
@store_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per key.")
@click.pass_context
def list_keys(ctx: click.Context, as_json: bool) -> None:
    """Show every key's name, scopes, creation and last use (never the key)."""
    try:
        records = _keys(ctx).all()
    except StoreUnavailable as exc:
        _unavailable(exc)
    if as_json:
        for r in records:
            click.echo(json.dumps({"name": r.name, "scopes": list(r.scopes),
                                   "created_at": r.created_at, "last_used_at": r.last_used_at}))
        return
    rows = [("NAME", "SCOPES", "CREATED", "LAST USED")]
    rows += [(r.name, ",".join(r.scopes), r.created_at, r.last_used_at or "never")
             for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*padded, row[3]]))


@keys.command()
@store_options
@click.argument("name")
@click.pass_context
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke a key: every API worker refuses it within a few seconds."""
    try:
        _keys(ctx).revoke(name)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    except StoreUnavailable as exc:
        _unavailable(exc)
    click.echo(f"revoked key {name!r}; every API worker refuses it within {CACHE_SECONDS} s",
               err=True)


@keys.command()
@store_options
@click.option("--name", required=True, help="The key's name.")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES),
              help="What the key may do; repeat for several.")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where the key is kept, readable by its owner only.")
@click.pass_context
def ensure(ctx: click.Context, name: str, scopes: tuple[str, ...], path: Path) -> None:
    """Keep a working key in FILE: reuse it if it still works, else make it anew.

    The laptop convenience behind `make run` (as Jupyter keeps its token): the store keeps
    only the digest; the file (mode 0600) is the one copy. Prints what it did on stderr.
    """
    ring = _keys(ctx)
    try:
        if path.exists() and ring.authenticate(path.read_text(encoding="utf-8").strip()):
            click.echo(f"reusing the {name!r} key in {path}", err=True)
            return
        if any(r.name == name for r in ring.all()):
            ring.revoke(name)  # its only copy is gone or stale: nobody can use it any more
        key = ring.create(name, scopes)
    except StoreUnavailable as exc:
        _unavailable(exc)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    staging.unlink(missing_ok=True)
    fd = os.open(staging, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    staging.replace(path)
    click.echo(f"created the {name!r} key in {path} (readable by you only)", err=True)
