"""Two things emulated on one machine: an API Gateway REST API stage (`gateway/`) and the Lambda
runtime it invokes (`lambda_runtime/`)."""
