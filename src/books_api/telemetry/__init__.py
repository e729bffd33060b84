"""Metrics, traces and log correlation of the Lambda functions."""
