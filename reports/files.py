"""Atomic report writes: a temporary file beside the target, fsync, rename; mode 0600 by default."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, mode: int = 0o600) -> Path:
    """Replace path with data in one rename, so a reader never sees a half-written report."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def temp_beside(path: Path, suffix: str) -> Path:
    """A hidden temporary name in the same folder (relative links from it resolve like from path)."""
    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).stem}.", suffix=suffix)
    os.close(fd)
    os.chmod(tmp, 0o600)
    return Path(tmp)
