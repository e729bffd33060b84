"""Cost and capacity on paper: writes docs/capacity.md and docs/capacity.png.

Every input is in one table (INPUTS): AWS prices with region, date and source; figures of
this repository read from its files; figures measured here (bench/capacity_measure.py);
assumptions, stated as such. The model turns them into the cost of a month of requests of
one mix, split by component.

    python bench/capacity.py            # or: make bench
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.capacity_model import (  # noqa: E402
    COMPONENTS,
    Inputs,
    Mix,
    Operation,
    dynamodb_item_bytes,
    monthly_cost,
    read_units,
    write_units,
)

DOC = ROOT / "docs" / "capacity.md"
PLOT = ROOT / "docs" / "capacity.png"
MEASURE = "python bench/capacity_measure.py"
PRICE_DATE = "2025-01"  # the prices as last known to the author: check them before relying


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    kind: str  # price | repository | measured | assumption
    source: str


def price(name: str, value: float, unit: str, page: str) -> Row:
    return Row(name, value, unit, "price", f"us-east-1, {PRICE_DATE}, {page}")


PRICES = [
    price("api_per_million", 3.50, "USD / million REST API requests (first 333 M a month)",
          "https://aws.amazon.com/api-gateway/pricing/"),
    price("lambda_request_per_million", 0.20, "USD / million Lambda requests",
          "https://aws.amazon.com/lambda/pricing/"),
    price("lambda_gb_second_arm64", 0.0000133334, "USD / GB-second, arm64 (first 7.5 B GB-s)",
          "https://aws.amazon.com/lambda/pricing/"),
    price("dynamodb_rru_per_million", 0.125, "USD / million on-demand read request units",
          "https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the 2024-11 cut)"),
    price("dynamodb_wru_per_million", 0.625, "USD / million on-demand write request units",
          "https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the 2024-11 cut)"),
    price("logs_ingest_per_gb", 0.50, "USD / GB ingested into CloudWatch Logs (first tier)",
          "https://aws.amazon.com/cloudwatch/pricing/"),
    price("secrets_per_10k_calls", 0.05, "USD / 10,000 Secrets Manager API calls",
          "https://aws.amazon.com/secrets-manager/pricing/"),
    price("secret_per_month", 0.40, "USD / secret / month",
          "https://aws.amazon.com/secrets-manager/pricing/"),
    price("xray_per_million_traces", 5.00, "USD / million traces recorded (past 100,000 free)",
          "https://aws.amazon.com/xray/pricing/"),
    price("metric_per_month", 0.30, "USD / custom metric / month (first 10,000)",
          "https://aws.amazon.com/cloudwatch/pricing/"),
    price("alarm_metric_per_month", 0.10, "USD / standard-resolution alarm metric / month",
          "https://aws.amazon.com/cloudwatch/pricing/"),
    price("dashboard_per_month", 3.00, "USD / dashboard / month (past the first 3)",
          "https://aws.amazon.com/cloudwatch/pricing/"),
    price("kms_key_per_month", 1.00, "USD / customer managed key / month",
          "https://aws.amazon.com/kms/pricing/"),
]  # fmt: skip

MIX = Mix(
    {
        Operation.GET_BOOK: 0.60,
        Operation.LIST_BOOKS: 0.20,
        Operation.CREATE_BOOK: 0.15,
        Operation.UPDATE_BOOK: 0.04,
        Operation.DELETE_BOOK: 0.01,
    }
)


def repository_rows() -> list[Row]:
    from books_api.auth.keys import SECRET_MAX_AGE_S
    from books_api.core.service import DEFAULT_PAGE_SIZE

    document = yaml.safe_load((ROOT / "openapi" / "books.yaml").read_text("utf-8"))
    scheme = document["components"]["securitySchemes"]["authorizationToken"]
    ttl = scheme["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"]
    functions = yaml.safe_load((ROOT / "openapi" / "functions.yaml").read_text("utf-8"))
    memory = {entry["name"]: entry["memory"] for entry in functions.values()}
    return [
        Row("authorizer_ttl_s", ttl, "s an authorization is cached per token", "repository",
            "openapi/books.yaml authorizerResultTtlInSeconds"),
        Row("books_memory_mb", memory["books"], "MB", "repository", "openapi/functions.yaml"),
        Row("authorizer_memory_mb", memory["authorizer"], "MB", "repository",
            "openapi/functions.yaml"),
        Row("page_size", DEFAULT_PAGE_SIZE, "books per GET /books page", "repository",
            "books_api.core.service.DEFAULT_PAGE_SIZE (Scan Limit is one more)"),
        Row("secret_max_age_s", SECRET_MAX_AGE_S, "s a container keeps the secret", "repository",
            "books_api.auth.keys.SECRET_MAX_AGE_S"),
    ]  # fmt: skip


def access_log_bytes() -> int:
    """One access log line in the stage's format (the file api.tf reads), with typical values,
    as the local gateway writes it."""
    import io

    from books_api.local.gateway.access_log import AccessEntry, AccessLog

    typical = AccessEntry(
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        extended_request_id="DdD2nGuZoAMEbpQ=",
        ip="203.0.113.10",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        request_time="06/Dec/2026:13:46:14 +0000",
        request_time_epoch=1796996774000,
        http_method="GET",
        path="/prod/book",
        stage="prod",
        resource_path="/book",
        status=200,
        response_length=300,
        response_latency=35,
        principal_id="reader-0001",
        integration_status=200,
    )
    return len(AccessLog(io.StringIO()).line(typical).encode("utf-8"))


def measured_rows() -> list[Row]:
    output = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "capacity_measure.py")],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout  # fmt: skip
    figures = json.loads(output.strip().splitlines()[-1])
    rows = [
        Row("item_bytes", dynamodb_item_bytes(figures["books"]["item"]), "bytes per book item",
            "measured", f"`{MEASURE}`: a created book, sized by DynamoDB's rules"),
        Row("access_log_bytes", access_log_bytes(), "bytes per access log line", "measured",
            "`python bench/capacity.py`: data/access_log_format.json, typical values"),
    ]  # fmt: skip
    for operation in Operation:
        numbers = figures["books"][operation.value]
        rows += [
            Row(f"{operation.value}_handler_ms", numbers["handler_ms"], "ms (median, SQLite)",
                "measured", f"`{MEASURE}`"),
            Row(f"{operation.value}_log_bytes", numbers["log_bytes"], "bytes logged (EMF, lines)",
                "measured", f"`{MEASURE}`"),
            Row(f"{operation.value}_body_bytes", numbers["body_bytes"], "response body bytes",
                "measured", f"`{MEASURE}`"),
        ]  # fmt: skip
    decision = figures["authorizer"]["decision"]
    rows += [
        Row("authorizer_handler_ms", decision["handler_ms"], "ms (median, HS256)", "measured",
            f"`{MEASURE}`"),
        Row("authorizer_log_bytes", decision["log_bytes"], "bytes logged per decision",
            "measured", f"`{MEASURE}`"),
    ]  # fmt: skip
    return rows


ASSUMPTIONS = [
    Row("requests_per_token", 20, "requests per token within the authorizer TTL", "assumption",
        "a client reuses its token; the authorizer runs once per token and TTL"),
    Row("dynamodb_call_ms", 6.0, "ms per DynamoDB call from Lambda, in-region", "assumption",
        "not measured here: SQLite stands in locally; DynamoDB answers in single-digit ms"),
    Row("lambda_platform_log_bytes", 280, "bytes of START, END and REPORT lines per invocation",
        "assumption", "Lambda's text log format, counted from its line templates"),
    Row("cold_start_share", 0.005, "share of invocations that are cold starts", "assumption",
        "steady traffic keeps environments warm"),
    Row("cold_start_ms", 360, "ms of init, billed", "assumption",
        "bench/RESULTS.md tracing section (this machine); init is billed since 2025-08"),
    Row("authorizer_environments", 2, "warm authorizer environments all month", "assumption",
        "each refetches the secret every secret_max_age_s"),
    Row("traced_share", 0.05, "share of requests X-Ray samples (past 1 request/s)", "assumption",
        "X-Ray's default rule: the first request each second, then 5 %"),
    Row("custom_metrics", 65, "custom metrics published (name x dimension values)", "assumption",
        "books_api/telemetry/catalogue.py: Requests and StoreLatency 16 each (5 operations x 3"
        " status classes, 1 rollup), 17 error counters, 14 decision series, 2 key source"),
    Row("alarm_metrics", 22, "metrics the alarms read", "assumption",
        "infra/terraform/alarms.tf: 11 alarms; a metric math alarm pays for each metric"),
]  # fmt: skip


def table(rows: list[Row]) -> str:
    lines = ["| input | value | unit | kind | source or command |", "|---|---|---|---|---|"]
    for row in rows:
        value = _number(row.value)
        lines.append(f"| `{row.name}` | {value} | {row.unit} | {row.kind} | {row.source} |")
    return "\n".join(lines)


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) < 0.001:
        return f"{value:.10f}".rstrip("0")
    return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"


def money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:,.4f}"


def cost_table(inputs: Inputs, requests: float) -> str:
    cost = monthly_cost(inputs, MIX, requests)
    total = sum(cost.values())
    lines = ["| component | cost | share |", "|---|---|---|"]
    for component in COMPONENTS:
        lines.append(f"| {component} | {money(cost[component])} | {cost[component] / total:.1%} |")
    lines.append(f"| **total** | **{money(total)}** | |")
    return "\n".join(lines)


def variable_per_million(inputs: Inputs) -> float:
    """What a million more requests add to a month (fixed costs excluded)."""
    more = monthly_cost(inputs, MIX, 2_000_000)
    base = monthly_cost(inputs, MIX, 1_000_000)
    return sum(more.values()) - sum(base.values())


def units_table(inputs: Inputs) -> str:
    lines = [
        "| operation | share | DynamoDB calls | read units | write units | billed ms (books) |",
        "|---|---|---|---|---|---|",
    ]
    for operation, share in MIX.shares.items():
        lines.append(
            f"| {operation.route} | {share:.0%} | {operation.store_calls} "
            f"| {read_units(inputs, operation):g} | {write_units(inputs, operation):g} "
            f"| {inputs.billed_ms(operation):g} |"
        )
    return "\n".join(lines)


def plot(inputs: Inputs) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    volumes = [10 ** (5 + step / 4) for step in range(21)]  # 100 thousand to 10 billion
    costs = {c: [monthly_cost(inputs, MIX, v)[c] for v in volumes] for c in COMPONENTS}
    figure, axis = plt.subplots(figsize=(9, 5.5), dpi=110)
    for component, values in costs.items():
        axis.plot(volumes, values, label=component, linewidth=1.6)
    totals = [sum(values) for values in zip(*costs.values(), strict=True)]
    axis.plot(volumes, totals, label="total", color="black", linewidth=2.6, linestyle="--")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_ylim(bottom=0.01)
    axis.set_xlabel("requests per month (mix of docs/capacity.md)")
    axis.set_ylabel("USD per month")
    axis.set_title("Books API: monthly cost against monthly requests (us-east-1)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(PLOT)
    plt.close(figure)


def limits(inputs: Inputs) -> str:
    books_ms = sum(share * inputs.billed_ms(op) for op, share in MIX.shares.items())
    lambda_rps = 1000 / (books_ms / 1000)
    scan_units = read_units(inputs, Operation.LIST_BOOKS)
    first_pages = 3000 / scan_units
    full_walk_units = math.ceil(1_000_000 * inputs.item_bytes / 4096)
    hot_writes = 1000 / write_units(inputs, Operation.UPDATE_BOOK)
    rows = [
        (
            "API Gateway account throttle: 10,000 requests/s steady, 5,000 burst per region"
            " (soft limits, shared by every API of the account and region)",
            "the module's stage throttle comes first: `throttling_rate_limit` 100 and"
            " `throttling_burst_limit` 200 by default (429 beyond)",
            "raise the stage variables; past 10,000 requests/s ask AWS for a higher account"
            " limit; usage plans keep one client from taking it all",
        ),
        (
            "Lambda concurrency: 1,000 per region by default, shared; a function scales by"
            " 1,000 environments every 10 s",
            f"concurrency = requests/s x duration: at the mix's mean of {books_ms:.1f} billed ms"
            f" the books function fills 1,000 environments at about **{lambda_rps:,.0f}"
            f" requests/s**, above the API Gateway limit; the authorizer runs for 1 request in"
            f" {inputs.requests_per_token:g}; slow DynamoDB calls (throttling retries) multiply"
            " the duration and so the concurrency",
            "ask for a higher regional limit; `reserved_concurrent_executions` so that one"
            " function cannot starve the other or other functions of the account",
        ),
        (
            "DynamoDB partition: 3,000 read units/s and 1,000 write units/s; a new on-demand"
            " table takes 12,000 reads/s and 4,000 writes/s at once, then up to twice its"
            " previous peak",
            "a hot book lives in one partition: at most 3,000 consistent `GET /book`/s or"
            f" **{hot_writes:,.0f}** `PATCH`/s for that one book; a spike past twice the previous"
            " peak throttles: 503 from the books function, the table alarm fires",
            "eventually consistent reads double the read ceiling (the store reads"
            " consistently today); a cache for hot books (DAX); before a planned launch,"
            " pre-warm the table (warm throughput)",
        ),
        (
            "`GET /books` is a Scan",
            f"each page reads {inputs.page_size + 1:.0f} items = **{scan_units:g} read units**"
            " whatever the table size, so a page costs the same at a million books; but every"
            " first page reads the same first partition: about"
            f" **{first_pages:,.0f} first pages/s** before it throttles; walking a million books"
            f" is 10,000 requests and {full_walk_units:,} read units, in hash order",
            "serve the first page from a cache; list through a sort key (a GSI on a sharded"
            " constant key with `created_at`, queried per shard) once order or filters matter;"
            " bulk readers use an export (`books-api data export`, DynamoDB export to S3)",
        ),
        (
            "Lambda response payload: 6 MB",
            "pages stop below 5.5 MB (the store's `MAX_PAGE_BYTES`), so `limit` up to 1,000"
            " is safe at this item size",
            "nothing, unless items grow past about 5 KB each",
        ),
    ]
    lines = ["| limit | where it bites | what to change |", "|---|---|---|"]
    lines += [f"| {limit} | {where} | {change} |" for limit, where, change in rows]
    return "\n".join(lines)


def main() -> int:
    rows = [*PRICES, *repository_rows(), *measured_rows(), *ASSUMPTIONS]
    inputs = Inputs.from_rows({row.name: float(row.value) for row in rows})
    plot(inputs)
    mix = ", ".join(f"{share:.0%} `{op.route}`" for op, share in MIX.shares.items())
    markdown = (
        f"""# Cost and capacity

