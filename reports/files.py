"""Atomic report writes: a temporary file beside the target, fsync, rename; mode 0600 by default."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from capture.atomic import atomic_writer, write_atomic  # noqa: F401  (one atomic writer for snapshots and reports)


def temp_beside(path: Path, suffix: str) -> Path:
    """A hidden temporary name in the same folder (relative links from it resolve like from path)."""
    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).stem}.", suffix=suffix)
    os.close(fd)
    os.chmod(tmp, 0o600)
    return Path(tmp)
