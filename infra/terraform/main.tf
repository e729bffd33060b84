data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  repository_root = "${path.module}/../.."
  openapi_path    = coalesce(var.openapi_path, "${local.repository_root}/openapi/books.yaml")
  functions_path  = coalesce(var.functions_path, "${local.repository_root}/openapi/functions.yaml")
  # Field -> $context variable of the stage's access log (the local gateway's format too).
  access_log_format_path = "${local.repository_root}/src/books_api/data/access_log_format.json"

  # openapi/functions.yaml is keyed by the template variable each function's ARN fills in the
  # document; here the functions are keyed by their name and remember that variable.
  functions = {
    for arn_variable, function in yamldecode(file(local.functions_path)) :
    function.name => merge(function, { arn_variable = arn_variable })
  }

  packages = {
    books      = var.books_package
    authorizer = var.authorizer_package
  }

  function_names = { for name in keys(local.functions) : name => "${var.name}-${name}" }

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Environment of each function: only names the settings module reads (tests/infra checks it).
  # A null value leaves the variable unset, so the code's default applies.
  environment = {
    books = {
      BOOKS_STORE             = "dynamodb"
      BOOKS_TABLE             = aws_dynamodb_table.this.name
      BOOKS_CURSOR_KEY        = var.cursor_key
      POWERTOOLS_SERVICE_NAME = local.functions["books"].environment["POWERTOOLS_SERVICE_NAME"]
      POWERTOOLS_LOG_LEVEL    = var.log_level
      # The Tracer (and the X-Ray SDK it imports) is loaded only when tracing is on.
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      POWERTOOLS_TRACE_DISABLED    = var.tracing_enabled ? null : "true"
    }
    authorizer = {
      JWT_SECRET_ARN               = local.secret_arn
      JWT_ISSUER                   = var.jwt_issuer
      JWT_AUDIENCE                 = var.jwt_audience
      JWT_ALGORITHMS               = var.jwt_algorithms
      JWT_LEEWAY_SECONDS           = var.jwt_leeway_seconds == null ? null : tostring(var.jwt_leeway_seconds)
      REQUIRED_CLAIMS              = var.required_claims
      ROLE_CLAIM                   = var.role_claim
      ROLE_PERMISSIONS             = var.role_permissions == null ? null : jsonencode(var.role_permissions)
      JWKS_URL                     = var.jwks_url
      JWKS_MIN_REFRESH_SECONDS     = var.jwks_min_refresh_seconds == null ? null : tostring(var.jwks_min_refresh_seconds)
      POWERTOOLS_SERVICE_NAME      = local.functions["authorizer"].environment["POWERTOOLS_SERVICE_NAME"]
      POWERTOOLS_LOG_LEVEL         = var.log_level
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      POWERTOOLS_TRACE_DISABLED    = var.tracing_enabled ? null : "true"
    }
  }

  tags = merge(var.tags, { "books-api:module" = "infra/terraform" })
}
