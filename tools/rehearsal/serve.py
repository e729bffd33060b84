"""Serve the deployment with the local gateway (`books-api serve`): the functions as deployed
(handler, timeout, memory, environment read back from Lambda), the books function on the
deployed table, the authorizer fetching its key from the deployed secret."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml

from books_api.cli.signing import make_token
from books_api.core.dynamodb_json import from_item
from books_api.settings import AUTH_VARIABLES
from tools.rehearsal import truth
from tools.rehearsal.deployment import CREDENTIALS, Deployment
from tools.rehearsal.emulator import free_port
from tools.rehearsal.facts import UNSET, Facts

START_TIMEOUT_S = 30
FORGED_KEY = "not-the-deployed-key-but-just-as-long-0123456789"


def deployed_functions_file(deployment: Deployment, path: Path) -> None:
    """openapi/functions.yaml as Lambda holds it: each entry's settings read back."""
    entries = {}
    for name, entry in truth.functions().items():
        configuration = deployment.configurations[name]
        environment = dict(configuration.get("Environment", {}).get("Variables", {}))
        # Lambda sets AWS_REGION to the function's region; the local runtime's own is us-east-1.
        environment["AWS_REGION"] = deployment.region
        entries[entry["arn_variable"]] = {
            "name": name,  # the CLI's per-function settings are keyed by this name
            "handler": configuration["Handler"],
            "timeout": configuration["Timeout"],
            "memory": configuration["MemorySize"],
            "environment": environment,
        }
    path.write_text(yaml.safe_dump(entries, sort_keys=True), "utf-8")


def serve_facts(deployment: Deployment, facts: Facts, work: Path) -> None:
    functions_path = work / "deployed-functions.yaml"
    deployed_functions_file(deployment, functions_path)
    books = deployment.configurations["books"]["Environment"]["Variables"]
    authorizer = deployment.configurations["authorizer"]["Environment"]["Variables"]
    port = free_port()
    command = [sys.executable, "-m", "books_api.cli", "serve", "--port", str(port)]
    command += ["--api", str(truth.DOCUMENT_PATH), "--functions", str(functions_path)]
    command += ["--stage", deployment.stage, "--access-log", str(work / "access.log")]
    command += [
        "--store",
        books.get("BOOKS_STORE", "dynamodb"),
        "--table",
        books.get("BOOKS_TABLE", ""),
    ]
    command += ["--endpoint-url", deployment.endpoint]
    with (work / "serve.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            env=_environment(deployment, authorizer, work),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}/{deployment.stage}"
            _wait_until_listening(base, process, work / "serve.log")
            _requests(deployment, facts, base)
        finally:
            process.terminate()
            process.wait(timeout=15)


def _environment(deployment: Deployment, authorizer: dict[str, str], work: Path) -> dict[str, str]:
    """The shell of `books-api serve`: the deployed authorizer's variables (the CLI reads
    these names from it), AWS calls sent to moto, nothing of the caller's AWS or JWT set-up."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "JWT_", "JWKS_", "BOOKS_"))
    }
    environment.update(
        {name: value for name, value in authorizer.items() if name in AUTH_VARIABLES}
    )
    environment.update(
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_REGION=deployment.region,
        AWS_DEFAULT_REGION=deployment.region,
        AWS_ENDPOINT_URL=deployment.endpoint,
        BOOKS_API_HOME=str(work / "books-api-home"),
    )
    return environment


def _wait_until_listening(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"books-api serve exited with {process.returncode} (see {log})")
        try:
            httpx.get(f"{base}/books", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"books-api serve did not answer on {base}") from None
            time.sleep(0.1)


def _requests(deployment: Deployment, facts: Facts, base: str) -> None:
    secrets = deployment.client("secretsmanager")
    key = secrets.get_secret_value(SecretId=deployment.secret_arn)["SecretString"]
    signed = {"authorizationToken": f"Bearer {make_token('rehearsal', 'api_user', 300, key)}"}
    forged = {
        "authorizationToken": f"Bearer {make_token('rehearsal', 'api_user', 300, FORGED_KEY)}"
    }
    with httpx.Client(base_url=base, timeout=30) as client:
        listed = client.get("/books", headers=signed)
        facts.compare(
            "served GET /books with a token signed by the secret's key", 200, listed.status_code
        )
        facts.compare(
            "served GET /books returns the five sample books",
            truth.sample_books(),
            _books(listed),
        )
        refused = client.get("/books", headers=forged)
        facts.compare("served GET /books with a forged token", 401, refused.status_code)
        book = {"book_id": f"rehearsal-{uuid.uuid4().hex[:12]}", "name": "Rehearsal", "price": 1.25}
        created = client.post("/book", json=book, headers=signed)
        facts.compare("served POST /book", 201, created.status_code)
    item = deployment.client("dynamodb").get_item(
        TableName=deployment.table, Key={"book_id": {"S": book["book_id"]}}, ConsistentRead=True
    )
    stored = from_item(item["Item"]) if "Item" in item else {}
    facts.compare(
        "the POSTed book is in the deployed table",
        {"book_id": book["book_id"], "name": "Rehearsal", "price": Decimal("1.25")},
        {name: stored.get(name, UNSET) for name in book},
    )


def _books(response: httpx.Response) -> dict[str, Any] | str:
    """book_id -> the book (its sample attributes only), or what came instead."""
    try:
        data = response.json(parse_float=Decimal)["data"]
        sample = truth.sample_books()
        return {
            book["book_id"]: {name: book.get(name) for name in sample.get(book["book_id"], book)}
            for book in data
        }
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
