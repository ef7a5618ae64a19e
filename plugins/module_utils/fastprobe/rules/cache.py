"""A disk cache of parsed probe files, so a warm start skips parsing and translation.

Entries are keyed by the file's path, size and modification time, the fastprobe
version, the Python version (translations differ before and after 3.11) and the name
the code is imported under (``fastprobe`` as a package, or the collection's module_utils
inside an Ansible module: a pickle names the classes' module). A cache that cannot be
read or written is ignored: scan hosts may have read-only homes.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import tempfile
from typing import Callable, Optional

from ..version import __version__
from .model import ProbeFile

# 3: every rule's pattern was compiled when it was parsed (entries of 2 may hold rules
# that cannot run)
_FORMAT = 3
KEEP = 32  # cache entries kept


def cache_dir() -> Optional[str]:
    if os.environ.get("FASTPROBE_NO_CACHE"):
        return None
    base = os.environ.get("FASTPROBE_CACHE_DIR")
    if base:
        return base
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, "fastprobe")


def _key(path: str, display: str, lenient: bool) -> Optional[str]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _digest(os.path.realpath(path), display, st.st_size, st.st_mtime_ns, lenient)


def _digest(*ident: object) -> str:
    versions = (_FORMAT, __version__, sys.version_info[:2], ProbeFile.__module__)
    return hashlib.sha256(repr(versions + ident).encode()).hexdigest()[:32]


def cached(path: str, display: str, lenient: bool, load: Callable[[], ProbeFile]) -> ProbeFile:
    """``load()``'s result for ``path``, from the cache when the file has not changed."""
    directory = cache_dir()
    key = _key(path, display, lenient) if directory else None
    if directory is None or key is None:
        return load()
    return _through(directory, key, load)


def cached_text(text: str, display: str, lenient: bool, load: Callable[[], ProbeFile]) -> ProbeFile:
    """``load()``'s result for a file's text, keyed by its content (``rules assemble``
    reads its files itself): parsing nmap's file, patterns compiled, costs ~2 s."""
    directory = cache_dir()
    if directory is None:
        return load()
    content = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return _through(directory, _digest("text", content, display, lenient), load)


def _through(directory: str, key: str, load: Callable[[], ProbeFile]) -> ProbeFile:
    """The entry ``key``, or ``load()``'s result, stored as that entry."""
    entry = os.path.join(directory, f"probes-{key}.pickle")
    collecting = gc.isenabled()
    try:
        with open(entry, "rb") as fh:
            # tens of thousands of small objects: without this, the cyclic collector
            # runs again and again during the load and doubles its time
            gc.disable()
            result = pickle.load(fh)
        if isinstance(result, ProbeFile):
            return result
    except (
        OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError,
        ImportError,
    ):  # fmt: skip
        pass
    finally:
        if collecting:
            gc.enable()
    result = load()
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".probes-")
    except OSError:
        return result  # a read-only home: run without the cache
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
    except (OSError, pickle.PicklingError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return result
    _prune(directory)
    return result


def _prune(directory: str, keep: int = KEEP) -> None:
    """Only the ``keep`` most recently written entries stay (old file versions go)."""
    entries = [e for e in os.scandir(directory) if e.name.startswith("probes-") and e.is_file()]
    entries.sort(key=lambda e: e.stat().st_mtime, reverse=True)
    for e in entries[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(e.path)
