"""``storyrecords keys`` as an operator uses it: make a key, see it listed, revoke it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner, Result

from api import cli
from indexer.keys import PREFIX
from indexer.store.embedded import EmbeddedStore


def keys(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli.main, ["keys", *args, "--data-dir", str(data)])


def test_create_prints_the_key_alone_on_stdout(tmp_path: Path) -> None:
    result = keys(tmp_path, "create", "--name", "ci", "--scope", "write")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert result.stdout == key + "\n" and key.startswith(PREFIX)
    assert "shown only this once" in result.stderr
    record = EmbeddedStore(tmp_path / "storyrecords.sqlite3").keys().authenticate(key)
    assert record is not None and record.scopes == ("read", "write")


def test_scopes_repeat_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    assert keys(tmp_path, "create", "--name", "both", "--scope", "read", "--scope",
                "write").exit_code == 0
    bad = keys(tmp_path, "create", "--name", "x", "--scope", "admin")
    assert bad.exit_code == 2 and "admin" in bad.stderr and not bad.stdout


def test_a_taken_name_is_an_error(tmp_path: Path) -> None:
    assert keys(tmp_path, "create", "--name", "ci", "--scope", "read").exit_code == 0
    again = keys(tmp_path, "create", "--name", "ci", "--scope", "write")
    assert again.exit_code == 1 and "already exists" in again.stderr and not again.stdout


def test_list_shows_names_scopes_and_use_never_the_key(tmp_path: Path) -> None:
    key = keys(tmp_path, "create", "--name", "reader", "--scope", "read").stdout.strip()
    keys(tmp_path, "create", "--name", "writer", "--scope", "write")
    listed = keys(tmp_path, "list")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "SCOPES", "CREATED", "LAST", "USED"]
    assert lines[1].split()[:2] == ["reader", "read"] and lines[1].split()[-1] == "never"
    assert lines[2].split()[:2] == ["writer", "read,write"]
    as_json = [json.loads(line) for line in keys(tmp_path, "list", "--json").stdout.splitlines()]
    assert [k["name"] for k in as_json] == ["reader", "writer"]
    assert key not in listed.stdout and key[len(PREFIX):] not in json.dumps(as_json)


def test_revoke_stops_the_key_and_unknown_names_are_errors(tmp_path: Path) -> None:
    key = keys(tmp_path, "create", "--name", "leaked", "--scope", "write").stdout.strip()
    revoked = keys(tmp_path, "revoke", "leaked")
    assert revoked.exit_code == 0 and "within 3 s" in revoked.stderr
    assert EmbeddedStore(tmp_path / "storyrecords.sqlite3").keys().authenticate(key) is None
    again = keys(tmp_path, "revoke", "leaked")
    assert again.exit_code == 1 and "no key named" in again.stderr


def test_ensure_keeps_one_working_key_in_an_owner_only_file(tmp_path: Path) -> None:
    """What `make run` does on its first run and every run after it."""
    file = tmp_path / "quickstart.key"
    args = ("ensure", "--name", "quickstart", "--scope", "write", "--file", str(file))
    first = keys(tmp_path, *args)
    assert first.exit_code == 0 and not first.stdout and "created" in first.stderr
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    key = file.read_text().strip()
    second = keys(tmp_path, *args)
    assert "reusing" in second.stderr and file.read_text().strip() == key
    file.unlink()  # the only copy is lost: a new key replaces the old one
    third = keys(tmp_path, *args)
    assert third.exit_code == 0 and file.read_text().strip() != key
    store = EmbeddedStore(tmp_path / "storyrecords.sqlite3")
    assert store.keys().authenticate(key) is None
    assert [r.name for r in store.keys().all()] == ["quickstart"]


def test_an_unreachable_store_exits_3(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = keys(blocker / "data", "create", "--name", "x", "--scope", "read")
    assert result.exit_code == 3 and not result.stdout
