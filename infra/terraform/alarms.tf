# Alarms, their SNS topic and the dashboard. Custom metrics are the functions' EMF metrics:
# their names and dimensions are those of src/books_api/telemetry/catalogue.py, which
# tests/infra reads to check every metric named here.

# --- inputs -----------------------------------------------------------------

variable "metrics_namespace" {
  description = "POWERTOOLS_METRICS_NAMESPACE: the CloudWatch namespace of the functions' custom metrics."
  type        = string
  default     = "BooksApi"

  validation {
    condition     = can(regex("^[A-Za-z0-9._#/-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1 to 255 letters, digits or . _ # / - and must not start with AWS/ (reserved)."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic every alarm notifies. Null: the module creates one, encrypted with its KMS key. An existing topic encrypted with a customer managed key must let cloudwatch.amazonaws.com use that key."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be the ARN of an SNS topic."
  }
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (SNS sends a confirmation mail first). Null: no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address."
  }
}

variable "alarm_evaluation_periods" {
  description = "Minutes (periods of 60 s) each alarm looks at."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 60 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number from 1 to 60."
  }
}

variable "alarm_datapoints_to_alarm" {
  description = "How many of those minutes must breach for an alarm to fire."
  type        = number
  default     = 3

  validation {
    condition     = var.alarm_datapoints_to_alarm >= 1 && var.alarm_datapoints_to_alarm <= var.alarm_evaluation_periods && floor(var.alarm_datapoints_to_alarm) == var.alarm_datapoints_to_alarm
    error_message = "alarm_datapoints_to_alarm must be a whole number from 1 to alarm_evaluation_periods."
  }
}

variable "api_5xx_rate_threshold" {
  description = "Share of the stage's requests answered 5XX in a minute (0.01 = 1 %) above which the API alarm fires."
  type        = number
  default     = 0.01

  validation {
    condition     = var.api_5xx_rate_threshold > 0 && var.api_5xx_rate_threshold < 1
    error_message = "api_5xx_rate_threshold must be between 0 and 1 (exclusive)."
  }
}

variable "api_latency_p99_threshold_ms" {
  description = "p99 of the stage's Latency (ms, API Gateway receipt to response) above which the latency alarm fires."
  type        = number
  default     = 1000

  validation {
    condition     = var.api_latency_p99_threshold_ms > 0 && var.api_latency_p99_threshold_ms <= 29000
    error_message = "api_latency_p99_threshold_ms must be above 0 and at most 29000 (API Gateway's integration timeout)."
  }
}

variable "function_errors_threshold" {
  description = "Function errors per minute above which a function's error alarm fires (for the authorizer, Unauthorized answers are not errors)."
  type        = number
  default     = 0

  validation {
    condition     = var.function_errors_threshold >= 0
    error_message = "function_errors_threshold must be 0 or more."
  }
}

variable "function_throttles_threshold" {
  description = "Throttled invocations per minute above which a function's throttle alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.function_throttles_threshold >= 0
    error_message = "function_throttles_threshold must be 0 or more."
  }
}

variable "duration_timeout_ratio" {
  description = "Share of a function's timeout (openapi/functions.yaml) that its p99 Duration may reach before the duration alarm fires."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_timeout_ratio > 0 && var.duration_timeout_ratio < 1
    error_message = "duration_timeout_ratio must be between 0 and 1 (exclusive)."
  }
}

variable "unauthorized_rate_threshold" {
  description = "Share of the authorizer's decisions in a minute that are Unauthorized above which the alarm fires (a spike of forged, expired or malformed tokens, or a key source down)."
  type        = number
  default     = 0.25

  validation {
    condition     = var.unauthorized_rate_threshold > 0 && var.unauthorized_rate_threshold <= 1
    error_message = "unauthorized_rate_threshold must be above 0 and at most 1."
  }
}

variable "unauthorized_min_decisions" {
  description = "Decisions a minute must hold before its Unauthorized rate counts (a lone bad token in a quiet minute is no attack)."
  type        = number
  default     = 20

  validation {
    condition     = var.unauthorized_min_decisions >= 1 && floor(var.unauthorized_min_decisions) == var.unauthorized_min_decisions
    error_message = "unauthorized_min_decisions must be a whole number, 1 or more."
  }
}

