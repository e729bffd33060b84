"""The deployment rehearsal: examples/complete applied to moto_server, read back through
boto3 and compared with the sources of truth, served by the local gateway, planned again and
destroyed (`make rehearse`, `python -m tools.rehearse`)."""
