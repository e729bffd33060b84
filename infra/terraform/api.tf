locals {
  # The document as deployed: openapi/books.yaml with each function's invoke ARN filled in.
  # Routes, integrations and the authorizer (TTL, identity source, validation expression) are
  # the document's: nothing here repeats them.
  body = jsonencode(yamldecode(templatefile(local.openapi_path, {
    for name, function in local.functions : function.arn_variable => aws_lambda_function.this[name].invoke_arn
  })))

  # The stage's access log: one JSON object per request. The fields live in one file that the
  # local gateway reads too (books_api.local.gateway.access_log), so both write the same line.
  access_log_fields = jsondecode(file(local.access_log_format_path))
  access_log_format = jsonencode(local.access_log_fields)
}

resource "aws_api_gateway_rest_api" "this" {
  name              = var.name
  description       = "Books API (openapi/books.yaml)"
  body              = local.body
  put_rest_api_mode = "overwrite"

  endpoint_configuration {
    types = [var.endpoint_type]
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Body ${sha1(local.body)}"

  triggers = {
    redeployment = sha1(local.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses depend on the caller's token and on writes made a moment ago; a stage cache would serve stale or another caller's books.
  #checkov:skip=CKV2_AWS_29:A WAF web ACL is an account-level choice with its own cost; associate one from outside the module (aws_wafv2_web_acl_association on stage arn).
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; both integrations are Lambda proxies.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = var.tracing_enabled

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  tags = local.tags

  # API Gateway refuses log settings until the account has its CloudWatch role, and would create
  # the execution log group itself (without retention) if the stage came first.
  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:Caching stays off for the reasons given on the stage (CKV_AWS_120).
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.api_logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    caching_enabled        = false
  }
}
