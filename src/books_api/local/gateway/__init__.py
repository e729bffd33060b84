"""The local API Gateway: routing from the OpenAPI document, authorizers and their cache, gateway
responses, CORS, throttling, the access log and the docs pages. It calls functions through the
Lambda runtime beside it (`books_api.local.lambda_runtime`), never the reverse."""
