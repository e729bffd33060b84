"""Where the local gateway keeps its data and its JWT secret."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    """`$BOOKS_API_HOME`, else `$XDG_DATA_HOME/books-api` (`~/.local/share/books-api`)."""
    configured = os.environ.get("BOOKS_API_HOME")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "books-api"


def default_db_path() -> Path:
    return data_dir() / "books.db"


def local_secret() -> str:
    """`$JWT_SECRET`, else a strong random secret created once in a 0600 file."""
    configured = os.environ.get("JWT_SECRET")
    if configured:
        return configured
    path = data_dir() / "jwt-secret"
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text("utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret
