#!/usr/bin/env python3
"""Build ``replies.jsonl``: a synthetic corpus of network service replies for benchmarks.

Each line is one JSON object::

    {"id": "...", "probe": "<nmap probe name>", "reply_hex": "...", "kind": "http|ssh|..."}

``probe`` names the probe of nmap's probe-file format that would elicit the reply, so a
matcher can look up the right rules; ``reply_hex`` is the reply, byte for byte.

Every reply is written here from the protocol specifications and from the usual shape of
real servers' output; nothing is copied from nmap's data files. The script uses the
standard library only and is deterministic: randomness comes from per-reply seeds and
every date is derived from one fixed instant, so a rerun writes byte-identical output.
Reply text names only reserved example domains (example.com/.org/.net) and documentation
addresses (192.0.2.0/24, 198.51.100.0/24); links that stock pages carry to vendor sites
are left out.

Usage::

    python3 benchmarks/corpus/build_corpus.py           # (re)write replies.jsonl
    python3 benchmarks/corpus/build_corpus.py --check   # exit 1 if replies.jsonl is stale
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import email.utils
import hashlib
import json
import random
import re
import struct
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "replies.jsonl"

# Every date in the corpus is derived from this instant, never from the clock.
EPOCH = dt.datetime(2024, 3, 4, 10, 15, 32, tzinfo=dt.timezone.utc)

# Probe names (of nmap's probe-file format) that the corpus refers to.
PROBES = frozenset(
    {
        "NULL",
        "GenericLines",
        "GetRequest",
        "SSLSessionReq",
        "TLSSessionReq",
        "SSLv23SessionReq",
        "SMBProgNeg",
        "TerminalServer",
        "TerminalServerCookie",
        "X11Probe",
        "DNSVersionBindReqTCP",
        "LDAPBindReq",
        "SIPOptions",
        "Memcache",
        "mongodb",
        "redis-server",
        "epmd",
        "mqtt",
        "docker",
    }
)

LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789"
BASE32_LOWER = "abcdefghijklmnopqrstuvwxyz012345"

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ---------------------------------------------------------------------------------------
# Determinism helpers
# ---------------------------------------------------------------------------------------


class Rng:
    """A seeded generator that draws only on ``getrandbits``.

    ``random.Random.getrandbits`` yields the same stream on every Python version for the
    same integer seed; ``randrange``/``choice`` have changed between versions, so they are
    not used.
    """

    def __init__(self, name: str) -> None:
        digest = hashlib.sha256(f"fastprobe-corpus/{name}".encode()).digest()
        self._r = random.Random(int.from_bytes(digest, "big"))

    def below(self, n: int) -> int:
        if n <= 1:
            return 0
        bits = n.bit_length()
        while True:
            value = self._r.getrandbits(bits)
            if value < n:
                return value

    def between(self, lo: int, hi: int) -> int:
        return lo + self.below(hi - lo + 1)

    def pick(self, items: Sequence[str]) -> str:
        return items[self.below(len(items))]

    def raw(self, n: int) -> bytes:
        return self._r.getrandbits(8 * n).to_bytes(n, "little") if n > 0 else b""

    def hex(self, n: int) -> str:
        return self.raw((n + 1) // 2).hex()[:n]

    def chars(self, n: int, alphabet: str) -> str:
        return "".join(alphabet[self.below(len(alphabet))] for _ in range(n))

    def uuid(self) -> str:
        h = self.hex(32)
        h = h[:12] + "4" + h[13:16] + "89ab"[self.below(4)] + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def moment(self, max_days: int = 20) -> dt.datetime:
        """An instant at most ``max_days`` before EPOCH."""
        return EPOCH - dt.timedelta(days=self.below(max_days + 1), seconds=self.below(86400))

    def older(self, t: dt.datetime, max_days: int = 900) -> dt.datetime:
        """An instant 1..max_days days before ``t``, whole seconds."""
        return t - dt.timedelta(days=self.between(1, max_days), seconds=self.below(86400))


def http_date(t: dt.datetime) -> str:
    """RFC 7231 IMF-fixdate: ``Mon, 04 Mar 2024 10:15:32 GMT``."""
    return email.utils.format_datetime(t.astimezone(dt.timezone.utc), usegmt=True)


def mail_date(t: dt.datetime, offset_minutes: int = 0, *, pad_day: bool = True) -> str:
    """RFC 5322 date with a numeric zone, e.g. ``Mon, 4 Mar 2024 11:15:32 +0100``."""
    local = t.astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes)))
    sign = "-" if offset_minutes < 0 else "+"
    off = abs(offset_minutes)
    day = f"{local.day:02d}" if pad_day else str(local.day)
    return (
        f"{DAY_NAMES[local.weekday()]}, {day} {MONTH_NAMES[local.month - 1]} {local.year} "
        f"{local:%H:%M:%S} {sign}{off // 60:02d}{off % 60:02d}"
    )


def asctime(t: dt.datetime) -> str:
    """C asctime() layout: ``Mon Mar  4 10:15:32 2024``."""
    return f"{DAY_NAMES[t.weekday()]} {MONTH_NAMES[t.month - 1]} {t.day:2d} {t:%H:%M:%S} {t.year}"


def unix(t: dt.datetime) -> int:
    return int(t.timestamp())


# ---------------------------------------------------------------------------------------
# Corpus container
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    id: str
    probe: str
    kind: str
    data: bytes


class Corpus:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self._ids: set[str] = set()

    def add(self, rid: str, probe: str, kind: str, data: bytes) -> None:
        if not ID_RE.match(rid):
            raise ValueError(f"bad id {rid!r}")
        if rid in self._ids:
            raise ValueError(f"duplicate id {rid!r}")
        if probe not in PROBES:
            raise ValueError(f"{rid}: unknown probe {probe!r}")
        if not data:
            raise ValueError(f"{rid}: empty reply")
        self._ids.add(rid)
        self.replies.append(Reply(rid, probe, kind, data))

    def lines(self) -> list[str]:
        return [
            json.dumps(
                {"id": r.id, "probe": r.probe, "reply_hex": r.data.hex(), "kind": r.kind},
                ensure_ascii=True,
            )
            for r in self.replies
        ]


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------

LEN = "\x00content-length"  # header value placeholder: replaced by the body's length


def http(
    status: str,
    headers: Sequence[tuple[str, str]],
    body: bytes = b"",
    *,
    proto: str = "HTTP/1.1",
) -> bytes:
    lines = [f"{proto} {status}"]
    for name, value in headers:
        lines.append(f"{name}: {len(body) if value == LEN else value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, sizes: Sequence[int]) -> bytes:
    out = bytearray()
    pos = 0
    for size in sizes:
        piece = body[pos : pos + size]
        if not piece:
            break
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        pos += len(piece)
    if pos < len(body):
        out += f"{len(body) - pos:x}\r\n".encode() + body[pos:] + b"\r\n"
    return bytes(out) + b"0\r\n\r\n"


def etag_apache(size: int, mtime: dt.datetime, usec: int) -> str:
    return f'"{size:x}-{unix(mtime) * 1_000_000 + usec:x}"'


def etag_nginx(size: int, mtime: dt.datetime) -> str:
    return f'"{unix(mtime):x}-{size:x}"'


def etag_iis(mtime: dt.datetime) -> str:
    filetime = (unix(mtime) + 11_644_473_600) * 10_000_000
    return f'"{filetime:x}:0"'


def etag_express(body: bytes) -> str:
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()[:27]
    return f'W/"{len(body):x}-{digest}"'


WORDS = (
    "status",
    "network",
    "inventory",
    "report",
    "service",
    "portal",
    "archive",
    "customer",
    "support",
    "billing",
    "project",
    "wiki",
    "build",
    "release",
    "monitor",
    "printer",
    "camera",
    "gateway",
    "storage",
    "backup",
    "team",
    "office",
    "library",
    "calendar",
    "documents",
    "search",
    "dashboard",
    "login",
    "account",
    "help",
    "contact",
    "news",
)


def site_page(rng: Rng, title: str, *, extra_head: str = "", lang: str = "en") -> bytes:
    """A small, plausible HTML page with a title and a few links."""
    links = []
    for _ in range(rng.between(2, 6)):
        word = rng.pick(WORDS)
        links.append(f'    <li><a href="/{word}/">{word.capitalize()}</a></li>')
    para = " ".join(rng.pick(WORDS) for _ in range(rng.between(8, 24)))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"  <title>{title}</title>\n{extra_head}"
        '  <link rel="stylesheet" href="/static/site.css">\n</head>\n<body>\n'
        f"  <h1>{title}</h1>\n  <p>{para.capitalize()}.</p>\n  <ul>\n"
        + "\n".join(links)
        + "\n  </ul>\n</body>\n</html>\n"
    ).encode()


def apache_error(code: int, reason: str, message: str, signature: str | None) -> bytes:
    text = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n'
        f"<html><head>\n<title>{code} {reason}</title>\n</head><body>\n"
        f"<h1>{reason}</h1>\n{message}\n"
    )
    if signature:
        text += f"<hr>\n<address>{signature}</address>\n"
    return (text + "</body></html>\n").encode()


def apache_default_page(distro: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
        f"    <title>Apache2 {distro} Default Page: It works</title>\n"
        '    <style type="text/css" media="screen">\n'
        "  body { background-color: #D8DBE2; font-family: Verdana, sans-serif; }\n"
        "  div.main_page { width: 1000px; margin: auto; background-color: #FFFFFF; }\n"
        '    </style>\n  </head>\n  <body>\n    <div class="main_page">\n'
        '      <div class="page_header floating_element">\n'
        f'        <span class="floating_element">Apache2 {distro} Default Page</span>\n'
        "      </div>\n"
        '      <div class="section_header">It works!</div>\n'
        "      <p>This is the default welcome page used to test the correct operation of\n"
        f"      the Apache2 server after installation on {distro} systems. If you can read\n"
        "      this page, it means that the Apache HTTP server installed at this site is\n"
        "      working properly. You should <b>replace this file</b> (located at\n"
        "      <tt>/var/www/html/index.html</tt>) before continuing to operate your HTTP\n"
        "      server.</p>\n"
        '      <div class="section_header">Configuration Overview</div>\n'
        f"      <p>{distro}'s Apache2 default configuration is different from the upstream\n"
        "      default configuration, and split into several files optimized for\n"
        f"      interaction with {distro} tools.</p>\n"
        "<pre>\n/etc/apache2/\n|-- apache2.conf\n|       `--  ports.conf\n"
        "|-- mods-enabled\n|       |-- *.load\n|       `-- *.conf\n"
        "|-- conf-enabled\n|       `-- *.conf\n|-- sites-enabled\n|       `-- *.conf\n"
        "</pre>\n    </div>\n  </body>\n</html>\n"
    ).encode()


def nginx_welcome(color_scheme: bool) -> bytes:
    style = "html { color-scheme: light dark; }\n" if color_scheme else ""
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n"
        f"{style}body {{ width: 35em; margin: 0 auto;\n"
        "font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n"
        "<h1>Welcome to nginx!</h1>\n"
        "<p>If you see this page, the nginx web server is successfully installed and\n"
        "working. Further configuration is required.</p>\n\n"
        "<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n"
    ).encode()


def nginx_error(code: int, reason: str, footer: str, *, bgcolor: bool, extra: str = "") -> bytes:
    body_tag = '<body bgcolor="white">' if bgcolor else "<body>"
    lines = [
        "<html>",
        f"<head><title>{code} {extra or reason}</title></head>",
        body_tag,
        f"<center><h1>{code} {reason}</h1></center>",
    ]
    if extra:
        lines.append(f"<center>{extra}</center>")
    lines += [f"<hr><center>{footer}</center>", "</body>", "</html>", ""]
    return "\r\n".join(lines).encode()


IIS_STYLE = (
    '<style type="text/css">\n<!--\n'
    "body{margin:0;font-size:.7em;font-family:Verdana, Arial, Helvetica, sans-serif;"
    "background:#EEEEEE;}\nfieldset{padding:0 15px 10px 15px;} \nh1{font-size:2.4em;margin:0;"
    "color:#FFF;}\nh2{font-size:1.7em;margin:0;color:#CC0000;} \nh3{font-size:1.2em;"
    "margin:10px 0 0 0;color:#000000;} \n#header{width:96%;margin:0 0 0 0;"
    'padding:6px 2% 6px 2%;font-family:"trebuchet MS", Verdana, sans-serif;color:#FFF;\n'
    "background-color:#555555;}\n#content{margin:0 0 0 2%;position:relative;}\n"
    ".content-container{background:#FFF;width:96%;margin-top:8px;padding:10px;"
    "position:relative;}\n-->\n</style>\n"
)


def iis_error(title: str, h3: str) -> bytes:
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n'
        "<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>\n'
        f"<title>{title}</title>\n{IIS_STYLE}</head>\n<body>\n"
        '<div id="header"><h1>Server Error</h1></div>\n<div id="content">\n'
        ' <div class="content-container"><fieldset>\n'
        f"  <h2>{title}</h2>\n  <h3>{h3}</h3>\n"
        " </fieldset></div>\n</div>\n</body>\n</html>\n"
    ).encode()


IIS_START = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n'
    "<html>\n<head>\n"
    '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />\n'
    '<title>{title}</title>\n<style type="text/css">\n<!--\nbody {{\n'
    "\tcolor:#000000;\n\tbackground-color:#{bg};\n\tmargin:0;\n}}\n\n#container {{\n"
    "\tmargin-left:auto;\n\tmargin-right:auto;\n\ttext-align:center;\n\t}}\n\n"
    'a img {{\n\tborder:none;\n}}\n\n-->\n</style>\n</head>\n<body>\n<div id="container">\n'
    '<img src="{img}" alt="IIS" width="{w}" height="{h}" />\n</div>\n</body>\n</html>'
)


def go_redirect_body(location: str) -> bytes:
    return f'<a href="{location}">Found</a>.\n\n'.encode()


def build_http(c: Corpus) -> None:
    add = c.add

    # --- Apache httpd ------------------------------------------------------------------
    def apache_static(rid: str, server: str, body: bytes, *, vary: bool = True) -> None:
        r = Rng(rid)
        now = r.moment()
        mtime = r.older(now)
        headers = [
            ("Date", http_date(now)),
            ("Server", server),
            ("Last-Modified", http_date(mtime)),
            ("ETag", etag_apache(len(body), mtime, r.below(1_000_000))),
            ("Accept-Ranges", "bytes"),
            ("Content-Length", LEN),
        ]
        if vary:
            headers.append(("Vary", "Accept-Encoding"))
        headers += [("Connection", "close"), ("Content-Type", "text/html")]
        add(rid, "GetRequest", "http", http("200 OK", headers, body))

    def apache_err(
        rid: str,
        server: str,
        code: int,
        reason: str,
        message: str,
        *,
        host: str | None,
        port: int = 80,
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        r = Rng(rid)
        signature = f"{server} Server at {host} Port {port}" if host else None
        body = apache_error(code, reason, message, signature)
        headers = [("Date", http_date(r.moment())), ("Server", server), *extra]
        headers += [
            ("Content-Length", LEN),
            ("Connection", "close"),
            ("Content-Type", "text/html; charset=iso-8859-1"),
        ]
        add(rid, "GetRequest", "http", http(f"{code} {reason}", headers, body))

    not_found_24 = "<p>The requested URL was not found on this server.</p>"
    forbidden_24 = "<p>You don't have permission to access this resource.</p>"
    apache_static(
        "http-apache-debian12-default", "Apache/2.4.57 (Debian)", apache_default_page("Debian")
    )
    apache_static(
        "http-apache-ubuntu2204-default", "Apache/2.4.52 (Ubuntu)", apache_default_page("Ubuntu")
    )
    apache_err(
        "http-apache-ubuntu2004-404",
        "Apache/2.4.41 (Ubuntu)",
        404,
        "Not Found",
        not_found_24,
        host="192.0.2.10",
    )
    apache_err(
        "http-apache-ubuntu1804-403",
        "Apache/2.4.29 (Ubuntu)",
        403,
        "Forbidden",
        "<p>You don't have permission to access /\non this server.</p>",
        host="www.example.com",
    )
    apache_err(
        "http-apache-centos7-403",
        "Apache/2.4.6 (CentOS) OpenSSL/1.0.2k-fips",
        403,
        "Forbidden",
        "<p>You don't have permission to access /\non this server.</p>",
        host=None,
    )
    apache_err(
        "http-apache-centos6-404",
        "Apache/2.2.15 (CentOS)",
        404,
        "Not Found",
        "<p>The requested URL / was not found on this server.</p>",
        host="intranet.example.net",
    )
    apache_err(
        "http-apache-rocky9-403",
        "Apache/2.4.57 (Rocky Linux) OpenSSL/3.0.7",
        403,
        "Forbidden",
        forbidden_24,
        host=None,
    )
    apache_err(
        "http-apache-amazonlinux2-403",
        "Apache/2.4.58 () OpenSSL/1.0.2k-fips",
        403,
        "Forbidden",
        forbidden_24,
        host=None,
    )
    apache_err(
        "http-apache-debian12-401",
        "Apache/2.4.62 (Debian)",
        401,
        "Unauthorized",
        "<p>This server could not verify that you\nare authorized to access the document\n"
        "requested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\n"
        "browser doesn't understand how to supply\nthe credentials required.</p>",
        host="198.51.100.20",
        extra=[("WWW-Authenticate", 'Basic realm="Restricted Content"')],
    )
    apache_err(
        "http-apache-suse-404",
        "Apache/2.4.51 (Linux/SUSE)",
        404,
        "Not Found",
        not_found_24,
        host="files.example.org",
    )
    apache_err(
        "http-apache-prod-301",
        "Apache",
        301,
        "Moved Permanently",
        '<p>The document has moved <a href="https://www.example.org/">here</a>.</p>',
        host=None,
        extra=[("Location", "https://www.example.org/")],
    )
    apache_err(
        "http-apache-freebsd-302",
        "Apache/2.4.58 (FreeBSD)",
        302,
        "Found",
        '<p>The document has moved <a href="http://198.51.100.7/cgi-bin/login">here</a>.</p>',
        host="198.51.100.7",
        extra=[("Location", "http://198.51.100.7/cgi-bin/login")],
    )

    r = Rng("http-apache-raspbian-200")
    apache_static(
        "http-apache-raspbian-200",
        "Apache/2.4.38 (Raspbian)",
        site_page(r, "Weather station"),
    )
    r = Rng("http-apache-rhel8-200")
    apache_static(
        "http-apache-rhel8-200",
        "Apache/2.4.37 (Red Hat Enterprise Linux)",
        site_page(r, "Example Corp Intranet"),
        vary=False,
    )

    # Apache + PHP (dynamic pages)
    def apache_php(
        rid: str,
        server: str,
        php: str,
        status: str,
        body: bytes,
        *,
        cookie: str | None = None,
        location: str | None = None,
        redirect_by: str | None = None,
    ) -> None:
        r = Rng(rid)
        headers = [("Date", http_date(r.moment())), ("Server", server), ("X-Powered-By", php)]
        if cookie:
            headers.append(
                (
                    "Set-Cookie",
                    f"{cookie}={r.chars(26, '0123456789abcdefghijklmnopqrstuv')}; path=/",
                )
            )
            headers += [
                ("Expires", "Thu, 19 Nov 1981 08:52:00 GMT"),
                ("Cache-Control", "no-store, no-cache, must-revalidate"),
                ("Pragma", "no-cache"),
            ]
        if redirect_by:
            headers.append(("X-Redirect-By", redirect_by))
        if location:
            headers.append(("Location", location))
        headers += [
            ("Content-Length", LEN),
            ("Connection", "close"),
            ("Content-Type", "text/html; charset=UTF-8"),
        ]
        add(rid, "GetRequest", "http", http(status, headers, body))

    apache_php(
        "http-apache-centos7-php74-200",
        "Apache/2.4.6 (CentOS) OpenSSL/1.0.2k-fips PHP/7.4.33",
        "PHP/7.4.33",
        "200 OK",
        site_page(Rng("http-apache-centos7-php74-200/body"), "Example Shop - Login"),
        cookie="PHPSESSID",
    )
    apache_php(
        "http-apache-ubuntu1204-php53-200",
        "Apache/2.2.22 (Ubuntu)",
        "PHP/5.3.10-1ubuntu3.26",
        "200 OK",
        site_page(Rng("http-apache-ubuntu1204-php53-200/body"), "phpMyAdmin"),
        cookie="phpMyAdmin",
    )
    apache_php(
        "http-apache-win64-xampp-302",
        "Apache/2.4.58 (Win64) OpenSSL/3.1.3 PHP/8.2.12",
        "PHP/8.2.12",
        "302 Found",
        b"",
        location="http://192.0.2.61/dashboard/",
    )
    apache_php(
        "http-apache-debian11-wordpress-301",
        "Apache/2.4.56 (Debian)",
        "PHP/7.4.33",
        "301 Moved Permanently",
        b"",
        location="http://www.example.org/",
        redirect_by="WordPress",
    )

    # --- nginx -----------------------------------------------------------------------------
    def nginx_static(rid: str, server: str, body: bytes) -> None:
        r = Rng(rid)
        now = r.moment()
        mtime = r.older(now)
        headers = [
            ("Server", server),
            ("Date", http_date(now)),
            ("Content-Type", "text/html"),
            ("Content-Length", LEN),
            ("Last-Modified", http_date(mtime)),
            ("Connection", "close"),
            ("ETag", etag_nginx(len(body), mtime)),
            ("Accept-Ranges", "bytes"),
        ]
        add(rid, "GetRequest", "http", http("200 OK", headers, body))

    def nginx_err(
        rid: str,
        server: str,
        code: int,
        reason: str,
        *,
        footer: str | None = None,
        bgcolor: bool = False,
        extra_text: str = "",
        tail: Sequence[tuple[str, str]] = (),
    ) -> None:
        r = Rng(rid)
        body = nginx_error(code, reason, footer or server, bgcolor=bgcolor, extra=extra_text)
        headers = [
            ("Server", server),
            ("Date", http_date(r.moment())),
            ("Content-Type", "text/html"),
            ("Content-Length", LEN),
            ("Connection", "close"),
            *tail,
        ]
        add(rid, "GetRequest", "http", http(f"{code} {reason}", headers, body))

    nginx_static("http-nginx-1.22-debian-welcome", "nginx/1.22.1", nginx_welcome(True))
    nginx_static("http-nginx-1.24-ubuntu-welcome", "nginx/1.24.0 (Ubuntu)", nginx_welcome(True))
    nginx_static("http-nginx-1.14-welcome", "nginx/1.14.2", nginx_welcome(False))
    nginx_static(
        "http-nginx-1.20-rhel-200",
        "nginx/1.20.1",
        site_page(Rng("http-nginx-1.20-rhel-200/body"), "Build artifacts"),
    )
    nginx_err("http-nginx-1.18-ubuntu-404", "nginx/1.18.0 (Ubuntu)", 404, "Not Found")
    nginx_err("http-nginx-1.26-404", "nginx/1.26.0", 404, "Not Found")
    nginx_err("http-nginx-plain-403", "nginx", 403, "Forbidden")
    nginx_err(
        "http-nginx-1.10-ubuntu-502",
        "nginx/1.10.3 (Ubuntu)",
        502,
        "Bad Gateway",
        bgcolor=True,
    )
    nginx_err(
        "http-nginx-1.25-301",
        "nginx/1.25.3",
        301,
        "Moved Permanently",
        tail=[("Location", "https://www.example.com/")],
    )
    nginx_err(
        "http-nginx-1.16-401",
        "nginx/1.16.1",
        401,
        "Authorization Required",
        bgcolor=True,
        tail=[("WWW-Authenticate", 'Basic realm="Monitoring"')],
    )
    nginx_err(
        "http-nginx-1.18-plain-http-to-https-400",
        "nginx/1.18.0",
        400,
        "Bad Request",
        extra_text="The plain HTTP request was sent to HTTPS port",
    )
    nginx_err("http-nginx-1.20-503", "nginx/1.20.2", 503, "Service Temporarily Unavailable")

    r = Rng("http-nginx-php-fpm-nextcloud-302")
    add(
        "http-nginx-php-fpm-nextcloud-302",
        "GetRequest",
        "http",
        http(
            "302 Found",
            [
                ("Server", "nginx/1.22.1"),
                ("Date", http_date(r.moment())),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Content-Length", "0"),
                ("Connection", "close"),
                ("Set-Cookie", f"oc{r.hex(10)}={r.hex(26)}; path=/; HttpOnly; SameSite=Lax"),
                ("Expires", "Thu, 19 Nov 1981 08:52:00 GMT"),
                ("Cache-Control", "no-store, no-cache, must-revalidate"),
                ("Pragma", "no-cache"),
                ("Location", "http://cloud.example.org/login"),
                ("Referrer-Policy", "no-referrer"),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("X-Robots-Tag", "noindex, nofollow"),
            ],
        ),
    )

    # openresty (nginx + LuaJIT)
    nginx_err("http-openresty-404", "openresty/1.21.4.3", 404, "Not Found")
    r = Rng("http-openresty-json-200")
    body = b'{"status":"ok","service":"edge-api","region":"eu-west"}\n'
    add(
        "http-openresty-json-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "openresty"),
                ("Date", http_date(r.moment())),
                ("Content-Type", "application/json"),
                ("Content-Length", LEN),
                ("Connection", "close"),
                ("X-Request-Id", r.hex(32)),
            ],
            body,
        ),
    )

    # --- Microsoft IIS / HTTP.sys --------------------------------------------------------
    def iis_static(rid: str, version: str, body: bytes) -> None:
        r = Rng(rid)
        now = r.moment()
        mtime = r.older(now, 2000)
        headers = [
            ("Content-Type", "text/html"),
            ("Last-Modified", http_date(mtime)),
            ("Accept-Ranges", "bytes"),
            ("ETag", etag_iis(mtime)),
            ("Server", f"Microsoft-IIS/{version}"),
            ("X-Powered-By", "ASP.NET"),
            ("Date", http_date(now)),
            ("Connection", "close"),
            ("Content-Length", LEN),
        ]
        add(rid, "GetRequest", "http", http("200 OK", headers, body))

    iis_static(
        "http-iis-10-default",
        "10.0",
        IIS_START.format(
            title="IIS Windows Server", bg="0072C6", img="iisstart.png", w=960, h=600
        ).encode(),
    )
    iis_static(
        "http-iis-8.5-default",
        "8.5",
        IIS_START.format(
            title="IIS Windows Server", bg="B3B3B3", img="iis-85.png", w=960, h=600
        ).encode(),
    )
    iis_static(
        "http-iis-7.5-default",
        "7.5",
        IIS_START.format(title="IIS7", bg="B3B3B3", img="welcome.png", w=571, h=411).encode(),
    )

    def iis_err(rid: str, version: str, status: str, title: str, h3: str) -> None:
        r = Rng(rid)
        headers = [
            ("Content-Type", "text/html"),
            ("Server", f"Microsoft-IIS/{version}"),
            ("X-Powered-By", "ASP.NET"),
            ("Date", http_date(r.moment())),
            ("Connection", "close"),
            ("Content-Length", LEN),
        ]
        add(rid, "GetRequest", "http", http(status, headers, iis_error(title, h3)))

    iis_err(
        "http-iis-10-404",
        "10.0",
        "404 Not Found",
        "404 - File or directory not found.",
        "The resource you are looking for might have been removed, had its name changed, "
        "or is temporarily unavailable.",
    )
    iis_err(
        "http-iis-7.5-403",
        "7.5",
        "403 Forbidden",
        "403 - Forbidden: Access is denied.",
        "You do not have permission to view this directory or page using the credentials "
        "that you supplied.",
    )

    r = Rng("http-iis-10-exchange-owa-302")
    loc = "https://mail.example.com/owa/"
    body = (
        f"<head><title>Document Moved</title></head>\n<body><h1>Object Moved</h1>This document "
        f'may be found <a HREF="{loc}">here</a></body>'
    ).encode()
    add(
        "http-iis-10-exchange-owa-302",
        "GetRequest",
        "http",
        http(
            "302 Found",
            [
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Location", loc),
                ("Server", "Microsoft-IIS/10.0"),
                ("X-Powered-By", "ASP.NET"),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
                ("Content-Length", LEN),
            ],
            body,
        ),
    )

    r = Rng("http-iis-10-aspnet-mvc-200")
    add(
        "http-iis-10-aspnet-mvc-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Cache-Control", "private"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Server", "Microsoft-IIS/10.0"),
                ("X-AspNetMvc-Version", "5.2"),
                ("X-AspNet-Version", "4.0.30319"),
                (
                    "Set-Cookie",
                    f"ASP.NET_SessionId={r.chars(24, BASE32_LOWER)}; path=/; HttpOnly; "
                    "SameSite=Lax",
                ),
                ("X-Powered-By", "ASP.NET"),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
                ("Content-Length", LEN),
            ],
            site_page(r, "Log in - Example Timesheets"),
        ),
    )

    r = Rng("http-iis-6-200")
    now = r.moment()
    mtime = r.older(now, 4000)
    body = site_page(r, "Under Construction")
    add(
        "http-iis-6-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Content-Length", LEN),
                ("Content-Type", "text/html"),
                ("Content-Location", "http://192.0.2.33/iisstart.htm"),
                ("Last-Modified", http_date(mtime)),
                ("Accept-Ranges", "bytes"),
                ("ETag", etag_iis(mtime)),
                ("Server", "Microsoft-IIS/6.0"),
                ("X-Powered-By", "ASP.NET"),
                ("Date", http_date(now)),
                ("Connection", "close"),
            ],
            body,
        ),
    )

    r = Rng("http-httpapi-2.0-404")
    body = (
        b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">\r\n'
        b"<HTML><HEAD><TITLE>Not Found</TITLE>\r\n"
        b'<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
        b"<BODY><h2>Not Found</h2>\r\n<hr><p>HTTP Error 404. The requested resource is not "
        b"found.</p>\r\n</BODY></HTML>\r\n"
    )
    add(
        "http-httpapi-2.0-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("Content-Type", "text/html; charset=us-ascii"),
                ("Server", "Microsoft-HTTPAPI/2.0"),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
                ("Content-Length", LEN),
            ],
            body,
        ),
    )

    # --- lighttpd ----------------------------------------------------------------------
    r = Rng("http-lighttpd-1.4.69-200")
    now = r.moment()
    mtime = r.older(now)
    body = site_page(r, "Pi-hole admin")
    add(
        "http-lighttpd-1.4.69-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Content-Type", "text/html"),
                ("ETag", f'"{r.between(1_000_000_000, 4_294_967_295)}"'),
                ("Last-Modified", http_date(mtime)),
                ("Content-Length", LEN),
                ("Accept-Ranges", "bytes"),
                ("Connection", "close"),
                ("Date", http_date(now)),
                ("Server", "lighttpd/1.4.69"),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-lighttpd-1.4.35-404")
    body = (
        b'<?xml version="1.0" encoding="iso-8859-1"?>\n'
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">\n'
        b'<html xml:lang="en" lang="en">\n <head>\n  <title>404 - Not Found</title>\n </head>\n'
        b" <body>\n  <h1>404 - Not Found</h1>\n </body>\n</html>\n"
    )
    add(
        "http-lighttpd-1.4.35-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("Content-Type", "text/html"),
                ("Content-Length", LEN),
                ("Connection", "close"),
                ("Date", http_date(r.moment())),
                ("Server", "lighttpd/1.4.35"),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )

    # --- Java servers ------------------------------------------------------------------
    r = Rng("http-jetty-9.4-200")
    body = site_page(r, "Example Search Console")
    add(
        "http-jetty-9.4-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Date", http_date(r.moment())),
                ("Content-Type", "text/html;charset=utf-8"),
                ("Content-Length", LEN),
                ("Server", "Jetty(9.4.53.v20231009)"),
            ],
            body,
        ),
    )
    body = (
        b"<html>\n<head>\n"
        b'<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n'
        b"<title>Error 404 Not Found</title>\n</head>\n<body><h2>HTTP ERROR 404 Not Found</h2>\n"
        b"<table>\n<tr><th>URI:</th><td>/</td></tr>\n<tr><th>STATUS:</th><td>404</td></tr>\n"
        b"<tr><th>MESSAGE:</th><td>Not Found</td></tr>\n<tr><th>SERVLET:</th><td>-</td></tr>\n"
        b"</table>\n\n</body>\n</html>\n"
    )
    add(
        "http-jetty-404-no-server-header",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("Cache-Control", "must-revalidate,no-cache,no-store"),
                ("Content-Type", "text/html;charset=iso-8859-1"),
                ("Content-Length", LEN),
            ],
            body,
        ),
    )

    r = Rng("http-tomcat7-coyote-200")
    now = r.moment()
    mtime = r.older(now, 2500)
    body = site_page(r, "Apache Tomcat")
    add(
        "http-tomcat7-coyote-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "Apache-Coyote/1.1"),
                ("Accept-Ranges", "bytes"),
                ("ETag", f'W/"{len(body)}-{unix(mtime) * 1000}"'),
                ("Last-Modified", http_date(mtime)),
                ("Content-Type", "text/html"),
                ("Content-Length", LEN),
                ("Date", http_date(now)),
                ("Connection", "close"),
            ],
            body,
        ),
    )
    r = Rng("http-tomcat9-404")
    body = (
        '<!doctype html><html lang="en"><head><title>HTTP Status 404 \u2013 Not Found</title>'
        '<style type="text/css">body {font-family:Tahoma,Arial,sans-serif;} h1, h2, h3, b '
        "{color:white;background-color:#525D76;} h1 {font-size:22px;} h2 {font-size:16px;} "
        "h3 {font-size:14px;} p {font-size:12px;} a {color:black;} .line {height:1px;"
        "background-color:#525D76;border:none;}</style></head><body><h1>HTTP Status 404 "
        '\u2013 Not Found</h1><hr class="line" /><p><b>Type</b> Status Report</p><p><b>'
        "Description</b> The origin server did not find a current representation for the "
        "target resource or is not willing to disclose that one exists.</p><hr "
        'class="line" /><h3>Apache Tomcat/9.0.83</h3></body></html>'
    ).encode()
    add(
        "http-tomcat9-404",
        "GetRequest",
        "http",
        http(
            "404 ",
            [
                ("Content-Type", "text/html;charset=utf-8"),
                ("Content-Language", "en"),
                ("Content-Length", LEN),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
            ],
            body,
        ),
    )
    r = Rng("http-tomcat10-app-200")
    body = site_page(r, "Example Orders")
    add(
        "http-tomcat10-app-200",
        "GetRequest",
        "http",
        http(
            "200 ",
            [
                ("Set-Cookie", f"JSESSIONID={r.hex(32).upper()}; Path=/; HttpOnly"),
                ("Content-Type", "text/html;charset=UTF-8"),
                ("Content-Length", LEN),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
            ],
            body,
        ),
    )

    # Jenkins (Jetty inside)
    r = Rng("http-jenkins-2.426-403")
    body = (
        "<html><head><meta http-equiv='refresh' content='1;url=/login?from=%2F'/><script "
        "id='redirect' data-redirect-url='/login?from=%2F' src='/static/"
        f"{r.hex(8)}/scripts/redirect.js'></script></head><body style='background-color:"
        "white; color:white;'>\nAuthentication required\n<!--\n-->\n\n</body></html>"
    ).encode()
    add(
        "http-jenkins-2.426-403",
        "GetRequest",
        "http",
        http(
            "403 Forbidden",
            [
                ("Date", http_date(r.moment())),
                ("X-Content-Type-Options", "nosniff"),
                (
                    "Set-Cookie",
                    f"JSESSIONID.{r.hex(8)}=node0{r.chars(26, LOWER_DIGITS)}0.node0; Path=/; "
                    "HttpOnly",
                ),
                ("Expires", "Thu, 01 Jan 1970 00:00:00 GMT"),
                ("Content-Type", "text/html;charset=utf-8"),
                ("X-Hudson", "1.395"),
                ("X-Jenkins", "2.426.2"),
                ("X-Jenkins-Session", r.hex(8)),
                ("Content-Length", LEN),
                ("Server", "Jetty(10.0.18)"),
            ],
            body,
        ),
    )
    r = Rng("http-jenkins-2.319-200")
    body = site_page(r, "Dashboard [Jenkins]")
    add(
        "http-jenkins-2.319-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Date", http_date(r.moment())),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Type", "text/html;charset=utf-8"),
                ("Expires", "0"),
                ("Cache-Control", "no-cache,no-store,must-revalidate"),
                ("X-Hudson-Theme", "default"),
                ("Referrer-Policy", "same-origin"),
                ("Cross-Origin-Opener-Policy", "same-origin"),
                ("Set-Cookie", f"JSESSIONID.{r.hex(8)}=node0{r.hex(24)}1.node0; Path=/; HttpOnly"),
                ("X-Hudson", "1.395"),
                ("X-Jenkins", "2.319.3"),
                ("X-Jenkins-Session", r.hex(8)),
                ("X-Frame-Options", "sameorigin"),
                ("X-Instance-Identity", base64.b64encode(r.raw(294)).decode()),
                ("Content-Length", LEN),
                ("Server", "Jetty(9.4.43.v20210629)"),
            ],
            body,
        ),
    )

    # --- Go net/http based servers (headers sorted, then Date and Content-Length) ------
    def go_http(
        rid: str,
        status: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        sniffed_type: str | None = None,
        explicit_length: bool = False,
        kind: str = "http",
        probe: str = "GetRequest",
        proto: str = "HTTP/1.0",
    ) -> None:
        r = Rng(rid)
        hdrs = sorted(headers, key=lambda h: h[0])
        if explicit_length:
            hdrs = sorted([*hdrs, ("Content-Length", LEN)], key=lambda h: h[0])
        hdrs.append(("Date", http_date(r.moment())))
        if not explicit_length:
            hdrs.append(("Content-Length", LEN))
        if sniffed_type:
            hdrs.append(("Content-Type", sniffed_type))
        add(rid, probe, kind, http(status, hdrs, body, proto=proto))

    go_http(
        "http-go-nethttp-404",
        "404 Not Found",
        [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
        b"404 page not found\n",
    )
    go_http(
        "http-go-nethttp-200-sniffed",
        "200 OK",
        [],
        b"<html><body><h2>inventory-sync</h2><p>ok</p></body></html>\n",
        sniffed_type="text/html; charset=utf-8",
    )
    go_http(
        "http-node-exporter-1.3-200",
        "200 OK",
        [],
        (
            b"<html>\n\t\t\t<head><title>Node Exporter</title></head>\n\t\t\t<body>\n"
            b'\t\t\t<h1>Node Exporter</h1>\n\t\t\t<p><a href="/metrics">Metrics</a></p>\n'
            b"\t\t\t</body>\n\t\t\t</html>"
        ),
        sniffed_type="text/html; charset=utf-8",
    )
    landing_css = (
        "body {\n  font-family: -apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica "
        "Neue,Arial,Noto Sans,Liberation Sans,sans-serif;\n  margin: 0;\n}\nheader {\n  "
        "background-color: #e6522c;\n  color: #fff;\n  font-size: 1rem;\n  padding: 1rem;\n}"
        "\nmain {\n  padding: 1rem;\n}\nlabel {\n  display: inline-block;\n  width: 0.5em;\n}\n"
    )
    for rid, name, desc, ver, rev in (
        (
            "http-node-exporter-1.7-200",
            "Node Exporter",
            "Prometheus Node Exporter",
            "1.7.0",
            Rng("ne-rev").hex(40),
        ),
        (
            "http-blackbox-exporter-0.24-200",
            "Blackbox Exporter",
            "Prometheus Exporter for blackbox probing",
            "0.24.0",
            Rng("bb-rev").hex(40),
        ),
    ):
        page = (
            f'<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8">\n'
            f"    <title>{name}</title>\n    <style>{landing_css}</style>\n  </head>\n"
            f"  <body>\n    <header>\n      <h1>{name}</h1>\n    </header>\n    <main>\n"
            f"      <h2>{desc}</h2>\n      <div>Version: (version={ver}, branch=HEAD, "
            f"revision={rev})</div>\n      <div>\n        <ul>\n          \n"
            '          <li><a href="/metrics">Metrics</a></li>\n          \n        </ul>\n'
            "      </div>\n      \n    </main>\n  </body>\n</html>\n"
        ).encode()
        go_http(rid, "200 OK", [("Content-Type", "text/html; charset=UTF-8")], page)
    go_http(
        "http-prometheus-2.48-302",
        "302 Found",
        [("Content-Type", "text/html; charset=utf-8"), ("Location", "/graph")],
        go_redirect_body("/graph"),
    )
    go_http(
        "http-grafana-10-302-login",
        "302 Found",
        [
            ("Cache-Control", "no-store"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Location", "/login"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "deny"),
            ("X-Xss-Protection", "1; mode=block"),
        ],
        go_redirect_body("/login"),
    )
    go_http(
        "http-caddy-308-https",
        "308 Permanent Redirect",
        [("Connection", "close"), ("Location", "https://192.0.2.44/"), ("Server", "Caddy")],
        b"",
    )
    r = Rng("http-caddy-200")
    now = r.moment()
    body = site_page(r, "Example Static Site")
    go_http(
        "http-caddy-200",
        "200 OK",
        [
            ("Accept-Ranges", "bytes"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Etag", f'"{r.chars(9, "0123456789abcdefghijklmnopqrstuvwxyz")}"'),
            ("Last-Modified", http_date(r.older(now))),
            ("Server", "Caddy"),
        ],
        body,
        explicit_length=True,
    )
    go_http(
        "http-docker-24-404",
        "404 Not Found",
        [
            ("Api-Version", "1.43"),
            ("Content-Type", "application/json"),
            ("Docker-Experimental", "false"),
            ("Ostype", "linux"),
            ("Server", "Docker/24.0.7 (linux)"),
        ],
        b'{"message":"page not found"}\n',
    )
    add(
        "http-docker-version-probe-400",
        "docker",
        "http",
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Connection: close\r\n\r\n400 Bad Request: missing required Host header",
    )
    r = Rng("http-kubernetes-apiserver-401")
    k8s_401 = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    go_http(
        "http-kubernetes-apiserver-401",
        "401 Unauthorized",
        [
            ("Audit-Id", r.uuid()),
            ("Cache-Control", "no-cache, private"),
            ("Content-Type", "application/json"),
        ],
        (json.dumps(k8s_401, indent=2) + "\n").encode(),
    )
    r = Rng("http-kubernetes-apiserver-403")
    k8s_403 = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'forbidden: User "system:anonymous" cannot get path "/"',
        "reason": "Forbidden",
        "details": {},
        "code": 403,
    }
    go_http(
        "http-kubernetes-apiserver-403",
        "403 Forbidden",
        [
            ("Audit-Id", r.uuid()),
            ("Cache-Control", "no-cache, private"),
            ("Content-Type", "application/json"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Kubernetes-Pf-Flowschema-Uid", r.uuid()),
            ("X-Kubernetes-Pf-Prioritylevel-Uid", r.uuid()),
        ],
        (json.dumps(k8s_403, indent=2) + "\n").encode(),
    )
    r = Rng("http-minio-403")
    req_id = r.hex(16).upper()
    host_id = hashlib.sha256(r.raw(16)).hexdigest()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>'
        "Access Denied.</Message><Resource>/</Resource><RequestId>"
        f"{req_id}</RequestId><HostId>{host_id}</HostId></Error>"
    ).encode()
    go_http(
        "http-minio-403",
        "403 Forbidden",
        [
            ("Accept-Ranges", "bytes"),
            ("Content-Type", "application/xml"),
            ("Server", "MinIO"),
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
            ("Vary", "Origin"),
            ("Vary", "Accept-Encoding"),
            ("X-Amz-Id-2", host_id),
            ("X-Amz-Request-Id", req_id),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Xss-Protection", "1; mode=block"),
        ],
        body,
        explicit_length=True,
    )

    # --- Python servers ----------------------------------------------------------------
    r = Rng("http-gunicorn-django-200")
    body = site_page(r, "Example Helpdesk")
    add(
        "http-gunicorn-django-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "gunicorn"),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("X-Frame-Options", "DENY"),
                ("Vary", "Cookie"),
                ("Content-Length", LEN),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "same-origin"),
                ("Cross-Origin-Opener-Policy", "same-origin"),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-gunicorn-19-flask-404")
    body = (
        b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n'
        b"<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered "
        b"the URL manually please check your spelling and try again.</p>\n"
    )
    add(
        "http-gunicorn-19-flask-404",
        "GetRequest",
        "http",
        http(
            "404 NOT FOUND",
            [
                ("Server", "gunicorn/19.9.0"),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
                ("Content-Type", "text/html"),
                ("Content-Length", LEN),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-werkzeug-3-200")
    add(
        "http-werkzeug-3-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "Werkzeug/3.0.1 Python/3.11.2"),
                ("Date", http_date(r.moment())),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", LEN),
                ("Connection", "close"),
            ],
            site_page(r, "Lab Scheduler"),
        ),
    )
    r = Rng("http-werkzeug-0.16-404")
    add(
        "http-werkzeug-0.16-404",
        "GetRequest",
        "http",
        http(
            "404 NOT FOUND",
            [
                ("Content-Type", "text/html"),
                ("Content-Length", LEN),
                ("Server", "Werkzeug/0.16.0 Python/3.8.10"),
                ("Date", http_date(r.moment())),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-uvicorn-fastapi-404")
    add(
        "http-uvicorn-fastapi-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("date", http_date(r.moment())),
                ("server", "uvicorn"),
                ("content-length", LEN),
                ("content-type", "application/json"),
                ("connection", "close"),
            ],
            b'{"detail":"Not Found"}',
        ),
    )
    r = Rng("http-tornado-6-200")
    body = site_page(r, "Home Page - Jupyter Server")
    add(
        "http-tornado-6-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "TornadoServer/6.3.3"),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Date", http_date(r.moment())),
                ("Etag", f'"{hashlib.sha1(body).hexdigest()}"'),
                ("Content-Length", LEN),
            ],
            body,
        ),
    )
    r = Rng("http-python-simplehttp-200")
    names = ["backup.tar.gz", "notes.txt", "photos/", "report-2023.pdf", "tools/"]
    listing = "".join(f'<li><a href="{n}">{n}</a></li>\n' for n in names)
    body = (
        '<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Directory listing for /</title>\n</head>\n<body>\n"
        f"<h1>Directory listing for /</h1>\n<hr>\n<ul>\n{listing}</ul>\n<hr>\n</body>\n</html>\n"
    ).encode()
    add(
        "http-python-simplehttp-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "SimpleHTTP/0.6 Python/3.11.2"),
                ("Date", http_date(r.moment())),
                ("Content-type", "text/html; charset=utf-8"),
                ("Content-Length", LEN),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )

    # --- Node.js -------------------------------------------------------------------------
    r = Rng("http-express-200")
    body = b"Hello World!"
    add(
        "http-express-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("X-Powered-By", "Express"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", LEN),
                ("ETag", etag_express(body)),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
            ],
            body,
        ),
    )
    r = Rng("http-express-404")
    body = (
        b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
        b"</head>\n<body>\n<pre>Cannot GET /</pre>\n</body>\n</html>\n"
    )
    add(
        "http-express-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("X-Powered-By", "Express"),
                ("Content-Security-Policy", "default-src 'none'"),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", LEN),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
            ],
            body,
        ),
    )
    r = Rng("http-kibana-8-302")
    add(
        "http-kibana-8-302",
        "GetRequest",
        "http",
        http(
            "302 Found",
            [
                ("location", "/spaces/enter"),
                ("x-content-type-options", "nosniff"),
                ("referrer-policy", "strict-origin-when-cross-origin"),
                (
                    "permissions-policy",
                    "camera=(), display-capture=(), fullscreen=(self), "
                    "geolocation=(), microphone=(), web-share=()",
                ),
                ("cross-origin-opener-policy", "same-origin"),
                (
                    "content-security-policy",
                    "script-src 'report-sample' 'self'; worker-src "
                    "'report-sample' 'self' blob:; style-src 'report-sample' 'self' "
                    "'unsafe-inline'",
                ),
                ("kbn-name", "kibana-01"),
                ("kbn-license-sig", hashlib.sha256(r.raw(32)).hexdigest()),
                ("cache-control", "private, no-cache, no-store, must-revalidate"),
                ("content-length", "0"),
                ("Date", http_date(r.moment())),
                ("Connection", "close"),
            ],
        ),
    )

    # --- Proxies, load balancers, CDNs -------------------------------------------------
    r = Rng("http-envoy-426")
    add(
        "http-envoy-426",
        "GetRequest",
        "http",
        http(
            "426 Upgrade Required",
            [
                ("content-length", "0"),
                ("date", http_date(r.moment())),
                ("server", "envoy"),
                ("connection", "close"),
            ],
        ),
    )
    r = Rng("http-envoy-503")
    add(
        "http-envoy-503",
        "GetRequest",
        "http",
        http(
            "503 Service Unavailable",
            [
                ("content-length", LEN),
                ("content-type", "text/plain"),
                ("date", http_date(r.moment())),
                ("server", "envoy"),
                ("connection", "close"),
            ],
            b"no healthy upstream",
        ),
    )
    r = Rng("http-envoy-istio-404")
    add(
        "http-envoy-istio-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("date", http_date(r.moment())),
                ("server", "istio-envoy"),
                ("x-envoy-upstream-service-time", str(r.between(1, 9))),
                ("connection", "close"),
                ("content-length", "0"),
            ],
        ),
    )
    add(
        "http-haproxy-2-503",
        "GetRequest",
        "http",
        http(
            "503 Service Unavailable",
            [
                ("content-length", LEN),
                ("cache-control", "no-cache"),
                ("content-type", "text/html"),
                ("connection", "close"),
            ],
            b"<html><body><h1>503 Service Unavailable</h1>\n"
            b"No server is available to handle this request.\n</body></html>\n",
        ),
    )
    add(
        "http-haproxy-2-403",
        "GetRequest",
        "http",
        http(
            "403 Forbidden",
            [("content-length", LEN), ("cache-control", "no-cache"), ("content-type", "text/html")],
            b"<html><body><h1>403 Forbidden</h1>\n"
            b"Request forbidden by administrative rules.\n</body></html>\n",
        ),
    )
    add(
        "http-haproxy-1.x-503",
        "GetRequest",
        "http",
        http(
            "503 Service Unavailable",
            [("Cache-Control", "no-cache"), ("Connection", "close"), ("Content-Type", "text/html")],
            b"<html><body><h1>503 Service Unavailable</h1>\n"
            b"No server is available to handle this request.\n</body></html>\n",
            proto="HTTP/1.0",
        ),
    )
    add(
        "http-haproxy-1.5-stats-401",
        "GetRequest",
        "http",
        http(
            "401 Unauthorized",
            [
                ("Cache-Control", "no-cache"),
                ("Connection", "close"),
                ("Content-Type", "text/html"),
                ("WWW-Authenticate", 'Basic realm="HAProxy Statistics"'),
            ],
            b"<html><body><h1>401 Unauthorized</h1>\n"
            b"You need a valid user and password to access this content.\n</body></html>\n",
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-kestrel-404")
    add(
        "http-kestrel-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("Content-Length", "0"),
                ("Connection", "close"),
                ("Date", http_date(r.moment())),
                ("Server", "Kestrel"),
            ],
        ),
    )
    r = Rng("http-cloudflare-400")
    add(
        "http-cloudflare-400",
        "GetRequest",
        "http",
        http(
            "400 Bad Request",
            [
                ("Server", "cloudflare"),
                ("Date", http_date(r.moment())),
                ("Content-Type", "text/html"),
                ("Content-Length", LEN),
                ("Connection", "close"),
                ("CF-RAY", "-"),
            ],
            nginx_error(400, "Bad Request", "cloudflare", bgcolor=False),
        ),
    )
    r = Rng("http-cloudflare-403-1003")
    add(
        "http-cloudflare-403-1003",
        "GetRequest",
        "http",
        http(
            "403 Forbidden",
            [
                ("Date", http_date(r.moment())),
                ("Content-Type", "text/plain; charset=UTF-8"),
                ("Content-Length", LEN),
                ("Connection", "close"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("Referrer-Policy", "same-origin"),
                (
                    "Cache-Control",
                    "private, max-age=0, no-store, no-cache, must-revalidate, "
                    "post-check=0, pre-check=0",
                ),
                ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
                ("Server", "cloudflare"),
                ("CF-RAY", f"{r.hex(16)}-{r.pick(['FRA', 'AMS', 'CDG', 'LHR', 'IAD'])}"),
            ],
            b"error code: 1003",
        ),
    )
    r = Rng("http-akamaighost-400")
    now = r.moment()
    ref = f"9&#46;{r.hex(8)}&#46;{unix(now)}&#46;{r.hex(8)}"
    body = (
        "<HTML><HEAD>\n<TITLE>Invalid URL</TITLE>\n</HEAD><BODY>\n<H1>Invalid URL</H1>\n"
        'The requested URL "&#91;no&#32;URL&#93;", is invalid.<p>\n'
        f"Reference&#32;&#35;{ref}\n</BODY></HTML>\n"
    ).encode()
    add(
        "http-akamaighost-400",
        "GetRequest",
        "http",
        http(
            "400 Bad Request",
            [
                ("Server", "AkamaiGHost"),
                ("Mime-Version", "1.0"),
                ("Content-Type", "text/html"),
                ("Content-Length", LEN),
                ("Expires", http_date(now)),
                ("Date", http_date(now)),
                ("Connection", "close"),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )

    def squid(rid: str, version: str, host: str) -> None:
        r = Rng(rid)
        now = r.moment()
        body = (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN">\n<html><head>\n'
            '<meta type="copyright" content="Copyright (C) 1996-2023 The Squid Software '
            'Foundation and contributors">\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            "<title>ERROR: The requested URL could not be retrieved</title>\n"
            '<style type="text/css"><!--\n'
            "html body { margin: 0; padding: 0; background: #efefef; font-size: 12px; "
            "color: #1e1e1e; }\n#titles { margin-left: 15px; padding: 10px; padding-left: "
            "100px; }\n#content { padding: 10px; background: #ffffff; }\n"
            "#footer { font-size: 9px; padding-left: 10px; }\n --></style>\n</head>"
            '<body id="ERR_INVALID_URL">\n<div id="titles">\n<h1>ERROR</h1>\n'
            "<h2>The requested URL could not be retrieved</h2>\n</div>\n<hr>\n\n"
            '<div id="content">\n<p>The following error was encountered while trying to '
            'retrieve the URL: <a href="/">/</a></p>\n\n<blockquote id="error">\n'
            "<p><b>Invalid URL</b></p>\n</blockquote>\n\n<p>Some aspect of the requested URL "
            "is incorrect.</p>\n\n<p>Some possible problems are:</p>\n<ul>\n"
            "<li><p>Missing or incorrect access protocol (should be <q>http://</q> or "
            "similar)</p></li>\n<li><p>Missing hostname</p></li>\n<li><p>Illegal double-escape "
            "in the URL-Path</p></li>\n<li><p>Illegal character in hostname; underscores are "
            "not allowed.</p></li>\n</ul>\n\n<p>Your cache administrator is <a href="
            f'"mailto:webmaster@example.net">webmaster</a>.</p>\n<br>\n</div>\n\n<hr>\n'
            f'<div id="footer">\n<p>Generated {http_date(now)} by {host} (squid/{version})'
            "</p>\n<!-- ERR_INVALID_URL -->\n</div>\n</body></html>\n"
        ).encode()
        headers = [
            ("Server", f"squid/{version}"),
            ("Mime-Version", "1.0"),
            ("Date", http_date(now)),
            ("Content-Type", "text/html;charset=utf-8"),
            ("Content-Length", LEN),
            ("X-Squid-Error", "ERR_INVALID_URL 0"),
            ("Vary", "Accept-Language"),
            ("Content-Language", "en"),
            ("X-Cache", f"MISS from {host}"),
            ("X-Cache-Lookup", f"NONE from {host}:3128"),
            ("Via", f"1.1 {host} (squid/{version})"),
            ("Connection", "close"),
        ]
        add(rid, "GetRequest", "http", http("400 Bad Request", headers, body))

    squid("http-squid-5.7-400", "5.7", "proxy.example.net")
    squid("http-squid-3.5-400", "3.5.27", "cache01.example.com")

    r = Rng("http-varnish-7-503")
    xid = r.between(32768, 99999)
    body = (
        "<!DOCTYPE html>\n<html>\n  <head>\n    <title>503 Backend fetch failed</title>\n"
        "  </head>\n  <body>\n    <h1>Error 503 Backend fetch failed</h1>\n"
        "    <p>Backend fetch failed</p>\n    <h3>Guru Meditation:</h3>\n"
        f"    <p>XID: {xid + 1}</p>\n    <hr>\n    <p>Varnish cache server</p>\n"
        "  </body>\n</html>\n"
    ).encode()
    add(
        "http-varnish-7-503",
        "GetRequest",
        "http",
        http(
            "503 Backend fetch failed",
            [
                ("Date", http_date(r.moment())),
                ("Server", "Varnish"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Retry-After", "5"),
                ("X-Varnish", str(xid)),
                ("Age", "0"),
                ("Via", "1.1 cache-01 (Varnish/7.4)"),
                ("Content-Length", LEN),
                ("Connection", "close"),
            ],
            body,
        ),
    )
    r = Rng("http-varnish-6-apache-200")
    now = r.moment()
    mtime = r.older(now)
    body = site_page(r, "Example News")
    add(
        "http-varnish-6-apache-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Date", http_date(now)),
                ("Server", "Apache/2.4.57 (Debian)"),
                ("Last-Modified", http_date(mtime)),
                ("Vary", "Accept-Encoding"),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("X-Varnish", f"{r.between(90000, 99999)} {r.between(30000, 40000)}"),
                ("Age", str(r.between(1, 600))),
                ("Via", "1.1 varnish (Varnish/6.0)"),
                ("Accept-Ranges", "bytes"),
                ("Content-Length", LEN),
                ("Connection", "close"),
            ],
            body,
        ),
    )

    # --- LiteSpeed -----------------------------------------------------------------------
    r = Rng("http-litespeed-404")
    body = (
        b'<!DOCTYPE html>\n<html style="height:100%">\n<head>\n<meta name="viewport" '
        b'content="width=device-width, initial-scale=1, shrink-to-fit=no" />\n'
        b"<title> 404 Not Found\r\n</title></head>\n"
        b'<body style="color: #444; margin:0;font: normal 14px/20px Arial, Helvetica, '
        b'sans-serif; height:100%; background-color: #fff;">\n'
        b'<div style="height:auto; min-height:100%; ">     <div style="text-align: center; '
        b'width:800px; margin-left: -400px; position:absolute; top: 30%; left:50%;">\n'
        b'        <h1 style="margin:0; font-size:150px; line-height:150px; font-weight:bold;">'
        b'404</h1>\n<h2 style="margin-top:20px;font-size: 30px;">Not Found\r\n</h2>\n'
        b"<p>The resource requested could not be found on this server!</p>\n</div></div>"
        b"</body></html>\n"
    )
    add(
        "http-litespeed-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("Connection", "close"),
                ("cache-control", "private, no-cache, no-store, must-revalidate, max-age=0"),
                ("pragma", "no-cache"),
                ("content-type", "text/html"),
                ("content-length", LEN),
                ("date", http_date(r.moment())),
                ("server", "LiteSpeed"),
            ],
            body,
        ),
    )
    r = Rng("http-litespeed-5-php-302")
    add(
        "http-litespeed-5-php-302",
        "GetRequest",
        "http",
        http(
            "302 Found",
            [
                ("Date", http_date(r.moment())),
                ("Server", "LiteSpeed"),
                ("Connection", "close"),
                ("X-Powered-By", "PHP/5.6.40"),
                ("Set-Cookie", f"PHPSESSID={r.chars(26, BASE32_LOWER)}; path=/"),
                ("Location", "http://shop.example.net/index.php?route=common/home"),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Content-Length", "0"),
            ],
        ),
    )
    r = Rng("http-litespeed-php-200")
    body = site_page(r, "Example Bakery &#8211; Fresh every day")
    add(
        "http-litespeed-php-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Connection", "close"),
                ("x-powered-by", "PHP/8.1.27"),
                ("content-type", "text/html; charset=UTF-8"),
                ("x-litespeed-cache", "hit"),
                ("content-length", LEN),
                ("date", http_date(r.moment())),
                ("server", "LiteSpeed"),
            ],
            body,
        ),
    )

    # --- Embedded and appliance web servers ------------------------------------------------
    r = Rng("http-boa-0.94.14-200")
    now = r.moment()
    body = site_page(r, "NVR Login")
    add(
        "http-boa-0.94.14-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Date", http_date(now)),
                ("Server", "Boa/0.94.14rc21"),
                ("Accept-Ranges", "bytes"),
                ("Connection", "close"),
                ("Content-Length", LEN),
                ("Last-Modified", http_date(r.older(now, 3000))),
                ("Content-Type", "text/html"),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )
    boot = dt.datetime(2000, 1, 1, 0, 4, 12, tzinfo=dt.timezone.utc)
    add(
        "http-boa-0.94.13-dvr-401",
        "GetRequest",
        "http",
        http(
            "401 Unauthorized",
            [
                ("Date", http_date(boot)),
                ("Server", "Boa/0.94.13"),
                ("Connection", "close"),
                ("WWW-Authenticate", 'Basic realm="DVR"'),
                ("Content-Type", "text/html"),
            ],
            b"<HTML><HEAD><TITLE>401 Unauthorized</TITLE></HEAD>\n"
            b"<BODY><H1>401 Unauthorized</H1>\n"
            b"Your client does not have permission to get URL / from this server.\n"
            b"</BODY></HTML>\n",
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-goahead-webs-302")
    loc = "http://192.0.2.1/login.asp"
    add(
        "http-goahead-webs-302",
        "GetRequest",
        "http",
        http(
            "302 Redirect",
            [
                ("Server", "GoAhead-Webs"),
                ("Date", asctime(r.moment())),
                ("Connection", "close"),
                ("Pragma", "no-cache"),
                ("Cache-Control", "no-cache"),
                ("Content-Type", "text/html"),
                ("Location", loc),
            ],
            (
                "<html><head></head><body>\r\n\t\tThis document has moved to a new "
                f'<a href="{loc}">location</a>.\r\n\t\tPlease update your documents to '
                "reflect the new location.\r\n\t\t</body></html>\r\n\r\n"
            ).encode(),
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-goahead-http-401")
    add(
        "http-goahead-http-401",
        "GetRequest",
        "http",
        http(
            "401 Unauthorized",
            [
                ("Server", "GoAhead-http"),
                ("Date", asctime(r.moment())),
                ("Content-Length", LEN),
                ("Connection", "close"),
                (
                    "WWW-Authenticate",
                    f'Digest realm="IPCAM", domain=":80", qop="auth", '
                    f'nonce="{r.hex(32)}", opaque="", algorithm="MD5", stale="FALSE"',
                ),
                ("Pragma", "no-cache"),
                ("Cache-Control", "no-cache"),
                ("Content-Type", "text/html"),
            ],
            b"<html><head><title>Document Error: Unauthorized</title></head>\r\n"
            b"\t\t<body><h2>Access Error: Unauthorized</h2>\r\n"
            b"\t\t<p>Access to this document requires a User ID</p></body></html>\r\n\r\n",
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-mini-httpd-200")
    now = r.moment()
    body = site_page(r, "Printer Status")
    add(
        "http-mini-httpd-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "mini_httpd/1.30 26Oct2018"),
                ("Date", http_date(now)),
                ("Cache-Control", "no-cache,no-store"),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Content-Length", LEN),
                ("Last-Modified", http_date(r.older(now))),
                ("Accept-Ranges", "bytes"),
                ("Connection", "close"),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-thttpd-2.29-200")
    now = r.moment()
    body = site_page(r, "Solar Inverter")
    add(
        "http-thttpd-2.29-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Server", "thttpd/2.29 23May2018"),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Date", http_date(now)),
                ("Last-Modified", http_date(r.older(now))),
                ("Accept-Ranges", "bytes"),
                ("Connection", "close"),
                ("Content-Length", LEN),
            ],
            body,
        ),
    )
    r = Rng("http-thttpd-2.25b-404")
    add(
        "http-thttpd-2.25b-404",
        "GetRequest",
        "http",
        http(
            "404 Not Found",
            [
                ("Server", "thttpd/2.25b 29dec2003"),
                ("Content-Type", "text/html; charset=iso-8859-1"),
                ("Date", http_date(r.moment())),
                ("Last-Modified", http_date(r.moment())),
                ("Accept-Ranges", "bytes"),
                ("Connection", "close"),
                ("Cache-Control", "no-cache,no-store"),
            ],
            b'<HTML>\n<HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY BGCOLOR="#cc9999" '
            b'TEXT="#000000" LINK="#2020ff" VLINK="#4040cc">\n<H2>404 Not Found</H2>\n'
            b"The requested URL '/' was not found on this server.\n<HR>\n"
            b"<ADDRESS>thttpd/2.25b 29dec2003</ADDRESS>\n</BODY>\n</HTML>\n",
            proto="HTTP/1.0",
        ),
    )
    add(
        "http-rompager-4.07-401",
        "GetRequest",
        "http",
        http(
            "401 Unauthorized",
            [
                ("Content-Type", "text/html"),
                ("Server", "RomPager/4.07 UPnP/1.0"),
                ("Connection", "close"),
                ("WWW-Authenticate", 'Basic realm="Default: admin/1234"'),
            ],
            b"<html>\n<head>\n<title>Protected Object</title></head><body>\n"
            b"<h1>Protected Object</h1>This object on the RomPager server is protected\n"
            b"</body></html>",
            proto="HTTP/1.0",
        ),
    )
    boot = dt.datetime(2000, 1, 1, 0, 12, 48, tzinfo=dt.timezone.utc)
    add(
        "http-allegro-rompager-4.34-303",
        "GetRequest",
        "http",
        http(
            "303 See Other",
            [
                ("Location", "http://192.0.2.254/login.htm"),
                ("Content-Type", "text/html"),
                ("Cache-Control", "no-cache"),
                ("Date", http_date(boot)),
                ("Expires", "Thu, 26 Oct 1995 00:00:00 GMT"),
                ("Pragma", "no-cache"),
                ("Server", "Allegro-Software-RomPager/4.34"),
            ],
            b"<html>\n<head>\n<title>Object Moved</title>\n</head>\n<body>\n"
            b"<h1>Object Moved</h1>\nThis object has moved to "
            b'<a href="http://192.0.2.254/login.htm">http://192.0.2.254/login.htm</a>.\n'
            b"</body>\n</html>\n",
            proto="HTTP/1.0",
        ),
    )
    add(
        "http-router-httpd-netgear-401",
        "GetRequest",
        "http",
        http(
            "401 Unauthorized",
            [
                ("WWW-Authenticate", 'Basic realm="NETGEAR R7000"'),
                ("Content-type", "text/html"),
                ("Connection", "close"),
            ],
            b"<html>\n<head><title>401 Unauthorized</title></head>\n<body>\n"
            b"<h1>401 Unauthorized</h1>\nAccess to this resource is denied, your client has "
            b"not supplied the correct authentication.</body>\n</html>\n",
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-micro-httpd-200")
    add(
        "http-micro-httpd-200",
        "GetRequest",
        "http",
        http(
            "200 Ok",
            [
                ("Server", "micro_httpd"),
                ("Cache-Control", "no-cache"),
                ("Date", http_date(r.moment())),
                ("Content-Type", "text/html"),
                ("Connection", "close"),
            ],
            b'<html><head><meta http-equiv="refresh" content="0;url=/login.html"></head></html>\n',
            proto="HTTP/1.0",
        ),
    )

    # --- Data stores with an HTTP API --------------------------------------------------
    def es_banner(rid: str, number: str, lucene: str, wire: str, index: str) -> str:
        r = Rng(rid)
        uuid = base64.urlsafe_b64encode(r.raw(16)).decode().rstrip("=")
        build = r.moment(200)
        return (
            "{\n"
            f'  "name" : "es-node-{r.between(1, 9)}",\n'
            f'  "cluster_name" : "{r.pick(["docker-cluster", "logs-prod", "search"])}",\n'
            f'  "cluster_uuid" : "{uuid}",\n'
            '  "version" : {\n'
            f'    "number" : "{number}",\n'
            '    "build_flavor" : "default",\n'
            f'    "build_type" : "{r.pick(["docker", "deb", "rpm", "tar"])}",\n'
            f'    "build_hash" : "{r.hex(40)}",\n'
            f'    "build_date" : "{build:%Y-%m-%dT%H:%M:%S}.{r.between(0, 999999999):09d}Z",\n'
            '    "build_snapshot" : false,\n'
            f'    "lucene_version" : "{lucene}",\n'
            f'    "minimum_wire_compatibility_version" : "{wire}",\n'
            f'    "minimum_index_compatibility_version" : "{index}"\n'
            "  },\n"
            '  "tagline" : "You Know, for Search"\n'
            "}\n"
        )

    es_json = es_banner("http-elasticsearch-8.11-200", "8.11.3", "9.8.0", "7.17.0", "7.0.0")
    add(
        "http-elasticsearch-8.11-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("X-elastic-product", "Elasticsearch"),
                ("content-type", "application/json"),
                ("content-length", LEN),
            ],
            es_json.encode(),
            proto="HTTP/1.0",
        ),
    )
    es_json = es_banner("http-elasticsearch-7.17-200", "7.17.16", "8.11.1", "6.8.0", "6.0.0-beta1")
    add(
        "http-elasticsearch-7.17-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("X-elastic-product", "Elasticsearch"),
                ("content-type", "application/json; charset=UTF-8"),
                ("content-length", LEN),
            ],
            es_json.encode(),
            proto="HTTP/1.0",
        ),
    )
    es_json = es_banner("http-elasticsearch-6.8-200", "6.8.23", "7.7.3", "5.6.0", "5.0.0")
    add(
        "http-elasticsearch-6.8-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [("content-type", "application/json; charset=UTF-8"), ("content-length", LEN)],
            es_json.encode(),
            proto="HTTP/1.0",
        ),
    )
    auth = [
        'Basic realm=\\"security\\" charset=\\"UTF-8\\"',
        'Bearer realm=\\"security\\"',
        "ApiKey",
    ]
    hdr = '"header":{"WWW-Authenticate":[' + ",".join(f'"{a}"' for a in auth) + "]}"
    reason = "missing authentication credentials for REST request [/]"
    cause = f'{{"type":"security_exception","reason":"{reason}",{hdr}}}'
    es_json = f'{{"error":{{"root_cause":[{cause}],{cause[1:-1]}}},"status":401}}'
    add(
        "http-elasticsearch-8-401",
        "GetRequest",
        "http",
        http(
            "401 Unauthorized",
            [
                ("WWW-Authenticate", 'Basic realm="security" charset="UTF-8"'),
                ("WWW-Authenticate", 'Bearer realm="security"'),
                ("WWW-Authenticate", "ApiKey"),
                ("content-type", "application/json"),
                ("content-length", LEN),
            ],
            es_json.encode(),
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-couchdb-3.3-200")
    body = (
        '{"couchdb":"Welcome","version":"3.3.3","git_sha":"40afbcfc7","uuid":"'
        f'{r.hex(32)}","features":["access-ready","partitioned","pluggable-storage-engines",'
        '"reshard","scheduler"],"vendor":{"name":"The Apache Software Foundation"}}\n'
    ).encode()
    add(
        "http-couchdb-3.3-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Cache-Control", "must-revalidate"),
                ("Content-Length", LEN),
                ("Content-Type", "application/json"),
                ("Date", http_date(r.moment())),
                ("Server", "CouchDB/3.3.3 (Erlang OTP/24)"),
                ("X-Couch-Request-ID", r.hex(10)),
                ("X-CouchDB-Body-Time", "0"),
            ],
            body,
            proto="HTTP/1.0",
        ),
    )
    r = Rng("http-rabbitmq-mgmt-cowboy-200")
    now = r.moment()
    mtime = r.older(now)
    body = site_page(r, "RabbitMQ Management")
    add(
        "http-rabbitmq-mgmt-cowboy-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("content-length", LEN),
                (
                    "content-security-policy",
                    "script-src 'self' 'unsafe-eval' 'unsafe-inline'; object-src 'self'",
                ),
                ("content-type", "text/html"),
                ("date", http_date(now)),
                ("etag", f'"{r.between(1_000_000_000, 4_294_967_295)}"'),
                ("last-modified", http_date(mtime)),
                ("server", "Cowboy"),
                ("vary", "origin"),
            ],
            body,
        ),
    )

    # --- Chunked transfer coding -------------------------------------------------------
    r = Rng("http-netty-app-chunked-200")
    body = b'{"service":"orders","status":"UP","components":{"db":"UP","diskSpace":"UP"}}'
    add(
        "http-netty-app-chunked-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [("content-type", "application/json"), ("transfer-encoding", "chunked")],
            chunked(body, [len(body)]),
        ),
    )
    r = Rng("http-appweb-2.4-chunked-200")
    body = site_page(r, "Router Setup")
    add(
        "http-appweb-2.4-chunked-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Date", http_date(r.moment())),
                ("Server", "Mbedthis-Appweb/2.4.2"),
                ("Cache-Control", "no-cache"),
                ("Content-type", "text/html"),
                ("Transfer-Encoding", "chunked"),
                ("Connection", "close"),
            ],
            chunked(body, [256, 256, 256]),
        ),
    )
    r = Rng("http-embedthis-chunked-200")
    body = site_page(r, "UPS Network Management Card")
    add(
        "http-embedthis-chunked-200",
        "GetRequest",
        "http",
        http(
            "200 OK",
            [
                ("Date", http_date(r.moment())),
                ("Transfer-Encoding", "chunked"),
                ("Connection", "close"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("Content-Type", "text/html"),
                ("Server", "Embedthis-http"),
            ],
            chunked(body, [1024]),
        ),
    )


# ---------------------------------------------------------------------------------------
# Line-based greetings (SSH, SMTP, FTP, IMAP, POP3)
# ---------------------------------------------------------------------------------------


def ssh_namelist(names: Sequence[str]) -> bytes:
    data = ",".join(names).encode()
    return struct.pack(">I", len(data)) + data


def ssh_kexinit(
    r: Rng, kex: Sequence[str], hostkey: Sequence[str], ciphers: Sequence[str], macs: Sequence[str]
) -> bytes:
    payload = (
        bytes([20])
        + r.raw(16)
        + ssh_namelist(kex)
        + ssh_namelist(hostkey)
        + ssh_namelist(ciphers) * 2
        + ssh_namelist(macs) * 2
        + ssh_namelist(["none"]) * 2
        + ssh_namelist([]) * 2
        + b"\x00"
        + b"\x00\x00\x00\x00"
    )
    padding = 8 - (5 + len(payload)) % 8
    if padding < 4:
        padding += 8
    return struct.pack(">IB", 1 + len(payload) + padding, padding) + payload + r.raw(padding)


def build_ssh(c: Corpus) -> None:
    banners = [
        ("ssh-openssh-9.2-debian12", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2", "\r\n"),
        ("ssh-openssh-8.4-debian11", "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3", "\r\n"),
        ("ssh-openssh-7.9-debian10", "SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u4", "\r\n"),
        ("ssh-openssh-9.6-ubuntu2404", "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13", "\r\n"),
        ("ssh-openssh-8.9-ubuntu2204", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "\r\n"),
        ("ssh-openssh-8.2-ubuntu2004", "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11", "\r\n"),
        ("ssh-openssh-7.6-ubuntu1804", "SSH-2.0-OpenSSH_7.6p1 Ubuntu-4ubuntu0.7", "\r\n"),
        ("ssh-openssh-7.2-ubuntu1604", "SSH-2.0-OpenSSH_7.2p2 Ubuntu-4ubuntu2.10", "\r\n"),
        ("ssh-openssh-6.6-ubuntu1404", "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13", "\r\n"),
        ("ssh-openssh-7.4-centos7", "SSH-2.0-OpenSSH_7.4", "\r\n"),
        ("ssh-openssh-8.0-rhel8", "SSH-2.0-OpenSSH_8.0", "\r\n"),
        ("ssh-openssh-5.3-centos6", "SSH-2.0-OpenSSH_5.3", "\r\n"),
        ("ssh-openssh-9.3-freebsd", "SSH-2.0-OpenSSH_9.3 FreeBSD-20230719", "\r\n"),
        ("ssh-openssh-7.9-raspbian", "SSH-2.0-OpenSSH_7.9p1 Raspbian-10+deb10u2", "\r\n"),
        ("ssh-openssh-9.7-openbsd", "SSH-2.0-OpenSSH_9.7", "\r\n"),
        ("ssh-openssh-windows-8.1", "SSH-2.0-OpenSSH_for_Windows_8.1", "\r\n"),
        ("ssh-openssh-3.9-proto199", "SSH-1.99-OpenSSH_3.9p1", "\n"),
        ("ssh-openssh-4.3-proto199", "SSH-1.99-OpenSSH_4.3", "\r\n"),
        ("ssh-dropbear-2022.83", "SSH-2.0-dropbear_2022.83", "\r\n"),
        ("ssh-dropbear-0.52", "SSH-2.0-dropbear_0.52", "\r\n"),
        ("ssh-libssh-0.9.6", "SSH-2.0-libssh_0.9.6", "\r\n"),
        ("ssh-libssh-0.6.0-old-format", "SSH-2.0-libssh-0.6.0", "\r\n"),
        ("ssh-cisco-1.25", "SSH-2.0-Cisco-1.25", "\r\n"),
        ("ssh-cisco-1.25-proto199", "SSH-1.99-Cisco-1.25", "\n"),
        ("ssh-rosssh-mikrotik", "SSH-2.0-ROSSSH", "\r\n"),
        ("ssh-serv-u-15.3", "SSH-2.0-Serv-U_15.3.2.155", "\r\n"),
        ("ssh-weonlydo-2.4", "SSH-2.0-WeOnlyDo 2.4.3", "\r\n"),
        ("ssh-paramiko-3.4", "SSH-2.0-paramiko_3.4.0", "\r\n"),
        ("ssh-asyncssh-2.14", "SSH-2.0-AsyncSSH_2.14.2", "\r\n"),
        ("ssh-go-x-crypto", "SSH-2.0-Go", "\r\n"),
        ("ssh-proftpd-mod-sftp", "SSH-2.0-mod_sftp/0.9.9", "\r\n"),
        ("ssh-huawei-vrp", "SSH-2.0-HUAWEI-1.5", "\n"),
    ]
    for rid, banner, eol in banners:
        c.add(rid, "NULL", "ssh", (banner + eol).encode())
    r = Rng("ssh-dropbear-2019.78-kexinit")
    kexinit = ssh_kexinit(
        r,
        [
            "curve25519-sha256",
            "ecdh-sha2-nistp521",
            "ecdh-sha2-nistp384",
            "ecdh-sha2-nistp256",
            "diffie-hellman-group14-sha256",
            "diffie-hellman-group14-sha1",
        ],
        ["ecdsa-sha2-nistp256", "ssh-rsa"],
        ["aes128-ctr", "aes256-ctr", "aes128-cbc", "aes256-cbc"],
        ["hmac-sha1", "hmac-sha2-256"],
    )
    c.add(
        "ssh-dropbear-2019.78-kexinit",
        "NULL",
        "ssh",
        b"SSH-2.0-dropbear_2019.78\r\n" + kexinit,
    )
    c.add("ssh-openssh-maxstartups", "NULL", "ssh", b"Exceeded MaxStartups\r\n")


def build_smtp(c: Corpus) -> None:
    def t(rid: str) -> dt.datetime:
        return Rng(rid).moment()

    items: list[tuple[str, str]] = [
        ("smtp-postfix-debian", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"),
        ("smtp-postfix-ubuntu", "220 mx1.example.com ESMTP Postfix (Ubuntu)\r\n"),
        ("smtp-postfix-plain", "220 smtp.example.net ESMTP Postfix\r\n"),
        ("smtp-postfix-zimbra", "220 zimbra.example.com ESMTP Postfix\r\n"),
        (
            "smtp-exim-4.96",
            f"220 mail.example.com ESMTP Exim 4.96 {mail_date(t('smtp-exim-4.96'))}\r\n",
        ),
        (
            "smtp-exim-4.94-cpanel-multiline",
            f"220-server1.example.net ESMTP Exim 4.94.2 #2 "
            f"{mail_date(t('smtp-exim-4.94-cpanel-multiline'), -300)} \r\n"
            "220-We do not authorize the use of this system to transport unsolicited, \r\n"
            "220 and/or bulk e-mail.\r\n",
        ),
        (
            "smtp-sendmail-8.15.2",
            "220 mail.example.org ESMTP Sendmail 8.15.2/8.15.2; "
            f"{mail_date(t('smtp-sendmail-8.15.2'), -300, pad_day=False)}\r\n",
        ),
        (
            "smtp-sendmail-8.14.7-rhel",
            "220 relay.example.com ESMTP Sendmail 8.14.7/8.14.7; "
            f"{mail_date(t('smtp-sendmail-8.14.7-rhel'), 60, pad_day=False)}\r\n",
        ),
        (
            "smtp-sendmail-8.17-multiline",
            "220-mx.example.net ESMTP Sendmail 8.17.1.9/8.17.1.9; "
            f"{mail_date(t('smtp-sendmail-8.17-multiline'), 0, pad_day=False)}\r\n"
            "220-Unauthorized use of this system is prohibited.\r\n"
            "220 No UCE accepted.\r\n",
        ),
        (
            "smtp-exchange-2016",
            "220 EXCH01.corp.example.com Microsoft ESMTP MAIL Service ready at "
            f"{mail_date(t('smtp-exchange-2016'), 60, pad_day=False)}\r\n",
        ),
        (
            "smtp-iis-smtp-10",
            "220 smtp.example.com Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697 ready "
            f"at  {mail_date(t('smtp-iis-smtp-10'), 60, pad_day=False)} \r\n",
        ),
        (
            "smtp-iis-smtp-6",
            "220 mail.example.net Microsoft ESMTP MAIL Service, Version: 6.0.3790.4675 ready at"
            f"  {mail_date(t('smtp-iis-smtp-6'), -360, pad_day=False)} \r\n",
        ),
        ("smtp-qmail", "220 mail.example.net ESMTP\r\n"),
        ("smtp-opensmtpd", "220 mx.example.org ESMTP OpenSMTPD\r\n"),
        ("smtp-hmailserver", "220 hMailServer ESMTP ready\r\n"),
        (
            "smtp-domino-12",
            "220 notes.example.com ESMTP Service (HCL Domino Release 12.0.2) ready at "
            f"{mail_date(t('smtp-domino-12'), 60, pad_day=False)}\r\n",
        ),
        (
            "smtp-domino-8.5",
            "220 domino.example.org ESMTP Service (Lotus Domino Release 8.5.3FP6) ready at "
            f"{mail_date(t('smtp-domino-8.5'), 120, pad_day=False)}\r\n",
        ),
        ("smtp-haraka", "220 mx2.example.org ESMTP Haraka/3.0.2 ready\r\n"),
        ("smtp-kerio-connect", "220 mail.example.com Kerio Connect 9.4.2 ESMTP ready\r\n"),
        (
            "smtp-sendmail-554-not-accepting",
            "554 mail.example.org ESMTP not accepting messages\r\n",
        ),
        (
            "smtp-postscreen-554-dnsbl",
            "554 5.7.1 Service unavailable; client [192.0.2.50] blocked using "
            "dnsbl.example.net\r\n",
        ),
        (
            "smtp-421-too-many",
            "421 4.7.0 mail.example.com Error: too many connections from 198.51.100.77\r\n",
        ),
        ("smtp-cisco-pix-fixup", "220 ********************************0*0*2******0***2*00*\r\n"),
    ]
    for rid, text in items:
        c.add(rid, "NULL", "smtp", text.encode())


def build_ftp(c: Corpus) -> None:
    local = Rng("ftp-pureftpd-multiline").moment()
    items: list[tuple[str, str]] = [
        ("ftp-vsftpd-3.0.3", "220 (vsFTPd 3.0.3)\r\n"),
        ("ftp-vsftpd-3.0.5", "220 (vsFTPd 3.0.5)\r\n"),
        ("ftp-vsftpd-2.3.4", "220 (vsFTPd 2.3.4)\r\n"),
        ("ftp-vsftpd-custom-banner", "220 Welcome to the example.org FTP service.\r\n"),
        ("ftp-proftpd-debian", "220 ProFTPD Server (Debian) [::ffff:192.0.2.21]\r\n"),
        (
            "ftp-proftpd-1.3.5e",
            "220 ProFTPD 1.3.5e Server (ProFTPD Default Installation) [192.0.2.22]\r\n",
        ),
        ("ftp-proftpd-1.3.8", "220 ProFTPD 1.3.8 Server (Example Archive) [198.51.100.3]\r\n"),
        (
            "ftp-pureftpd-multiline",
            "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
            "220-You are user number 1 of 50 allowed.\r\n"
            f"220-Local time is now {local:%H:%M}. Server port: 21.\r\n"
            "220-This is a private system - No anonymous login\r\n"
            "220-IPv6 connections are also welcome on this server.\r\n"
            "220 You will be disconnected after 15 minutes of inactivity.\r\n",
        ),
        (
            "ftp-filezilla-0.9.41",
            "220-FileZilla Server version 0.9.41 beta\r\n220 Welcome to example.com\r\n",
        ),
        ("ftp-filezilla-1.8", "220-FileZilla Server 1.8.1\r\n220 Example Corp file drop\r\n"),
        ("ftp-microsoft-ftp", "220 Microsoft FTP Service\r\n"),
        (
            "ftp-microsoft-ftp-multiline",
            "220-Microsoft FTP Service\r\n220 EXAMPLE-FS01 authorized users only\r\n",
        ),
        ("ftp-serv-u-15", "220 Serv-U FTP Server v15.3 ready...\r\n"),
        (
            "ftp-wu-ftpd-2.6.2",
            "220 ftp.example.org FTP server (Version wu-2.6.2(1) Mon Jun 2 10:22:53 CST 2003) "
            "ready.\r\n",
        ),
        ("ftp-gene6-3.10", "220 Gene6 FTP Server v3.10.0 (Build 2) ready...\r\n"),
        ("ftp-xlight-3.9", "220 Xlight FTP Server 3.9 ready...\r\n"),
        ("ftp-hp-jetdirect", "220 JD FTP Server Ready\r\n"),
        ("ftp-mikrotik", "220 gw01 FTP server (MikroTik 6.49.10) ready\r\n"),
        ("ftp-busybox-ftpd", "220 Operation successful\r\n"),
        ("ftp-synology", "220 NAS01 FTP server ready.\r\n"),
        (
            "ftp-vsftpd-421-too-many",
            "421 There are too many connections from your internet address.\r\n",
        ),
        (
            "ftp-pureftpd-421-full",
            "421 50 users (the maximum) are already logged in, sorry\r\n",
        ),
    ]
    for rid, text in items:
        c.add(rid, "NULL", "ftp", text.encode())


def exchange_tag(host: str) -> str:
    return base64.b64encode(host.encode("utf-16-le")).decode()


def build_mail_access(c: Corpus) -> None:
    uw_time = mail_date(Rng("imap-uw-2007f").moment(), 0, pad_day=False)
    imap: list[tuple[str, str]] = [
        (
            "imap-dovecot-debian-capability",
            "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
            "AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
        ),
        (
            "imap-dovecot-ubuntu-logindisabled",
            "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
            "LOGINDISABLED] Dovecot (Ubuntu) ready.\r\n",
        ),
        ("imap-dovecot-plain", "* OK Dovecot ready.\r\n"),
        (
            "imap-dovecot-custom-greeting",
            "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
            "AUTH=PLAIN] mail.example.org IMAP service ready.\r\n",
        ),
        (
            "imap-courier",
            "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT "
            "THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION STARTTLS] Courier-IMAP ready. "
            "Copyright 1998-2018 Double Precision, Inc.  See COPYING for distribution "
            "information.\r\n",
        ),
        (
            "imap-cyrus-3.6",
            "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN AUTH=LOGIN "
            "SASL-IR] imap.example.org Cyrus IMAP 3.6.1-Debian-3.6.1-4 server ready\r\n",
        ),
        (
            "imap-cyrus-2.4-rhel",
            "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS] mail.example.com Cyrus "
            "IMAP v2.4.17-Fedora-RPM-2.4.17-15.el7 server ready\r\n",
        ),
        ("imap-exchange-2010", "* OK The Microsoft Exchange IMAP4 service is ready.\r\n"),
        (
            "imap-exchange-2016",
            "* OK The Microsoft Exchange IMAP4 service is ready. "
            f"[{exchange_tag('EXCH01.corp.example.com')}]\r\n",
        ),
        ("imap-zimbra", "* OK zimbra.example.com Zimbra IMAP4rev1 server ready\r\n"),
        (
            "imap-uw-2007f",
            "* OK [CAPABILITY IMAP4REV1 I18NLEVEL=1 LITERAL+ SASL-IR LOGIN-REFERRALS STARTTLS "
            f"AUTH=LOGIN] localhost IMAP4rev1 2007f.404 at {uw_time} (UTC)\r\n",
        ),
        ("imap-hmailserver", "* OK IMAPrev1\r\n"),
        (
            "imap-kerio-connect",
            "* OK IMAP4rev1 server ready mail.example.net Kerio Connect 9.4.2 ready\r\n",
        ),
        ("imap-bye-overloaded", "* BYE Too many concurrent connections, try again later.\r\n"),
    ]
    for rid, text in imap:
        c.add(rid, "NULL", "imap", text.encode())

    stamp = unix(Rng("pop3-stamp").moment())
    pop3: list[tuple[str, str]] = [
        ("pop3-dovecot-debian", "+OK Dovecot (Debian) ready.\r\n"),
        ("pop3-dovecot-ubuntu", "+OK Dovecot (Ubuntu) ready.\r\n"),
        ("pop3-dovecot-plain", "+OK Dovecot ready.\r\n"),
        ("pop3-courier", "+OK Hello there.\r\n"),
        (
            "pop3-qpopper-4.1",
            "+OK Qpopper (version 4.1.0) at pop.example.org starting.  "
            f"<{Rng('pop3-qpopper').between(1000, 65000)}.{stamp}@pop.example.org>\r\n",
        ),
        ("pop3-exchange-2010", "+OK The Microsoft Exchange POP3 service is ready.\r\n"),
        (
            "pop3-exchange-2019",
            "+OK The Microsoft Exchange POP3 service is ready. "
            f"[{exchange_tag('MBX02.ad.example.net')}]\r\n",
        ),
        (
            "pop3-cyrus-2.4",
            "+OK mail.example.com Cyrus POP3 v2.4.17-Fedora-RPM-2.4.17-15.el7 server ready "
            f"<{Rng('pop3-cyrus').between(10**9, 10**10)}.{stamp + 17}@mail.example.com>\r\n",
        ),
        ("pop3-zimbra", "+OK zimbra.example.com Zimbra POP3 server ready\r\n"),
        ("pop3-uw-2007f", "+OK POP3 localhost 2007f.104 server ready\r\n"),
        ("pop3-hmailserver", "+OK POP3\r\n"),
        ("pop3-err-too-many", "-ERR [SYS/TEMP] Too many connections from your address.\r\n"),
    ]
    for rid, text in pop3:
        c.add(rid, "NULL", "pop3", text.encode())


# ---------------------------------------------------------------------------------------
# Databases and caches
# ---------------------------------------------------------------------------------------

MYSQL_SALT_ALPHABET = "".join(chr(i) for i in range(33, 127) if chr(i) != "$")


def mysql_packet(payload: bytes, seq: int = 0) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def mysql_handshake(
    rid: str,
    version: str,
    *,
    caps: int,
    charset: int,
    plugin: str | None = "mysql_native_password",
    mariadb_caps: int | None = None,
    status: int = 0x0002,
) -> bytes:
    r = Rng(rid)
    salt = r.chars(20, MYSQL_SALT_ALPHABET).encode()
    payload = b"\x0a" + version.encode() + b"\x00"
    payload += struct.pack("<I", r.between(2, 400_000)) + salt[:8] + b"\x00"
    payload += struct.pack("<HBHH", caps & 0xFFFF, charset, status, caps >> 16)
    payload += bytes([21 if plugin else 0])
    payload += b"\x00" * 6 + struct.pack("<I", mariadb_caps or 0)
    payload += salt[8:] + b"\x00"
    if plugin:
        payload += plugin.encode() + b"\x00"
    return mysql_packet(payload)


def mysql_error(errno: int, message: str) -> bytes:
    return mysql_packet(b"\xff" + struct.pack("<H", errno) + message.encode())


def build_mysql(c: Corpus) -> None:
    shakes: list[tuple[str, str, int, int, str | None, int | None]] = [
        ("mysql-8.0.35", "8.0.35", 0xDFFFFFFF, 0xFF, "caching_sha2_password", None),
        (
            "mysql-8.0.36-ubuntu2204",
            "8.0.36-0ubuntu0.22.04.1",
            0xDFFFFFFF,
            0xFF,
            "caching_sha2_password",
            None,
        ),
        ("mysql-percona-8.0.35-27", "8.0.35-27", 0xDFFFFFFF, 0xFF, "caching_sha2_password", None),
        ("mysql-5.7.42-log", "5.7.42-log", 0x81FFF7FF, 0x08, "mysql_native_password", None),
        (
            "mysql-5.7.42-ubuntu1804",
            "5.7.42-0ubuntu0.18.04.1",
            0x81FFFFFF,
            0x08,
            "mysql_native_password",
            None,
        ),
        ("mysql-5.6.51", "5.6.51", 0x807FF7FF, 0x08, "mysql_native_password", None),
        ("mysql-5.5.62", "5.5.62", 0x807FF7FF, 0x08, "mysql_native_password", None),
        ("mysql-5.1.73", "5.1.73", 0x0000F7FF, 0x08, None, None),
        ("mysql-5.0.95", "5.0.95", 0x0000A22C, 0x08, None, None),
        (
            "mariadb-10.11.6-debian12",
            "5.5.5-10.11.6-MariaDB-0+deb12u1",
            0x81FFF7FE,
            0x2D,
            "mysql_native_password",
            0x1D,
        ),
        (
            "mariadb-10.6.16-ubuntu2204",
            "5.5.5-10.6.16-MariaDB-0ubuntu0.22.04.1",
            0x81FFF7FE,
            0x2D,
            "mysql_native_password",
            0x1D,
        ),
        (
            "mariadb-10.3.39-debian10",
            "5.5.5-10.3.39-MariaDB-0+deb10u1",
            0x81FFF7FE,
            0x08,
            "mysql_native_password",
            0x07,
        ),
        (
            "mariadb-5.5.68-centos7",
            "5.5.68-MariaDB",
            0x807FF7FF,
            0x08,
            "mysql_native_password",
            None,
        ),
        (
            "mariadb-11.2.2-docker",
            "11.2.2-MariaDB-1:11.2.2+maria~ubu2204",
            0x81FFF7FE,
            0x2D,
            "mysql_native_password",
            0x1D,
        ),
        ("mysql-tidb-7.5", "5.7.25-TiDB-v7.5.0", 0x013BA68F, 0x2E, "mysql_native_password", None),
    ]
    for rid, version, caps, charset, plugin, mcaps in shakes:
        data = mysql_handshake(
            rid, version, caps=caps, charset=charset, plugin=plugin, mariadb_caps=mcaps
        )
        c.add(rid, "NULL", "mysql", data)
    c.add(
        "mysql-error-1130-host-not-allowed",
        "NULL",
        "mysql",
        mysql_error(1130, "Host '192.0.2.77' is not allowed to connect to this MySQL server"),
    )
    c.add(
        "mariadb-error-1130-host-not-allowed",
        "NULL",
        "mysql",
        mysql_error(1130, "Host '198.51.100.23' is not allowed to connect to this MariaDB server"),
    )
    c.add("mysql-error-1040-too-many", "NULL", "mysql", mysql_error(1040, "Too many connections"))
    c.add(
        "mysql-error-1129-blocked",
        "NULL",
        "mysql",
        mysql_error(
            1129,
            "Host '192.0.2.91' is blocked because of many connection errors; unblock with "
            "'mysqladmin flush-hosts'",
        ),
    )
    # MariaDB reads GenericLines' "\r\n\r\n" as the start of a PROXY protocol header.
    greeting = mysql_handshake(
        "mariadb-10.11-genericlines",
        "5.5.5-10.11.6-MariaDB-0+deb12u1",
        caps=0x81FFF7FE,
        charset=0x2D,
        mariadb_caps=0x1D,
    )
    refusal = mysql_packet(
        b"\xff" + struct.pack("<H", 1130) + b"#HY000Proxy header is not accepted from 192.0.2.58",
        seq=1,
    )
    c.add("mariadb-10.11-genericlines-proxy-header", "GenericLines", "mysql", greeting + refusal)
    # MySQL X Protocol (port 33060): a Notice frame announcing the server hello.
    c.add("mysqlx-8.0-notice", "NULL", "mysqlx", b"\x05\x00\x00\x00\x0b\x08\x05\x1a\x00")


def pg_error(fields: Sequence[tuple[str, str]]) -> bytes:
    body = b"".join(k.encode() + v.encode("utf-8") + b"\x00" for k, v in fields) + b"\x00"
    return b"E" + struct.pack(">I", len(body) + 4) + body


def build_postgresql(c: Corpus) -> None:
    # SMBProgNeg starts with \0\0\0\xa4\xffSMB: a 164-byte startup packet whose "protocol
    # version" is 0xff53.0x4d42 = 65363.19778, which every version rejects with a FATAL.
    # (GenericLines and GetRequest get no reply: their "length" exceeds the startup packet
    # limit, which the server only logs.) Until 13 the range is 1.0-3.0, 14-17 accept 3.0
    # only, 18 accepts 3.0-3.2; the V field exists since 9.6. The source line (L) changes
    # with every minor release: 2222 is PostgreSQL 15.18 as packaged by Debian 12, the
    # others are illustrative values for their era, not those of a particular release.
    proto = "65363.19778"
    # (id, has a V field, supported range, source file, source line)
    variants: list[tuple[str, bool, str, str, str]] = [
        ("postgresql-9.4-era", False, "1.0 to 3.0", "postmaster.c", "1938"),
        ("postgresql-9.6-era", True, "1.0 to 3.0", "postmaster.c", "2001"),
        ("postgresql-10-era", True, "1.0 to 3.0", "postmaster.c", "2012"),
        ("postgresql-12-era", True, "1.0 to 3.0", "postmaster.c", "2075"),
        ("postgresql-14-era", True, "3.0 to 3.0", "postmaster.c", "2181"),
        ("postgresql-15.18-debian12", True, "3.0 to 3.0", "postmaster.c", "2222"),
        ("postgresql-16-era", True, "3.0 to 3.0", "postmaster.c", "2149"),
        ("postgresql-17-era", True, "3.0 to 3.0", "backend_startup.c", "639"),
        ("postgresql-18-era", True, "3.0 to 3.2", "backend_startup.c", "732"),
    ]
    for rid, has_v, supported, src, line in variants:
        fields = [("S", "FATAL")]
        if has_v:
            fields.append(("V", "FATAL"))
        fields += [
            ("C", "0A000"),
            ("M", f"unsupported frontend protocol {proto}: server supports {supported}"),
            ("F", src),
            ("L", line),
            ("R", "ProcessStartupPacket"),
        ]
        c.add(f"{rid}-unsupported-protocol", "SMBProgNeg", "postgresql", pg_error(fields))
    c.add(
        "postgresql-15-de-unsupported-protocol",
        "SMBProgNeg",
        "postgresql",
        pg_error(
            [
                ("S", "FATAL"),
                ("V", "FATAL"),
                ("C", "0A000"),
                (
                    "M",
                    f"nicht unterst\u00fctztes Frontend-Protokoll {proto}: Server unterst\u00fctzt "
                    "3.0 bis 3.0",
                ),
                ("F", "postmaster.c"),
                ("L", "2222"),
                ("R", "ProcessStartupPacket"),
            ]
        ),
    )


def redis_human(n: int) -> str:
    """Redis's bytesToHuman(): B, K, M, G with two decimals."""
    if n < 1024:
        return f"{n}B"
    for unit, size in (("K", 1024), ("M", 1024**2), ("G", 1024**3)):
        if n < size * 1024 or unit == "G":
            return f"{n / size:.2f}{unit}"
    raise AssertionError


