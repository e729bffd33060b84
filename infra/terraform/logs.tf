# Created before the functions so that Lambda does not create them first without retention.
resource "aws_cloudwatch_log_group" "function" {
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# API Gateway writes execution logs to this fixed name and would create it without retention.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}
