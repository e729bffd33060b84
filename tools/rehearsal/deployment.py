"""Where the rehearsal's deployment lives on moto_server, and boto3 clients that reach it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config

# moto accepts any credentials; boto3 still wants some, and none of the caller's may be used.
CREDENTIALS = {"aws_access_key_id": "rehearsal", "aws_secret_access_key": "rehearsal"}
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})


@dataclass
class Deployment:
    """What Terraform's outputs name (to find things; every fact is read through boto3)."""

    endpoint: str
    region: str
    name: str  # the module's `name`: the prefix of every resource name
    outputs: dict[str, Any]
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(  # type: ignore[call-overload]
                service,
                region_name=self.region,
                endpoint_url=self.endpoint,
                config=CLIENT_CONFIG,
                **CREDENTIALS,
            )
        return self._clients[service]

    @property
    def rest_api_id(self) -> str:
        return str(urlparse(self.outputs["invoke_url"]).hostname).split(".")[0]

    @property
    def stage(self) -> str:
        return str(urlparse(self.outputs["invoke_url"]).path).strip("/")

    @property
    def table(self) -> str:
        return str(self.outputs["table_name"])

    @property
    def function_names(self) -> dict[str, str]:
        return dict(self.outputs["function_names"])

    @property
    def secret_arn(self) -> str:
        return str(self.outputs["jwt_secret_arn"])

    @cached_property
    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])

    @cached_property
    def configurations(self) -> dict[str, dict[str, Any]]:
        """Function name (books, authorizer) -> GetFunctionConfiguration."""
        lambda_ = self.client("lambda")
        return {
            name: lambda_.get_function_configuration(FunctionName=deployed)
            for name, deployed in self.function_names.items()
        }

    def invoke_arn(self, function: str) -> str:
        """API Gateway's URI for invoking the function (what the REST API body names)."""
        arn = self.configurations[function]["FunctionArn"]
        return (
            f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        )

    @property
    def execution_arn(self) -> str:
        return f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.rest_api_id}"

    @cached_property
    def key_arn(self) -> str:
        """The module's KMS key, found by its alias."""
        key = self.client("kms").describe_key(KeyId=f"alias/{self.name}")["KeyMetadata"]
        return str(key["Arn"])

    @cached_property
    def log_groups(self) -> dict[str, dict[str, Any]]:
        """Log group name -> DescribeLogGroups entry, for every group moto holds."""
        paginator = self.client("logs").get_paginator("describe_log_groups")
        return {
            group["logGroupName"]: group
            for page in paginator.paginate()
            for group in page["logGroups"]
        }

    def log_group_arn(self, name: str) -> str:
        """The group's ARN without the `:*` DescribeLogGroups appends."""
        return str(self.log_groups[name]["arn"]).removesuffix(":*")
