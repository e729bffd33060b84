"""/docs: Swagger UI for the served document, from the swagger-ui-bundle package."""

from __future__ import annotations

import httpx

from tests.local.conftest import LocalGateway


def test_docs_page_loads_swagger_ui_from_the_gateway_itself(
    gw: LocalGateway, client: httpx.Client
) -> None:
    page = client.get(f"{gw.base}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/docs/swagger-ui-bundle.js" in page.text
    assert "http" not in page.text.split("<body>")[1]  # no CDN
    script = client.get(f"{gw.base}/docs/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_docs_document_points_try_it_out_at_the_local_stage(
    gw: LocalGateway, client: httpx.Client
) -> None:
    document = client.get(f"{gw.base}/docs/openapi.json").json()
    assert document["servers"] == [{"url": "/prod"}]
    assert "/echo" in document["paths"]


def test_docs_refuse_paths_outside_the_bundle(gw: LocalGateway, client: httpx.Client) -> None:
    assert client.get(f"{gw.base}/docs/..%2F..%2Fsettings.py").status_code == 404
    assert client.get(f"{gw.base}/docs/nothing.js").status_code == 404
