"""Import runs that stopped before they finished, so that the same command resumes them.

From before its first write until its summary is printed, a run's id (with its actor and
time) is kept in `$BOOKS_API_HOME/import-runs/<key>`, where the key names the file (its
path, size and modification time), the store and --overwrite. Run the same command again
while that file is there (after a SIGKILL, Ctrl+C or a store that failed) and it resumes
the run: the store leaves alone every book the run wrote already, so each book is created
or replaced once per run, however often the run is stopped. A run removes its file once its
summary is printed (or when the input turns out unreadable); the same command after that,
or a changed file, is a new run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from books_api.cli.home import data_dir
from books_api.core.book_store import WriteRun


@dataclass
class ImportRun:
    run: WriteRun
    resumed: bool  # True: a run that stopped before, started again
    record: Path | None  # where the run is kept (None: it could not be kept)

    def finish(self) -> None:
        if self.record is not None:
            self.record.unlink(missing_ok=True)


def start(file: Path, store: str, overwrite: bool) -> ImportRun:
    """The stopped run of this import to resume, else a new run, kept until it finishes."""
    stat = file.stat()
    identity = [str(file.resolve()), stat.st_size, stat.st_mtime_ns, store, overwrite]
    key = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:32]
    record = data_dir() / "import-runs" / key
    try:
        saved = json.loads(record.read_text("utf-8"))
        run = WriteRun(run_id=str(saved["run_id"]), actor=str(saved["actor"]), at=str(saved["at"]))
        return ImportRun(run, True, record)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    run = WriteRun()
    try:
        _write_durably(record, json.dumps({"run_id": run.run_id, "actor": run.actor, "at": run.at}))
    except OSError:
        return ImportRun(run, False, None)
    return ImportRun(run, False, record)


def _write_durably(path: Path, text: str) -> None:
    """Write `path` whole (a new file renamed over it) and on disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    with temporary.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
