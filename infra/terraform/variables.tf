variable "name" {
  description = "Prefix of every resource name (functions, roles, log groups, secret, API)."
  type        = string
  default     = "books-api"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,39}$", var.name))
    error_message = "name must start with a letter and hold 1 to 40 letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

# --- packages ---------------------------------------------------------------

variable "books_package" {
  description = "Path of the books function's zip, as built by `make package` (dist/books.zip)."
  type        = string

  validation {
    condition     = endswith(var.books_package, ".zip")
    error_message = "books_package must be the path of a .zip file built by `make package`."
  }
}

variable "authorizer_package" {
  description = "Path of the authorizer function's zip, as built by `make package` (dist/authorizer.zip)."
  type        = string

  validation {
    condition     = endswith(var.authorizer_package, ".zip")
    error_message = "authorizer_package must be the path of a .zip file built by `make package`."
  }
}

variable "runtime" {
  description = "Lambda Python runtime; must match the --python the zips were built for."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Lambda instruction set; must match the --arch the zips were built for."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "openapi_path" {
  description = "The OpenAPI document deployed as the REST API body. Null: openapi/books.yaml of this repository."
  type        = string
  default     = null
}

variable "functions_path" {
  description = "The functions file (handler, timeout, memory per function). Null: openapi/functions.yaml of this repository."
  type        = string
  default     = null
}

# --- API Gateway ------------------------------------------------------------

variable "stage_name" {
  description = "Stage of the REST API; the base path of the invoke URL (the local gateway uses /prod)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name may hold only letters, digits, hyphens and underscores (1 to 128)."
  }
}

variable "endpoint_type" {
  description = "REST API endpoint type."
  type        = string
  default     = "REGIONAL"

  validation {
    condition     = contains(["REGIONAL", "EDGE", "PRIVATE"], var.endpoint_type)
    error_message = "endpoint_type must be REGIONAL, EDGE or PRIVATE."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second allowed on every method of the stage."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be greater than 0."
  }
}

variable "throttling_burst_limit" {
  description = "Burst of requests allowed on every method of the stage."
  type        = number
  default     = 200

  validation {
    condition     = var.throttling_burst_limit > 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number greater than 0."
  }
}

variable "api_logging_level" {
  description = "API Gateway execution logging level (needs the account's CloudWatch role: see create_api_gateway_account_role)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api_logging_level)
    error_message = "api_logging_level must be OFF, ERROR or INFO."
  }
}

variable "create_api_gateway_account_role" {
  description = "Create the role API Gateway uses to write logs and register it in the account settings. One per account and region: leave false where another stack already manages it."
  type        = bool
  default     = false
}

variable "tracing_enabled" {
  description = "X-Ray tracing on the stage and both functions. False also keeps the X-Ray SDK out of the functions' cold start (POWERTOOLS_TRACE_DISABLED), worth it with jwks_url (bench/RESULTS.md, tracing)."
  type        = bool
  default     = true
}

# --- functions --------------------------------------------------------------

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of both functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "log_retention_in_days" {
  description = "Retention of every log group of the module (functions, access log, execution log)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for each function; -1 leaves them on the account's unreserved pool."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 or more."
  }
}

variable "cursor_key" {
  description = "BOOKS_CURSOR_KEY, the HMAC key that signs pagination tokens. Null: unset, and the code derives a key from the table's TableId (which only DescribeTable reveals)."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.cursor_key == null || try(length(var.cursor_key) >= 32, false)
    error_message = "cursor_key must hold at least 32 characters."
  }
}

# --- authorizer -------------------------------------------------------------

variable "jwt_secret" {
  description = "HS256 signing key stored in the module's Secrets Manager secret (at least 32 characters); required unless jwks_url is set. Ephemeral: never written to the plan or the state. examples/complete generates one with the ephemeral aws_secretsmanager_random_password."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.jwks_url == null ? try(length(var.jwt_secret) >= 32, false) : var.jwt_secret == null
    error_message = "Set jwt_secret to at least 32 characters (HS256 needs a 256-bit key), or set jwks_url and leave jwt_secret unset: the authorizer takes exactly one key source."
  }
}

