"""Named points where a fault test can stop a process on purpose (off unless configured).

``STORYRECORDS_FAILPOINT=after-put`` makes the process that reaches ``failpoint("after-put")``
log it and wait there until it is killed: a test can then SIGKILL a gunicorn worker exactly
between storing an article and assigning it. Unset (always, in production) it costs one dict
lookup.

``STORYRECORDS_FAILPOINT_ONCE=FILE`` arms the point for one arrival only, across processes:
the first process to reach it creates FILE (``O_EXCL``, holding its pid) and stops; every
later arrival, in any process, passes through while FILE exists. A gunicorn worker started in
place of a killed one inherits the same environment, so this is what lets the client's retry
(and anything after it) run whole; deleting FILE arms the point again.
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
    once = os.environ.get("STORYRECORDS_FAILPOINT_ONCE")
    if once:
        try:
            marker = os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return  # already fired once (in this process or another): pass through
        os.write(marker, f"{os.getpid()}\n".encode())
        os.close(marker)
    log.warning("failpoint %s reached in pid %d; waiting to be killed", name, os.getpid())
    print(f"FAILPOINT {name} pid={os.getpid()}", flush=True)  # the test reads it
    _never.wait()
