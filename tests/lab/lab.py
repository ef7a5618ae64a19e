"""``Lab``: start real servers on loopback with private configs, and stop them again."""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Optional, Union

from .process import (
    LOOPBACK_RESOLV_CONF,
    LabError,
    ManagedProcess,
    dns_isolation_available,
    free_port,
    isolated_argv,
    port_is_free,
    wait_for_ports,
)
from .servers import SERVERS, Context, ServerSpec, base_env
from .tls import TlsFiles, make_self_signed


@dataclass(frozen=True)
class Service:
    """One listening endpoint of a running lab server."""

    name: str  # "<server>-<key>", e.g. "nginx-https"
    server: str  # "nginx"
    key: str  # "https"
    host: str
    port: int
    protocol: str  # "tcp"
    tls: bool  # TLS from the first byte
    package: str  # Debian package of the server

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)


@dataclass
class Server:
    """A running lab server (one process group) and its services."""

    name: str
    package: str
    host: str
    services: tuple[Service, ...]
    workdir: Path
    process: ManagedProcess
    startup_seconds: float

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def service(self, key: Optional[str] = None) -> Service:
        """The service with this endpoint key, or the first one."""
        if key is None:
            return self.services[0]
        for svc in self.services:
            if svc.key == key:
                return svc
        raise KeyError(f"{self.name} has no endpoint {key!r}")

    def alive(self) -> bool:
        return self.process.alive()