Written by `python bench/capacity.py` (part of `make bench`) from the inputs below; do not edit
by hand. Prices are us-east-1 public on-demand prices as last known to the author (as of
{PRICE_DATE}: check the pages named before relying on them); free tiers are left out. The
duration of the books function comes from local measurements (SQLite on this machine,
x86_64) plus an assumed in-region DynamoDB round trip: the real figure is the function's
`Duration` in CloudWatch, which the dashboard shows.

## Inputs

{table(rows)}

## One million requests

Mix: {mix}; pages of {inputs.page_size:g} books.
Each token is reused for {inputs.requests_per_token:g} requests within the authorizer's
{inputs.authorizer_ttl_s:g} s TTL, so the authorizer runs
{1_000_000 / inputs.requests_per_token:,.0f} times. A month of one million requests:

{units_table(inputs)}

Read units are for strongly consistent reads (the store reads consistently): one per 4 KB,
rounded up per call (a Scan page rounds the sum of its items); write units one per 1 KB of
the item (an update, the larger of before and after). Billed Lambda time is rounded up to
the millisecond per invocation; both functions run on arm64 at their configured memory.

{cost_table(inputs, 1_000_000)}

Without the fixed monthly costs, one million more requests of this mix cost
**{money(variable_per_million(inputs))}**.

Fixed each month whatever the traffic: the secret, the KMS key, custom metrics, alarms and
the dashboard (in the table as "fixed monthly"). CloudWatch Logs storage ($0.03 per GB-month,
compressed), KMS requests, data transfer out and the free tiers are not counted.

## A month, from 100 thousand to 10 billion requests

![monthly cost by component](capacity.png)

The plot shows each component and the total for the same mix, with flat prices (API
Gateway's and Lambda's volume tiers would lower the top end).

| requests per month | total | per million |
|---|---|---|
"""
        + "\n".join(
            f"| {volume:,.0f} | {money(sum(monthly_cost(inputs, MIX, volume).values()))} "
            f"| {money(sum(monthly_cost(inputs, MIX, volume).values()) / volume * 1e6)} |"
            for volume in (1e5, 1e6, 1e7, 1e8, 1e9)
        )
        + f"""

## Where the design stops scaling

{limits(inputs)}"""
    )
    DOC.write_text(markdown, "utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
