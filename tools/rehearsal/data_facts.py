"""The table and its books, the KMS key, the secret and the log groups, read back through
boto3, against the module's settings."""

from __future__ import annotations

from typing import Any

from books_api.core.dynamodb_json import from_item
from tools.rehearsal import truth
from tools.rehearsal.deployment import Deployment
from tools.rehearsal.facts import UNSET, Facts

MIN_SECRET_BYTES = 32  # HS256 wants a 256-bit key


def table_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    dynamodb = deployment.client("dynamodb")
    table = dynamodb.describe_table(TableName=deployment.table)["Table"]
    facts.compare("table name", settings["table_name"], table["TableName"])
    facts.compare(
        "table key schema", [{"AttributeName": "book_id", "KeyType": "HASH"}], table["KeySchema"]
    )
    facts.compare(
        "table key type",
        [{"AttributeName": "book_id", "AttributeType": "S"}],
        table["AttributeDefinitions"],
    )
    billing = table.get("BillingModeSummary", {}).get("BillingMode")
    facts.compare("table billing mode", "PAY_PER_REQUEST", billing)
    backups = dynamodb.describe_continuous_backups(TableName=deployment.table)
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    facts.compare("table point-in-time recovery", "ENABLED", recovery["PointInTimeRecoveryStatus"])
    encryption = table.get("SSEDescription", {})
    facts.compare(
        "table encryption",
        ("ENABLED", "KMS"),
        (encryption.get("Status"), encryption.get("SSEType")),
    )
    facts.compare("table encryption key", deployment.key_arn, encryption.get("KMSMasterKeyArn"))
    facts.compare(
        "table deletion protection",
        settings["deletion_protection_enabled"],
        table.get("DeletionProtectionEnabled"),
    )
    if settings["seed_sample_books"]:
        items = dynamodb.scan(TableName=deployment.table, ConsistentRead=True)["Items"]
        books = {book["book_id"]: book for book in map(from_item, items)}
        facts.compare("table holds the five sample books", truth.sample_books(), books)


def key_facts(deployment: Deployment, facts: Facts) -> None:
    kms = deployment.client("kms")
    key = kms.describe_key(KeyId=deployment.key_arn)["KeyMetadata"]
    facts.compare(f"KMS key alias/{deployment.name} state", "Enabled", key["KeyState"])
    facts.compare(f"KMS key alias/{deployment.name} manager", "CUSTOMER", key.get("KeyManager"))
    rotation = kms.get_key_rotation_status(KeyId=deployment.key_arn)["KeyRotationEnabled"]
    facts.compare(f"KMS key alias/{deployment.name} rotation", True, rotation)


def secret_facts(deployment: Deployment, facts: Facts) -> None:
    secrets = deployment.client("secretsmanager")
    secret = secrets.describe_secret(SecretId=deployment.secret_arn)
    facts.compare(
        "secret name prefix", f"{deployment.name}-jwt-", secret["Name"][: len(deployment.name) + 5]
    )
    facts.compare("secret encryption key", deployment.key_arn, secret.get("KmsKeyId"))
    value = secrets.get_secret_value(SecretId=deployment.secret_arn).get("SecretString", "")
    facts.compare(
        "secret holds an HS256 key of 32+ bytes", True, len(value.encode()) >= MIN_SECRET_BYTES
    )


def log_group_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    name = settings["name"]
    wanted = [
        *(f"/aws/lambda/{deployed}" for deployed in deployment.function_names.values()),
        f"/aws/apigateway/{name}/access",
        f"API-Gateway-Execution-Logs_{deployment.rest_api_id}/{deployment.stage}",
    ]
    for group_name in wanted:
        group = deployment.log_groups.get(group_name, {})
        facts.compare(
            f"log group {group_name} retention",
            settings["log_retention_in_days"],
            group.get("retentionInDays", UNSET),
        )
        facts.compare(
            f"log group {group_name} key", deployment.key_arn, group.get("kmsKeyId", UNSET)
        )
