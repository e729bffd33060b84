"""The cost model of docs/capacity.md, recomputed by hand for one mix."""

from __future__ import annotations

import math

import pytest
from bench.capacity_model import (
    COMPONENTS,
    Inputs,
    Mix,
    Operation,
    dynamodb_item_bytes,
    monthly_cost,
    read_units,
    write_units,
)

ROWS = {
    "api_per_million": 3.50,
    "lambda_request_per_million": 0.20,
    "lambda_gb_second_arm64": 0.0000133334,
    "dynamodb_rru_per_million": 0.125,
    "dynamodb_wru_per_million": 0.625,
    "logs_ingest_per_gb": 0.50,
    "secrets_per_10k_calls": 0.05,
    "secret_per_month": 0.40,
    "xray_per_million_traces": 5.00,
    "metric_per_month": 0.30,
    "alarm_metric_per_month": 0.10,
    "dashboard_per_month": 3.00,
    "kms_key_per_month": 1.00,
    "authorizer_ttl_s": 300,
    "books_memory_mb": 256,
    "authorizer_memory_mb": 512,
    "page_size": 100,
    "secret_max_age_s": 300,
    "item_bytes": 1500,  # 1 read unit per GetItem, 2 write units, a page of 101: 37
    "access_log_bytes": 300,
    "authorizer_handler_ms": 0.4,
    "authorizer_log_bytes": 600,
    "requests_per_token": 10,
    "dynamodb_call_ms": 5.0,
    "lambda_platform_log_bytes": 100,
    "cold_start_share": 0.0,
    "cold_start_ms": 400,
    "authorizer_environments": 1,
    "traced_share": 0.05,
    "custom_metrics": 10,
    "alarm_metrics": 5,
    **{f"{op.value}_handler_ms": 1.5 for op in Operation},
    **{f"{op.value}_log_bytes": 400 for op in Operation},
}
MIX = Mix({Operation.GET_BOOK: 0.5, Operation.LIST_BOOKS: 0.3, Operation.CREATE_BOOK: 0.2})


def test_one_million_requests_cost_what_the_arithmetic_says() -> None:
    inputs = Inputs.from_rows(ROWS)
    cost = monthly_cost(inputs, MIX, 1_000_000)
    assert list(cost) == list(COMPONENTS)
    # API Gateway: 1 M x $3.50 per million.
    assert cost["API Gateway"] == pytest.approx(3.50)
    # books: 1 M requests x $0.20/M, 1 M x 7 ms (1.5 + 5, rounded up) x 0.25 GB.
    assert cost["Lambda: books"] == pytest.approx(0.20 + 7_000 * 0.25 * 0.0000133334)
    # authorizer: 100,000 decisions x 1 ms x 0.5 GB.
    assert cost["Lambda: authorizer"] == pytest.approx(0.02 + 100 * 0.5 * 0.0000133334)
    # reads: 0.5 M GetItem x 1 + 0.3 M pages x ceil(101 x 1500 / 4096) = 37; writes 0.2 M x 2.
    assert cost["DynamoDB"] == pytest.approx(
        (500_000 + 300_000 * 37) / 1e6 * 0.125 + 400_000 / 1e6 * 0.625
    )
    # logs: 1 M x (300 + 400 + 100) bytes + 100,000 x (600 + 100) bytes, $0.50 per 10^9.
    assert cost["CloudWatch Logs"] == pytest.approx((800e6 + 70e6) / 1e9 * 0.50)
    # secret: one environment refetching every 300 s for 30 days.
    assert cost["Secrets Manager calls"] == pytest.approx(8_640 / 10_000 * 0.05)
    # below one request a second every request is traced.
    assert cost["X-Ray traces"] == pytest.approx(5.00)
    assert cost["fixed monthly (secret, key, metrics, alarms, dashboard)"] == pytest.approx(
        0.40 + 1.00 + 3.00 + 0.50 + 3.00
    )


def test_above_one_request_a_second_x_ray_samples_five_percent() -> None:
    inputs = Inputs.from_rows(ROWS)
    requests = 100_000_000
    traces = 2_592_000 + 0.05 * (requests - 2_592_000)
    assert monthly_cost(inputs, MIX, requests)["X-Ray traces"] == pytest.approx(traces / 1e6 * 5)


def test_units_follow_dynamodbs_rounding() -> None:
    inputs = Inputs.from_rows({**ROWS, "item_bytes": 4096})
    assert read_units(inputs, Operation.GET_BOOK) == 1
    assert read_units(inputs, Operation.LIST_BOOKS) == 101
    assert write_units(inputs, Operation.UPDATE_BOOK) == 4
    assert write_units(inputs, Operation.GET_BOOK) == 0
    assert Inputs.from_rows({**ROWS, "item_bytes": 4097}).item_bytes == 4097
    assert read_units(Inputs.from_rows({**ROWS, "item_bytes": 4097}), Operation.GET_BOOK) == 2


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    # "id" 2 + "1" 1; "price" 5 + 12.99 (4 digits: 2 + 1); "tags" 4 + list 3 + (1 + 1) x 2.
    item = {"id": "1", "price": 12.99, "tags": ["a", "b"]}
    assert dynamodb_item_bytes(item) == 3 + 8 + (4 + 3 + 4)
    assert math.isclose(sum(MIX.shares.values()), 1)


def test_a_mix_must_add_up_to_one() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        Mix({Operation.GET_BOOK: 0.5})
