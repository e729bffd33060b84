# One dashboard: requests, errors, latency, authorizer outcomes, store latency, throttles, the
# key source and the alarms. Custom metrics are written out literally (namespace first) or as
# SEARCH schemas, so that tests/infra can compare each with src/books_api/telemetry/catalogue.py.

locals {
  books_function      = aws_lambda_function.this["books"].function_name
  authorizer_function = aws_lambda_function.this["authorizer"].function_name
  api_name            = aws_api_gateway_rest_api.this.name
  stage               = aws_api_gateway_stage.this.stage_name

  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title = "Requests", region = local.region, view = "timeSeries", period = 60, stat = "Sum"
        metrics = [
          ["AWS/ApiGateway", "Count", "ApiName", local.api_name, "Stage", local.stage, { label = "API requests" }],
          [{ id = "by_status", label = "", expression = "SEARCH('{${var.metrics_namespace},operation,service,status_class} MetricName=\"Requests\" service=\"${local.service["books"]}\"', 'Sum', 60)" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title = "Errors", region = local.region, view = "timeSeries", period = 60, stat = "Sum"
        metrics = [
          ["AWS/ApiGateway", "5XXError", "ApiName", local.api_name, "Stage", local.stage, { label = "API 5XX" }],
          ["AWS/ApiGateway", "4XXError", "ApiName", local.api_name, "Stage", local.stage, { label = "API 4XX" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.books_function, { label = "books function errors" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.authorizer_function, { label = "authorizer errors (Unauthorized included)" }],
          [var.metrics_namespace, "StoreUnavailable", "service", local.service["books"], { label = "503 store unavailable" }],
          [var.metrics_namespace, "ValidationRejections", "service", local.service["books"], { label = "400 validation" }],
          [var.metrics_namespace, "Conflicts", "service", local.service["books"], { label = "409 conflict" }],
          [var.metrics_namespace, "PreconditionFailures", "service", local.service["books"], { label = "412 precondition" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title = "Latency (ms)", region = local.region, view = "timeSeries", period = 60
        metrics = [
          ["AWS/ApiGateway", "Latency", "ApiName", local.api_name, "Stage", local.stage, { stat = "p50", label = "API p50" }],
          ["AWS/ApiGateway", "Latency", "ApiName", local.api_name, "Stage", local.stage, { stat = "p99", label = "API p99" }],
          ["AWS/ApiGateway", "IntegrationLatency", "ApiName", local.api_name, "Stage", local.stage, { stat = "p99", label = "integration p99" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.books_function, { stat = "p99", label = "books duration p99" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.authorizer_function, { stat = "p99", label = "authorizer duration p99" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title = "Authorizer decisions", region = local.region, view = "timeSeries", period = 60, stat = "Sum"
        metrics = [
          [var.metrics_namespace, "AuthorizerDecisions", "service", local.service["authorizer"], "outcome", "Allow", { label = "Allow" }],
          [var.metrics_namespace, "AuthorizerDecisions", "service", local.service["authorizer"], "outcome", "Deny", { label = "Deny" }],
          [var.metrics_namespace, "AuthorizerDecisions", "service", local.service["authorizer"], "outcome", "Unauthorized", { label = "Unauthorized" }],
          [{ id = "by_reason", label = "", expression = "SEARCH('{${var.metrics_namespace},outcome,reason,service} MetricName=\"AuthorizerDecisions\" outcome=\"Unauthorized\" service=\"${local.service["authorizer"]}\"', 'Sum', 60)" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title = "Store latency (ms)", region = local.region, view = "timeSeries", period = 60
        metrics = [
          [var.metrics_namespace, "StoreLatency", "service", local.service["books"], { stat = "p50", label = "store call p50 (books function)" }],
          [var.metrics_namespace, "StoreLatency", "service", local.service["books"], { stat = "p99", label = "store call p99 (books function)" }],
          [{ id = "dynamodb_latency", label = "", expression = "SEARCH('{AWS/DynamoDB,Operation,TableName} MetricName=\"SuccessfulRequestLatency\" TableName=\"${aws_dynamodb_table.this.name}\"', 'Average', 60)" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title = "Throttles", region = local.region, view = "timeSeries", period = 60, stat = "Sum"
        metrics = [
          ["AWS/Lambda", "Throttles", "FunctionName", local.books_function, { label = "books function" }],
          ["AWS/Lambda", "Throttles", "FunctionName", local.authorizer_function, { label = "authorizer" }],
          [{ id = "dynamodb_throttles", label = "", expression = "SEARCH('{AWS/DynamoDB,Operation,TableName} MetricName=\"ThrottledRequests\" TableName=\"${aws_dynamodb_table.this.name}\"', 'Sum', 60)" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = {
        title = "Key source", region = local.region, view = "timeSeries", period = 60
        metrics = [
          [{ id = "fetch_latency", label = "", expression = "SEARCH('{${var.metrics_namespace},key_source,service} MetricName=\"KeySourceFetchLatency\" service=\"${local.service["authorizer"]}\"', 'Maximum', 60)" }],
          [{ id = "fetch_failures", label = "", expression = "SEARCH('{${var.metrics_namespace},key_source,service} MetricName=\"KeySourceFetchFailures\" service=\"${local.service["authorizer"]}\"', 'Sum', 60)" }],
          [var.metrics_namespace, "JwksRefreshes", "service", local.service["authorizer"], { stat = "Sum", label = "JWKS refreshes" }],
        ]
      }
    },
    {
      type = "alarm", x = 12, y = 18, width = 12, height = 6
      properties = {
        title  = "Alarms"
        alarms = local.alarm_arns
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}

locals {
  console_domain = lookup({ aws-cn = "console.amazonaws.cn", aws-us-gov = "console.amazonaws-us-gov.com" }, local.partition, "console.aws.amazon.com")
  dashboard_url  = "https://${local.region}.${local.console_domain}/cloudwatch/home?region=${local.region}#dashboards:name=${aws_cloudwatch_dashboard.this.dashboard_name}"
}
