"""The lab's servers: how to configure and launch each one in the foreground.

Each ``ServerSpec`` names the Debian package and binary of a real server, its default
loopback address and ports (``Endpoint``), and a ``configure`` function that writes a
private configuration into the server's temporary directory (``Context``), runs any
one-off preparation (host keys, initdb, …) and returns the ``Launch`` to start it.

Defaults: every server has its own 127.0.0.x address (Linux routes all of 127/8 to
``lo``), so the standard ports can be used without collisions, and nmap sees each
service on the port it expects. Callers may override address and ports.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .process import LabError, run_checked
from .tls import COMMON_NAME, TlsFiles

DOMAIN = COMMON_NAME  # lab.fastprobe.test


@dataclass(frozen=True)
class Endpoint:
    """One listening TCP port of a server."""

    key: str  # short name, unique within the server: "http", "https", "imaps", …
    port: int  # default port
    tls: bool = False  # TLS from the first byte (not STARTTLS)
    fixed: bool = False  # the server cannot be told another port (inetd internals)
    # Ready only once a new connection gets a first reply containing this (plain TCP);
    # for servers that accept connections before they can serve them.
    greeting: Optional[bytes] = None


@dataclass
class Launch:
    """How to run a configured server in the foreground."""

    argv: list[str]
    user: Optional[str] = None  # run as this system user (the lab runs as root)
    env: Optional[dict[str, str]] = None  # None: a minimal default environment
    cwd: Optional[Path] = None
    ready_timeout: float = 30.0
    stop_timeout: float = 5.0


@dataclass
class Context:
    """What a ``configure`` function may use: address, ports, a private directory."""

    name: str
    host: str
    ports: dict[str, int]
    workdir: Path
    tls: TlsFiles

    def port(self, key: str) -> int:
        return self.ports[key]

    def path(self, *parts: str) -> Path:
        return self.workdir.joinpath(*parts)

    def mkdir(self, rel: str, mode: int = 0o755, owner: Optional[str] = None) -> Path:
        path = self.path(rel)
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
        if owner:
            chown(path, owner)
        return path

    def write(self, rel: str, text: str, mode: int = 0o644, owner: Optional[str] = None) -> Path:
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        path.chmod(mode)
        if owner:
            chown(path, owner)
        return path

    def webroot(self, owner: Optional[str] = None) -> Path:
        """A document root with an index page, shared by the HTTP servers' configs."""
        root = self.mkdir("www", owner=owner)
        index = root / "index.html"
        index.write_text(
            "<!DOCTYPE html>\n<html><head><title>fastprobe lab</title></head>"
            f"<body><p>fastprobe lab: {self.name}</p></body></html>\n"
        )
        index.chmod(0o644)
        return root

    def private_key(self, owner: str, rel: str = "tls/key.pem") -> Path:
        """A copy of the TLS key owned by ``owner``, mode 0600 (servers that insist)."""
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.tls.key, path)
        path.chmod(0o600)
        chown(path, owner)
        return path

    def run(self, argv: Sequence[str], *, user: Optional[str] = None, timeout: float = 60) -> str:
        return run_checked(argv, user=user, timeout=timeout, cwd=self.workdir, env=base_env())


def chown(path: Path, owner: str, recursive: bool = False) -> None:
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(owner)
    targets = [path]
    if recursive:
        targets += list(path.rglob("*"))
    for target in targets:
        os.chown(target, pw.pw_uid, pw.pw_gid, follow_symlinks=False)


