"""What ``storyrecords follow`` has seen, kept in a JSON file that is replaced atomically.

A crash or Ctrl-C mid-write leaves the previous file whole: the new one is written beside
it, flushed to disk, then renamed over it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = 1
#: Item outcomes that end the item's story until the feed changes it.
DONE = frozenset({"created", "unchanged", "rejected", "conflict", "printed", "gave up"})
#: An unreachable item is tried this many times (once a pass), then given up on.
MAX_ATTEMPTS = 5


@dataclass
class FollowState:
    """Per feed its validators; per item its fingerprint, outcome and page validators."""

    path: Path
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> FollowState:
        """The saved state, or an empty one when the file does not exist yet.

        A file that is not our JSON raises ``ValueError`` rather than being overwritten.
        """
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError(f"{path} is not a storyrecords follow state file")
        return cls(path, dict(raw.get("feeds") or {}), dict(raw.get("items") or {}))

    def seen(self, key: str, fingerprint: str) -> bool:
        """Whether this item, unchanged, has already been dealt with."""
        known = self.items.get(key)
        return (known is not None and known.get("fingerprint") == fingerprint
                and known.get("status") in DONE)

    def save(self) -> None:
        """Write atomically: temp file in the same folder, fsync, rename over the old one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"version": VERSION, "feeds": self.feeds, "items": self.items},
                          indent=1, sort_keys=True, ensure_ascii=False)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
