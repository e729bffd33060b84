# Wiring of the module, planned and applied against a mock AWS provider (no account needed).

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
  jwt_secret         = "test-only-signing-key-0123456789abcdef"
}

run "api_stage_and_authorizer" {
  command = apply

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "prod"
    error_message = "The stage must be prod by default (the local gateway serves /prod)."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes.authorizationToken["x-amazon-apigateway-authorizer"].authorizerResultTtlInSeconds == 300
    error_message = "The deployed body must carry the document's authorizer TTL of 300 seconds."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes.authorizationToken["x-amazon-apigateway-authorizer"].authorizerUri == aws_lambda_function.this["authorizer"].invoke_arn
    error_message = "The authorizer URI must be the authorizer function's invoke ARN."
  }

  assert {
    condition     = alltrue([for path, operations in jsondecode(aws_api_gateway_rest_api.this.body).paths : alltrue([for method, operation in operations : operation["x-amazon-apigateway-integration"].uri == aws_lambda_function.this["books"].invoke_arn])])
    error_message = "Every operation must be integrated with the books function's invoke ARN."
  }

  assert {
    condition     = !strcontains(aws_api_gateway_rest_api.this.body, "$${")
    error_message = "No template placeholder may remain in the deployed body."
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment == sha1(aws_api_gateway_rest_api.this.body)
    error_message = "The deployment must be redeployed whenever the body changes."
  }

  assert {
    condition     = aws_api_gateway_stage.this.xray_tracing_enabled
    error_message = "X-Ray tracing must be on by default."
  }

  assert {
    condition     = alltrue([for field in ["requestId", "ip", "requestTime", "httpMethod", "resourcePath", "status", "responseLength"] : contains(keys(jsondecode(aws_api_gateway_stage.this.access_log_settings[0].format)), field)])
    error_message = "The access log must hold the article's fields."
  }

  assert {
    condition     = aws_api_gateway_stage.this.access_log_settings[0].format == jsonencode(jsondecode(file("../../src/books_api/data/access_log_format.json")))
    error_message = "The stage must log the format the local gateway logs (src/books_api/data/access_log_format.json)."
  }

  assert {
    condition     = aws_api_gateway_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "Access logs must go to the module's access log group."
  }

  assert {
    condition     = aws_api_gateway_method_settings.this.method_path == "*/*" && aws_api_gateway_method_settings.this.settings[0].metrics_enabled && aws_api_gateway_method_settings.this.settings[0].throttling_rate_limit == 100 && aws_api_gateway_method_settings.this.settings[0].throttling_burst_limit == 200 && aws_api_gateway_method_settings.this.settings[0].logging_level == "ERROR"
    error_message = "Every method must have metrics, logging and the default throttling."
  }

  assert {
    condition     = aws_lambda_permission.books.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*"
    error_message = "The books function may be invoked only from this API's stage."
  }

  assert {
    condition     = aws_lambda_permission.authorizer.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:abc123/authorizers/*"
    error_message = "The authorizer may be invoked only as this API's authorizer."
  }
}

run "functions_environment" {
  command = apply

  assert {
    condition     = aws_lambda_function.this["authorizer"].environment[0].variables["JWT_SECRET_ARN"] == aws_secretsmanager_secret.this[0].arn
    error_message = "The authorizer must get the secret's ARN."
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.this["authorizer"].environment[0].variables), "JWT_SECRET")
    error_message = "The secret itself must never be in the authorizer's environment."
  }

  assert {
    condition     = aws_lambda_function.this["books"].environment[0].variables == tomap({ BOOKS_STORE = "dynamodb", BOOKS_TABLE = "Books_Table", POWERTOOLS_SERVICE_NAME = "books", POWERTOOLS_LOG_LEVEL = "INFO", POWERTOOLS_METRICS_NAMESPACE = "BooksApi" })
    error_message = "The books function must get exactly the store, table and Powertools settings (metrics namespace included)."
  }

  assert {
    condition     = aws_lambda_function.this["books"].handler == "books_api.functions.books.lambda_handler" && aws_lambda_function.this["authorizer"].handler == "books_api.functions.authorizer.lambda_handler"
    error_message = "Handlers must come from openapi/functions.yaml."
  }

  assert {
    condition     = alltrue([for key, entry in yamldecode(file("../../openapi/functions.yaml")) : aws_lambda_function.this[entry.name].timeout == entry.timeout && aws_lambda_function.this[entry.name].memory_size == entry.memory])
    error_message = "Timeout and memory must come from openapi/functions.yaml."
  }

  assert {
    condition     = alltrue([for function in aws_lambda_function.this : function.runtime == "python3.12" && function.architectures == tolist(["arm64"]) && function.tracing_config[0].mode == "Active"])
    error_message = "Both functions must run python3.12 on arm64 with active tracing by default."
  }

  assert {
    condition     = alltrue([for name, function in aws_lambda_function.this : function.logging_config[0].log_group == aws_cloudwatch_log_group.function[name].name && aws_cloudwatch_log_group.function[name].retention_in_days == 365])
    error_message = "Each function must log to its own log group, which has a retention."
  }
}

run "authorizer_settings_are_passed_through" {
  command = plan

  variables {
    jwt_issuer       = "https://issuer.example.com/"
    jwt_audience     = "books"
    role_claim       = "Role"
    role_permissions = { api_user = ["*"], reader = ["GET /books", "GET /book"] }
  }

  assert {
    condition     = aws_lambda_function.this["authorizer"].environment[0].variables["JWT_ISSUER"] == "https://issuer.example.com/" && aws_lambda_function.this["authorizer"].environment[0].variables["JWT_AUDIENCE"] == "books"
    error_message = "Issuer and audience must reach the authorizer."
  }

  assert {
    condition     = aws_lambda_function.this["authorizer"].environment[0].variables["ROLE_CLAIM"] == "Role" && jsondecode(aws_lambda_function.this["authorizer"].environment[0].variables["ROLE_PERMISSIONS"]) == { api_user = ["*"], reader = ["GET /books", "GET /book"] }
    error_message = "Role settings must reach the authorizer."
  }
}

run "least_privilege" {
  command = apply

  assert {
    condition     = jsondecode(aws_iam_role_policy.function["books"].policy).Statement[0].Action == ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"] && jsondecode(aws_iam_role_policy.function["books"].policy).Statement[0].Resource == [aws_dynamodb_table.this.arn]
    error_message = "The books function may call only its DynamoDB actions, on this table."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.function["authorizer"].policy).Statement[0].Action == ["secretsmanager:GetSecretValue"] && jsondecode(aws_iam_role_policy.function["authorizer"].policy).Statement[0].Resource == [aws_secretsmanager_secret.this[0].arn]
    error_message = "The authorizer may only read this secret."
  }

  assert {
    condition     = alltrue([for name, policy in aws_iam_role_policy.function : alltrue([for statement in jsondecode(policy.policy).Statement : statement.Resource != ["*"] || statement.Sid == "XRayTraces"])])
    error_message = "No statement but X-Ray's may name every resource."
  }

  assert {
    condition     = alltrue([for name, policy in aws_iam_role_policy.function : contains([for statement in jsondecode(policy.policy).Statement : statement.Resource[0] if statement.Sid == "OwnLogGroup"], "${aws_cloudwatch_log_group.function[name].arn}:*")])
    error_message = "Each function may write only to its own log group."
  }
}

run "kms_key_lets_cloudwatch_logs_use_it_only_for_this_modules_groups" {
  command = apply

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "The key must rotate."
  }

  assert {
    condition     = one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Principal.Service if s.Sid == "CloudWatchLogsEncryptsThisModulesLogGroups"]) == "logs.eu-west-1.amazonaws.com"
    error_message = "CloudWatch Logs of this region must be the key's only service principal."
  }

  assert {
    condition     = alltrue([for arn in one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] if s.Sid == "CloudWatchLogsEncryptsThisModulesLogGroups"]) : startswith(arn, "arn:aws:logs:eu-west-1:123456789012:log-group:")])
    error_message = "CloudWatch Logs may use the key only for log groups of this account and region."
  }

  assert {
    condition     = alltrue([for group in concat(values(aws_cloudwatch_log_group.function), [aws_cloudwatch_log_group.access, aws_cloudwatch_log_group.execution]) : group.kms_key_id == aws_kms_key.this.arn])
    error_message = "Every log group must be encrypted with the module's key."
  }
}

run "account_cloudwatch_role_only_when_asked" {
  command = plan

  variables {
    create_api_gateway_account_role = true
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 1 && length(aws_iam_role.api_gateway_cloudwatch) == 1
    error_message = "create_api_gateway_account_role must register a CloudWatch role for API Gateway."
  }
}

run "table_settings" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.this.name == "Books_Table" && aws_dynamodb_table.this.hash_key == "book_id"
    error_message = "The table must be the article's Books_Table keyed by book_id."
  }

  assert {
    condition     = one([for attribute in aws_dynamodb_table.this.attribute : attribute.type if attribute.name == "book_id"]) == "S"
    error_message = "book_id must be a string."
  }

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "The table must bill on demand."
  }

  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this.arn
    error_message = "The table must have point-in-time recovery and encryption with the module's key."
  }

  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "Deletion protection must be on by default."
  }
}

run "sample_books_are_written_only_when_asked" {
  command = plan

  variables {
    seed_sample_books = true
  }

  assert {
    condition     = length(aws_dynamodb_table_item.sample) == 5 && alltrue([for item in aws_dynamodb_table_item.sample : can(jsondecode(item.item).book_id.S) && item.hash_key == "book_id"])
    error_message = "seed_sample_books must write the five books of books.json, keyed by book_id."
  }
}

run "no_sample_books_by_default" {
  command = plan

  assert {
    condition     = length(aws_dynamodb_table_item.sample) == 0
    error_message = "A production table must start empty unless seed_sample_books is set."
  }
}

run "deletion_protection_follows_its_variable" {
  command = plan

  variables {
    deletion_protection_enabled = false
    stage_name                  = "v1"
  }

  assert {
    condition     = !aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "deletion_protection_enabled = false must reach the table."
  }

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "v1"
    error_message = "stage_name must name the stage."
  }
}

run "bad_inputs_are_refused" {
  command = plan

  variables {
    architecture          = "sparc"
    stage_name            = "prod/v1"
    books_package         = "dist/books.tar.gz"
    jwks_url              = "http://keys.example.com/jwks.json"
    throttling_rate_limit = 0
  }

  expect_failures = [
    var.architecture,
    var.stage_name,
    var.books_package,
    var.jwks_url,
    var.throttling_rate_limit,
  ]
}

run "short_secret_is_refused" {
  command = plan

  variables {
    jwt_secret = "too-short"
  }

  expect_failures = [var.jwt_secret]
}
