"""Child processes of the lab: start in their own process group, wait for ports, stop by PID.

Every process started here is registered until it is stopped, and an ``atexit`` hook
stops what is left, so that an interpreter that exits (normally or on an uncaught
exception) leaves no server behind. Stopping is by the PID (and process group) of
the child this module started: SIGTERM, a bounded wait, then SIGKILL.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Optional


class LabError(RuntimeError):
    """A lab server could not be prepared, started or reached."""


def _credentials(user: Optional[str]) -> tuple[Optional[int], Optional[int], Optional[list[int]]]:
    """(uid, gid, extra groups) for Popen to switch to ``user``; all None to stay as is."""
    if user is None or os.geteuid() != 0:
        return None, None, None
    import pwd

    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid, []


_REGISTRY: set[ManagedProcess] = set()
_REGISTRY_LOCK = threading.Lock()


class ManagedProcess:
    """One foreground server process, leader of its own process group."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        log_path: Path,
        cwd: Optional[Path] = None,
        env: Optional[Mapping[str, str]] = None,
        user: Optional[str] = None,
        stop_timeout: float = 5.0,
        label: Optional[str] = None,
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.label = label or self.argv[0]
        self.stop_timeout = stop_timeout
        self.log_path = log_path
        self._log: Optional[IO[bytes]] = None
        uid, gid, groups = _credentials(user)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        try:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                cwd=str(cwd) if cwd else None,
                env=dict(env) if env is not None else None,
                start_new_session=True,
                close_fds=True,
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        except OSError as exc:
            self._log.close()
            raise LabError(f"cannot run {self.label}: {exc}") from exc
        self.pid: int = self.popen.pid
        with _REGISTRY_LOCK:
            _REGISTRY.add(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, limit: int = 2000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", "replace")

    def _signal_group(self, sig: int) -> None:
        # The child was started with start_new_session=True: its process group id is
        # its own PID, so this reaches the server and the workers it forked, and
        # nothing else.
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def stop(self, timeout: Optional[float] = None) -> Optional[int]:
        """SIGTERM the group, wait up to ``timeout`` s, then SIGKILL; returns the exit code."""
        if timeout is None:
            timeout = self.stop_timeout
        # Descendants that left the process group (a daemon calling setsid()) would
        # survive killpg(): remember them now, while they still descend from our child.
        strays = descendants(self.pid)
        try:
            if self.popen.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    self.popen.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.popen.wait(timeout=2.0)
            # Workers that outlive their leader (some servers let them finish a
            # request) are still in the group: end them too.
            if _group_exists(self.pid):
                self._signal_group(signal.SIGTERM)
                deadline = time.monotonic() + 2.0
                while _group_exists(self.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if _group_exists(self.pid):
                    self._signal_group(signal.SIGKILL)
            _stop_pids(strays)
            code: Optional[int] = self.popen.returncode
            return code
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
            with _REGISTRY_LOCK:
                _REGISTRY.discard(self)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ppid_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            table[int(entry)] = int(fields[1])
    return table


def descendants(pid: int) -> set[int]:
    """PIDs of all living descendants of pid (from /proc; empty where there is none)."""
    if not os.path.isdir("/proc"):
        return set()
    children: dict[int, list[int]] = {}
    for child, parent in _ppid_table().items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _stop_pids(pids: set[int], timeout: float = 2.0) -> None:
    """SIGTERM, then SIGKILL, the given PIDs that are still alive (descendants we started)."""

    def alive(p: int) -> bool:
        try:
            os.kill(p, 0)
        except OSError:
            return False
        try:  # a zombie is dead already; its parent or init reaps it
            with open(f"/proc/{p}/stat", "rb") as fh:
                stat = fh.read()
            return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] != b"Z"
        except OSError:
            return True

    live = {p for p in pids if alive(p)}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in live:
            with contextlib.suppress(OSError):
                os.kill(p, sig)
        deadline = time.monotonic() + timeout
        while live and time.monotonic() < deadline:
            time.sleep(0.05)
            live = {p for p in live if alive(p)}
        if not live:
            return


def stop_all_processes() -> None:
    """Stop every process this module started and has not stopped yet."""
    with _REGISTRY_LOCK:
        procs = list(_REGISTRY)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.stop(timeout=3.0)


atexit.register(stop_all_processes)


def install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so that ``atexit`` stops the lab.

    Only for programs that own the main thread (the capture script, ``python -m
    tests.lab``); handlers somebody else installed are left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _exit)


