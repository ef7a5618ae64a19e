"""``-oJ``: one JSON record a line, written as each port finishes, so that a crash or a
kill loses nothing that finished and ``--resume`` can go on from the file."""

from __future__ import annotations

import json
import os
from typing import Any, Optional

CHUNK = 65536


class JsonLines:
    """Replaces the file like nmap's ``-oN``/``-oX`` do, unless ``append``; appending
    first drops a cut last line (what a crash or a full disk leaves), so the file stays
    one record a line however often a scan is resumed. A write that fails (full disk,
    file size limit) is remembered, not raised: the scan goes on and its table and
    ``-oX`` still get every record."""

    def __init__(self, path: str, append: bool) -> None:
        self.path = path
        self.error: Optional[str] = None
        self.unwritten = 0
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        self.fd: Optional[int] = os.open(path, flags, 0o666)
        if append:
            try:
                os.ftruncate(self.fd, _whole_lines(path))
            except OSError:
                os.close(self.fd)
                raise

    def write(self, record: Any) -> None:
        if self.fd is None or self.error is not None:
            self.unwritten += 1
            return
        data = (json.dumps(record.as_dict()) + "\n").encode("utf-8")
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError as exc:
            self.error = exc.strerror or str(exc)
            self.unwritten += 1

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _whole_lines(path: str) -> int:
    """The length of ``path`` up to the end of its last complete line."""
    with open(path, "rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        pos = end
        while pos > 0:
            start = max(0, pos - CHUNK)
            fh.seek(start)
            chunk = fh.read(pos - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            pos = start
        return 0
