"""Rehearse the deployment on one machine: `python -m tools.rehearse` (`make rehearse`).

examples/complete is applied to moto_server, read back through boto3 and compared with the
sources of truth, served by the local gateway, planned again (no changes but known emulator
gaps) and destroyed (nothing left). Exit status 0 when every step passed, 1 otherwise, 2 on
a usage mistake.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.rehearsal.run import CONFIGURATION, Options, Rehearsal
from tools.rehearsal.truth import REPOSITORY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rehearse", description=__doc__)
    parser.add_argument("--arch", choices=["arm64", "x86_64"], default="arm64")
    parser.add_argument("--python", choices=["3.12", "3.13"], default="3.12")
    parser.add_argument(
        "--root",
        type=Path,
        default=REPOSITORY,
        help="the tree whose infra/terraform is applied (default: this repository)",
    )
    parser.add_argument(
        "--no-package", action="store_true", help="use the zips already in ROOT/dist"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / CONFIGURATION).is_dir():
        print(f"rehearse: error: {root / CONFIGURATION} does not exist (--root must be a copy "
              "of this repository)", file=sys.stderr)  # fmt: skip
        return 2
    rehearsal = Rehearsal(Options(args.arch, args.python, root, not args.no_package))
    return 0 if rehearsal.run() else 1


if __name__ == "__main__":
    sys.exit(main())
