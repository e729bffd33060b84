terraform {
  # 1.11: write-only arguments (secret_string_wo) and ephemeral resources.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
