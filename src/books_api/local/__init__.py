"""A local API Gateway (REST API) that serves an OpenAPI document with the AWS extensions."""