def base_env() -> dict[str, str]:
    """A small, predictable environment for servers (no proxies, C locale)."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": "/nonexistent",
        "TZ": "UTC",
    }


def ensure_system_dir(path: str, mode: int = 0o755) -> None:
    """Directories some servers insist on at a fixed place (e.g. sshd's /run/sshd)."""
    p = Path(path)
    if not p.is_dir():
        p.mkdir(parents=True, exist_ok=True)
        p.chmod(mode)


@dataclass(frozen=True)
class ServerSpec:
    name: str
    package: str  # Debian package of the server ("": the owner of package_path)
    binary: str  # absolute path; the server is skipped when it is missing
    host: str  # default loopback address
    endpoints: tuple[Endpoint, ...]
    configure: Callable[[Context], Launch]
    users: tuple[str, ...] = ()  # system users the server runs as
    needs: tuple[str, ...] = ()  # other executables it needs (absolute paths)
    package_path: str = ""  # glob of a file whose owning package is the server's
    # Would make outside connections for some probes unless its resolver is confined
    # to loopback: not started where that confinement is unavailable.
    needs_dns_isolation: bool = False

    def missing(self) -> Optional[str]:
        """Why this server cannot run here, or None."""
        for exe in (self.binary, *self.needs):
            if not os.access(exe, os.X_OK):
                pkg = self.package or f"the package of {self.package_path}"
                return f"{exe} is missing (install {pkg}: scripts/install-lab-packages)"
        for user in self.users:
            try:
                pwd.getpwnam(user)
            except KeyError:
                return f"system user {user!r} is missing (made by {self.package})"
        if self.package_path and not glob.glob(self.package_path):
            return f"{self.package_path} is missing"
        return None


# --------------------------------------------------------------------------- SSH


def _openssh(c: Context) -> Launch:
    ensure_system_dir("/run/sshd")  # privilege separation directory, fixed in sshd
    key = c.path("ssh_host_ed25519_key")
    c.run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
    conf = c.write(
        "sshd_config",
        f"""
        ListenAddress {c.host}:{c.port("ssh")}
        HostKey {key}
        PidFile {c.path("sshd.pid")}
        UsePAM no
        StrictModes no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        """,
    )
    return Launch(["/usr/sbin/sshd", "-D", "-e", "-f", str(conf)])


def _dropbear(c: Context) -> Launch:
    key = c.path("dropbear_ed25519_host_key")
    c.run(["/usr/bin/dropbearkey", "-t", "ed25519", "-f", str(key)])
    return Launch(
        [
            "/usr/sbin/dropbear", "-F", "-E", "-s", "-r", str(key),
            "-p", f"{c.host}:{c.port('ssh')}", "-P", str(c.path("dropbear.pid")),
        ]
    )  # fmt: skip


# --------------------------------------------------------------------------- web


def _nginx(c: Context) -> Launch:
    www = c.webroot()
    tmp = c.mkdir("tmp", mode=0o777)
    conf = c.write(
        "nginx.conf",
        f"""
        user www-data;
        worker_processes 1;
        daemon off;
        pid {c.path("nginx.pid")};
        error_log stderr warn;
        events {{ worker_connections 64; }}
        http {{
            access_log off;
            default_type application/octet-stream;
            types {{ text/html html; }}
            client_body_temp_path {tmp}/body;
            proxy_temp_path {tmp}/proxy;
            fastcgi_temp_path {tmp}/fastcgi;
            uwsgi_temp_path {tmp}/uwsgi;
            scgi_temp_path {tmp}/scgi;
            server {{
                listen {c.host}:{c.port("http")};
                root {www};
            }}
            server {{
                listen {c.host}:{c.port("https")} ssl;
                ssl_certificate {c.tls.cert};
                ssl_certificate_key {c.tls.key};
                root {www};
            }}
        }}
        """,
    )
    return Launch(["/usr/sbin/nginx", "-e", "stderr", "-p", str(c.workdir), "-c", str(conf)])


def _apache(c: Context) -> Launch:
    www = c.webroot()
    run = c.mkdir("run")
    mods = "/usr/lib/apache2/modules"
    modules = ["mpm_event", "authz_core", "mime", "dir", "ssl", "socache_shmcb"]
    loads = "\n        ".join(f"LoadModule {m}_module {mods}/mod_{m}.so" for m in modules)
    conf = c.write(
        "apache2.conf",
        f"""
        ServerRoot "{c.workdir}"
        DefaultRuntimeDir "{run}"
        PidFile "{run}/apache2.pid"
        Mutex file:{run} default
        ServerName {DOMAIN}
        ServerTokens OS
        ServerSignature On
        User www-data
        Group www-data
        ErrorLog /dev/stderr
        LogLevel warn
        StartServers 1
        ServerLimit 1
        ThreadsPerChild 16
        MaxRequestWorkers 16
        {{loads}}
        TypesConfig /etc/mime.types
        DirectoryIndex index.html
        Listen {c.host}:{c.port("http")}
        Listen {c.host}:{c.port("https")}
        DocumentRoot "{www}"
        <Directory "{www}">
            Require all granted
        </Directory>
        SSLSessionCache shmcb:{run}/ssl_scache(512000)
        <VirtualHost {c.host}:{c.port("https")}>
            SSLEngine on
            SSLCertificateFile {c.tls.cert}
            SSLCertificateKeyFile {c.tls.key}
        </VirtualHost>
        """.replace("{loads}", loads),
    )
    return Launch(["/usr/sbin/apache2", "-f", str(conf), "-DFOREGROUND"])


def _lighttpd(c: Context) -> Launch:
    www = c.webroot()
    conf = c.write(
        "lighttpd.conf",
        f"""
        server.modules = ( "mod_openssl" )
        server.document-root = "{www}"
        server.bind = "{c.host}"
        server.port = {c.port("http")}
        server.username = "www-data"
        server.groupname = "www-data"
        server.pid-file = "{c.path("lighttpd.pid")}"
        index-file.names = ( "index.html" )
        mimetype.assign = ( ".html" => "text/html" )
        $SERVER["socket"] == "{c.host}:{c.port("https")}" {{
            ssl.engine = "enable"
            ssl.pemfile = "{c.tls.cert}"
            ssl.privkey = "{c.tls.key}"
        }}
        """,
    )
    return Launch(["/usr/sbin/lighttpd", "-D", "-f", str(conf)])


def _busybox_httpd(c: Context) -> Launch:
    www = c.webroot()
    return Launch(
        [
            "/usr/bin/busybox", "httpd", "-f", "-p", f"{c.host}:{c.port('http')}",
            "-h", str(www), "-u", "nobody:nogroup",
        ]
    )  # fmt: skip


def _mini_httpd(c: Context) -> Launch:
    www = c.webroot()
    return Launch(
        [
            "/usr/sbin/mini_httpd", "-D", "-h", c.host, "-p", str(c.port("http")),
            "-d", str(www), "-u", "nobody", "-l", str(c.path("access.log")),
            "-i", str(c.path("mini_httpd.pid")),
        ]
    )  # fmt: skip


def _webfs(c: Context) -> Launch:
    www = c.webroot()
    return Launch(
        [
            "/usr/bin/webfsd", "-F", "-i", c.host, "-p", str(c.port("http")),
            "-r", str(www), "-f", "index.html", "-u", "nobody", "-g", "nogroup",
        ]
    )  # fmt: skip


def _gunicorn(c: Context) -> Launch:
    app = c.write(
        "app/labapp.py",
        """
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"fastprobe lab\\n"]
        """,
    )
    return Launch(
        [
            "/usr/bin/gunicorn", "--chdir", str(app.parent), "--workers", "1",
            "--bind", f"{c.host}:{c.port('http')}", "labapp:app",
        ],
        user="nobody",
    )  # fmt: skip


def _python_http(c: Context) -> Launch:
    www = c.webroot()
    return Launch(
        [
            "/usr/bin/python3", "-m", "http.server", "--bind", c.host,
            "--directory", str(www), str(c.port("http")),
        ],
        user="nobody",
    )  # fmt: skip


def _node_exporter(c: Context) -> Launch:
    return Launch(
        [
            "/usr/bin/prometheus-node-exporter",
            f"--web.listen-address={c.host}:{c.port('metrics')}",
            f"--web.listen-address={c.host}:{c.port('metrics-alt')}",
        ],
        user="prometheus",
    )


def _prometheus(c: Context) -> Launch:
    # No scrape targets: the server only answers, it never connects anywhere.
    conf = c.write("prometheus.yml", "global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    data = c.mkdir("data", owner="prometheus")
    return Launch(
        [
            "/usr/bin/prometheus", f"--config.file={conf}", f"--storage.tsdb.path={data}",
            f"--web.listen-address={c.host}:{c.port('http')}",
        ],
        user="prometheus",
    )  # fmt: skip


def _alertmanager(c: Context) -> Launch:
    # One receiver that sends nothing; clustering off (no gossip port).
    conf = c.write("alertmanager.yml", "route:\n  receiver: none\nreceivers:\n- name: none\n")
    data = c.mkdir("data", owner="prometheus")
    return Launch(
        [
            "/usr/bin/prometheus-alertmanager", f"--config.file={conf}",
            f"--storage.path={data}", "--cluster.listen-address=",
            f"--web.listen-address={c.host}:{c.port('http')}",
        ],
        user="prometheus",
    )  # fmt: skip


def _pushgateway(c: Context) -> Launch:
    return Launch(
        ["/usr/bin/prometheus-pushgateway", f"--web.listen-address={c.host}:{c.port('http')}"],
        user="prometheus",
    )


def _blackbox_exporter(c: Context) -> Launch:
    # Probes targets only when asked on /probe, which no nmap probe requests.
    conf = c.write("blackbox.yml", "modules:\n  tcp_connect:\n    prober: tcp\n")
    return Launch(
        [
            "/usr/bin/prometheus-blackbox-exporter", f"--config.file={conf}",
            f"--web.listen-address={c.host}:{c.port('http')}",
        ],
        user="prometheus",
    )  # fmt: skip


def _varnish(c: Context) -> Launch:
    # Its backend is a closed port: every request gets Varnish's own 503 page.
    return Launch(
        [
            "/usr/sbin/varnishd", "-F", "-n", str(c.path("varnish")),
            "-a", f"{c.host}:{c.port('http')}", "-b", f"{c.host}:9",
            "-s", "malloc,16m", "-T", "none", "-p", "thread_pools=1",
            "-p", "thread_pool_min=5",
        ],
        ready_timeout=60,
    )  # fmt: skip


def _monit(c: Context) -> Launch:
    conf = c.write(
        "monitrc",
        f"""
        set daemon 600
        set pidfile {c.path("monit.pid")}
        set idfile {c.path("monit.id")}
        set statefile {c.path("monit.state")}
        set logfile {c.path("monit.log")}
        set httpd port {c.port("http")} and use address {c.host}
            allow 127.0.0.0/255.0.0.0
        """,
        mode=0o600,
    )
    return Launch(["/usr/bin/monit", "-I", "-c", str(conf)])


# --------------------------------------------------------------------------- data


def _redis(c: Context) -> Launch:
    data = c.mkdir("data", owner="redis")
    return Launch(
        [
            "/usr/bin/redis-server", "--bind", c.host, "--port", str(c.port("redis")),
            "--dir", str(data), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--protected-mode", "no", "--logfile", "",
        ],
        user="redis",
    )  # fmt: skip


def _memcached(c: Context) -> Launch:
    return Launch(
        [
            "/usr/bin/memcached", "-l", c.host, "-p", str(c.port("memcache")),
            "-U", "0", "-m", "16",
        ],
        user="memcache",
    )  # fmt: skip


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else f"/usr/lib/postgresql/NONE/bin/{name}"


def _postgresql(c: Context) -> Launch:
    top = c.mkdir("pg", mode=0o700, owner="postgres")
    data = top / "data"
    c.run(
        [
            _pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        ],
        user="postgres",
        timeout=120,
    )  # fmt: skip
    key = c.private_key("postgres", "pg/server.key")
    return Launch(
        [
            _pg_bin("postgres"), "-D", str(data),
            "-c", f"listen_addresses={c.host}", "-p", str(c.port("postgresql")),
            "-c", f"unix_socket_directories={top}", "-c", "fsync=off",
            "-c", "shared_buffers=16MB", "-c", "logging_collector=off",
            "-c", "ssl=on", "-c", f"ssl_cert_file={c.tls.cert}", "-c", f"ssl_key_file={key}",
        ],
        user="postgres",
    )  # fmt: skip


def _mariadb(c: Context) -> Launch:
    top = c.mkdir("mysql", owner="mysql")
    data = top / "data"
    c.run(
        [
            "/usr/bin/mariadb-install-db", "--no-defaults", f"--datadir={data}",
            "--user=mysql", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--skip-name-resolve", "--innodb-buffer-pool-size=16M",
        ],
        timeout=180,
    )  # fmt: skip
    return Launch(
        [
            "/usr/sbin/mariadbd", "--no-defaults", f"--datadir={data}", "--user=mysql",
            f"--bind-address={c.host}", f"--port={c.port('mysql')}",
            f"--socket={top}/mysqld.sock", f"--pid-file={top}/mysqld.pid",
            "--innodb-buffer-pool-size=16M", "--skip-log-bin", "--skip-name-resolve",
            # the least MariaDB allows: the rule pack's "too many connections" sample
            "--max-connections=10",
        ],
        ready_timeout=60,
    )  # fmt: skip


# --------------------------------------------------------------------------- file transfer


def _vsftpd(c: Context) -> Launch:
    empty = c.mkdir("empty", mode=0o555)
    conf = c.write(
        "vsftpd.conf",
        f"""
        listen=YES
        listen_ipv6=NO
        listen_address={c.host}
        listen_port={c.port("ftp")}
        background=NO
        anonymous_enable=YES
        no_anon_password=YES
        anon_root={empty}
        local_enable=NO
        write_enable=NO
        secure_chroot_dir={empty}
        nopriv_user=nobody
        ftp_username=nobody
        xferlog_enable=NO
        seccomp_sandbox=NO
        ssl_enable=YES
        allow_anon_ssl=YES
        rsa_cert_file={c.tls.cert}
        rsa_private_key_file={c.tls.key}
        """,
        mode=0o600,
    )
    return Launch(["/usr/sbin/vsftpd", str(conf)])


def _pyftpdlib(c: Context) -> Launch:
    root = c.mkdir("ftp")
    return Launch(
        [
            "/usr/bin/python3", "-m", "pyftpdlib", "-i", c.host, "-p", str(c.port("ftp")),
            "-d", str(root),
        ]
    )  # fmt: skip


def _rsync(c: Context) -> Launch:
    share = c.mkdir("share")
    conf = c.write(
        "rsyncd.conf",
        f"""
        pid file = {c.path("rsyncd.pid")}
        use chroot = no
        uid = nobody
        gid = nogroup
        [lab]
            path = {share}
            comment = fastprobe lab
            read only = yes
        """,
    )
    return Launch(
        [
            "/usr/bin/rsync", "--daemon", "--no-detach", f"--config={conf}",
            f"--address={c.host}", f"--port={c.port('rsync')}",
        ]
    )  # fmt: skip


def _svnserve(c: Context) -> Launch:
    repos = c.mkdir("repos", owner="nobody")
    c.run(["/usr/bin/svnadmin", "create", str(repos / "lab")], user="nobody")
    return Launch(
        [
            "/usr/bin/svnserve", "-d", "--foreground", "--listen-host", c.host,
            "--listen-port", str(c.port("svn")), "-r", str(repos),
        ],
        user="nobody",
    )  # fmt: skip


def _git_daemon(c: Context) -> Launch:
    repos = c.mkdir("repos", owner="nobody")
    c.run(["/usr/bin/git", "init", "-q", "--bare", str(repos / "lab.git")], user="nobody")
    return Launch(
        [
            "/usr/bin/git", "daemon", f"--listen={c.host}", f"--port={c.port('git')}",
            f"--base-path={repos}", "--export-all", "--reuseaddr", str(repos),
        ],
        user="nobody",
    )  # fmt: skip


# --------------------------------------------------------------------------- mail


def _postfix(c: Context) -> Launch:
    etc = c.mkdir("etc")
    c.mkdir("spool")  # queue_directory: root-owned, postfix makes its subdirectories
    c.mkdir("lib", owner="postfix")
    c.write(
        "etc/main.cf",
        f"""
        compatibility_level = 3.6
        myhostname = mail.{DOMAIN}
        mydomain = {DOMAIN}
        myorigin = $myhostname
        mydestination =
        inet_interfaces = loopback-only
        inet_protocols = ipv4
        queue_directory = {c.path("spool")}
        data_directory = {c.path("lib")}
        mail_owner = postfix
        setgid_group = postdrop
        smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
        biff = no
        alias_maps =
        alias_database =
        local_transport = error:local delivery is disabled
        smtpd_relay_restrictions = permit_mynetworks defer_unauth_destination
        smtpd_tls_cert_file = {c.tls.cert}
        smtpd_tls_key_file = {c.tls.key}
        smtpd_tls_security_level = may
        maillog_file_prefixes = {c.workdir}
        maillog_file = {c.path("lib", "maillog")}
        """,
    )
    h = c.host
    c.write(
        "etc/master.cf",
        f"""
        {h}:{c.port("smtp")}  inet  n  -  n  -  -  smtpd
        {h}:{c.port("submission")}  inet  n  -  n  -  -  smtpd
          -o syslog_name=postfix/submission
          -o smtpd_tls_security_level=encrypt
        {h}:{c.port("smtps")}  inet  n  -  n  -  -  smtpd
          -o syslog_name=postfix/smtps
          -o smtpd_tls_wrappermode=yes
        pickup    unix  n  -  n  60  1  pickup
        cleanup   unix  n  -  n  -   0  cleanup
        qmgr      unix  n  -  n  300 1  qmgr
        tlsmgr    unix  -  -  n  1000? 1 tlsmgr
        rewrite   unix  -  -  n  -   -  trivial-rewrite
        bounce    unix  -  -  n  -   0  bounce
        defer     unix  -  -  n  -   0  bounce
        trace     unix  -  -  n  -   0  bounce
        verify    unix  -  -  n  -   1  verify
        flush     unix  n  -  n  1000? 0 flush
        proxymap  unix  -  -  n  -   -  proxymap
        smtp      unix  -  -  n  -   -  smtp
        relay     unix  -  -  n  -   -  smtp
        showq     unix  n  -  n  -   -  showq
        error     unix  -  -  n  -   -  error
        retry     unix  -  -  n  -   -  error
        discard   unix  -  -  n  -   -  discard
        local     unix  -  n  n  -   -  local
        anvil     unix  -  -  n  -   1  anvil
        scache    unix  -  -  n  -   1  scache
        postlog   unix-dgram n - n - 1 postlogd
        """,
    )
    # "postfix check" creates the queue directories; then the master daemon itself runs
    # as the lab's child ("postfix start-fg" would make it leader of a session of its own).
    c.run(["/usr/sbin/postfix", "-c", str(etc), "check"], timeout=60)
    return Launch(["/usr/lib/postfix/sbin/master", "-c", str(etc), "-s"], ready_timeout=40)


def _dovecot(c: Context) -> Launch:
    c.mkdir("run")
    c.mkdir("state")
    mail = c.mkdir("mail", mode=0o777)
    conf = c.write(
        "dovecot.conf",
        f"""
        base_dir = {c.path("run")}
        state_dir = {c.path("state")}
        log_path = /dev/stderr
        protocols = imap pop3
        listen = {c.host}
        ssl = yes
        ssl_cert = <{c.tls.cert}
        ssl_key = <{c.tls.key}
        mail_location = maildir:{mail}/%u
        login_greeting = Dovecot (Debian) ready.
        passdb {{
          driver = static
          args = password=lab
        }}
        userdb {{
          driver = static
          args = uid=nobody gid=nogroup home={mail}/%u
        }}
        service imap-login {{
          inet_listener imap {{
            port = {c.port("imap")}
          }}
          inet_listener imaps {{
            port = {c.port("imaps")}
            ssl = yes
          }}
        }}
        service pop3-login {{
          inet_listener pop3 {{
            port = {c.port("pop3")}
          }}
          inet_listener pop3s {{
            port = {c.port("pop3s")}
            ssl = yes
          }}
        }}
        service submission-login {{
          inet_listener submission {{
            port = 0
          }}
        }}
        """,
    )
    return Launch(["/usr/sbin/dovecot", "-F", "-c", str(conf)])


# --------------------------------------------------------------------------- proxies


def _squid(c: Context) -> Launch:
    conf = c.write(
        "squid.conf",
        f"""
        http_port {c.host}:{c.port("http-proxy")}
        acl lab src 127.0.0.0/8
        http_access allow lab
        http_access deny all
        cache deny all
        cache_mem 8 MB
        access_log none
        cache_store_log none
        cache_log {c.path("cache.log")}
        pid_filename {c.path("squid.pid")}
        coredump_dir {c.workdir}
        cache_effective_user proxy
        netdb_filename none
        pinger_enable off
        visible_hostname proxy.{DOMAIN}
        shutdown_lifetime 1 second
        dns_nameservers 127.0.0.1
        """,
    )
    chown(c.workdir, "proxy")
    return Launch(["/usr/sbin/squid", "-N", "-f", str(conf)], ready_timeout=40)


def _tinyproxy(c: Context) -> Launch:
    logs = c.mkdir("log", owner="tinyproxy")
    conf = c.write(
        "tinyproxy.conf",
        f"""
        User tinyproxy
        Group tinyproxy
        Port {c.port("http-proxy")}
        Listen {c.host}
        Timeout 60
        LogFile "{logs}/tinyproxy.log"
        LogLevel Warning
        PidFile "{logs}/tinyproxy.pid"
        MaxClients 20
        Allow 127.0.0.0/8
        ViaProxyName "tinyproxy"
        """,
    )
    return Launch(["/usr/bin/tinyproxy", "-d", "-c", str(conf)])


def _privoxy(c: Context) -> Launch:
    logs = c.mkdir("log", owner="privoxy")
    conf = c.write(
        "privoxy.conf",
        f"""
        confdir /etc/privoxy
        logdir {logs}
        listen-address {c.host}:{c.port("http-proxy")}
        toggle 1
        enable-remote-toggle 0
        enable-edit-actions 0
        """,
    )
    return Launch(["/usr/sbin/privoxy", "--no-daemon", "--user", "privoxy", str(conf)])


def _dante(c: Context) -> Launch:
    conf = c.write(
        "danted.conf",
        f"""
        logoutput: stderr
        internal: {c.host} port = {c.port("socks")}
        external: 127.0.0.1
        socksmethod: none
        clientmethod: none
        user.privileged: root
        user.unprivileged: nobody
        client pass {{
            from: 127.0.0.0/8 to: 0.0.0.0/0
        }}
        socks pass {{
            from: 127.0.0.0/8 to: 127.0.0.0/8
        }}
        socks block {{
            from: 0.0.0.0/0 to: 0.0.0.0/0
        }}
        """,
    )
    return Launch(["/usr/sbin/danted", "-f", str(conf), "-p", str(c.path("danted.pid")), "-N", "1"])


# --------------------------------------------------------------------------- DNS


def _bind9(c: Context) -> Launch:
    chown(c.workdir, "bind")
    conf = c.write(
        "named.conf",
        f"""
        options {{
            directory "{c.workdir}";
            pid-file "{c.path("named.pid")}";
            session-keyfile "{c.path("session.key")}";
            managed-keys-directory "{c.workdir}";
            listen-on port {c.port("dns")} {{ {c.host}; }};
            listen-on-v6 {{ none; }};
            recursion no;
            dnssec-validation no;
        }};
        controls {{ }};
        """,
        owner="bind",
    )
    return Launch(["/usr/sbin/named", "-g", "-n", "1", "-u", "bind", "-c", str(conf)])


def _dnsmasq(c: Context) -> Launch:
    return Launch(
        [
            "/usr/sbin/dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
            f"--listen-address={c.host}", "--bind-interfaces", f"--port={c.port('dns')}",
            "--no-resolv", "--no-hosts", f"--pid-file={c.path('dnsmasq.pid')}",
            "--user=nobody", "--group=nogroup", "--log-facility=-",
        ]
    )  # fmt: skip


def _unbound(c: Context) -> Launch:
    chown(c.workdir, "unbound")
    conf = c.write(
        "unbound.conf",
        f"""
        server:
            interface: {c.host}
            port: {c.port("dns")}
            do-daemonize: no
            username: "unbound"
            chroot: ""
            directory: "{c.workdir}"
            pidfile: "{c.path("unbound.pid")}"
            use-syslog: no
            logfile: ""
            access-control: 127.0.0.0/8 allow
            do-ip6: no
            num-threads: 1
            hide-version: no
            do-not-query-localhost: no
        # Recursion must not leave loopback: everything is forwarded to a closed port.
        forward-zone:
            name: "."
            forward-addr: 127.0.0.1@9
        remote-control:
            control-enable: no
        """,
    )
    return Launch(["/usr/sbin/unbound", "-d", "-c", str(conf)])


def _nsd(c: Context) -> Launch:
    chown(c.workdir, "nsd")
    conf = c.write(
        "nsd.conf",
        f"""
        server:
            ip-address: {c.host}
            port: {c.port("dns")}
            username: nsd
            database: ""
            zonelistfile: "{c.path("zone.list")}"
            xfrdfile: "{c.path("xfrd.state")}"
            pidfile: "{c.path("nsd.pid")}"
            zonesdir: "{c.workdir}"
            server-count: 1
            do-ip6: no
        remote-control:
            control-enable: no
        """,
    )
    return Launch(["/usr/sbin/nsd", "-d", "-c", str(conf)])


def _knot(c: Context) -> Launch:
    chown(c.workdir, "knot")
    db = c.mkdir("db", owner="knot")
    conf = c.write(
        "knot.conf",
        f"""
        server:
            rundir: "{c.workdir}"
            user: knot:knot
            listen: {c.host}@{c.port("dns")}
            background-workers: 1
            tcp-workers: 1
            udp-workers: 1
        database:
            storage: "{db}"
        log:
          - target: stderr
            any: warning
        """,
    )
    return Launch(["/usr/sbin/knotd", "-c", str(conf)])


# --------------------------------------------------------------------------- directory


def _slapd(c: Context) -> Launch:
    db = c.mkdir("db", mode=0o700, owner="openldap")
    key = c.private_key("openldap")
    conf = c.write(
        "slapd.conf",
        f"""
        include /etc/ldap/schema/core.schema
        pidfile {c.path("slapd.pid")}
        argsfile {c.path("slapd.args")}
        modulepath /usr/lib/ldap
        moduleload back_mdb
        TLSCertificateFile {c.tls.cert}
        TLSCertificateKeyFile {key}
        database mdb
        maxsize 16777216
        suffix "dc=lab,dc=fastprobe,dc=test"
        rootdn "cn=admin,dc=lab,dc=fastprobe,dc=test"
        directory {db}
        """,
    )
    chown(c.workdir, "openldap")
    urls = f"ldap://{c.host}:{c.port('ldap')}/ ldaps://{c.host}:{c.port('ldaps')}/"
    return Launch(
        [
            "/usr/sbin/slapd", "-d", "0", "-h", urls, "-f", str(conf),
            "-u", "openldap", "-g", "openldap",
        ]
    )  # fmt: skip


# --------------------------------------------------------------------------- messaging


def _mosquitto(c: Context) -> Launch:
    conf = c.write(
        "mosquitto.conf",
        f"""
        user mosquitto
        persistence false
        log_dest stderr
        allow_anonymous true
        listener {c.port("mqtt")} {c.host}
        listener {c.port("mqtts")} {c.host}
        certfile {c.tls.cert}
        keyfile {c.tls.key}
        """,
    )
    return Launch(["/usr/sbin/mosquitto", "-c", str(conf)])


def _ngircd(c: Context) -> Launch:
    conf = c.write(
        "ngircd.conf",
        f"""
        [Global]
            Name = irc.{DOMAIN}
            Info = fastprobe lab
            AdminInfo1 = fastprobe lab
            AdminEMail = lab@{DOMAIN}
            Listen = {c.host}
            Ports = {c.port("irc")}
            ServerUID = irc
            ServerGID = irc
            PidFile = {c.path("ngircd.pid")}
            MotdPhrase = fastprobe lab
        [Options]
            PAM = no
            DNS = no
            Ident = no
        [SSL]
            CertFile = {c.tls.cert}
            KeyFile = {c.tls.key}
            Ports = {c.port("ircs")}
        """,
    )
    return Launch(["/usr/sbin/ngircd", "-n", "-f", str(conf)])


def _prosody(c: Context) -> Launch:
    data = c.mkdir("data", mode=0o750, owner="prosody")
    key = c.private_key("prosody")
    conf = c.write(
        "prosody.cfg.lua",
        f"""
        pidfile = "{data}/prosody.pid"
        data_path = "{data}"
        interfaces = {{ "{c.host}" }}
        c2s_ports = {{ {c.port("xmpp-client")} }}
        s2s_ports = {{ {c.port("xmpp-server")} }}
        log = {{ {{ levels = {{ min = "warn" }}, to = "console" }} }}
        admins = {{ }}
        modules_disabled = {{ "s2s_bidi" }}
        certificates = "{c.path("tls")}"
        VirtualHost "{DOMAIN}"
            ssl = {{ certificate = "{c.tls.cert}", key = "{key}" }}
        """,
        owner="prosody",
    )
    return Launch(["/usr/bin/prosody", "-F", "--config", str(conf)], user="prosody")


def _nats(c: Context) -> Launch:
    return Launch(
        ["/usr/sbin/nats-server", "-a", c.host, "-p", str(c.port("nats"))],
        user="nats",
    )


def _beanstalkd(c: Context) -> Launch:
    return Launch(
        ["/usr/bin/beanstalkd", "-l", c.host, "-p", str(c.port("beanstalkd"))],
        user="beanstalkd",
    )


def _gearmand(c: Context) -> Launch:
    return Launch(
        [
            "/usr/sbin/gearmand", f"--listen={c.host}", f"--port={c.port('gearman')}",
            "--log-file=stderr", "--threads=1",
        ],
        user="gearman",
    )  # fmt: skip


def _distccd(c: Context) -> Launch:
    return Launch(
        [
            "/usr/bin/distccd", "--no-detach", "--daemon", "--listen", c.host,
            "--port", str(c.port("distccd")), "--allow", "127.0.0.0/8", "--log-stderr",
            "--jobs", "1",
        ],
        user="distccd",
    )  # fmt: skip


def _openvpn(c: Context) -> Launch:
    return Launch(
        [
            "/usr/sbin/openvpn", "--proto", "tcp-server", "--local", c.host,
            "--lport", str(c.port("openvpn")), "--dev", "null", "--tls-server",
            "--ca", str(c.tls.cert), "--cert", str(c.tls.cert), "--key", str(c.tls.key),
            "--dh", "none", "--verb", "2", "--user", "nobody", "--group", "nogroup",
        ]
    )  # fmt: skip


def _epmd(c: Context) -> Launch:
    return Launch(
        ["/usr/bin/epmd", "-address", c.host, "-port", str(c.port("epmd"))],
        user="nobody",
    )


def _inetd(c: Context) -> Launch:
    conf = c.write(
        "inetd.conf",
        f"""
        {c.host}:
        echo     stream tcp nowait root internal
        discard  stream tcp nowait root internal
        daytime  stream tcp nowait root internal
        chargen  stream tcp nowait root internal
        time     stream tcp nowait root internal
        {c.port("telnet")} stream tcp nowait root /usr/sbin/telnetd telnetd
        """,
    )
    return Launch(["/usr/sbin/inetd", "-i", str(conf)])


def _tcp(*items: tuple[str, int]) -> tuple[Endpoint, ...]:
    return tuple(Endpoint(k, p) for k, p in items)


def _addr(n: int) -> str:
    return f"127.0.0.{n}"


# Order matters only for listings. Addresses are fixed per server so that adding a
# server never moves another one.
SPECS: tuple[ServerSpec, ...] = (
    ServerSpec("openssh", "openssh-server", "/usr/sbin/sshd", _addr(10), _tcp(("ssh", 22)),
               _openssh, needs=("/usr/bin/ssh-keygen",)),
    ServerSpec("dropbear", "dropbear-bin", "/usr/sbin/dropbear", _addr(11), _tcp(("ssh", 22)),
               _dropbear, needs=("/usr/bin/dropbearkey",)),
    ServerSpec("nginx", "nginx", "/usr/sbin/nginx", _addr(12),
               (Endpoint("http", 80), Endpoint("https", 443, tls=True)), _nginx,
               users=("www-data",)),
    ServerSpec("apache", "apache2", "/usr/sbin/apache2", _addr(13),
               (Endpoint("http", 80), Endpoint("https", 443, tls=True)), _apache,
               users=("www-data",), package_path="/usr/lib/apache2/modules/mod_ssl.so"),
    ServerSpec("lighttpd", "lighttpd", "/usr/sbin/lighttpd", _addr(14),
               (Endpoint("http", 80), Endpoint("https", 443, tls=True)), _lighttpd,
               users=("www-data",), package_path="/usr/lib/lighttpd/mod_openssl.so"),
    ServerSpec("busybox-httpd", "busybox", "/usr/bin/busybox", _addr(15), _tcp(("http", 80)),
               _busybox_httpd),
    ServerSpec("mini-httpd", "mini-httpd", "/usr/sbin/mini_httpd", _addr(16),
               _tcp(("http", 80)), _mini_httpd),
    ServerSpec("webfs", "webfs", "/usr/bin/webfsd", _addr(17), _tcp(("http", 80)), _webfs),
    ServerSpec("gunicorn", "gunicorn", "/usr/bin/gunicorn", _addr(18), _tcp(("http", 8000)),
               _gunicorn),
    ServerSpec("python-http", "", "/usr/bin/python3", _addr(19), _tcp(("http", 8000)),
               _python_http, package_path="/usr/lib/python3*/http/server.py"),
    # 9100 is in nmap-service-probes' "Exclude T:9100-9107": nmap does not probe it.
    ServerSpec("node-exporter", "prometheus-node-exporter", "/usr/bin/prometheus-node-exporter",
               _addr(20), _tcp(("metrics", 9100), ("metrics-alt", 9110)), _node_exporter,
               users=("prometheus",)),
    ServerSpec("prometheus", "prometheus", "/usr/bin/prometheus", _addr(55),
               _tcp(("http", 9090)), _prometheus, users=("prometheus",)),
    ServerSpec("alertmanager", "prometheus-alertmanager", "/usr/bin/prometheus-alertmanager",
               _addr(56), _tcp(("http", 9093)), _alertmanager, users=("prometheus",)),
    ServerSpec("pushgateway", "prometheus-pushgateway", "/usr/bin/prometheus-pushgateway",
               _addr(57), _tcp(("http", 9091)), _pushgateway, users=("prometheus",)),
    ServerSpec("blackbox-exporter", "prometheus-blackbox-exporter",
               "/usr/bin/prometheus-blackbox-exporter", _addr(58), _tcp(("http", 9115)),
               _blackbox_exporter, users=("prometheus",)),
    ServerSpec("varnish", "varnish", "/usr/sbin/varnishd", _addr(21), _tcp(("http", 6081)),
               _varnish, users=("vcache", "varnish")),
    ServerSpec("monit", "monit", "/usr/bin/monit", _addr(22), _tcp(("http", 2812)), _monit),
    ServerSpec("redis", "redis-server", "/usr/bin/redis-server", _addr(23),
               _tcp(("redis", 6379)), _redis, users=("redis",)),
    ServerSpec("memcached", "memcached", "/usr/bin/memcached", _addr(24),
               _tcp(("memcache", 11211)), _memcached, users=("memcache",)),
    ServerSpec("postgresql", "", _pg_bin("postgres"), _addr(25),
               _tcp(("postgresql", 5432)), _postgresql, users=("postgres",),
               needs=(_pg_bin("initdb"),), package_path="/usr/lib/postgresql/*/bin/postgres"),
    ServerSpec("mariadb", "mariadb-server", "/usr/sbin/mariadbd", _addr(26),
               _tcp(("mysql", 3306)), _mariadb, users=("mysql",),
               needs=("/usr/bin/mariadb-install-db",)),
    ServerSpec("vsftpd", "vsftpd", "/usr/sbin/vsftpd", _addr(27), _tcp(("ftp", 21)), _vsftpd),
    ServerSpec("pyftpdlib", "python3-pyftpdlib", "/usr/bin/python3", _addr(28),
               _tcp(("ftp", 21)), _pyftpdlib,
               package_path="/usr/lib/python3/dist-packages/pyftpdlib/__init__.py"),
    ServerSpec("postfix", "postfix", "/usr/sbin/postfix", _addr(29),
               (Endpoint("smtp", 25, greeting=b"220 "), Endpoint("submission", 587),
                Endpoint("smtps", 465, tls=True)), _postfix, users=("postfix",),
               needs=("/usr/lib/postfix/sbin/master",)),
    ServerSpec("dovecot", "dovecot-core", "/usr/sbin/dovecot", _addr(30),
               (Endpoint("imap", 143, greeting=b"] Dovecot (Debian) ready."),
                Endpoint("imaps", 993, tls=True),
                Endpoint("pop3", 110, greeting=b"+OK Dovecot (Debian) ready."),
                Endpoint("pop3s", 995, tls=True)), _dovecot,
               users=("dovecot", "dovenull"),
               package_path="/usr/lib/dovecot/pop3-login"),
    ServerSpec("squid", "squid", "/usr/sbin/squid", _addr(31), _tcp(("http-proxy", 3128)),
               _squid, users=("proxy",)),
    ServerSpec("tinyproxy", "tinyproxy", "/usr/bin/tinyproxy", _addr(32),
               _tcp(("http-proxy", 8888)), _tinyproxy, users=("tinyproxy",)),
    ServerSpec("privoxy", "privoxy", "/usr/sbin/privoxy", _addr(33),
               _tcp(("http-proxy", 8118)), _privoxy, users=("privoxy",)),
    ServerSpec("dante", "dante-server", "/usr/sbin/danted", _addr(34), _tcp(("socks", 1080)),
               _dante, needs_dns_isolation=True),
    # named listens only on addresses that an interface has: lo has just 127.0.0.1.
    ServerSpec("bind9", "bind9", "/usr/sbin/named", _addr(1), _tcp(("dns", 53)), _bind9,
               users=("bind",)),
    ServerSpec("dnsmasq", "dnsmasq-base", "/usr/sbin/dnsmasq", _addr(36), _tcp(("dns", 53)),
               _dnsmasq),
    ServerSpec("unbound", "unbound", "/usr/sbin/unbound", _addr(37), _tcp(("dns", 53)),
               _unbound, users=("unbound",)),
    ServerSpec("nsd", "nsd", "/usr/sbin/nsd", _addr(38), _tcp(("dns", 53)), _nsd,
               users=("nsd",)),
    ServerSpec("knot", "knot", "/usr/sbin/knotd", _addr(39), _tcp(("dns", 53)), _knot,
               users=("knot",)),
    ServerSpec("slapd", "slapd", "/usr/sbin/slapd", _addr(40),
               (Endpoint("ldap", 389), Endpoint("ldaps", 636, tls=True)), _slapd,
               users=("openldap",)),
    ServerSpec("rsync", "rsync", "/usr/bin/rsync", _addr(41), _tcp(("rsync", 873)), _rsync),
    ServerSpec("mosquitto", "mosquitto", "/usr/sbin/mosquitto", _addr(42),
               (Endpoint("mqtt", 1883), Endpoint("mqtts", 8883, tls=True)), _mosquitto,
               users=("mosquitto",)),
    ServerSpec("ngircd", "ngircd", "/usr/sbin/ngircd", _addr(43),
               (Endpoint("irc", 6667), Endpoint("ircs", 6697, tls=True)), _ngircd,
               users=("irc",)),
    ServerSpec("prosody", "prosody", "/usr/bin/prosody", _addr(45),
               _tcp(("xmpp-client", 5222), ("xmpp-server", 5269)), _prosody,
               users=("prosody",)),
    ServerSpec("nats", "nats-server", "/usr/sbin/nats-server", _addr(46), _tcp(("nats", 4222)),
               _nats, users=("nats",)),
    ServerSpec("svnserve", "subversion", "/usr/bin/svnserve", _addr(47), _tcp(("svn", 3690)),
               _svnserve, needs=("/usr/bin/svnadmin",)),
    ServerSpec("git-daemon", "git", "/usr/bin/git", _addr(48), _tcp(("git", 9418)),
               _git_daemon, package_path="/usr/lib/git-core/git-daemon"),
    ServerSpec("beanstalkd", "beanstalkd", "/usr/bin/beanstalkd", _addr(49),
               _tcp(("beanstalkd", 11300)), _beanstalkd, users=("beanstalkd",)),
    ServerSpec("gearmand", "gearman-job-server", "/usr/sbin/gearmand", _addr(50),
               _tcp(("gearman", 4730)), _gearmand, users=("gearman",)),
    ServerSpec("distccd", "distcc", "/usr/bin/distccd", _addr(51), _tcp(("distccd", 3632)),
               _distccd, users=("distccd",)),
    ServerSpec("openvpn", "openvpn", "/usr/sbin/openvpn", _addr(52), _tcp(("openvpn", 1194)),
               _openvpn),
    ServerSpec("epmd", "erlang-base", "/usr/bin/epmd", _addr(53), _tcp(("epmd", 4369)), _epmd),
    ServerSpec("inetd", "openbsd-inetd", "/usr/sbin/inetd", _addr(54),
               (Endpoint("echo", 7, fixed=True), Endpoint("discard", 9, fixed=True),
                Endpoint("daytime", 13, fixed=True), Endpoint("chargen", 19, fixed=True),
                Endpoint("time", 37, fixed=True), Endpoint("telnet", 23)), _inetd,
               needs=("/usr/sbin/telnetd",)),
)  # fmt: skip

SERVERS: Mapping[str, ServerSpec] = {spec.name: spec for spec in SPECS}

# A core set: one of each kind, quick to start (for fixtures that want a smaller lab).
CORE: tuple[str, ...] = (
    "openssh", "nginx", "apache", "redis", "memcached", "postgresql", "mariadb", "vsftpd",
    "postfix", "dovecot", "squid", "bind9", "slapd", "rsync", "mosquitto", "node-exporter",
)  # fmt: skip

__all__ = [
    "CORE",
    "SERVERS",
    "SPECS",
    "Context",
    "Endpoint",
    "LabError",
    "Launch",
    "ServerSpec",
    "base_env",
    "chown",
]
