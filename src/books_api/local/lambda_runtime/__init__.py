"""The local Lambda runtime: the functions file, execution environments (processes), the sandbox
each runs, the wire protocol between them, the invocation context and the events API Gateway
sends. It knows nothing of the gateway that calls it."""
