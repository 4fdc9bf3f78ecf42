"""Writing files safely: atomically (a temporary file moved into place), with the
permissions the user's umask gives. The one place outputs are written from."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "write_text_atomic", "umask"]


def umask() -> int:
    """The process's umask (read without changing it where the system allows).

    Returns
    -------
    int
        E.g. ``0o022``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, then move it into place; the
    file gets the permissions the umask gives (``mkstemp`` alone makes 0600).

    Parameters
    ----------
    path : Path
        The file to write.
    write : callable
        Called with the temporary file's path; writes the content there.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """``atomic_write`` of UTF-8 text.

    Parameters
    ----------
    path : Path
    text : str
    """
    atomic_write(Path(path), lambda p: p.write_text(text, encoding="utf-8"))
