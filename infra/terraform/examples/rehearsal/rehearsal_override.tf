# examples/complete as it is (main.tf, variables.tf, outputs.tf and versions.tf are links to it),
# applied to moto_server: this file only points every AWS endpoint at the emulator and gives
# the provider dummy credentials, which moto accepts. `make rehearse` runs it end to end.

provider "aws" {
  access_key                  = "rehearsal"
  secret_key                  = "rehearsal"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false # moto answers sts:GetCallerIdentity (account 123456789012)

  endpoints {
    apigateway     = var.endpoint
    cloudwatch     = var.endpoint
    dynamodb       = var.endpoint
    iam            = var.endpoint
    kms            = var.endpoint
    lambda         = var.endpoint
    logs           = var.endpoint
    secretsmanager = var.endpoint
    sns            = var.endpoint
    sts            = var.endpoint
  }
}

# State in a directory of the rehearsal's choosing (terraform init -backend-config=path=...).
terraform {
  backend "local" {}
}
