# One customer managed key encrypts the table, the secret and every log group of the module.
resource "aws_kms_key" "this" {
  description             = "${var.name}: Books table, JWT secret and log groups"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode({ Version = "2012-10-17", Statement = local.key_policy_statements })
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

locals {
  # In a key policy, Resource "*" means this key.
  key_policy_statements = concat([
    {
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    },
    {
      Sid       = "CloudWatchLogsEncryptsThisModulesLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${local.region}.amazonaws.com" }
      Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      Resource  = "*"
      Condition = {
        ArnLike = {
          "kms:EncryptionContext:aws:logs:arn" = [
            "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name}-*",
            "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${var.name}/*",
            "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:API-Gateway-Execution-Logs_*",
          ]
        }
      }
    },
  ], local.alarm_key_statements)
}

locals {
  # CloudWatch publishes to the KMS-encrypted alarm topic as itself: SNS asks KMS for a data
  # key on its behalf, so the key must let cloudwatch.amazonaws.com generate and decrypt one.
  alarm_key_statements = var.alarm_topic_arn != null ? [] : [
    {
      Sid       = "CloudWatchAlarmsPublishToTheAlarmTopic"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
    },
  ]
}
