"""Atomic file writes for snapshots and reports: a temporary file beside the target, fsync, rename."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_writer(final: Path, mode: int = 0o600) -> Iterator[IO[bytes]]:
    """Write to a temporary file beside final; fsync and rename only on success, else remove it."""
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    os.fchmod(fd, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str, mode: int = 0o600) -> Path:
    """Replace path with data in one rename, so a reader never sees a half-written file."""
    with atomic_writer(Path(path), mode) as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return Path(path)
