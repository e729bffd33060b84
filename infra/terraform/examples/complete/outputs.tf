output "invoke_url" {
  description = "Base URL of the API: call $invoke_url/books with an authorizationToken header."
  value       = module.books_api.invoke_url
}

output "table_name" {
  description = "DynamoDB table holding the books."
  value       = module.books_api.table_name
}

output "function_names" {
  description = "Lambda function names."
  value       = module.books_api.function_names
}

output "jwt_secret_arn" {
  description = "Secrets Manager secret holding the token signing key."
  value       = module.books_api.jwt_secret_arn
}
