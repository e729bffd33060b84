"""The cost model of docs/capacity.md: inputs in, USD per month by component out.

Pure arithmetic over named inputs, so that one mix can be recomputed by hand
(tests/docs/test_capacity_model.py does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import Enum
from typing import Any

SECONDS_PER_MONTH = 30 * 86_400
GB = 10**9  # CloudWatch Logs bills per GB ingested
COMPONENTS = (
    "API Gateway",
    "Lambda: books",
    "Lambda: authorizer",
    "DynamoDB",
    "CloudWatch Logs",
    "Secrets Manager calls",
    "X-Ray traces",
    "fixed monthly (secret, key, metrics, alarms, dashboard)",
)


class Operation(Enum):
    """The books function's operations (its metric catalogue's names), one store call each."""

    GET_BOOK = "get_book"
    LIST_BOOKS = "list_books"
    CREATE_BOOK = "create_book"
    UPDATE_BOOK = "update_book"
    DELETE_BOOK = "delete_book"

    @property
    def route(self) -> str:
        return {
            "get_book": "GET /book",
            "list_books": "GET /books",
            "create_book": "POST /book",
            "update_book": "PATCH /book",
            "delete_book": "DELETE /book",
        }[self.value]

    @property
    def store_calls(self) -> int:
        return 1  # GetItem, Scan, PutItem, UpdateItem, DeleteItem


@dataclass(frozen=True)
class Mix:
    shares: dict[Operation, float]

    def __post_init__(self) -> None:
        if not math.isclose(sum(self.shares.values()), 1.0):
            raise ValueError("the shares of a mix add up to 1")


@dataclass(frozen=True)
class Inputs:
    api_per_million: float
    lambda_request_per_million: float
    lambda_gb_second_arm64: float
    dynamodb_rru_per_million: float
    dynamodb_wru_per_million: float
    logs_ingest_per_gb: float
    secrets_per_10k_calls: float
    secret_per_month: float
    xray_per_million_traces: float
    metric_per_month: float
    alarm_metric_per_month: float
    dashboard_per_month: float
    kms_key_per_month: float
    authorizer_ttl_s: float
    books_memory_mb: float
    authorizer_memory_mb: float
    page_size: float
    secret_max_age_s: float
    item_bytes: float
    access_log_bytes: float
    handler_ms: dict[Operation, float]
    log_bytes: dict[Operation, float]
    authorizer_handler_ms: float
    authorizer_log_bytes: float
    requests_per_token: float
    dynamodb_call_ms: float
    lambda_platform_log_bytes: float
    cold_start_share: float
    cold_start_ms: float
    authorizer_environments: float
    traced_share: float
    custom_metrics: float
    alarm_metrics: float

    @classmethod
    def from_rows(cls, values: dict[str, float]) -> Inputs:
        per_operation = {"handler_ms", "log_bytes"}
        arguments: dict[str, Any] = {
            name: {op: values[f"{op.value}_{name}"] for op in Operation} for name in per_operation
        }
        for field in fields(cls):
            if field.name not in per_operation:
                arguments[field.name] = values[field.name]
        return cls(**arguments)

    def billed_ms(self, operation: Operation) -> float:
        """Lambda bills each invocation rounded up to the millisecond."""
        ms = self.handler_ms[operation] + operation.store_calls * self.dynamodb_call_ms
        return float(math.ceil(Decimal(str(ms))))

    @property
    def authorizer_billed_ms(self) -> float:
        return float(max(1, math.ceil(self.authorizer_handler_ms)))


def read_units(inputs: Inputs, operation: Operation) -> float:
    """Strongly consistent read units: one per 4 KB, rounded up per call."""
    if operation is Operation.GET_BOOK:
        return math.ceil(inputs.item_bytes / 4096)
    if operation is Operation.LIST_BOOKS:  # the Scan reads page_size + 1 items
        return math.ceil((inputs.page_size + 1) * inputs.item_bytes / 4096)
    return 0


def write_units(inputs: Inputs, operation: Operation) -> float:
    """One write unit per 1 KB of the item (an update: the larger of before and after)."""
    if operation in (Operation.CREATE_BOOK, Operation.UPDATE_BOOK, Operation.DELETE_BOOK):
        return math.ceil(inputs.item_bytes / 1024)
    return 0


def _lambda(inputs: Inputs, invocations: float, billed_ms: float, memory_mb: float) -> float:
    gb = memory_mb / 1024
    seconds = invocations * billed_ms / 1000
    cold_seconds = invocations * inputs.cold_start_share * inputs.cold_start_ms / 1000
    compute = (seconds + cold_seconds) * gb * inputs.lambda_gb_second_arm64
    return invocations / 1e6 * inputs.lambda_request_per_million + compute


def monthly_cost(inputs: Inputs, mix: Mix, requests: float) -> dict[str, float]:
    """USD for `requests` requests of `mix` in a month, by component (COMPONENTS)."""
    decisions = requests / inputs.requests_per_token
    books_ms = sum(share * inputs.billed_ms(op) for op, share in mix.shares.items())
    rru = requests * sum(share * read_units(inputs, op) for op, share in mix.shares.items())
    wru = requests * sum(share * write_units(inputs, op) for op, share in mix.shares.items())
    books_log = sum(share * inputs.log_bytes[op] for op, share in mix.shares.items())
    log_bytes = requests * (
        inputs.access_log_bytes + books_log + inputs.lambda_platform_log_bytes
    ) + decisions * (inputs.authorizer_log_bytes + inputs.lambda_platform_log_bytes)
    secret_calls = (
        inputs.authorizer_environments * SECONDS_PER_MONTH / inputs.secret_max_age_s
        + decisions * inputs.cold_start_share
    )
    reservoir = min(requests, SECONDS_PER_MONTH)  # the first request of each second
    traces = reservoir + inputs.traced_share * (requests - reservoir)
    fixed = (
        inputs.secret_per_month
        + inputs.kms_key_per_month
        + inputs.custom_metrics * inputs.metric_per_month
        + inputs.alarm_metrics * inputs.alarm_metric_per_month
        + inputs.dashboard_per_month
    )
    costs = (
        requests / 1e6 * inputs.api_per_million,
        _lambda(inputs, requests, books_ms, inputs.books_memory_mb),
        _lambda(inputs, decisions, inputs.authorizer_billed_ms, inputs.authorizer_memory_mb),
        rru / 1e6 * inputs.dynamodb_rru_per_million + wru / 1e6 * inputs.dynamodb_wru_per_million,
        log_bytes / GB * inputs.logs_ingest_per_gb,
        secret_calls / 10_000 * inputs.secrets_per_10k_calls,
        traces / 1e6 * inputs.xray_per_million_traces,
        fixed,
    )
    return dict(zip(COMPONENTS, costs, strict=True))


def dynamodb_item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values (strings in UTF-8,
    numbers about one byte per two digits plus one, lists 3 bytes plus 1 per element)."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        digits = len(str(value).replace("-", "").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, list):
        return 3 + sum(1 + _value_bytes(item) for item in value)
    if isinstance(value, dict):
        return 3 + sum(1 + len(k.encode()) + _value_bytes(v) for k, v in value.items())
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")