variable "dynamodb_throttles_threshold" {
  description = "Throttled table requests per minute (every operation the books function makes) above which the alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.dynamodb_throttles_threshold >= 0
    error_message = "dynamodb_throttles_threshold must be 0 or more."
  }
}

variable "dynamodb_system_errors_threshold" {
  description = "DynamoDB system errors (HTTP 500 from DynamoDB) per minute above which the alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.dynamodb_system_errors_threshold >= 0
    error_message = "dynamodb_system_errors_threshold must be 0 or more."
  }
}

# --- topic ------------------------------------------------------------------

resource "aws_sns_topic" "alarms" {
  count = var.alarm_topic_arn == null ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

# CloudWatch publishes only for this account's alarms of this module.
resource "aws_sns_topic_policy" "alarms" {
  count = var.alarm_topic_arn == null ? 1 : 0

  arn = aws_sns_topic.alarms[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CloudWatchAlarmsOfThisModule"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.alarms[0].arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*" }
      }
    }]
  })
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = local.alarm_topic_arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_topic_arn = var.alarm_topic_arn != null ? var.alarm_topic_arn : aws_sns_topic.alarms[0].arn
  alarm_actions   = [local.alarm_topic_arn]

  # The `service` dimension of each function's metrics (its POWERTOOLS_SERVICE_NAME).
  service = { for name, function in local.functions : name => function.environment["POWERTOOLS_SERVICE_NAME"] }

  # The table operations the books function makes while serving requests (its IAM actions
  # less DescribeTable, checked by tests/infra); DynamoDB publishes ThrottledRequests and
  # SystemErrors per operation only.
  dynamodb_operations = ["DeleteItem", "GetItem", "PutItem", "Scan", "UpdateItem"]

  api_dimensions = {
    ApiName = aws_api_gateway_rest_api.this.name
    Stage   = aws_api_gateway_stage.this.stage_name
  }
}

# --- API Gateway --------------------------------------------------------------

# 5XXError is 0 or 1 per request: its Average is the share of requests that failed.
# No requests, no data: nothing failed (notBreaching).
resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  alarm_name          = "${var.name}-api-5xx-rate"
  alarm_description   = "More than ${var.api_5xx_rate_threshold * 100} % of the stage's requests answered 5XX."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = local.api_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_5xx_rate_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# A percentile needs requests: a quiet minute says nothing about latency, so the alarm keeps
# its state (ignore) rather than turning OK because traffic stopped.
resource "aws_cloudwatch_metric_alarm" "api_latency_p99" {
  alarm_name          = "${var.name}-api-latency-p99"
  alarm_description   = "p99 latency of the stage above ${var.api_latency_p99_threshold_ms} ms."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.api_dimensions
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_latency_p99_threshold_ms
  treat_missing_data  = "ignore"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# --- Lambda -----------------------------------------------------------------

# A TOKEN authorizer answers 401 by failing with "Unauthorized", which Lambda counts in
# Errors: the authorizer's real errors are Errors less its Unauthorized decisions.
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.function_names

  alarm_name          = "${each.value}-errors"
  alarm_description   = "The ${each.key} function failed (crash, timeout, out of memory) more than ${var.function_errors_threshold} times a minute."
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.function_errors_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags

  metric_query {
    id          = "failures"
    expression  = each.key == "authorizer" ? "errors - FILL(unauthorized, 0)" : "errors"
    label       = "Function errors"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = aws_lambda_function.this[each.key].function_name }
      stat        = "Sum"
      period      = 60
    }
  }

  dynamic "metric_query" {
    for_each = each.key == "authorizer" ? ["unauthorized"] : []
    content {
      id = metric_query.value
      metric {
        namespace   = var.metrics_namespace
        metric_name = "AuthorizerDecisions"
        dimensions  = { service = local.service["authorizer"], outcome = "Unauthorized" }
        stat        = "Sum"
        period      = 60
      }
    }
  }
}

