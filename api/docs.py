"""The contract and its browsable reference, served with bundled assets (works offline)."""

from __future__ import annotations

import secrets
from pathlib import Path

import swagger_ui_bundle
import yaml
from flask import Blueprint, Response, current_app, render_template, send_from_directory

bp = Blueprint("docs", __name__, template_folder="templates")
ASSETS = Path(swagger_ui_bundle.swagger_ui_path)

#: The page runs only the bundled scripts and its own nonce'd start-up script; Swagger UI sets
#: inline styles and data: images, and fetches the contract from this origin.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


class _SpecDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks so descriptions stay readable in the file."""

    def ignore_aliases(self, data: object) -> bool:
        return True  # a value shared by two operations is written out twice, never as &id001


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _str)


def spec_yaml() -> str:
    """The OpenAPI document generated from the code; ``openapi.yaml`` in the repo must equal it."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec
    return yaml.dump(
        spec.to_dict(), Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=100
    )


@bp.get("/openapi.yaml")
def openapi_yaml() -> Response:
    return Response(spec_yaml(), mimetype="application/yaml")


@bp.get("/docs")
def reference() -> Response:
    nonce = secrets.token_urlsafe(16)
    response = Response(render_template("docs.html", nonce=nonce), mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_POLICY.format(nonce=nonce)
    return response


@bp.get("/docs/assets/<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(ASSETS, filename, max_age=86400)
