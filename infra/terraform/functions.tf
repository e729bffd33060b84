# Handler, timeout and memory come from openapi/functions.yaml, the file the local gateway runs.
resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes both functions synchronously; a dead-letter queue only receives failed asynchronous events.
  #checkov:skip=CKV_AWS_117:The functions call only DynamoDB, Secrets Manager and X-Ray public endpoints; a VPC would add NAT or endpoints and nothing to protect.
  #checkov:skip=CKV_AWS_272:The zips are built reproducibly by make package and pinned by source_code_hash; code signing needs an AWS Signer profile outside this module.
  #checkov:skip=CKV_AWS_173:The environment holds names, ARNs and settings; the JWT key stays in Secrets Manager, and the optional cursor_key only makes page tokens tamper-evident. Lambda encrypts it at rest with its AWS managed key.
  for_each = local.function_names

  function_name    = each.value
  description      = "Books API ${each.key} function"
  role             = aws_iam_role.function[each.key].arn
  filename         = local.packages[each.key]
  source_code_hash = filebase64sha256(local.packages[each.key])
  handler          = local.functions[each.key].handler
  runtime          = var.runtime
  architectures    = [var.architecture]
  timeout          = local.functions[each.key].timeout
  memory_size      = local.functions[each.key].memory

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = { for name, value in local.environment[each.key] : name => value if value != null }
  }

  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tags = local.tags

  # The role's policy must exist before the first invocation can write logs or read the secret.
  depends_on = [aws_iam_role_policy.function]
}

# API Gateway may invoke the books function for this API's stage only...
resource "aws_lambda_permission" "books" {
  statement_id  = "AllowInvokeFromBooksApiStage"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["books"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/*/*"
}

# ...and the authorizer as this API's authorizer only.
resource "aws_lambda_permission" "authorizer" {
  statement_id  = "AllowInvokeFromBooksApiAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["authorizer"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/*"
}
