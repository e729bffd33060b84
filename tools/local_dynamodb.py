"""`make run STORE=dynamodb`: moto_server plays DynamoDB on 127.0.0.1 while `books-api serve`
runs against it; both stop together (moto_server keeps its tables in memory only).

    python -m tools.local_dynamodb --port 5000 --log FILE -- serve --store dynamodb ...

The arguments after `--` are books-api's; `--endpoint-url` is added.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT_S = 20.0


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if accepts(port):
            return True
        time.sleep(0.1)
    return False


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make run STORE=dynamodb")
    parser.add_argument("--port", type=int, default=5000, help="moto_server's port")
    parser.add_argument("--log", type=Path, required=True, help="moto_server's log file")
    parser.add_argument("books_api", nargs=argparse.REMAINDER, help="-- books-api arguments")
    args = parser.parse_args(argv)
    books_api_args = args.books_api[1:] if args.books_api[:1] == ["--"] else args.books_api
    if accepts(args.port):
        print(
            f"make: error: 127.0.0.1:{args.port} is already in use: stop what listens there, "
            f"or choose another port: make run STORE=dynamodb MOTO_PORT={args.port + 1}",
            file=sys.stderr,
        )
        return 2
    bin_dir = Path(sys.executable).parent
    with args.log.open("wb") as log:
        moto = subprocess.Popen(
            [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(args.port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            if not wait_until_listening(moto, args.port):
                print(f"make: error: moto_server did not start: see {args.log}", file=sys.stderr)
                return 2
            endpoint = f"http://127.0.0.1:{args.port}"
            command = [str(bin_dir / "books-api"), *books_api_args, "--endpoint-url", endpoint]
            return subprocess.run(command).returncode
        except KeyboardInterrupt:  # Ctrl+C reaches books-api too; it stops on its own
            return 130
        finally:
            moto.terminate()
            moto.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
