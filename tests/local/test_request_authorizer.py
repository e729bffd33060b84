"""REQUEST authorizers as API Gateway runs them: identity sources, cache key, event shape."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from aws_lambda_powertools.utilities.parser.models import ApiGatewayAuthorizerRequest

from books_api.local.gateway import document
from books_api.local.lambda_runtime.functions_file import DocumentError
from tests.local.conftest import AUTHORIZERS_API, AuthorizersGateway

# The example of AWS's "Input to an API Gateway Lambda authorizer" (REQUEST), with the
# multi-value maps that every REQUEST event carries beside the single-value ones.
SAMPLE = Path(__file__).parents[1] / "events" / "apigw_authorizer_request.json"


def authorizer_context(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    context: dict[str, Any] = response.json()["event"]["requestContext"]["authorizer"]
    return context


def calls(response: httpx.Response) -> int:
    return int(authorizer_context(response)["calls"])


def authorizer_event(response: httpx.Response) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(authorizer_context(response)["event"])
    return event


def test_cache_key_is_every_identity_source(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    url = f"{authz.url}/request"
    headers = {"X-User": "ada"}
    first = calls(client.get(url, params={"tenant": "north"}, headers=headers))
    cached = calls(client.get(f"{url}/7", params={"tenant": "north"}, headers=headers))
    assert cached == first  # same header and query string: the cached policy
    other_tenant = calls(client.get(url, params={"tenant": "south"}, headers=headers))
    assert other_tenant == first + 1  # only the query string differs: invoked again
    other_user = calls(client.get(url, params={"tenant": "south"}, headers={"X-User": "bob"}))
    assert other_user == first + 2


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"tenant": "north"}, {}),  # no header
        ({}, {"X-User": "ada"}),  # no query string
        ({"tenant": ""}, {"X-User": "ada"}),  # an empty value counts as missing
        ({"tenant": "north"}, {"X-User": ""}),
    ],
)
def test_missing_identity_source_is_401_without_invoking(
    authz: AuthorizersGateway,
    client: httpx.Client,
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    url = f"{authz.url}/request"
    before = calls(client.get(url, params={"tenant": "count-a"}, headers={"X-User": "c"}))
    response = client.get(url, params=params, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    after = calls(client.get(url, params={"tenant": "count-b"}, headers={"X-User": "c"}))
    assert after == before + 1


def test_stage_variable_context_and_multivalue_query_string_sources(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    url = f"{authz.url}/by-context"
    first = calls(client.get(f"{url}?tag=a&tag=b"))
    assert calls(client.get(f"{url}?tag=a&tag=b")) == first
    assert calls(client.get(f"{url}?tag=a")) == first + 1  # one value fewer: another key
    missing = client.get(url)
    assert missing.status_code == 401
    assert calls(client.get(f"{url}?tag=c")) == first + 2


def test_without_caching_or_identity_sources_every_request_invokes(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    url = f"{authz.url}/uncached"
    first = calls(client.get(url))
    assert calls(client.get(url)) == first + 1
    assert calls(client.get(url, headers={"X-User": "ada"})) == first + 2


def test_policy_of_a_request_authorizer_is_evaluated(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    response = client.get(f"{authz.url}/uncached", params={"deny": "1"})
    assert response.status_code == 403
    assert response.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }


def test_event_is_the_documented_request_shape(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    response = client.get(
        f"{authz.url}/request/42?tenant=east&tag=a&tag=b",
        headers={"X-User": "event-shape", "User-Agent": "tester/2.0"},
    )
    event = authorizer_event(response)
    sample = json.loads(SAMPLE.read_text("utf-8"))
    assert set(event) == set(sample)
    assert set(sample["requestContext"]) <= set(event["requestContext"])
    ApiGatewayAuthorizerRequest.model_validate(event)
    assert event["type"] == "REQUEST"
    assert event["methodArn"].endswith(":local/prod/GET/request/42")
    assert event["resource"] == "/request/{id}"
    assert event["path"] == "/request/42"
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"realm": "books", "target": "echo"}
    assert event["headers"]["X-User"] == "event-shape"
    assert event["multiValueHeaders"]["X-User"] == ["event-shape"]
    assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert event["queryStringParameters"] == {"tenant": "east", "tag": "b"}
    assert event["requestContext"]["identity"]["userAgent"] == "tester/2.0"
    assert "authorizer" not in event["requestContext"]


def test_sample_event_from_the_aws_documentation_parses_with_the_powertools_model() -> None:
    sample = json.loads(SAMPLE.read_text("utf-8"))
    sample["requestContext"].update(
        {"protocol": "HTTP/1.1", "requestTime": "18/Jul/2017:06:29:15 +0000"}
    )
    sample["requestContext"]["requestTimeEpoch"] = 1500359355000
    parsed = ApiGatewayAuthorizerRequest.model_validate(sample)
    assert parsed.stageVariables == {"StageVar1": "stageValue1"}


def test_cached_request_authorizer_without_identity_source_is_refused(tmp_path: Path) -> None:
    text = AUTHORIZERS_API.read_text("utf-8").replace(
        '"method.request.header.X-User, method.request.querystring.tenant"', '""'
    )
    api = tmp_path / "api.yaml"
    api.write_text(text)
    functions = tmp_path / "functions.yaml"
    functions.write_text((AUTHORIZERS_API.parent / "authorizers_functions.yaml").read_text())
    with pytest.raises(DocumentError, match=r"byRequest: caching .* needs an identitySource"):
        document.load(api, functions)


def test_unknown_identity_source_is_refused(tmp_path: Path) -> None:
    text = AUTHORIZERS_API.read_text("utf-8").replace(
        "method.request.querystring.tenant", "method.request.path.id"
    )
    api = tmp_path / "api.yaml"
    api.write_text(text)
    functions = tmp_path / "functions.yaml"
    functions.write_text((AUTHORIZERS_API.parent / "authorizers_functions.yaml").read_text())
    with pytest.raises(DocumentError, match=re.escape("'method.request.path.id' is none of")):
        document.load(api, functions)
