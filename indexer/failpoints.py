"""Named points where a fault test can stop a process on purpose (off unless configured).

``STORYRECORDS_FAILPOINT=after-put`` makes the process that reaches ``failpoint("after-put")``
log it and wait there until it is killed: a test can then SIGKILL a gunicorn worker exactly
between storing an article and assigning it. Unset (always, in production) it costs one dict
lookup.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

_never = threading.Event()


def failpoint(name: str) -> None:
    """Pause here for good when ``STORYRECORDS_FAILPOINT`` names this point."""
    if os.environ.get("STORYRECORDS_FAILPOINT") != name:
        return
    log.warning("failpoint %s reached in pid %d; waiting to be killed", name, os.getpid())
    print(f"FAILPOINT {name} pid={os.getpid()}", flush=True)  # the test reads it
    _never.wait()
