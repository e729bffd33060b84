"""The TOKEN authorizer as API Gateway runs it: identity source, validation, cache, policy."""

from __future__ import annotations

import httpx

from tests.local.conftest import LocalGateway


def calls(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["event"]["requestContext"]["authorizer"]["calls"])


def test_missing_token_returns_401_without_invoking_the_authorizer(
    gw: LocalGateway, client: httpx.Client
) -> None:
    before = calls(client.get(f"{gw.url}/fresh", headers={"X-Fresh-Token": "count-a"}))
    response = client.get(f"{gw.url}/fresh")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    after = calls(client.get(f"{gw.url}/fresh", headers={"X-Fresh-Token": "count-b"}))
    assert after == before + 1


def test_token_failing_the_validation_expression_is_401_without_invoking(
    gw: LocalGateway, client: httpx.Client
) -> None:
    before = calls(client.get(f"{gw.url}/echo", headers={"authorizationToken": "valid-1"}))
    response = client.get(f"{gw.url}/echo", headers={"authorizationToken": "Not Valid!"})
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    after = calls(client.get(f"{gw.url}/echo", headers={"authorizationToken": "valid-2"}))
    assert after == before + 1


def test_result_is_cached_by_token_for_the_ttl(gw: LocalGateway, client: httpx.Client) -> None:
    first = calls(client.get(f"{gw.url}/echo", headers={"authorizationToken": "cache-me"}))
    second = calls(client.get(f"{gw.url}/echo/7", headers={"authorizationToken": "cache-me"}))
    assert second == first
    other = calls(client.get(f"{gw.url}/echo", headers={"authorizationToken": "another"}))
    assert other == first + 1


def test_ttl_zero_invokes_the_authorizer_on_every_request(
    gw: LocalGateway, client: httpx.Client
) -> None:
    first = calls(client.get(f"{gw.url}/fresh", headers={"X-Fresh-Token": "same"}))
    second = calls(client.get(f"{gw.url}/fresh", headers={"X-Fresh-Token": "same"}))
    assert second == first + 1


def test_cached_integration_latency_is_zero(gw: LocalGateway, client: httpx.Client) -> None:
    headers = {"authorizationToken": "latency"}
    client.get(f"{gw.url}/echo", headers=headers)
    response = client.get(f"{gw.url}/echo", headers=headers)
    assert response.json()["event"]["requestContext"]["authorizer"]["integrationLatency"] == 0


def test_explicit_deny_beats_allow(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.get(f"{gw.url}/echo", headers={"authorizationToken": "deny"})
    assert response.status_code == 403
    assert response.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    # The same cached policy allows another route.
    assert client.get(f"{gw.url}/echo/1", headers={"authorizationToken": "deny"}).status_code == 200


def test_no_matching_allow_returns_403(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.get(f"{gw.url}/echo", headers={"authorizationToken": "other-route"})
    assert response.status_code == 403
    assert response.json() == {"Message": "User is not authorized to access this resource"}
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"


def test_cached_policy_is_evaluated_against_each_route_with_wildcards(
    gw: LocalGateway, client: httpx.Client
) -> None:
    headers = {"authorizationToken": "get-only"}
    assert client.get(f"{gw.url}/echo", headers=headers).status_code == 200  # GET/ech?
    assert client.get(f"{gw.url}/echo/5", headers=headers).status_code == 200  # GET/echo/*
    assert client.post(f"{gw.url}/echo", headers=headers, content=b"{}").status_code == 403


def test_authorizer_that_raises_returns_500(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.get(f"{gw.url}/echo", headers={"authorizationToken": "raise"})
    assert response.status_code == 500
    assert response.json() == {"message": None}
    assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_authorizer_raising_unauthorized_returns_401(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(f"{gw.url}/echo", headers={"authorizationToken": "unauthorized"})
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_authorizer_without_a_policy_returns_500(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.get(f"{gw.url}/echo", headers={"authorizationToken": "no-policy"})
    assert response.status_code == 500
    assert response.json() == {"message": None}


def test_authorizer_context_with_an_object_value_returns_500(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(f"{gw.url}/echo", headers={"authorizationToken": "bad-context"})
    assert response.status_code == 500
    assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_authorizer_past_its_timeout_returns_500(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.get(f"{gw.url}/slowauth", headers={"X-Slow-Token": "sleep"})
    assert response.status_code == 500
    assert response.json() == {"message": None}
    assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    assert response.elapsed.total_seconds() < 1.4
    assert client.get(f"{gw.url}/slowauth", headers={"X-Slow-Token": "quick"}).status_code == 200
