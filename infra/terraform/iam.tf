# One role per function. Each may do exactly what its code does (tests/infra derives the boto3
# calls from the source and compares them with these statements), on this module's resources only.
resource "aws_iam_role" "function" {
  for_each = local.function_names

  name               = each.value
  description        = "Execution role of the ${each.value} Lambda function"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [local.lambda_trust_statement] })
  tags               = local.tags
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_names

  name = "${each.value}-least-privilege"
  role = aws_iam_role.function[each.key].id
  # A statement about a resource the module does not create (the secret, with jwks_url) is left out.
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for statement in local.function_statements[each.key] : statement if alltrue([for resource in statement.Resource : resource != null])]
  })
}

locals {
  lambda_trust_statement = {
    Effect    = "Allow"
    Principal = { Service = "lambda.amazonaws.com" }
    Action    = "sts:AssumeRole"
    Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
  }

  function_statements = {
    books = [
      {
        Sid      = "BooksTable"
        Effect   = "Allow"
        Action   = ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"]
        Resource = [aws_dynamodb_table.this.arn]
      },
      {
        Sid       = "BooksTableKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource  = [aws_kms_key.this.arn]
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.${local.region}.amazonaws.com" } }
      },
      local.log_statements["books"],
      local.tracing_statement,
    ]
    authorizer = [
      {
        Sid      = "JwtSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.secret_arn]
      },
      {
        Sid       = "JwtSecretKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [local.secret_arn == null ? null : aws_kms_key.this.arn]
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
      },
      local.log_statements["authorizer"],
      local.tracing_statement,
    ]
  }

  log_statements = {
    for name, group in aws_cloudwatch_log_group.function : name => {
      Sid      = "OwnLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${group.arn}:*"]
    }
  }

  # X-Ray's write actions support no resource-level permissions: "*" is the only valid resource.
  tracing_statement = {
    Sid      = "XRayTraces"
    Effect   = "Allow"
    Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    Resource = ["*"]
  }
}

# API Gateway writes access and execution logs through one role per account and region.
resource "aws_iam_role" "api_gateway_cloudwatch" {
  count = var.create_api_gateway_account_role ? 1 : 0

  name = "${var.name}-apigateway-cloudwatch"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  count = var.create_api_gateway_account_role ? 1 : 0

  role       = aws_iam_role.api_gateway_cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.create_api_gateway_account_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn
  # Without it, destroy only forgets the setting: the account keeps naming the deleted role.
  reset_on_delete = true
}
