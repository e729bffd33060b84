# Alarms, their topic and the dashboard, applied against a mock AWS provider.

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

run "alarm_set_and_topic" {
  command = apply

  assert {
    condition = output.alarm_names == sort([
      "books-api-api-5xx-rate",
      "books-api-api-latency-p99",
      "books-api-authorizer-duration-p99",
      "books-api-authorizer-errors",
      "books-api-authorizer-throttles",
      "books-api-authorizer-unauthorized-rate",
      "books-api-books-duration-p99",
      "books-api-books-errors",
      "books-api-books-throttles",
      "books-api-dynamodb-system-errors",
      "books-api-dynamodb-throttled-requests",
    ])
    error_message = "The module must create exactly the API, function, authorizer and table alarms."
  }

  assert {
    condition     = length(aws_sns_topic.alarms) == 1 && aws_sns_topic.alarms[0].kms_master_key_id == aws_kms_key.this.arn && output.alarm_topic_arn == aws_sns_topic.alarms[0].arn
    error_message = "Without alarm_topic_arn the module must create a topic encrypted with its KMS key."
  }

  assert {
    condition = alltrue([for alarm in concat(
      [aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.api_latency_p99, aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate],
      values(aws_cloudwatch_metric_alarm.function_errors),
      values(aws_cloudwatch_metric_alarm.function_throttles),
      values(aws_cloudwatch_metric_alarm.function_duration_p99),
      values(aws_cloudwatch_metric_alarm.dynamodb),
    ) : alarm.alarm_actions == toset([aws_sns_topic.alarms[0].arn]) && alarm.ok_actions == toset([aws_sns_topic.alarms[0].arn])])
    error_message = "Every alarm must notify the topic when it fires and when it recovers."
  }

  assert {
    condition     = one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Principal.Service if s.Sid == "CloudWatchAlarmsPublishToTheAlarmTopic"]) == "cloudwatch.amazonaws.com" && toset(one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Action if s.Sid == "CloudWatchAlarmsPublishToTheAlarmTopic"])) == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
    error_message = "CloudWatch must be allowed to use the key that encrypts the alarm topic."
  }

  assert {
    condition     = jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement[0].Principal.Service == "cloudwatch.amazonaws.com" && jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:books-api-*"
    error_message = "Only this module's alarms may publish to the topic."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "No address is subscribed unless alarm_email is set."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.function_duration_p99["books"].threshold == 8000 && aws_cloudwatch_metric_alarm.function_duration_p99["authorizer"].threshold == 4000
    error_message = "Duration alarms must fire at 80 % of each function's timeout (10 s and 5 s)."
  }

  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.function_errors["authorizer"].metric_query : q.expression if q.return_data == true]) == "errors - FILL(unauthorized, 0)" && one([for q in aws_cloudwatch_metric_alarm.function_errors["books"].metric_query : q.expression if q.return_data == true]) == "errors"
    error_message = "The authorizer's error alarm must not count its Unauthorized answers as errors."
  }

  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate.metric_query : q.expression if q.return_data == true]) == "IF(total >= 20, FILL(unauthorized, 0) / total, 0)" && aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate.threshold == 0.25
    error_message = "The Unauthorized rate must be a share of decisions, over minutes with enough of them."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dynamodb["throttled_requests"].metric_query) == 6 && toset([for q in aws_cloudwatch_metric_alarm.dynamodb["system_errors"].metric_query : q.metric[0].dimensions["Operation"] if length(q.metric) > 0]) == toset(["DeleteItem", "GetItem", "PutItem", "Scan", "UpdateItem"])
    error_message = "The table alarms must sum every operation the books function makes."
  }

  assert {
    condition = {
      for alarm in concat(
        [aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.api_latency_p99, aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate],
        values(aws_cloudwatch_metric_alarm.function_errors), values(aws_cloudwatch_metric_alarm.function_duration_p99), values(aws_cloudwatch_metric_alarm.dynamodb),
      ) : alarm.alarm_name => alarm.treat_missing_data
      } == {
      "books-api-api-5xx-rate"                 = "notBreaching"
      "books-api-api-latency-p99"              = "ignore"
      "books-api-authorizer-unauthorized-rate" = "notBreaching"
      "books-api-books-errors"                 = "notBreaching"
      "books-api-authorizer-errors"            = "notBreaching"
      "books-api-books-duration-p99"           = "ignore"
      "books-api-authorizer-duration-p99"      = "ignore"
      "books-api-dynamodb-throttled-requests"  = "notBreaching"
      "books-api-dynamodb-system-errors"       = "notBreaching"
    }
    error_message = "Counts treat missing data as not breaching; percentiles keep their state."
  }

  assert {
    condition     = [for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.title] == ["Requests", "Errors", "Latency (ms)", "Authorizer decisions", "Store latency (ms)", "Throttles", "Key source", "Alarms"]
    error_message = "The dashboard must show requests, errors, latency, authorizer outcomes, store latency, throttles, the key source and the alarms."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[7].properties.alarms) == 11
    error_message = "The alarm widget must list every alarm."
  }

  assert {
    condition     = output.dashboard_url == "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=books-api"
    error_message = "dashboard_url must open the dashboard in the module's region."
  }

  assert {
    condition     = alltrue([for function in aws_lambda_function.this : function.environment[0].variables["POWERTOOLS_METRICS_NAMESPACE"] == "BooksApi" && !contains(keys(function.environment[0].variables), "POWERTOOLS_TRACE_DISABLED")])
    error_message = "Both functions must publish to the BooksApi namespace and trace by default."
  }
}

