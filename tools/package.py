"""Build the Lambda zips: `python -m tools.package [--arch arm64] [--python 3.12] [--out dist]`.

Each zip holds its handler's books_api modules (found by tools.closure) and the third-party
wheels they import, for Lambda's platform and Python rather than this machine's. The zips are
deterministic: sorted entries, fixed timestamps and permissions, no bytecode.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from tools.closure import SOURCE_ROOT, handler_closure

REPOSITORY = Path(__file__).resolve().parent.parent
FUNCTIONS_FILE = REPOSITORY / "openapi" / "functions.yaml"
CONSTRAINTS = Path(__file__).resolve().with_name("lambda-constraints.txt")
WHEEL_CACHE = REPOSITORY / ".cache" / "lambda-wheels"
# The Lambda Python runtimes ship these; packaging them would only add weight.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six"})
# ...under these distribution names, which pip still installs when a packaged wheel requires
# them (aws-xray-sdk requires botocore): they are removed again before zipping.
RUNTIME_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "six"}
)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIPPED_PARTS = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyc", ".pyo")


class PackagingError(Exception):
    """The zips cannot be built as asked; the message says why."""


def functions() -> dict[str, str]:
    """Function name -> handler, from openapi/functions.yaml."""
    document = yaml.safe_load(FUNCTIONS_FILE.read_text("utf-8"))
    return {entry["name"]: entry["handler"] for entry in document.values()}


def requirements_for(imports: Iterable[str]) -> list[str]:
    """Pinned requirement lines for the distributions behind these top-level imports."""
    from importlib.metadata import packages_distributions

    pins = _pins()
    declared = _declared_requirements()
    by_import = packages_distributions()
    lines: set[str] = set()
    for name in sorted(set(imports) - PROVIDED_BY_RUNTIME):
        for distribution in by_import.get(name, []):
            key = _normalize(distribution)
            if key not in pins:
                raise PackagingError(
                    f"{distribution} (import {name}) is not pinned in {CONSTRAINTS}"
                )
            extras = declared.get(key, "")
            lines.add(f"{pins[key][0]}{extras}=={pins[key][1]}")
        if name not in by_import:
            raise PackagingError(f"import {name} belongs to no installed distribution")
    return sorted(lines)


def build(name: str, handler: str, out: Path, arch: str, python: str) -> Path:
    """Build out/<name>.zip for `handler` and return its path."""
    closure = handler_closure(handler)
    with tempfile.TemporaryDirectory(prefix=f"lambda-{name}-") as scratch:
        site = Path(scratch) / "site"
        requirements = requirements_for(closure.third_party)
        if requirements:
            _install(requirements, site, arch, python)
            _drop_runtime_distributions(site)
            _check_pinned(site)
        entries = dict(_tree(site)) if site.exists() else {}
        for arcname, path in closure.files(SOURCE_ROOT).items():
            entries[arcname] = path
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{name}.zip"
        write_zip(target, entries)
    return target


def write_zip(target: Path, entries: dict[str, Path]) -> None:
    """A zip whose bytes depend only on the entries' names and contents."""
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for arcname in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100644 & 0xFFFF) << 16
            archive.writestr(info, entries[arcname].read_bytes(), compresslevel=9)
    partial.replace(target)


def _tree(root: Path) -> Iterator[tuple[str, Path]]:
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] == "bin":
            continue
        if any(part in SKIPPED_PARTS for part in relative.parts):
            continue
        if path.suffix in SKIPPED_SUFFIXES:
            continue
        yield relative.as_posix(), path


def _pip_platform_args(arch: str, python: str) -> list[str]:
    return [
        "--platform",
        f"manylinux2014_{'aarch64' if arch == 'arm64' else arch}",
        "--implementation",
        "cp",
        "--python-version",
        python,
        "--only-binary=:all:",
    ]


def _install(requirements: list[str], site: Path, arch: str, python: str) -> None:
    cache = WHEEL_CACHE / f"{arch}-cp{python.replace('.', '')}"
    cache.mkdir(parents=True, exist_ok=True)
    platform = _pip_platform_args(arch, python)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    pinned = ["-c", str(CONSTRAINTS), *requirements]
    install = [*pip, "install", "--quiet", "--no-compile", "--target", str(site), *platform]
    offline = [*install, "--no-index", "--find-links", str(cache), *pinned]
    if subprocess.run(offline, capture_output=True, text=True).returncode == 0:
        return
    shutil.rmtree(site, ignore_errors=True)
    download = [*pip, "download", "--quiet", "--dest", str(cache), *platform, *pinned]
    _run(download, f"downloading wheels for {arch} / Python {python}")
    _run(offline, f"installing wheels for {arch} / Python {python}")


def _run(command: list[str], doing: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PackagingError(f"pip failed {doing}:\n{result.stderr.strip()}")


def _drop_runtime_distributions(site: Path) -> None:
    """Remove what the runtime provides, file by file as each wheel's RECORD lists them."""
    for info in sorted(site.glob("*.dist-info")):
        distribution = info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        if _normalize(distribution) not in RUNTIME_DISTRIBUTIONS:
            continue
        for line in (info / "RECORD").read_text("utf-8").splitlines():
            relative = line.rsplit(",", 2)[0]
            target = (site / relative).resolve()
            if target.is_relative_to(site.resolve()) and target.is_file():
                target.unlink()
        shutil.rmtree(info, ignore_errors=True)
    for directory in sorted(site.rglob("*"), reverse=True):  # folders left empty
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def _check_pinned(site: Path) -> None:
    pins = _pins()
    for info in site.glob("*.dist-info"):
        distribution = info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        if _normalize(distribution) not in pins:
            raise PackagingError(
                f"pip installed {distribution}, which {CONSTRAINTS.name} does not pin"
            )


def _pins() -> dict[str, tuple[str, str]]:
    pins: dict[str, tuple[str, str]] = {}
    for line in CONSTRAINTS.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normalize(name)] = (name.strip(), version.strip())
    return pins


def _declared_requirements() -> dict[str, str]:
    """Distribution -> its extras as declared in pyproject.toml (e.g. PyJWT -> "[crypto]")."""
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text("utf-8"))["project"]
    declared: dict[str, str] = {}
    for requirement in project.get("dependencies", []):
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?", requirement)
        if match:
            declared[_normalize(match.group(1))] = match.group(2) or ""
    return declared


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package", description=__doc__)
    parser.add_argument("--arch", choices=["arm64", "x86_64"], default="arm64")
    parser.add_argument("--python", choices=["3.11", "3.12", "3.13"], default="3.12")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "dist")
    parser.add_argument("--function", action="append", help="build only this one (repeatable)")
    args = parser.parse_args(argv)
    wanted = functions()
    for name in args.function or []:
        if name not in wanted:
            parser.error(f"unknown function {name!r} (known: {', '.join(sorted(wanted))})")
    try:
        for name, handler in sorted(wanted.items()):
            if args.function and name not in args.function:
                continue
            target = build(name, handler, args.out, args.arch, args.python)
            with zipfile.ZipFile(target) as archive:
                count = len(archive.infolist())
            size = target.stat().st_size
            print(
                f"{target}: {size:,} bytes ({size / 2**20:.1f} MiB), {count} files, "
                f"{args.arch}, Python {args.python}"
            )
    except PackagingError as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
