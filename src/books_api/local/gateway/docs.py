"""Swagger UI for the served document at /docs, from the swagger-ui-bundle package (no CDN)."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from swagger_ui_bundle import swagger_ui_path

PREFIX = "/docs"
_ASSETS = Path(swagger_ui_path)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>{title}</title>
  <link rel="stylesheet" type="text/css" href="{prefix}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{prefix}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{prefix}/swagger-ui-bundle.js"></script>
  <script src="{prefix}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{prefix}/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    }});
  </script>
</body>
</html>
"""


class DocsPages:
    """The pages under /docs: the Swagger UI page, the document as JSON, and the UI's assets."""

    def __init__(self, document: dict[str, Any], stage: str, title: str) -> None:
        served = dict(document)
        # Try it out calls the local stage, whatever the document's servers say.
        served["servers"] = [{"url": f"/{stage}"}]
        self.document = json.dumps(served, default=str).encode("utf-8")
        self.page = _PAGE.format(title=_escape(title), prefix=PREFIX).encode("utf-8")

    def get(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of `path` (which starts with /docs)."""
        rest = path[len(PREFIX) :].lstrip("/")
        if rest in ("", "index.html"):
            return 200, "text/html; charset=utf-8", self.page
        if rest == "openapi.json":
            return 200, "application/json", self.document
        asset = (_ASSETS / rest).resolve()
        if asset.parent != _ASSETS.resolve() or not asset.is_file():
            return 404, "application/json", b'{"message":"Not Found"}'
        content_type = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
        return 200, content_type, asset.read_bytes()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