# Throttles are counted only when they happen: no data is no throttle.
resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  for_each = local.function_names

  alarm_name          = "${each.value}-throttles"
  alarm_description   = "The ${each.key} function was throttled (concurrency exhausted) more than ${var.function_throttles_threshold} times a minute."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this[each.key].function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.function_throttles_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# A percentile needs invocations: without them the alarm keeps its state (ignore).
resource "aws_cloudwatch_metric_alarm" "function_duration_p99" {
  for_each = local.function_names

  alarm_name          = "${each.value}-duration-p99"
  alarm_description   = "p99 duration of the ${each.key} function above ${var.duration_timeout_ratio * 100} % of its ${local.functions[each.key].timeout} s timeout."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = aws_lambda_function.this[each.key].function_name }
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.functions[each.key].timeout * 1000 * var.duration_timeout_ratio
  treat_missing_data  = "ignore"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# --- authorizer decisions (custom metric) --------------------------------------

# The share of Unauthorized decisions, counted only in minutes with enough decisions; a minute
# without decisions has no data, and nothing to alarm on (notBreaching). API Gateway caches
# decisions per token for the document's TTL, so these are decisions, not requests.
resource "aws_cloudwatch_metric_alarm" "authorizer_unauthorized_rate" {
  alarm_name          = "${var.name}-authorizer-unauthorized-rate"
  alarm_description   = "More than ${var.unauthorized_rate_threshold * 100} % of the authorizer's decisions were Unauthorized (bad, expired or forged tokens, or the key source unavailable)."
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.unauthorized_rate_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags

  metric_query {
    id          = "rate"
    expression  = "IF(total >= ${var.unauthorized_min_decisions}, FILL(unauthorized, 0) / total, 0)"
    label       = "Unauthorized share of decisions"
    return_data = true
  }

  metric_query {
    id         = "total"
    expression = "FILL(allow, 0) + FILL(deny, 0) + FILL(unauthorized, 0)"
    label      = "Decisions"
  }

  metric_query {
    id = "allow"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "AuthorizerDecisions"
      dimensions  = { service = local.service["authorizer"], outcome = "Allow" }
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "deny"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "AuthorizerDecisions"
      dimensions  = { service = local.service["authorizer"], outcome = "Deny" }
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "unauthorized"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "AuthorizerDecisions"
      dimensions  = { service = local.service["authorizer"], outcome = "Unauthorized" }
      stat        = "Sum"
      period      = 60
    }
  }
}

# --- DynamoDB ---------------------------------------------------------------

# Both are published only when they happen, per operation: the alarm sums the operations.
resource "aws_cloudwatch_metric_alarm" "dynamodb" {
  for_each = {
    throttled_requests = { metric = "ThrottledRequests", threshold = var.dynamodb_throttles_threshold, what = "throttled requests" }
    system_errors      = { metric = "SystemErrors", threshold = var.dynamodb_system_errors_threshold, what = "system errors" }
  }

  alarm_name          = "${var.name}-dynamodb-${replace(each.key, "_", "-")}"
  alarm_description   = "More than ${each.value.threshold} ${each.value.what} a minute on table ${aws_dynamodb_table.this.name}."
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags

  metric_query {
    id          = "total"
    expression  = "SUM(METRICS())"
    label       = "${each.value.metric}, every operation"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.dynamodb_operations
    content {
      id = lower(metric_query.value)
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = each.value.metric
        dimensions  = { TableName = aws_dynamodb_table.this.name, Operation = metric_query.value }
        stat        = "Sum"
        period      = 60
      }
    }
  }
}

locals {
  alarm_arns = concat(
    [aws_cloudwatch_metric_alarm.api_5xx_rate.arn, aws_cloudwatch_metric_alarm.api_latency_p99.arn],
    [for alarm in aws_cloudwatch_metric_alarm.function_errors : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.function_throttles : alarm.arn],
    [for alarm in aws_cloudwatch_metric_alarm.function_duration_p99 : alarm.arn],
    [aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate.arn],
    [for alarm in aws_cloudwatch_metric_alarm.dynamodb : alarm.arn],
  )
}
