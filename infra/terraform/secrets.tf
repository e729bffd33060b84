# The HS256 signing key. The authorizer gets only its ARN (JWT_SECRET_ARN) and reads the value at
# cold start; the value is a write-only argument, so it is in neither the plan nor the state.
# With jwks_url the authorizer verifies against public keys instead, and there is no secret.
resource "aws_secretsmanager_secret" "this" {
  count = var.jwks_url == null ? 1 : 0

  #checkov:skip=CKV2_AWS_57:Rotating an HS256 key invalidates every token its issuers signed; rotate on purpose by raising jwt_secret_version.
  name_prefix             = "${var.name}-jwt-"
  description             = "HS256 key that signs the Books API's JWTs (read by the ${var.name} authorizer)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_in_days
  tags                    = local.tags
}

resource "aws_secretsmanager_secret_version" "this" {
  count = var.jwks_url == null ? 1 : 0

  secret_id                = aws_secretsmanager_secret.this[0].id
  secret_string_wo         = var.jwt_secret
  secret_string_wo_version = var.jwt_secret_version
}

locals {
  secret_arn = one(aws_secretsmanager_secret.this[*].arn)
}
