"""The Blueprint every resource uses: strict arguments, and the key each operation needs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import flask_smorest
from webargs.flaskparser import FlaskParser, abort

from api.auth import authorize
from api.limits import DEPTH_MESSAGE, too_deep
from api.services import services

F = Callable[..., Any]


class StrictParser(FlaskParser):
    """Unknown query parameters and body fields are errors (422), never silently ignored.

    webargs ignores unknown query parameters by default; ``unknown=None`` defers to each
    schema's ``Meta.unknown``, which is ``RAISE`` for ours. JSON nested too deep is a 422
    too, whether Python's parser gives up on it (RecursionError) or it parses.
    """

    def _raw_load_json(self, req: Any) -> Any:
        try:
            data = super()._raw_load_json(req)
        except RecursionError:
            data = None
            deep = True
        else:
            deep = too_deep(data)
        if deep:
            abort(422, messages={"json": {"_schema": [DEPTH_MESSAGE]}})
        return data


#: The security requirement of reads: open, or a key when STORYRECORDS_REQUIRE_READ_KEY is on.
#: Both are listed so the contract does not change with that setting.
READ_SECURITY: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
WRITE_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """flask-smorest's Blueprint with the strict parser and :meth:`requires`."""

    ARGUMENTS_PARSER = StrictParser(unknown=None)

    def requires(self, scope: str, *, key_required: bool = False) -> Callable[[F], F]:
        """Check the caller's key before anything else runs, and say so in the contract.

        ``read`` lets anonymous callers through unless ``STORYRECORDS_REQUIRE_READ_KEY`` is on
        (or ``key_required``: a key is needed whatever that setting says); a key that is sent
        is checked either way. Put it above the other decorators.
        """

        def decorate(view: F) -> F:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                found = services()
                open_read = not (found.settings.require_read_key or key_required)
                refused = authorize(found.keys(), scope, open_read=open_read)
                return refused if refused is not None else view(*args, **kwargs)

            wrapped: F = self.alt_response(401, response="UNAUTHORIZED")(wrapper)
            if scope != "read":  # every key can read, so only writes can lack the scope
                wrapped = self.alt_response(403, response="FORBIDDEN")(wrapped)
            open_read = scope == "read" and not key_required
            security = READ_SECURITY if open_read else WRITE_SECURITY
            doc: F = self.doc(security=security)(wrapped)
            return doc

        return decorate

