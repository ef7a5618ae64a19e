"""The test lab: real servers from Debian packages, started on loopback for tests.

Install the packages with ``scripts/install-lab-packages`` (as root), then::

    from tests.lab import Lab

    with Lab() as lab:
        lab.start_all()                 # or lab.start_all(["nginx", "postfix"])
        for svc in lab.services:        # Service(name, server, key, host, port, ...)
            ...
        print(lab.skipped)              # {name: reason} for servers that did not start

``python -m tests.lab`` starts the lab and lists its services (see ``--help``).
Only 127.0.0.0/8 is used; every process is stopped by its PID (process group) on
``stop_all``, on leaving the ``with`` block and at interpreter exit.
"""

from .lab import Lab, Server, Service, package_field, package_of, package_version
from .process import LabError, install_signal_handlers
from .servers import CORE, SERVERS, Endpoint, ServerSpec

__all__ = [
    "CORE",
    "SERVERS",
    "Endpoint",
    "Lab",
    "LabError",
    "Server",
    "ServerSpec",
    "Service",
    "install_signal_handlers",
    "package_field",
    "package_of",
    "package_version",
]
