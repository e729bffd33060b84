output "invoke_url" {
  description = "Base URL of the API, stage included (e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "table_name" {
  description = "Name of the DynamoDB table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the DynamoDB table."
  value       = aws_dynamodb_table.this.arn
}

output "function_names" {
  description = "Lambda function names, by function (books, authorizer)."
  value       = { for name, function in aws_lambda_function.this : name => function.function_name }
}

output "function_arns" {
  description = "Lambda function ARNs, by function (books, authorizer)."
  value       = { for name, function in aws_lambda_function.this : name => function.arn }
}

output "jwt_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the HS256 key that signs tokens (null with jwks_url)."
  value       = local.secret_arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the table, the secret and the log groups."
  value       = aws_kms_key.this.arn
}

output "access_log_group_name" {
  description = "CloudWatch log group of the stage's access log."
  value       = aws_cloudwatch_log_group.access.name
}

output "dashboard_url" {
  description = "CloudWatch console URL of the module's dashboard."
  value       = local.dashboard_url
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies (the module's, or alarm_topic_arn)."
  value       = local.alarm_topic_arn
}

output "alarm_names" {
  description = "Names of the module's CloudWatch alarms."
  value = sort(concat(
    [aws_cloudwatch_metric_alarm.api_5xx_rate.alarm_name, aws_cloudwatch_metric_alarm.api_latency_p99.alarm_name, aws_cloudwatch_metric_alarm.authorizer_unauthorized_rate.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.function_errors : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.function_throttles : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.function_duration_p99 : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.dynamodb : alarm.alarm_name],
  ))
}
