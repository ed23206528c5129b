"""The Blueprint every resource uses: arguments parsed strictly, by each schema's own rules."""

from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """Unknown query parameters and body fields are errors (422), never silently ignored.

    webargs ignores unknown query parameters by default; ``unknown=None`` defers to each
    schema's ``Meta.unknown``, which is ``RAISE`` for ours.
    """

    ARGUMENTS_PARSER = FlaskParser(unknown=None)
