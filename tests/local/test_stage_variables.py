"""Stage variables from the functions file: in the proxy event and in integration URIs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from books_api.local.gateway import document
from books_api.local.lambda_runtime.functions_file import DocumentError
from tests.local.conftest import AUTHORIZERS_API, AUTHORIZERS_FUNCTIONS, AuthorizersGateway
from tests.local.test_serve_cli import serve

API = """
openapi: 3.0.1
info: {title: Staged, version: "1"}
paths:
  /hello:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/FUNCTION/invocations"
""".replace(
    "FUNCTION", "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.greeter}:live"
)
FUNCTIONS = """
stage_variables:
  greeter: GREETER
  colour: blue
english_arn: {name: english, handler: hello_app.english, timeout: 3, memory: 128}
french_arn: {name: french, handler: hello_app.french, timeout: 3, memory: 128}
"""
HANDLERS = """
def english(event, context):
    return {"statusCode": 200, "body": "hello " + event["stageVariables"]["colour"]}

def french(event, context):
    return {"statusCode": 200, "body": "bonjour " + event["stageVariables"]["colour"]}
"""


def test_stage_variables_reach_the_event(authz: AuthorizersGateway, client: httpx.Client) -> None:
    response = client.get(f"{authz.url}/staged")
    assert response.status_code == 200, response.text
    event = response.json()["event"]
    assert event["stageVariables"] == {"realm": "books", "target": "echo"}


def test_stage_variable_in_the_uri_chooses_the_function(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    response = client.get(f"{authz.url}/staged")
    assert response.json()["context"]["function_name"] == "echo"


@pytest.mark.parametrize("greeter", ["english", "french"])
def test_serve_routes_by_the_stage_variable_of_the_functions_file(
    tmp_path: Path, greeter: str
) -> None:
    (tmp_path / "api.yaml").write_text(API)
    (tmp_path / "functions.yaml").write_text(FUNCTIONS.replace("GREETER", greeter))
    (tmp_path / "hello_app.py").write_text(HANDLERS)
    with serve(tmp_path) as base:
        response = httpx.get(f"{base}/prod/hello")
    assert response.status_code == 200
    assert response.text == {"english": "hello blue", "french": "bonjour blue"}[greeter]


def write(tmp_path: Path, functions_text: str) -> tuple[Path, Path]:
    api = tmp_path / "api.yaml"
    api.write_text(AUTHORIZERS_API.read_text("utf-8"))
    functions = tmp_path / "functions.yaml"
    functions.write_text(functions_text)
    return api, functions


def test_uri_naming_an_unset_stage_variable_is_refused(tmp_path: Path) -> None:
    text = AUTHORIZERS_FUNCTIONS.read_text("utf-8").replace("  target: echo\n", "")
    with pytest.raises(DocumentError, match="uses stage variable 'target', which"):
        document.load(*write(tmp_path, text))


def test_stage_variable_naming_no_function_is_refused(tmp_path: Path) -> None:
    text = AUTHORIZERS_FUNCTIONS.read_text("utf-8").replace("target: echo", "target: nobody")
    with pytest.raises(
        DocumentError, match=r"names 'nobody', which the functions file does not define"
    ):
        document.load(*write(tmp_path, text))


def test_stage_variables_must_be_a_map_of_names(tmp_path: Path) -> None:
    text = AUTHORIZERS_FUNCTIONS.read_text("utf-8").replace("  realm: books\n", "  re-alm: x\n")
    with pytest.raises(DocumentError, match="stage_variables must map names"):
        document.load(*write(tmp_path, text))
