"""Result files written whole or not at all: a temporary file beside the real one,
flushed to disk, then renamed over it. The file keeps its mode and owner, and a
symlink keeps pointing where it did (the file it points to is the one replaced)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import Union


def check_writable(path: str) -> None:
    """OSError (with a reason) unless a file can be written at ``path``, checked before
    a scan so that its results are not lost to a typo found at the end."""
    real = os.path.realpath(path)
    if os.path.isdir(real):
        raise IsADirectoryError(21, "Is a directory")
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(2, f"no such directory: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK) or (
        os.path.exists(real) and not os.access(real, os.W_OK)
    ):
        raise PermissionError(13, "Permission denied")


@contextlib.contextmanager
def replacing(path: str) -> Iterator[str]:
    """A temporary path to write; when the block ends without an exception it replaces
    ``path`` (mode, owner and symlinks kept), otherwise it is removed."""
    real = os.path.realpath(path)
    folder = os.path.dirname(real) or "."
    tmp = os.path.join(folder, f".{os.path.basename(real)}.{secrets.token_hex(4)}.tmp")
    # created 0666 minus the umask, as a new file would be (mkstemp would give 0600)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        _settle(tmp, real)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself on disk
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _settle(tmp: str, real: str) -> None:
    """Flush ``tmp`` to disk and give it the mode and owner of the file it replaces."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return
    os.chmod(tmp, st.st_mode & 0o7777)
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.chown(tmp, st.st_uid, st.st_gid)


def write_atomic(path: str, data: Union[bytes, str], encoding: str = "utf-8") -> None:
    """``data`` to ``path``, whole or not at all."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    with replacing(path) as tmp, open(tmp, "wb") as fh:
        fh.write(raw)
