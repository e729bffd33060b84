variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "architecture" {
  description = "Lambda architecture; build the zips with the same (make package ARCH=...)."
  type        = string
  default     = "arm64"
}

variable "jwt_secret" {
  description = "Your own HS256 signing key (32+ characters). Null: a random one is generated."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "jwt_secret_version" {
  description = "Increase to write a new key (tokens signed with the old one stop working)."
  type        = number
  default     = 1
}

variable "deletion_protection_enabled" {
  description = "Protect the table against deletion; set false and apply before terraform destroy."
  type        = bool
  default     = true
}
