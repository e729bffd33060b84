# A complete deployment of the Books API: run `make package` at the repository root first.

# Opened on each plan and apply, never stored; written to the secret only when
# jwt_secret_version changes.
ephemeral "aws_secretsmanager_random_password" "jwt" {
  password_length     = 64
  exclude_punctuation = true
}

module "books_api" {
  source = "../.."

  name               = "books-api"
  books_package      = "${path.root}/../../../../dist/books.zip"
  authorizer_package = "${path.root}/../../../../dist/authorizer.zip"
  architecture       = var.architecture

  jwt_secret         = coalesce(var.jwt_secret, ephemeral.aws_secretsmanager_random_password.jwt.random_password)
  jwt_secret_version = var.jwt_secret_version

  deletion_protection_enabled = var.deletion_protection_enabled
  seed_sample_books           = true

  # API Gateway needs a CloudWatch role in the account settings to write the stage's logs.
  # Set false if another stack of this account and region already manages it.
  create_api_gateway_account_role = true
}