variable "jwt_secret_version" {
  description = "Increase to write jwt_secret again (the value is write-only, so a change alone is not seen); tokens signed with the old key stop working."
  type        = number
  default     = 1

  validation {
    condition     = var.jwt_secret_version >= 1 && floor(var.jwt_secret_version) == var.jwt_secret_version
    error_message = "jwt_secret_version must be a whole number, 1 or more."
  }
}

variable "secret_recovery_window_in_days" {
  description = "Days Secrets Manager keeps the deleted secret before it is gone (0 deletes at once)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_in_days == 0 || (var.secret_recovery_window_in_days >= 7 && var.secret_recovery_window_in_days <= 30)
    error_message = "secret_recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "jwt_issuer" {
  description = "JWT_ISSUER: the accepted `iss` values, comma-separated. Null: not checked."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "JWT_AUDIENCE: the accepted `aud` values, comma-separated. Null: not checked."
  type        = string
  default     = null
}

variable "jwt_algorithms" {
  description = "JWT_ALGORITHMS: comma-separated algorithms the authorizer accepts. Null: the key source's default (HS256 with the secret; RS256, ES256 with jwks_url)."
  type        = string
  default     = null
}

variable "jwt_leeway_seconds" {
  description = "JWT_LEEWAY_SECONDS: clock skew tolerated on exp/nbf/iat. Null: the code's default (30)."
  type        = number
  default     = null

  validation {
    condition     = var.jwt_leeway_seconds == null || try(var.jwt_leeway_seconds >= 0 && var.jwt_leeway_seconds <= 300, false)
    error_message = "jwt_leeway_seconds must be between 0 and 300."
  }
}

variable "required_claims" {
  description = "REQUIRED_CLAIMS: `name=value` pairs, comma-separated, every token must match (a bare `name` only requires the claim). Null: none."
  type        = string
  default     = null
}

variable "role_claim" {
  description = "ROLE_CLAIM: the claim (or dotted path) holding the caller's role. Null: the code's default (Role, as in the article)."
  type        = string
  default     = null
}

variable "role_permissions" {
  description = "ROLE_PERMISSIONS: the routes each role may call, e.g. { api_user = [\"*\"], reader = [\"GET /books\", \"GET /book\"] }. Null: the code's default (api_user may call every route)."
  type        = map(list(string))
  default     = null
}

variable "jwks_url" {
  description = "JWKS_URL: verify RS256/ES256 tokens against this JSON Web Key Set instead of the shared secret. Null: shared secret."
  type        = string
  default     = null

  validation {
    condition     = var.jwks_url == null || try(startswith(var.jwks_url, "https://"), false)
    error_message = "jwks_url must be an https:// URL."
  }
}

variable "jwks_min_refresh_seconds" {
  description = "JWKS_MIN_REFRESH_SECONDS: least time between two fetches of the key set. Null: the code's default (60)."
  type        = number
  default     = null

  validation {
    condition     = var.jwks_min_refresh_seconds == null || try(var.jwks_min_refresh_seconds >= 0 && var.jwks_min_refresh_seconds <= 86400, false)
    error_message = "jwks_min_refresh_seconds must be between 0 and 86400."
  }
}

# --- table ------------------------------------------------------------------

variable "table_name" {
  description = "DynamoDB table name (the article's is Books_Table; its items load as they are)."
  type        = string
  default     = "Books_Table"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3 to 255 letters, digits, underscores, hyphens or dots."
  }
}

variable "deletion_protection_enabled" {
  description = "Protect the table against deletion (turn off, apply, then destroy to remove it)."
  type        = bool
  default     = true
}

variable "seed_sample_books" {
  description = "Write the article's five sample books (src/books_api/data/books.json) into the new table, as the local gateway starts with them."
  type        = bool
  default     = false
}
