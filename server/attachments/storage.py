"""Where attachments' bytes live: an interface, and the default store, a directory.

The store is content-addressed: a file's key is the SHA-256 of its bytes, so the same photo
uploaded twice is kept once and a key can never point at other bytes. Files are written before
the transaction that writes their rows (so the rows never point at a missing file); a file no row
points to is an orphan, removed by `cleanup_orphans` (server.attachments.service) after a grace
period long enough for any upload still in flight to commit.

Another store (S3-compatible) implements the same four calls and is chosen by
LIANXIN_ATTACHMENT_STORE; see docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

KEY = re.compile(r"[0-9a-f]{64}")


class Store(Protocol):
    def put(self, data: bytes) -> str:
        """Keep `data`; returns its key (its SHA-256, hex). Idempotent."""
        ...

    def open(self, key: str) -> bytes:
        """The bytes under `key`; FileNotFoundError when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Forget `key` (nothing when it is not there)."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self) -> Iterator[tuple[str, datetime]]:
        """Every key held, with when it was last written (for the orphan cleanup)."""
        ...

    def modified(self, key: str) -> datetime | None:
        """When `key` was last written (a put of bytes already held counts); None when absent."""
        ...

    def sweep_leftovers(self, before: datetime) -> int:
        """Remove the debris of writes interrupted before `before`; returns how many."""
        ...


def key_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DirectoryStore:
    """Files under one directory, two levels of fan-out (ab/cd/abcd…) so that no directory grows
    past a few thousand entries at a million photos."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not KEY.fullmatch(key):  # a key is never a path a caller chose
            raise ValueError(f"not an attachment key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = key_of(data)
        target = self.path(key)
        if target.exists():
            # Touched: an upload in flight now counts as a recent writer of these bytes, so neither
            # the cleanup nor a removal deletes them before its rows commit.
            with contextlib.suppress(FileNotFoundError):
                os.utime(target)
                return key
        target.parent.mkdir(parents=True, exist_ok=True)
        # Atomically: a crash leaves either no file or the whole file, never a part of one under its
        # key (a leftover temporary file starts with "." and is swept by the cleanup).
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(target.parent)
        return key

    def open(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def keys(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.exists():
            return
        for path in self.root.glob("*/*/*"):
            if KEY.fullmatch(path.name):
                yield path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def modified(self, key: str) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.path(key).stat().st_mtime, UTC)
        except FileNotFoundError:
            return None

    def sweep_leftovers(self, before: datetime) -> int:
        """Temporary files of writes a crash interrupted (never under a key: nothing reads them)."""
        if not self.root.exists():
            return 0
        removed = 0
        for path in self.root.glob("*/*/.upload-*"):
            if datetime.fromtimestamp(path.stat().st_mtime, UTC) < before:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _fsync_directory(directory: Path) -> None:
    """The rename itself survives a power cut only once the directory is on disk."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def attachment_store() -> Store:
    """The configured store (today: the directory, settings.attachment_dir; an S3-compatible store
    would be chosen here by a setting)."""
    from server.settings import settings

    return DirectoryStore(settings.attachment_dir)