# Lab servers see this as /etc/resolv.conf: whatever they resolve stays on loopback
# (nmap's Socks5 probe, for one, asks the SOCKS server to connect to google.com).
LOOPBACK_RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
_ISOLATION: dict[str, bool] = {}


def dns_isolation_available() -> bool:
    """True if servers can run with a private /etc/resolv.conf (root, unshare, setpriv)."""
    if "ok" not in _ISOLATION:
        ok = os.geteuid() == 0 and all(
            shutil.which(tool) for tool in ("unshare", "mount", "setpriv")
        )
        if ok:
            try:
                ok = subprocess.run(
                    ["unshare", "--mount", "--propagation", "private", "--", "true"],
                    stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False,
                ).returncode == 0  # fmt: skip
            except (OSError, subprocess.TimeoutExpired):
                ok = False
        _ISOLATION["ok"] = ok
    return _ISOLATION["ok"]


def isolated_argv(argv: Sequence[str], resolv_conf: Path, user: Optional[str]) -> list[str]:
    """argv run in a private mount namespace whose /etc/resolv.conf is ``resolv_conf``,
    as ``user`` (dropped after the bind mount). The PID stays the same through every exec."""
    inner = [str(a) for a in argv]
    if user is not None:
        import pwd

        pw = pwd.getpwnam(user)
        inner = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
                 "--", *inner]  # fmt: skip
    script = (
        'if [ -e /etc/resolv.conf ]; then mount --bind "$0" /etc/resolv.conf || exit 97; fi; '
        'exec "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script,
            str(resolv_conf), *inner]  # fmt: skip


def port_is_free(host: str, port: int) -> bool:
    """True if nothing listens on host:port (TCP), so a server can bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port(host: str) -> int:
    """A TCP port on host that the kernel considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def can_connect(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def greets_with(host: str, port: int, expected: bytes, timeout: float = 1.0) -> bool:
    """True if a fresh connection's first bytes (within timeout) contain ``expected``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            data = b""
            deadline = time.monotonic() + timeout
            while expected not in data and len(data) < 4096:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(left)
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            return expected in data
    except OSError:
        return False


def wait_for_ports(
    proc: ManagedProcess,
    endpoints: Sequence[tuple[str, int, Optional[bytes]]],
    timeout: float,
) -> None:
    """Wait until every (host, port, greeting) accepts a TCP connection and, where a
    greeting is given, sends it first (a server may accept before it can serve); or
    raise LabError."""
    deadline = time.monotonic() + timeout
    pending = list(endpoints)
    delay = 0.02

    def ready(host: str, port: int, greeting: Optional[bytes]) -> bool:
        if greeting is None:
            return can_connect(host, port, timeout=0.5)
        return greets_with(host, port, greeting)

    def where() -> str:
        return ", ".join(f"{h}:{p}" for h, p, _ in pending)

    while pending:
        if not proc.alive():
            raise LabError(
                f"{proc.label} exited with {proc.popen.returncode} before listening on "
                f"{where()}\n{proc.log_tail()}"
            )
        pending = [(h, p, g) for h, p, g in pending if not ready(h, p, g)]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise LabError(
                f"{proc.label} is not ready on {where()} after {timeout:.0f}s\n{proc.log_tail()}"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


def run_checked(
    argv: Sequence[str],
    *,
    timeout: float = 60.0,
    user: Optional[str] = None,
    cwd: Optional[Path] = None,
    env: Optional[Mapping[str, str]] = None,
    input_bytes: Optional[bytes] = None,
) -> str:
    """Run a preparation command (initdb, key generation, …) to completion, bounded."""
    uid, gid, groups = _credentials(user)
    try:
        proc = subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=str(cwd) if cwd else None,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
    except OSError as exc:
        raise LabError(f"cannot run {argv[0]}: {exc}") from exc
    try:
        stdout, _ = proc.communicate(input=input_bytes, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=2.0)
        raise LabError(f"{argv[0]} did not finish within {timeout:.0f}s") from exc
    out: str = stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise LabError(f"{' '.join(map(str, argv))} failed ({proc.returncode}):\n{out[-2000:]}")
    return out
