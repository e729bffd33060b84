"""JWT verification, key sources and IAM policies for the TOKEN authorizer."""
