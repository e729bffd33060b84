# With jwks_url the authorizer verifies tokens against public keys: no secret, no Secrets Manager access.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:books-api-jwt-AbCdEf" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/Books_Table" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/books-api-function" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/books-api" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:books-api" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:books-api-alarms" }
  }
}

variables {
  books_package      = "tests/fixtures/placeholder.zip"
  authorizer_package = "tests/fixtures/placeholder.zip"
  jwks_url           = "https://issuer.example.com/.well-known/jwks.json"
}

run "jwks_replaces_the_secret" {
  command = plan

  assert {
    condition     = length(aws_secretsmanager_secret.this) == 0 && output.jwt_secret_arn == null
    error_message = "With jwks_url there must be no secret."
  }

  assert {
    condition     = aws_lambda_function.this["authorizer"].environment[0].variables["JWKS_URL"] == "https://issuer.example.com/.well-known/jwks.json" && !contains(keys(aws_lambda_function.this["authorizer"].environment[0].variables), "JWT_SECRET_ARN")
    error_message = "The authorizer takes exactly one key source: JWKS_URL, without JWT_SECRET_ARN."
  }

  assert {
    condition     = length([for statement in local.function_statements["authorizer"] : statement if contains(statement.Action, "secretsmanager:GetSecretValue") && statement.Resource[0] != null]) == 0
    error_message = "Without a secret the authorizer may not read Secrets Manager."
  }
}
