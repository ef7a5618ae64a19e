"""The replies the rule pack is tested with, recorded from the lab's real servers."""

from __future__ import annotations

import subprocess
import time

from tests.fidelity.capture import exchange

from .model import Expect, Recording


def from_unlisted_address(host: str, port: int, payload: bytes) -> bytes:
    """Connect from a loopback address no account allows (the lab's accounts are for
    127.0.0.1), so that MariaDB refuses the host before its greeting."""
    return exchange(host, port, b"", use_tls=False, source="127.0.0.200")


def behind_proxy(host: str, port: int, payload: bytes) -> bytes:
    """What a client sees through a load balancer that opens each connection to the
    server with a PROXY v1 header (haproxy's send-proxy) the server does not accept."""
    header = f"PROXY TCP4 192.0.2.10 {host} 40000 {port}\r\n".encode()
    return exchange(host, port, header, use_tls=False)


def at_max_connections(host: str, port: int, payload: bytes) -> bytes:
    """Fill MariaDB's max_connections (10 in the lab) with sleeping sessions of its own
    client, then connect: the server refuses before its greeting. The sessions are
    stopped by PID however this ends."""
    sessions: list[subprocess.Popen[bytes]] = []
    try:
        for _attempt in range(24):
            argv = ["mariadb", "--no-defaults", "-h", host, "-P", str(port), "-u", "root",
                    "-e", "SELECT SLEEP(30)"]  # fmt: skip
            sessions.append(
                subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
            time.sleep(0.3)
            reply = exchange(host, port, b"", use_tls=False, null_bytes=0)
            if b"Too many connections" in reply:
                return reply
        raise RuntimeError(f"{host}:{port} still greets with {len(sessions)} sessions open")
    finally:
        for proc in sessions:
            proc.kill()
            proc.wait(timeout=10)


HTTP = "http"
RECORDED: tuple[Recording, ...] = (
    Recording("node-exporter", "node-exporter", "metrics", "GetRequest",
              Expect(HTTP, "Prometheus Node Exporter", cpe=("cpe:/a:prometheus:node_exporter",))),
    Recording("blackbox-exporter", "blackbox-exporter", "http", "GetRequest",
              Expect(HTTP, "Prometheus Blackbox Exporter",
                     cpe=("cpe:/a:prometheus:blackbox_exporter",))),
    Recording("pushgateway", "pushgateway", "http", "GetRequest",
              Expect(HTTP, "Prometheus Pushgateway", "{upstream}",
                     cpe=("cpe:/a:prometheus:pushgateway:{upstream}",))),
    Recording("alertmanager", "alertmanager", "http", "GetRequest",
              Expect(HTTP, "Prometheus Alertmanager", cpe=("cpe:/a:prometheus:alertmanager",))),
    Recording("prometheus", "prometheus", "http", "GetRequest",
              Expect(HTTP, "Prometheus", cpe=("cpe:/a:prometheus:prometheus",))),
    Recording("mariadb", "mariadb", "mysql", "NULL",
              Expect("mysql", "MariaDB", "{upstream}", "{revision}",
                     cpe=("cpe:/a:mariadb:mariadb:{upstream}",))),
    Recording("mariadb-host-not-allowed", "mariadb", "mysql", "NULL",
              Expect("mysql", "MariaDB", extrainfo="unauthorized; sees the client as 127.0.0.200",
                     cpe=("cpe:/a:mariadb:mariadb",)),
              capture=from_unlisted_address, how="connecting from 127.0.0.200"),
    Recording("mariadb-proxy-header", "mariadb", "mysql", "NULL",
              Expect("mysql", "MariaDB", "{upstream}",
                     "PROXY header refused from 127.0.0.1",
                     cpe=("cpe:/a:mariadb:mariadb:{upstream}",)),
              capture=behind_proxy, how="after a PROXY v1 header, as haproxy's send-proxy"),
    Recording("mariadb-too-many-connections", "mariadb", "mysql", "NULL",
              Expect("mysql", "MariaDB or MySQL", extrainfo="too many connections"),
              capture=at_max_connections, how="with max_connections sessions open"),
    Recording("nats", "nats", "nats", "NULL",
              Expect("nats", "NATS server", "{upstream}", "Go {go}",
                     cpe=("cpe:/a:linuxfoundation:nats-server:{upstream}",))),
    Recording("beanstalkd", "beanstalkd", "beanstalkd", "GenericLines",
              Expect("beanstalkd", "beanstalkd work queue")),
    Recording("privoxy", "privoxy", "http-proxy", "GetRequest",
              Expect("http-proxy", "Privoxy http proxy", cpe=("cpe:/a:privoxy:privoxy",))),
    Recording("gunicorn", "gunicorn", "http", "GetRequest",
              Expect(HTTP, "Gunicorn", cpe=("cpe:/a:gunicorn:gunicorn",))),
    Recording("prosody-client", "prosody", "xmpp-client", "GetRequest",
              Expect("jabber", "Prosody Jabber client", cpe=("cpe:/a:prosody:prosody",))),
    Recording("prosody-server", "prosody", "xmpp-server", "GetRequest",
              Expect("jabber", "Prosody Jabber server", cpe=("cpe:/a:prosody:prosody",))),
    Recording("busybox-httpd", "busybox-httpd", "http", "HTTPOptions",
              Expect(HTTP, "BusyBox httpd", cpe=("cpe:/a:busybox:busybox",))),
)  # fmt: skip