run "existing_topic_and_email_subscription" {
  command = plan

  variables {
    alarm_topic_arn   = "arn:aws:sns:eu-west-1:123456789012:operations"
    alarm_email       = "oncall@example.com"
    metrics_namespace = "Shop/Books"
  }

  assert {
    condition     = length(aws_sns_topic.alarms) == 0 && length(aws_sns_topic_policy.alarms) == 0 && output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:operations"
    error_message = "With alarm_topic_arn the module must create no topic of its own."
  }

  assert {
    condition     = alltrue([for alarm in concat([aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate], values(aws_cloudwatch_metric_alarm.function_errors), values(aws_cloudwatch_metric_alarm.dynamodb)) : alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:operations"])])
    error_message = "Every alarm must notify the given topic."
  }

  assert {
    condition     = aws_sns_topic_subscription.alarm_email[0].endpoint == "oncall@example.com" && aws_sns_topic_subscription.alarm_email[0].protocol == "email" && aws_sns_topic_subscription.alarm_email[0].topic_arn == "arn:aws:sns:eu-west-1:123456789012:operations"
    error_message = "alarm_email must subscribe the address to the topic."
  }

  assert {
    condition     = length([for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Sid == "CloudWatchAlarmsPublishToTheAlarmTopic"]) == 0
    error_message = "Without a topic of its own, the module's key needs no statement for CloudWatch."
  }

  assert {
    condition     = aws_lambda_function.this["books"].environment[0].variables["POWERTOOLS_METRICS_NAMESPACE"] == "Shop/Books" && one([for q in aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate.metric_query : q.metric[0].namespace if q.id == "unauthorized"]) == "Shop/Books"
    error_message = "metrics_namespace must reach the functions and the alarms alike."
  }
}

run "tracing_can_be_turned_off" {
  command = plan

  variables {
    tracing_enabled = false
  }

  assert {
    condition     = alltrue([for function in aws_lambda_function.this : function.environment[0].variables["POWERTOOLS_TRACE_DISABLED"] == "true" && function.tracing_config[0].mode == "PassThrough"]) && !aws_api_gateway_stage.this.xray_tracing_enabled
    error_message = "tracing_enabled = false must turn tracing off in the stage, in Lambda and in the code (no X-Ray SDK loaded)."
  }
}

run "bad_alarm_inputs_are_refused" {
  command = plan

  variables {
    metrics_namespace           = "AWS/Books"
    alarm_topic_arn             = "operations"
    alarm_email                 = "not an address"
    alarm_datapoints_to_alarm   = 9
    api_5xx_rate_threshold      = 0
    duration_timeout_ratio      = 1.5
    unauthorized_rate_threshold = 2
  }

  expect_failures = [
    var.metrics_namespace,
    var.alarm_topic_arn,
    var.alarm_email,
    var.alarm_datapoints_to_alarm,
    var.api_5xx_rate_threshold,
    var.duration_timeout_ratio,
    var.unauthorized_rate_threshold,
  ]
}