def package_of(spec: ServerSpec) -> str:
    """The Debian package of a server: given, or the owner of ``package_path``."""
    if spec.package:
        return spec.package
    for path in sorted(glob.glob(spec.package_path)):
        try:
            out = subprocess.run(
                ["dpkg-query", "-S", path],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and ":" in out.stdout:
            return out.stdout.split(":", 1)[0].strip()
    return ""


def package_version(package: str) -> Optional[str]:
    """Installed version of a Debian package (dpkg-query), or None."""
    return package_field(package, "Version")


def package_field(package: str, field: str) -> Optional[str]:
    """A field of an installed Debian package (``Version``, ``Built-Using``…), or None."""
    if not package:
        return None
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", f"-f=${{{field}}}", package],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


_LABS: weakref.WeakSet[Lab] = weakref.WeakSet()


def _stop_labs_at_exit() -> None:
    for lab in list(_LABS):
        with contextlib.suppress(Exception):
            lab.stop_all()


atexit.register(_stop_labs_at_exit)


class Lab:
    """A set of real servers on loopback, each with a private config in ``base_dir``.

    >>> with Lab() as lab:                       # doctest: +SKIP
    ...     lab.start_all(["nginx", "redis"])
    ...     for svc in lab.services: print(svc.name, svc.host, svc.port)

    ``base_dir``: where the per-server directories go; None makes a temporary one that
    ``stop_all`` removes. System users (postgres, mysql, …) must be able to traverse it,
    so a ``base_dir`` that they cannot reach is replaced by a temporary one (see
    ``notes``). ``hosts`` overrides addresses per server name, ``ports`` overrides
    ports per service name ("nginx-https": 8443).
    """

    def __init__(
        self,
        base_dir: Union[str, Path, None] = None,
        *,
        hosts: Optional[Mapping[str, str]] = None,
        ports: Optional[Mapping[str, int]] = None,
        keep_dir: bool = False,
    ) -> None:
        self.hosts = dict(hosts or {})
        self.ports = dict(ports or {})
        self.servers: dict[str, Server] = {}
        self.skipped: dict[str, str] = {}  # name -> why it was not started
        self.notes: list[str] = []
        self._lock = threading.Lock()
        self._tls: Optional[TlsFiles] = None
        self._owns_dir = base_dir is None
        self._keep_dir = keep_dir
        if base_dir is not None:
            base = Path(base_dir).resolve()
            base.mkdir(parents=True, exist_ok=True)
            if _traversable(base):
                self.base_dir = Path(tempfile.mkdtemp(prefix="lab-", dir=base))
            else:
                self.notes.append(f"{base} is not reachable by system users; using /tmp")
                self._owns_dir = True
                base_dir = None
        if base_dir is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="fastprobe-lab-", dir="/tmp"))
        self.base_dir.chmod(0o755)
        _LABS.add(self)

    # ------------------------------------------------------------------ queries

    @staticmethod
    def names() -> list[str]:
        """All server names the lab knows, in a stable order."""
        return list(SERVERS)

    @staticmethod
    def unavailable(name: str) -> Optional[str]:
        """Why server ``name`` cannot run on this machine, or None."""
        spec = SERVERS.get(name)
        if spec is None:
            return f"unknown lab server {name!r}"
        if os.geteuid() != 0:
            return "the lab must run as root (system users, ports below 1024)"
        if spec.needs_dns_isolation and not dns_isolation_available():
            return "needs a private /etc/resolv.conf (unshare --mount), unavailable here"
        return spec.missing()

    @property
    def services(self) -> list[Service]:
        """Services of the running servers, ordered by server name order then endpoint."""
        order = {name: i for i, name in enumerate(SERVERS)}
        with self._lock:
            servers = sorted(self.servers.values(), key=lambda s: order.get(s.name, 1 << 30))
        return [svc for server in servers for svc in server.services]

    def endpoints(self, protocol: str = "tcp") -> list[tuple[str, int, str]]:
        """(address, port, protocol) of the running services, for ``Scanner.scan``."""
        return [(s.host, s.port, s.protocol) for s in self.services if s.protocol == protocol]

    def service(self, name: str) -> Service:
        """A running service by its name, e.g. ``lab.service("postfix-smtps")``."""
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(f"no running lab service {name!r}")

    # ------------------------------------------------------------------ start/stop

    def tls(self) -> TlsFiles:
        with self._lock:
            if self._tls is None:
                self._tls = make_self_signed(self.base_dir / "tls")
            return self._tls

    def _resolv_conf(self) -> Path:
        path = self.base_dir / "resolv.conf"
        with self._lock:
            if not path.exists():
                path.write_text(LOOPBACK_RESOLV_CONF)
                path.chmod(0o644)
        return path

    def start(
        self,
        name: str,
        *,
        host: Optional[str] = None,
        ports: Optional[Mapping[str, int]] = None,
    ) -> Server:
        """Configure and start server ``name``; returns once all its ports accept.

        ``ports`` maps endpoint keys ("https") to ports. Raises LabError when the
        server cannot run here, cannot be configured, exits, or does not listen in time.
        """
        reason = self.unavailable(name)
        if reason:
            raise LabError(f"{name}: {reason}")
        spec = SERVERS[name]
        with self._lock:
            if name in self.servers:
                raise LabError(f"{name} is already running")
        t0 = time.monotonic()
        host = host or self.hosts.get(name) or spec.host
        chosen = self._choose_ports(spec, host, ports or {})
        workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.base_dir))
        workdir.chmod(0o755)
        ctx = Context(name=name, host=host, ports=chosen, workdir=workdir, tls=self.tls())
        launch = spec.configure(ctx)
        env = launch.env if launch.env is not None else base_env()
        argv, user = launch.argv, launch.user
        if dns_isolation_available():
            argv, user = isolated_argv(argv, self._resolv_conf(), user), None
        proc = ManagedProcess(
            argv,
            log_path=workdir / "server.log",
            cwd=launch.cwd or workdir,
            env=env,
            user=user,
            stop_timeout=launch.stop_timeout,
            label=f"{name} ({launch.argv[0]})",
        )
        try:
            wait_for_ports(
                proc,
                [(host, chosen[e.key], e.greeting) for e in spec.endpoints],
                timeout=launch.ready_timeout,
            )
        except BaseException:
            proc.stop()
            raise
        package = package_of(spec)
        services = tuple(
            Service(
                name=f"{name}-{e.key}", server=name, key=e.key, host=host,
                port=chosen[e.key], protocol="tcp", tls=e.tls, package=package,
            )
            for e in spec.endpoints
        )  # fmt: skip
        server = Server(
            name=name, package=package, host=host, services=services, workdir=workdir,
            process=proc, startup_seconds=time.monotonic() - t0,
        )  # fmt: skip
        with self._lock:
            self.servers[name] = server
        return server

    def _choose_ports(
        self, spec: ServerSpec, host: str, overrides: Mapping[str, int]
    ) -> dict[str, int]:
        chosen: dict[str, int] = {}
        for e in spec.endpoints:
            wanted = overrides.get(e.key, self.ports.get(f"{spec.name}-{e.key}"))
            if wanted is not None:
                if e.fixed and wanted != e.port:
                    raise LabError(f"{spec.name}: the port of {e.key} cannot be changed")
                if not port_is_free(host, wanted):
                    raise LabError(f"{spec.name}: {host}:{wanted} is in use")
                chosen[e.key] = wanted
            elif port_is_free(host, e.port):
                chosen[e.key] = e.port
            elif e.fixed:
                raise LabError(f"{spec.name}: {host}:{e.port} is in use (the port is fixed)")
            else:
                chosen[e.key] = free_port(host)
                self.notes.append(
                    f"{spec.name}-{e.key}: {host}:{e.port} is in use, using {chosen[e.key]}"
                )
        return chosen

    def start_all(
        self,
        names: Optional[Iterable[str]] = None,
        *,
        workers: int = 8,
        strict: bool = False,
    ) -> list[Server]:
        """Start servers concurrently (all known ones by default).

        Servers that cannot run here (missing binary or user) and servers that fail
        to start are skipped, with the reason in ``skipped``; with ``strict`` a failure
        to start raises LabError (after stopping what was started).
        """
        wanted = list(names) if names is not None else self.names()
        runnable = []
        for name in wanted:
            reason = self.unavailable(name)
            if reason:
                self.skipped[name] = reason
            elif name not in self.servers:
                runnable.append(name)
        if not runnable:
            return []
        self.tls()
        started: list[Server] = []
        errors: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {name: pool.submit(self.start, name) for name in runnable}
            for name, fut in futures.items():
                try:
                    started.append(fut.result())
                except LabError as exc:
                    errors[name] = str(exc)
                except Exception as exc:  # a bug in a spec must not cost the others
                    errors[name] = f"{type(exc).__name__}: {exc}"
        self.skipped.update(errors)
        if strict and errors:
            self.stop_all()
            raise LabError("; ".join(f"{n}: {e}" for n, e in errors.items()))
        return started

    def stop(self, name: str) -> None:
        with self._lock:
            server = self.servers.pop(name, None)
        if server is not None:
            server.process.stop()

    def stop_all(self) -> None:
        """Stop every server (concurrently), then remove the lab directory if it owns it."""
        with self._lock:
            names = list(self.servers)
        if names:
            with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
                list(pool.map(self.stop, names))
        if self._owns_dir and not self._keep_dir and self.base_dir.exists():
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop_all()


def _traversable(path: Path) -> bool:
    """True if every directory from / to path lets other users through (o+x)."""
    for p in (path, *path.parents):
        try:
            if not p.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True
