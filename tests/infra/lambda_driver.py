"""Run inside the fresh venv, with PYTHONPATH = an unpacked zip: import a handler the way the
Lambda runtime does and invoke it with the JSON events read from stdin; print the results."""

import importlib
import json
import sys


class Context:
    function_name = "smoke"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:smoke"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/smoke"
    log_stream_name = "smoke"

    def get_remaining_time_in_millis(self):
        return 10_000


def main():
    module_name, function_name = sys.argv[1].rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    results = []
    for event in json.loads(sys.stdin.read()):
        try:
            results.append({"result": handler(event, Context())})
        except Exception as error:
            results.append({"error": str(error)})
    origins = {
        name: getattr(module, "__file__", None)
        for name, module in sorted(sys.modules.items())
        if name.split(".")[0] in {"books_api", "jwt", "aws_lambda_powertools", "cryptography"}
    }
    print(json.dumps({"results": results, "origins": origins}))


main()
