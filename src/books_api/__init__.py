"""Books API: a JWT-secured serverless book catalogue and its local API Gateway."""

__version__ = "0.1.0"