def redis_info(
    rid: str,
    version: str,
    *,
    modern: bool,
    valkey: str | None = None,
    sentinel: bool = False,
) -> bytes:
    """The RESP bulk string that INFO returns (default sections, somewhat abridged)."""
    r = Rng(rid)
    now = r.moment()
    uptime = r.between(3600, 90 * 86400)
    used = r.between(800_000, 40_000_000)
    rss = used + r.between(1_000_000, 9_000_000)
    peak = used + r.below(2_000_000)
    port = "26379" if sentinel else "6379"
    name = "valkey" if valkey else "redis"
    server = [
        ("redis_version", version),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", "0"),
        ("redis_build_id", r.hex(16)),
        ("redis_mode", "sentinel" if sentinel else "standalone"),
        (
            "os",
            r.pick(
                [
                    "Linux 6.1.0-18-amd64 x86_64",
                    "Linux 5.15.0-97-generic x86_64",
                    "Linux 5.4.0-172-generic x86_64",
                ]
            ),
        ),
        ("arch_bits", "64"),
    ]
    if valkey:
        server[1:1] = [("server_name", "valkey"), ("valkey_version", valkey)]
    if modern:
        server.append(("monotonic_clock", "POSIX clock_gettime"))
    server += [
        ("multiplexing_api", "epoll"),
        ("atomicvar_api", "c11-builtin" if modern else "atomic-builtin"),
        ("gcc_version", "12.2.0" if modern else "9.3.0"),
        ("process_id", str(r.between(300, 4_000_000))),
    ]
    if modern:
        server.append(("process_supervised", "systemd"))
    server += [("run_id", r.hex(40)), ("tcp_port", port)]
    if modern:
        server.append(("server_time_usec", str(unix(now) * 1_000_000 + r.below(1_000_000))))
    server += [
        ("uptime_in_seconds", str(uptime)),
        ("uptime_in_days", str(uptime // 86400)),
        ("hz", "10"),
        ("configured_hz", "10"),
        ("lru_clock", str(r.below(1 << 24))),
        ("executable", f"/usr/bin/{name}-{'sentinel' if sentinel else 'server'}"),
        ("config_file", f"/etc/{name}/{'sentinel' if sentinel else name}.conf"),
    ]
    if modern:
        server.append(("io_threads_active", "0"))
    sections: list[tuple[str, list[tuple[str, str]]]] = [("Server", server)]
    clients = [("connected_clients", str(r.between(1, 40)))]
    if modern:
        clients += [("cluster_connections", "0"), ("maxclients", "10000")]
    clients += [
        ("client_recent_max_input_buffer", "20480" if modern else "2"),
        ("client_recent_max_output_buffer", "0"),
        ("blocked_clients", "0"),
    ]
    if modern:
        clients += [("tracking_clients", "0"), ("clients_in_timeout_table", "0")]
    sections.append(("Clients", clients))
    if sentinel:
        sections.append(
            (
                "Stats",
                [
                    ("total_connections_received", str(r.between(10, 90000))),
                    ("total_commands_processed", str(r.between(100, 9_000_000))),
                    ("instantaneous_ops_per_sec", str(r.below(50))),
                    ("rejected_connections", "0"),
                ],
            )
        )
        sections.append(("CPU", [("used_cpu_sys", f"{r.below(100000) / 1000:.6f}")]))
        master = f"192.0.2.{r.between(2, 250)}:6379"
        sections.append(
            (
                "Sentinel",
                [
                    ("sentinel_masters", "1"),
                    ("sentinel_tilt", "0"),
                    ("sentinel_tilt_since_seconds", "-1"),
                    ("sentinel_running_scripts", "0"),
                    ("sentinel_scripts_queue_length", "0"),
                    ("sentinel_simulate_failure_flags", "0"),
                    ("master0", f"name=mymaster,status=ok,address={master},slaves=2,sentinels=3"),
                ],
            )
        )
    else:
        sections.append(
            (
                "Memory",
                [
                    ("used_memory", str(used)),
                    ("used_memory_human", redis_human(used)),
                    ("used_memory_rss", str(rss)),
                    ("used_memory_rss_human", redis_human(rss)),
                    ("used_memory_peak", str(peak)),
                    ("used_memory_peak_human", redis_human(peak)),
                    ("maxmemory", "0"),
                    ("maxmemory_human", "0B"),
                    ("maxmemory_policy", "noeviction"),
                    ("mem_fragmentation_ratio", f"{rss / used:.2f}"),
                    ("mem_allocator", "jemalloc-5.3.0" if modern else "jemalloc-5.2.1"),
                    ("active_defrag_running", "0"),
                    ("lazyfree_pending_objects", "0"),
                ],
            )
        )
        sections.append(
            (
                "Persistence",
                [
                    ("loading", "0"),
                    ("rdb_changes_since_last_save", str(r.below(500))),
                    ("rdb_bgsave_in_progress", "0"),
                    ("rdb_last_save_time", str(unix(now) - r.below(3600))),
                    ("rdb_last_bgsave_status", "ok"),
                    ("rdb_last_bgsave_time_sec", "0"),
                    ("rdb_current_bgsave_time_sec", "-1"),
                    ("aof_enabled", "0"),
                    ("aof_rewrite_in_progress", "0"),
                ],
            )
        )
        sections.append(
            (
                "Stats",
                [
                    ("total_connections_received", str(r.between(10, 90000))),
                    ("total_commands_processed", str(r.between(100, 9_000_000))),
                    ("instantaneous_ops_per_sec", str(r.below(50))),
                    ("total_net_input_bytes", str(r.between(10**4, 10**9))),
                    ("total_net_output_bytes", str(r.between(10**4, 10**9))),
                    ("rejected_connections", "0"),
                    ("expired_keys", str(r.below(5000))),
                    ("evicted_keys", "0"),
                    ("keyspace_hits", str(r.below(900000))),
                    ("keyspace_misses", str(r.below(90000))),
                    ("pubsub_channels", "0"),
                    ("pubsub_patterns", "0"),
                    ("latest_fork_usec", str(r.below(900))),
                ],
            )
        )
        sections.append(
            (
                "Replication",
                [
                    ("role", "master"),
                    ("connected_slaves", "0"),
                    ("master_replid", r.hex(40)),
                    ("master_replid2", "0" * 40),
                    ("master_repl_offset", "0"),
                    ("second_repl_offset", "-1"),
                    ("repl_backlog_active", "0"),
                    ("repl_backlog_size", "1048576"),
                    ("repl_backlog_first_byte_offset", "0"),
                    ("repl_backlog_histlen", "0"),
                ],
            )
        )
        cpu = [(f"used_cpu_{k}", f"{r.below(100000) / 1000:.6f}") for k in ("sys", "user")]
        cpu += [(f"used_cpu_{k}_children", "0.000000") for k in ("sys", "user")]
        sections.append(("CPU", cpu))
        if modern:
            sections += [("Modules", []), ("Errorstats", [])]
        sections.append(("Cluster", [("cluster_enabled", "0")]))
        keys = r.between(1, 5000)
        sections.append(("Keyspace", [("db0", f"keys={keys},expires={r.below(keys)},avg_ttl=0")]))
    text = "\r\n".join(
        f"# {title}\r\n" + "".join(f"{k}:{v}\r\n" for k, v in fields) for title, fields in sections
    )
    payload = text.encode()
    return f"${len(payload)}\r\n".encode() + payload + b"\r\n"


def build_redis(c: Corpus) -> None:
    for rid, version, modern in (
        ("redis-7.2-info", "7.2.4", True),
        ("redis-7.0-debian12-info", "7.0.15", True),
        ("redis-6.0-info", "6.0.16", True),
        ("redis-5.0-info", "5.0.7", False),
    ):
        c.add(rid, "redis-server", "redis", redis_info(rid, version, modern=modern))
    c.add(
        "valkey-8.0-info",
        "redis-server",
        "redis",
        redis_info("valkey-8.0-info", "7.2.4", modern=True, valkey="8.0.1"),
    )
    c.add(
        "redis-sentinel-6.2-info",
        "redis-server",
        "redis",
        redis_info("redis-sentinel-6.2-info", "6.2.14", modern=True, sentinel=True),
    )
    c.add("redis-noauth", "redis-server", "redis", b"-NOAUTH Authentication required.\r\n")
    c.add(
        "redis-7-noperm-info",
        "redis-server",
        "redis",
        b"-NOPERM User default has no permissions to run the 'info' command\r\n",
    )
    denied = (
        "-DENIED Redis is running in protected mode because protected mode is enabled and no "
        "password is set for the default user. In this mode connections are only accepted from "
        "the loopback interface. If you want to connect from external computers to Redis you "
        "may adopt one of the following solutions: 1) Just disable protected mode sending the "
        "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
        "Redis from the same host the server is running, however MAKE SURE Redis is not "
        "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
        "permanent. 2) Alternatively you can just disable the protected mode by editing the "
        "Redis configuration file, and setting the protected mode option to 'no', and then "
        "restarting the server. 3) If you started the server manually just for testing, "
        "restart it with the '--protected-mode no' option. 4) Set up an authentication "
        "password for the default user. NOTE: You only need to do one of the above things in "
        "order for the server to start accepting connections from the outside.\r\n"
    )
    # Sent as soon as a non-loopback client connects, before any command is read.
    c.add("redis-protected-mode-denied", "NULL", "redis", denied.encode())
    c.add(
        "redis-get-wrong-args",
        "GetRequest",
        "redis",
        b"-ERR wrong number of arguments for 'get' command\r\n",
    )


def bson_cstring(s: str) -> bytes:
    return s.encode() + b"\x00"


class Int64(int):
    """An integer that BSON encodes as int64 (MongoDB's NumberLong)."""


def bson_doc(items: Sequence[tuple[str, object]]) -> bytes:
    out = bytearray()
    for key, value in items:
        if isinstance(value, Int64):
            out += b"\x12" + bson_cstring(key) + struct.pack("<q", value)
        elif isinstance(value, dt.datetime):
            out += b"\x09" + bson_cstring(key) + struct.pack("<q", unix(value) * 1000)
        elif isinstance(value, bool):
            out += b"\x08" + bson_cstring(key) + (b"\x01" if value else b"\x00")
        elif isinstance(value, float):
            out += b"\x01" + bson_cstring(key) + struct.pack("<d", value)
        elif isinstance(value, int):
            if -(2**31) <= value < 2**31:
                out += b"\x10" + bson_cstring(key) + struct.pack("<i", value)
            else:
                out += b"\x12" + bson_cstring(key) + struct.pack("<q", value)
        elif isinstance(value, str):
            data = value.encode() + b"\x00"
            out += b"\x02" + bson_cstring(key) + struct.pack("<i", len(data)) + data
        elif isinstance(value, list):
            out += b"\x03" + bson_cstring(key) + bson_doc(value)
        else:
            raise TypeError(type(value))
    return struct.pack("<i", len(out) + 5) + bytes(out) + b"\x00"


def mongo_op_reply(r: Rng, doc: bytes, response_to: int = 0x303A) -> bytes:
    body = struct.pack("<iqii", 8, 0, 0, 1) + doc
    header = struct.pack("<iiii", 16 + len(body), r.between(1, 2**31 - 1), response_to, 1)
    return header + body


MEMCACHED_16_STATS = (
    "pid",
    "uptime",
    "time",
    "version",
    "libevent",
    "pointer_size",
    "rusage_user",
    "rusage_system",
    "max_connections",
    "curr_connections",
    "total_connections",
    "rejected_connections",
    "connection_structures",
    "response_obj_oom",
    "response_obj_count",
    "response_obj_bytes",
    "read_buf_count",
    "read_buf_bytes",
    "read_buf_bytes_free",
    "read_buf_oom",
    "reserved_fds",
    "cmd_get",
    "cmd_set",
    "cmd_flush",
    "cmd_touch",
    "cmd_meta",
    "get_hits",
    "get_misses",
    "get_expired",
    "get_flushed",
    "delete_misses",
    "delete_hits",
    "incr_misses",
    "incr_hits",
    "decr_misses",
    "decr_hits",
    "cas_misses",
    "cas_hits",
    "cas_badval",
    "touch_hits",
    "touch_misses",
    "store_too_large",
    "store_no_memory",
    "auth_cmds",
    "auth_errors",
    "bytes_read",
    "bytes_written",
    "limit_maxbytes",
    "accepting_conns",
    "listen_disabled_num",
    "time_in_listen_disabled_us",
    "threads",
    "conn_yields",
    "hash_power_level",
    "hash_bytes",
    "hash_is_expanding",
    "slab_reassign_rescues",
    "slab_reassign_chunk_rescues",
    "slab_reassign_evictions_nomem",
    "slab_reassign_inline_reclaim",
    "slab_reassign_busy_items",
    "slab_reassign_busy_deletes",
    "slab_reassign_running",
    "slabs_moved",
    "lru_crawler_running",
    "lru_crawler_starts",
    "lru_maintainer_juggles",
    "malloc_fails",
    "log_worker_dropped",
    "log_worker_written",
    "log_watcher_skipped",
    "log_watcher_sent",
    "log_watchers",
    "unexpected_napi_ids",
    "round_robin_fallback",
    "bytes",
    "curr_items",
    "total_items",
    "slab_global_page_pool",
    "expired_unfetched",
    "evicted_unfetched",
    "evicted_active",
    "evictions",
    "reclaimed",
    "crawler_reclaimed",
    "crawler_items_checked",
    "lrutail_reflocked",
    "moves_to_cold",
    "moves_to_warm",
    "moves_within_lru",
    "direct_reclaims",
    "lru_bumps_dropped",
)
MEMCACHED_14_STATS = (
    "pid",
    "uptime",
    "time",
    "version",
    "libevent",
    "pointer_size",
    "rusage_user",
    "rusage_system",
    "curr_connections",
    "total_connections",
    "connection_structures",
    "reserved_fds",
    "cmd_get",
    "cmd_set",
    "cmd_flush",
    "cmd_touch",
    "get_hits",
    "get_misses",
    "delete_misses",
    "delete_hits",
    "incr_misses",
    "incr_hits",
    "decr_misses",
    "decr_hits",
    "cas_misses",
    "cas_hits",
    "cas_badval",
    "touch_hits",
    "touch_misses",
    "auth_cmds",
    "auth_errors",
    "bytes_read",
    "bytes_written",
    "limit_maxbytes",
    "accepting_conns",
    "listen_disabled_num",
    "time_in_listen_disabled_us",
    "threads",
    "conn_yields",
    "hash_power_level",
    "hash_bytes",
    "hash_is_expanding",
    "malloc_fails",
    "bytes",
    "curr_items",
    "total_items",
    "expired_unfetched",
    "evicted_unfetched",
    "evictions",
    "reclaimed",
    "crawler_reclaimed",
    "crawler_items_checked",
    "lrutail_reflocked",
)


def memcached_stats(r: Rng, version: str, libevent: str, names: Sequence[str]) -> bytes:
    """memcached's reply to "stats": STAT lines in the server's order, then END."""
    uptime = r.between(600, 200 * 86400)
    hits, misses = r.below(10**7), r.below(10**6)
    items = r.below(100_000)
    known = {
        "pid": str(r.between(300, 90000)),
        "uptime": str(uptime),
        "time": str(unix(r.moment())),
        "version": version,
        "libevent": libevent,
        "pointer_size": "64",
        "rusage_user": f"{r.below(9000)}.{r.below(999999):06d}",
        "rusage_system": f"{r.below(9000)}.{r.below(999999):06d}",
        "max_connections": "1024",
        "curr_connections": str(r.between(2, 60)),
        "total_connections": str(r.between(60, 99999)),
        "connection_structures": str(r.between(3, 70)),
        "response_obj_count": "1",
        "response_obj_bytes": "65536",
        "read_buf_count": "8",
        "read_buf_bytes": "131072",
        "read_buf_bytes_free": "49152",
        "reserved_fds": "20",
        "cmd_get": str(hits + misses),
        "cmd_set": str(items + r.below(10**6)),
        "get_hits": str(hits),
        "get_misses": str(misses),
        "bytes_read": str(r.below(10**9)),
        "bytes_written": str(r.below(10**9)),
        "limit_maxbytes": "67108864",
        "accepting_conns": "1",
        "threads": "4",
        "hash_power_level": "16",
        "hash_bytes": "524288",
        "lru_crawler_starts": str(r.between(1, 9000)),
        "lru_maintainer_juggles": str(r.between(1000, 10**7)),
        "bytes": str(items * r.between(60, 900)),
        "curr_items": str(items),
        "total_items": str(items + r.below(10**6)),
        "crawler_items_checked": str(r.below(10**6)),
    }
    text = "".join(f"STAT {name} {known.get(name, '0')}\r\n" for name in names) + "END\r\n"
    return text.encode()


def build_others(c: Corpus) -> None:
    add = c.add
    # memcached
    add("memcached-genericlines-error", "GenericLines", "memcached", b"ERROR\r\nERROR\r\n")
    for rid, version, libevent, names in (
        ("memcached-1.6.21-stats", "1.6.21", "2.1.12-stable", MEMCACHED_16_STATS),
        ("memcached-1.4.25-stats", "1.4.25", "2.0.21-stable", MEMCACHED_14_STATS),
    ):
        add(rid, "Memcache", "memcached", memcached_stats(Rng(rid), version, libevent, names))

    # ZooKeeper answers the four-letter word "stat" (the first four bytes of "stats\r\n").
    r = Rng("zookeeper-3.4-stat")
    add(
        "zookeeper-3.4-stat",
        "Memcache",
        "zookeeper",
        (
            "Zookeeper version: 3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on "
            "03/06/2019 16:18 GMT\nClients:\n"
            f" /192.0.2.{r.between(2, 250)}:{r.between(32768, 60999)}[0](queued=0,recved=1,"
            "sent=0)\n\nLatency min/avg/max: 0/0/0\nReceived: "
            f"{r.between(2, 9000)}\nSent: {r.between(1, 9000)}\nConnections: 1\n"
            "Outstanding: 0\nZxid: 0x" + r.hex(9).lstrip("0") + "\nMode: standalone\n"
            f"Node count: {r.between(4, 900)}\n"
        ).encode(),
    )
    add(
        "zookeeper-3.8-stat-not-whitelisted",
        "Memcache",
        "zookeeper",
        b"stat is not executed because it is not in the whitelist.\n",
    )

    # MongoDB answers nmap's OP_QUERY serverStatus with an OP_REPLY.
    r = Rng("mongodb-4.4-unauthorized")
    doc = bson_doc(
        [
            ("ok", 0.0),
            ("errmsg", "command serverStatus requires authentication"),
            ("code", 13),
            ("codeName", "Unauthorized"),
        ]
    )
    add("mongodb-4.4-unauthorized", "mongodb", "mongodb", mongo_op_reply(r, doc))
    r = Rng("mongodb-3.6-serverstatus")
    now = r.moment()
    uptime = r.between(3600, 10**7)
    doc = bson_doc(
        [
            ("host", "db01"),
            ("version", "3.6.23"),
            ("process", "mongod"),
            ("pid", Int64(r.between(300, 90000))),
            ("uptime", float(uptime)),
            ("uptimeMillis", Int64(uptime * 1000 + r.below(1000))),
            ("uptimeEstimate", Int64(uptime)),
            ("localTime", now),
            (
                "connections",
                [
                    ("current", r.between(1, 90)),
                    ("available", 51100),
                    ("totalCreated", r.between(90, 9000)),
                ],
            ),
            ("ok", 1.0),
        ]
    )
    add("mongodb-3.6-serverstatus", "mongodb", "mongodb", mongo_op_reply(r, doc))
    body = (
        b"It looks like you are trying to access MongoDB over HTTP on the native driver port.\r\n"
    )
    add(
        "mongodb-http-on-driver-port",
        "GetRequest",
        "mongodb",
        http(
            "200 OK",
            [("Connection", "close"), ("Content-Type", "text/plain"), ("Content-Length", LEN)],
            body,
            proto="HTTP/1.0",
        ),
    )

    # RDP: X.224 Connection Confirm, with and without an RDP_NEG_RSP.
    def x224_cc(neg: bytes = b"", src_ref: int = 0x1234) -> bytes:
        x224 = bytes([6 + len(neg), 0xD0]) + struct.pack(">HHB", 0, src_ref, 0) + neg
        return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224

    def rdp_neg(msg_type: int, flags: int, value: int) -> bytes:
        return struct.pack("<BBHI", msg_type, flags, 8, value)

    add("rdp-windows-2019-hybrid", "TerminalServerCookie", "rdp", x224_cc(rdp_neg(2, 0x1F, 2)))
    add("rdp-windows-2008r2-hybrid", "TerminalServerCookie", "rdp", x224_cc(rdp_neg(2, 0x01, 2)))
    add("rdp-xrdp-ssl", "TerminalServerCookie", "rdp", x224_cc(rdp_neg(2, 0x00, 1), 0))
    add("rdp-standard-security-only", "TerminalServerCookie", "rdp", x224_cc(rdp_neg(2, 0x00, 0)))
    add("rdp-windows-2003-plain-cc", "TerminalServer", "rdp", x224_cc())

    # SMB negotiate responses to SMBProgNeg's SMB1 dialect list.
    add("smb-samba-smb1-ntlm012", "SMBProgNeg", "smb", smb1_negotiate(Rng("smb1")))
    add("smb-samba4-smb2-wildcard", "SMBProgNeg", "smb", smb2_negotiate(Rng("smb2")))
    add(
        "smb-samba3-smb1-workgroup",
        "SMBProgNeg",
        "smb",
        smb1_negotiate_challenge(Rng("smb1-challenge"), "WORKGROUP", "FILESRV01"),
    )

    # VNC
    for rid, text in (
        ("vnc-rfb-3.8", b"RFB 003.008\n"),
        ("vnc-rfb-3.3", b"RFB 003.003\n"),
        ("vnc-rfb-3.7", b"RFB 003.007\n"),
        ("vnc-apple-rfb-3.889", b"RFB 003.889\n"),
        ("vnc-realvnc-rfb-5.0", b"RFB 005.000\n"),
    ):
        add(rid, "NULL", "vnc", text)

    # X11 connection refusals (little-endian, as requested by the probe's 'l').
    for rid, reason in (
        ("x11-no-protocol-specified", "No protocol specified\n"),
        (
            "x11-authorization-required",
            "Authorization required, but no authorization protocol specified\n",
        ),
    ):
        raw = reason.encode()
        padded = raw + b"\x00" * (-len(raw) % 4)
        add(
            rid,
            "X11Probe",
            "x11",
            struct.pack("<BBHHH", 0, len(raw), 11, 0, len(padded) // 4) + padded,
        )

    # Telnet option negotiation
    IAC, DO, WILL = 0xFF, 0xFD, 0xFB

    def iac(*pairs: tuple[int, int]) -> bytes:
        return b"".join(bytes([IAC, verb, opt]) for verb, opt in pairs)

    add("telnet-linux-netkit", "NULL", "telnet", iac((DO, 24), (DO, 32), (DO, 35), (DO, 39)))
    add("telnet-busybox", "NULL", "telnet", iac((DO, 1), (DO, 31), (WILL, 1), (WILL, 3)))
    add(
        "telnet-cisco-ios",
        "NULL",
        "telnet",
        iac((WILL, 1), (WILL, 3), (DO, 24), (DO, 31))
        + b"\r\n\r\nUser Access Verification\r\n\r\nUsername: ",
    )
    add(
        "telnet-windows",
        "NULL",
        "telnet",
        iac((DO, 37), (WILL, 1), (WILL, 3), (DO, 39), (DO, 31), (DO, 0), (WILL, 0)),
    )
    add(
        "telnet-huawei-vrp",
        "NULL",
        "telnet",
        iac((WILL, 1), (WILL, 1), (WILL, 1), (WILL, 3), (DO, 24), (DO, 31))
        + b"\r\n\r\nLogin authentication\r\n\r\n\r\nUsername:",
    )
    add(
        "telnet-embedded-login",
        "NULL",
        "telnet",
        iac((WILL, 1), (WILL, 3)) + b"\r\ngw-01.example.net login: ",
    )

    # Cassandra native protocol: ERROR frames for an unsupported protocol version.
    def cql_error(version_byte: int, message: str, flags: int = 0) -> bytes:
        msg = message.encode()
        body = struct.pack(">iH", 0x0A, len(msg)) + msg
        return struct.pack(">BBhBI", version_byte, flags, 0, 0, len(body)) + body

    add(
        "cassandra-3.0-get",
        "GetRequest",
        "cassandra",
        cql_error(
            0x84,
            "Invalid or unsupported protocol version (71); the lowest supported version is 3 "
            "and the greatest is 4",
        ),
    )
    add(
        "cassandra-4.1-genericlines",
        "GenericLines",
        "cassandra",
        cql_error(
            0x84,
            "Invalid or unsupported protocol version (13); supported versions are (3/v3, 4/v4, "
            "5/v5, 6/v6-beta)",
            flags=0x10,
        ),
    )

    # MQTT CONNACK to nmap's MQTT 3.1.1 CONNECT
    add("mqtt-connack-accepted", "mqtt", "mqtt", b"\x20\x02\x00\x00")
    add("mqtt-connack-not-authorized", "mqtt", "mqtt", b"\x20\x02\x00\x05")

    # AMQP servers answer a bad protocol header with the header they speak.
    add("amqp-rabbitmq-0.9.1", "GetRequest", "amqp", b"AMQP\x00\x00\x09\x01")
    add("amqp-1.0-broker", "GetRequest", "amqp", b"AMQP\x03\x01\x00\x00")

    # Erlang port mapper: NAMES reply = epmd port (4369) + one line per node
    add(
        "epmd-rabbitmq",
        "epmd",
        "epmd",
        struct.pack(">I", 4369) + b"name rabbit at port 25672\n",
    )
    add(
        "epmd-ejabberd-two-nodes",
        "epmd",
        "epmd",
        struct.pack(">I", 4369) + b"name ejabberd at port 41347\nname ctl_ejabberd at port 38201\n",
    )

    # rsync daemon
    add("rsync-31.0", "NULL", "rsync", b"@RSYNCD: 31.0\n")
    add("rsync-30.0", "NULL", "rsync", b"@RSYNCD: 30.0\n")
    add("rsync-31.0-digests", "NULL", "rsync", b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n")

    # DNS over TCP: replies to a CHAOS TXT version.bind query (id 6)
    question = b"\x07version\x04bind\x00\x00\x10\x00\x03"

    def dns_tcp(flags: int, answers: Sequence[bytes], authority: Sequence[bytes] = ()) -> bytes:
        msg = struct.pack(">HHHHHH", 6, flags, 1, len(answers), len(authority), 0) + question
        msg += b"".join(answers) + b"".join(authority)
        return struct.pack(">H", len(msg)) + msg

    def txt_rr(text: str) -> bytes:
        data = text.encode()
        return (
            b"\xc0\x0c" + struct.pack(">HHIH", 16, 3, 0, len(data) + 1) + bytes([len(data)]) + data
        )

    ns_rr = b"\xc0\x0c" + struct.pack(">HHIH", 2, 3, 0, 2) + b"\xc0\x0c"
    add(
        "dns-bind-9.18-version",
        "DNSVersionBindReqTCP",
        "dns",
        dns_tcp(0x8580, [txt_rr("9.18.24-1-Debian")], [ns_rr]),
    )
    add(
        "dns-bind-9.11-rhel-version",
        "DNSVersionBindReqTCP",
        "dns",
        dns_tcp(0x8500, [txt_rr("9.11.4-P2-RedHat-9.11.4-26.P2.el7_9.15")], [ns_rr]),
    )
    add(
        "dns-dnsmasq-version",
        "DNSVersionBindReqTCP",
        "dns",
        dns_tcp(0x8580, [txt_rr("dnsmasq-2.89")]),
    )
    add(
        "dns-unbound-version",
        "DNSVersionBindReqTCP",
        "dns",
        dns_tcp(0x8180, [txt_rr("unbound 1.17.1")]),
    )
    add("dns-refused", "DNSVersionBindReqTCP", "dns", dns_tcp(0x8105, []))

    # LDAP BindResponse (messageID 1) to an anonymous LDAPv2 bind
    def ldap_bind_response(code: int, message: str, *, long_form: bool = False) -> bytes:
        diag = message.encode()
        inner = b"\x0a\x01" + bytes([code]) + b"\x04\x00" + der(0x04, diag)
        if long_form:
            op = b"\x61\x84" + struct.pack(">I", len(inner)) + inner
            msg = b"\x02\x01\x01" + op
            return b"\x30\x84" + struct.pack(">I", len(msg)) + msg
        return der(0x30, b"\x02\x01\x01" + der(0x61, inner))

    add("ldap-bind-success", "LDAPBindReq", "ldap", ldap_bind_response(0, ""))
    add(
        "ldap-active-directory-bind-success",
        "LDAPBindReq",
        "ldap",
        ldap_bind_response(0, "", long_form=True),
    )
    add(
        "ldap-openldap-v2-rejected",
        "LDAPBindReq",
        "ldap",
        ldap_bind_response(2, "historical protocol version requested, use LDAPv3 instead"),
    )

    # SIP answers to nmap's OPTIONS over TCP
    def sip_ok(rid: str, extra: Sequence[tuple[str, str]]) -> bytes:
        r = Rng(rid)
        lines = [
            "SIP/2.0 200 OK",
            f"Via: SIP/2.0/TCP nm;branch=foo;received=192.0.2.{r.between(2, 250)};"
            f"rport={r.between(32768, 60999)}",
            "From: <sip:nm@nm>;tag=root",
            f"To: <sip:nm2@nm2>;tag={r.hex(8)}",
            "Call-ID: 50000",
            "CSeq: 42 OPTIONS",
            *(f"{k}: {v}" for k, v in extra),
            "Content-Length: 0",
            "",
            "",
        ]
        return "\r\n".join(lines).encode()

    add(
        "sip-asterisk-18-options",
        "SIPOptions",
        "sip",
        sip_ok(
            "sip-asterisk-18-options",
            [
                ("Server", "Asterisk PBX 18.10.0~dfsg+~cs6.10.40431411-2"),
                (
                    "Allow",
                    "OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, "
                    "CANCEL, UPDATE, PRACK, INFO, MESSAGE, REFER",
                ),
                (
                    "Accept",
                    "application/sdp, application/simple-message-summary, "
                    "application/dialog-info+xml, application/xpidf+xml, "
                    "application/cpim-pidf+xml, application/pidf+xml, "
                    "message/sipfrag;version=2.0, application/pidf+xml",
                ),
                ("Supported", "100rel, timer, replaces, norefersub"),
                ("Accept-Encoding", "text/plain"),
                ("Accept-Language", "en"),
            ],
        ),
    )
    add(
        "sip-freeswitch-options",
        "SIPOptions",
        "sip",
        sip_ok(
            "sip-freeswitch-options",
            [
                ("User-Agent", "FreeSWITCH-mod_sofia/1.10.10-release~64bit"),
                (
                    "Allow",
                    "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, "
                    "REFER, NOTIFY, PUBLISH, SUBSCRIBE",
                ),
                ("Supported", "timer, path, replaces"),
                (
                    "Allow-Events",
                    "talk, hold, conference, presence, as-feature-event, dialog, "
                    "line-seize, call-info, sla, include-session-description, presence.winfo, "
                    "message-summary, refer",
                ),
                ("Accept", "application/sdp"),
            ],
        ),
    )


# ---------------------------------------------------------------------------------------
# ASN.1 DER, SMB and TLS builders
# ---------------------------------------------------------------------------------------


def der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def der_seq(*parts: bytes) -> bytes:
    return der(0x30, b"".join(parts))


def der_int(value: int) -> bytes:
    return der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def der_oid(dotted: str) -> bytes:
    nums = [int(x) for x in dotted.split(".")]
    body = bytearray([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        body += bytes(reversed(chunk))
    return der(0x06, bytes(body))


def spnego_init(mechs: Sequence[str], hint: bool) -> bytes:
    fields = der(0xA0, der_seq(*(der_oid(m) for m in mechs)))
    if hint:
        fields += der(0xA3, der_seq(der(0xA0, der(0x1B, b"not_defined_in_RFC4178@please_ignore"))))
    return der(0x60, der_oid("1.3.6.1.5.5.2") + der(0xA0, der_seq(fields)))


def filetime(t: dt.datetime) -> int:
    return (unix(t) + 11_644_473_600) * 10_000_000


def netbios(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def smb1_negotiate(r: Rng) -> bytes:
    header = (
        b"\xffSMB\x72"
        + b"\x00\x00\x00\x00"  # NT status: success
        + b"\x98"  # flags: reply, canonical paths, case-insensitive
        + struct.pack("<H", 0xC853)  # flags2: unicode, NT status, ext. security, long names
        + b"\x00\x00"  # PID high
        + b"\x00" * 8  # signature
        + b"\x00\x00"  # reserved
        + struct.pack("<HHHH", 0, 0x0640, 0, 1)  # TID, PID (echoed), UID, MID (echoed)
    )
    params = struct.pack(
        "<HBHHIIIIQhB",
        7,  # dialect index: "NT LM 0.12"
        0x03,  # security mode: user level, challenge/response
        50,  # max mpx count
        1,  # max VCs
        16644,  # max buffer size
        65536,  # max raw size
        0,  # session key
        0x8001E3FC,  # capabilities (extended security)
        filetime(r.moment()),
        0,  # time zone
        0,  # challenge length
    )
    blob = r.raw(16) + spnego_init(["1.3.6.1.4.1.311.2.2.10"], hint=True)
    return netbios(header + b"\x11" + params + struct.pack("<H", len(blob)) + blob)


def smb1_negotiate_challenge(r: Rng, domain: str, server: str) -> bytes:
    """SMB1 NT LM 0.12 negotiate response without extended security (8-byte challenge,
    then the domain and server names in UTF-16LE), as older Samba and Windows send it."""
    header = (
        b"\xffSMB\x72\x00\x00\x00\x00\x88"
        + struct.pack("<H", 0xC001)  # flags2: unicode, NT status, long names
        + b"\x00\x00"
        + b"\x00" * 8
        + b"\x00\x00"
        + struct.pack("<HHHH", 0, 0x0640, 0, 1)
    )
    params = struct.pack(
        "<HBHHIIIIQhB",
        7,
        0x03,
        50,
        1,
        16644,
        65536,
        0,
        0x0080F3FD,  # capabilities, no extended security
        filetime(r.moment()),
        -60,  # minutes from UTC
        8,
    )
    data = r.raw(8) + (domain + "\0").encode("utf-16-le") + (server + "\0").encode("utf-16-le")
    return netbios(header + b"\x11" + params + struct.pack("<H", len(data)) + data)


def smb2_negotiate(r: Rng) -> bytes:
    header = (
        b"\xfeSMB"
        + struct.pack("<HHIHHIIQIIQ", 64, 0, 0, 0, 1, 1, 0, 0, 0xFEFF, 0, 0)
        + b"\x00" * 16
    )
    blob = spnego_init(
        [
            "1.3.6.1.4.1.311.2.2.30",
            "1.2.840.48018.1.2.2",
            "1.2.840.113554.1.2.2",
            "1.3.6.1.4.1.311.2.2.10",
        ],
        hint=True,
    )
    now = r.moment()
    body = struct.pack(
        "<HHHH16sIIIIQQHHI",
        65,
        0x0001,  # signing enabled
        0x02FF,  # "SMB 2.???" wildcard dialect
        0,
        r.raw(16),
        0x00000007,  # DFS, leasing, large MTU
        8388608,
        8388608,
        8388608,
        filetime(now),
        0,
        128,  # security buffer offset: 64-byte header + 64-byte fixed part
        len(blob),
        0,
    )
    return netbios(header + body + blob)


def utc_time(t: dt.datetime) -> bytes:
    return der(0x17, t.strftime("%y%m%d%H%M%SZ").encode())


def x509_name(parts: Sequence[tuple[str, str]]) -> bytes:
    oids = {"C": "2.5.4.6", "ST": "2.5.4.8", "L": "2.5.4.7", "O": "2.5.4.10", "CN": "2.5.4.3"}
    rdns = []
    for key, value in parts:
        tag = 0x13 if key == "C" else 0x0C
        rdns.append(der(0x31, der_seq(der_oid(oids[key]), der(tag, value.encode()))))
    return der_seq(*rdns)


def certificate(
    r: Rng, cn: str, sans: Sequence[str], issuer: Sequence[tuple[str, str]], bits: int = 2048
) -> bytes:
    not_before = r.moment(300).replace(microsecond=0)
    not_after = not_before + dt.timedelta(days=int(r.pick(["90", "365", "397"])))
    modulus = int.from_bytes(r.raw(bits // 8), "big") | (1 << (bits - 1)) | 1
    spki = der_seq(
        der_seq(der_oid("1.2.840.113549.1.1.1"), b"\x05\x00"),
        der(0x03, b"\x00" + der_seq(der_int(modulus), der_int(65537))),
    )
    sig_alg = der_seq(der_oid("1.2.840.113549.1.1.11"), b"\x05\x00")
    san = der_seq(
        der_oid("2.5.29.17"),
        der(0x04, der_seq(*(der(0x82, name.encode()) for name in sans))),
    )
    basic = der_seq(der_oid("2.5.29.19"), der(0x04, der_seq()))
    tbs = der_seq(
        der(0xA0, der_int(2)),
        der_int(int.from_bytes(r.raw(16), "big") >> 1),
        sig_alg,
        x509_name(issuer),
        der_seq(utc_time(not_before), utc_time(not_after)),
        x509_name([("CN", cn)]),
        spki,
        der(0xA3, der_seq(san, basic)),
    )
    return der_seq(tbs, sig_alg, der(0x03, b"\x00" + r.raw(bits // 8)))


def tls_record(content_type: int, version: int, payload: bytes) -> bytes:
    return struct.pack(">BHH", content_type, version, len(payload)) + payload


def handshake(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + struct.pack(">I", len(body))[1:] + body


def server_hello(r: Rng, version: int, cipher: int, *, extensions: bytes | None) -> bytes:
    body = struct.pack(">H", version) + r.raw(32) + b"\x20" + r.raw(32)
    body += struct.pack(">HB", cipher, 0)
    if extensions is not None:
        body += struct.pack(">H", len(extensions)) + extensions
    return handshake(2, body)


def certificate_msg(certs: Sequence[bytes]) -> bytes:
    chain = b"".join(struct.pack(">I", len(x))[1:] + x for x in certs)
    return handshake(11, struct.pack(">I", len(chain))[1:] + chain)


def build_tls(c: Corpus) -> None:
    alerts = [
        ("tls-alert-tls10-handshake-failure", "SSLSessionReq", 0x0301, 2, 40),
        ("tls-alert-tls12-handshake-failure", "TLSSessionReq", 0x0303, 2, 40),
        ("tls-alert-ssl3-protocol-version", "SSLSessionReq", 0x0300, 2, 70),
        ("tls-alert-tls12-protocol-version", "SSLSessionReq", 0x0303, 2, 70),
        ("tls-alert-tls12-insufficient-security", "TLSSessionReq", 0x0303, 2, 71),
        ("tls-alert-tls12-internal-error", "TLSSessionReq", 0x0303, 2, 80),
        ("tls-alert-tls10-illegal-parameter", "SSLSessionReq", 0x0301, 2, 47),
        ("tls-alert-tls12-decode-error", "SSLSessionReq", 0x0303, 2, 50),
        ("tls-alert-tls10-close-notify-warning", "TLSSessionReq", 0x0301, 1, 0),
    ]
    for rid, probe, version, level, desc in alerts:
        c.add(rid, probe, "tls", tls_record(21, version, bytes([level, desc])))

    issuer = [("C", "US"), ("O", "Example Org"), ("CN", "Example Issuing CA R3")]
    r = Rng("tls12-serverhello-certificate")
    reneg = b"\xff\x01\x00\x01\x00"
    leaf = certificate(r, "www.example.com", ["www.example.com", "example.com"], issuer)
    flight = (
        tls_record(22, 0x0303, server_hello(r, 0x0303, 0x002F, extensions=reneg))
        + tls_record(22, 0x0303, certificate_msg([leaf]))
        + tls_record(22, 0x0303, handshake(14, b""))
    )
    c.add("tls12-serverhello-certificate", "TLSSessionReq", "tls", flight)

    r = Rng("ssl3-serverhello-certificate")
    leaf = certificate(
        r, "printer.example.net", ["printer.example.net"], [("CN", "printer.example.net")], 1024
    )
    flight = tls_record(
        22,
        0x0300,
        server_hello(r, 0x0300, 0x000A, extensions=None)
        + certificate_msg([leaf])
        + handshake(14, b""),
    )
    c.add("ssl3-serverhello-certificate", "SSLSessionReq", "tls", flight)

    r = Rng("tls10-serverhello-only")
    c.add(
        "tls10-serverhello-only",
        "SSLSessionReq",
        "tls",
        tls_record(22, 0x0301, server_hello(r, 0x0301, 0x0005, extensions=reneg)),
    )

    c.add("sslv2-error-no-cipher", "SSLv23SessionReq", "tls", b"\x80\x03\x00\x00\x01")
    r = Rng("sslv2-server-hello")
    cert = certificate(r, "legacy.example.org", ["legacy.example.org"], issuer, 1024)
    ciphers = b"\x01\x00\x80\x07\x00\xc0\x03\x00\x80"
    conn_id = r.raw(16)
    msg = (
        b"\x04\x00\x01\x00\x02"
        + struct.pack(">HHH", len(cert), len(ciphers), len(conn_id))
        + cert
        + ciphers
        + conn_id
    )
    c.add(
        "sslv2-server-hello", "SSLv23SessionReq", "tls", struct.pack(">H", 0x8000 | len(msg)) + msg
    )


# ---------------------------------------------------------------------------------------
# Junk and unknown services
# ---------------------------------------------------------------------------------------


def build_junk(c: Corpus) -> None:
    for size, probe in (
        (16, "NULL"),
        (33, "NULL"),
        (64, "GenericLines"),
        (128, "NULL"),
        (256, "GetRequest"),
        (512, "NULL"),
        (1024, "GenericLines"),
        (1460, "NULL"),
        (2048, "GetRequest"),
        (4096, "NULL"),
    ):
        rid = f"junk-random-{size}"
        c.add(rid, probe, "junk", Rng(rid).raw(size))
    r = Rng("junk-printable-3000")
    printable = "".join(chr(i) for i in range(32, 127))
    c.add("junk-printable-3000", "GenericLines", "junk", r.chars(3000, printable).encode())
    c.add("junk-single-byte", "NULL", "junk", b"\x05")
    c.add("junk-single-nul", "GetRequest", "junk", b"\x00")
    c.add("junk-a-4000", "NULL", "junk", b"A" * 4000)
    c.add("junk-a-4000-crlf", "GenericLines", "junk", b"A" * 4000 + b"\r\n")
    c.add("junk-crlf", "NULL", "junk", b"\r\n")
    c.add("junk-lf", "GenericLines", "junk", b"\n")
    c.add("junk-nul-32", "NULL", "junk", b"\x00" * 32)
    c.add("junk-nul-1024", "GetRequest", "junk", b"\x00" * 1024)
    c.add("junk-ff-64", "NULL", "junk", b"\xff" * 64)
    c.add("junk-crlf-run-512", "GenericLines", "junk", b"\r\n" * 256)
    c.add("junk-high-bit-text", "NULL", "junk", bytes(range(0x80, 0x100)) * 2)

    texts: list[tuple[str, str, str]] = [
        ("unknown-acme-control", "NULL", "WELCOME TO ACME CONTROL v3.2\r\n> "),
        ("unknown-megafrob", "NULL", "OK MEGAFROB READY 7.1 (build 2231)\n"),
        ("unknown-widgetd", "NULL", "+HELLO widgetd/2.0 node=node-17.example.net\r\n"),
        ("unknown-plc-serial", "NULL", "ACME-PLC PROTOCOL 4 SERIAL 00A1-7733 READY\r\n"),
        ("unknown-password-prompt", "NULL", "Please enter password:"),
        (
            "unknown-telemetry-bridge",
            "GenericLines",
            "[info] telemetry-bridge 0.9.2 listening; send HELP for commands\n"
            "[warn] unknown command ''\n[warn] unknown command ''\n",
        ),
        (
            "unknown-json-banner",
            "NULL",
            '{"service":"inventory-sync","version":"1.4.0","status":"ready","node":"192.0.2.40"}\n',
        ),
        (
            "unknown-xml-banner",
            "NULL",
            '<?xml version="1.0" encoding="UTF-8"?><hello server="fooserv" version="2.1" '
            'host="fooserv.example.org"/>\n',
        ),
        (
            "unknown-boxed-banner",
            "NULL",
            "+"
            + "=" * 62
            + "+\r\n|"
            + " Example Industries Building Management Gateway ".center(62)
            + "|\r\n|"
            + " Authorized access only. All sessions are logged. ".center(62)
            + "|\r\n+"
            + "=" * 62
            + "+\r\nlogin: ",
        ),
        (
            "unknown-error-echo",
            "GetRequest",
            "ERR unknown verb 'GET / HTTP/1.0'\nERR empty line\nBYE\n",
        ),
    ]
    for rid, probe, text in texts:
        c.add(rid, probe, "unknown", text.encode())

    r = Rng("unknown-long-motd")
    motd_lines = ["*** Example Research Cluster - head node ***", ""]
    for i in range(40):
        words = " ".join(r.pick(WORDS) for _ in range(r.between(6, 12)))
        motd_lines.append(f"[{i + 1:02d}] {words}.")
    motd_lines += ["", "Type 'help' for a list of commands.", "cluster> "]
    c.add("unknown-long-motd", "NULL", "unknown", "\r\n".join(motd_lines).encode())

    r = Rng("unknown-html-4k")
    head = (
        b"<!DOCTYPE html>\n<html>\n<head><title>Device Console</title></head>\n<body>\n"
        b"<h1>Device Console</h1>\n<table>\n"
    )
    tail = b"</table>\n</body>\n</html>\n"
    rows = bytearray()
    n = 0
    while True:
        row = (
            f"<tr><td>{n}</td><td>{r.pick(WORDS)}</td><td>{r.between(0, 65535)}</td>"
            f"<td>{r.pick(['up', 'down', 'degraded'])}</td></tr>\n"
        ).encode()
        if len(head) + len(rows) + len(row) + len(tail) > 4096 - 8:
            break
        rows += row
        n += 1
    page = head + bytes(rows)
    page += b"<!--" + b" " * (4096 - len(page) - len(tail) - 8) + b"-->\n" + tail
    c.add("unknown-html-4k-no-headers", "NULL", "unknown", page)


# ---------------------------------------------------------------------------------------
# Consistency checks
# ---------------------------------------------------------------------------------------


def check_http(reply: Reply) -> None:
    data = reply.data
    if not data.startswith(b"HTTP/"):
        return
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError(f"{reply.id}: no end of headers")
    headers = [line.split(b":", 1) for line in head.split(b"\r\n")[1:]]
    fields = {k.strip().lower(): v.strip() for k, v in headers}
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        pos = 0
        while True:
            end = body.index(b"\r\n", pos)
            size = int(body[pos:end], 16)
            pos = end + 2 + size
            if body[pos : pos + 2] != b"\r\n":
                raise ValueError(f"{reply.id}: bad chunk framing")
            pos += 2
            if size == 0:
                break
        if pos != len(body):
            raise ValueError(f"{reply.id}: data after last chunk")
    elif b"content-length" in fields and int(fields[b"content-length"]) != len(body):
        raise ValueError(f"{reply.id}: Content-Length {fields[b'content-length']!r} != {len(body)}")


def check(replies: Sequence[Reply]) -> None:
    for reply in replies:
        check_http(reply)
        if reply.kind == "mysql":
            pos = 0
            while pos < len(reply.data):
                pos += 4 + int.from_bytes(reply.data[pos : pos + 3], "little")
            if pos != len(reply.data):
                raise ValueError(f"{reply.id}: bad MySQL packet framing")
        if reply.kind == "postgresql":
            (length,) = struct.unpack(">I", reply.data[1:5])
            if length + 1 != len(reply.data):
                raise ValueError(f"{reply.id}: bad PostgreSQL message length")
        if reply.kind == "redis" and reply.data.startswith(b"$"):
            header, _, rest = reply.data.partition(b"\r\n")
            if int(header[1:]) + 2 != len(rest):
                raise ValueError(f"{reply.id}: bad RESP bulk length")
        if reply.kind == "tls" and reply.data[0] in (21, 22):
            pos = 0
            while pos < len(reply.data):
                (length,) = struct.unpack(">H", reply.data[pos + 3 : pos + 5])
                pos += 5 + length
            if pos != len(reply.data):
                raise ValueError(f"{reply.id}: bad TLS record framing")
        if reply.kind in ("smb",):
            (length,) = struct.unpack(">I", reply.data[:4])
            if length + 4 != len(reply.data):
                raise ValueError(f"{reply.id}: bad NetBIOS length")


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def build() -> Corpus:
    corpus = Corpus()
    build_http(corpus)
    build_ssh(corpus)
    build_smtp(corpus)
    build_ftp(corpus)
    build_mail_access(corpus)
    build_mysql(corpus)
    build_postgresql(corpus)
    build_redis(corpus)
    build_tls(corpus)
    build_others(corpus)
    build_junk(corpus)
    check(corpus.replies)
    return corpus


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT, help="file to write")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file differs"
    )
    args = parser.parse_args(argv)
    corpus = build()
    text = "\n".join(corpus.lines()) + "\n"
    if args.check:
        current = args.output.read_text(encoding="ascii") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale; rerun {Path(__file__).name}", file=sys.stderr)
            return 1
    else:
        args.output.write_text(text, encoding="ascii", newline="\n")
    counts = Counter(r.kind for r in corpus.replies)
    summary = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    print(f"{len(corpus.replies)} replies ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
