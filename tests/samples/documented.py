"""Replies built from protocol documentation and server source, for services that cannot
run here (no Debian package, no network): Hadoop IPC, the Cassandra native protocol,
ClickHouse (native and HTTP), Grafana, the Kubernetes Dashboard and the Kubernetes API
server.

Nothing here was recorded from a live server. Each reply is assembled by code from the
structure its server writes (frame headers with ``struct``, protobuf fields, HTTP status
line, header list and body) following the source file named in ``source``. Only the short
protocol strings a rule must match are taken from those files; dates, ids, addresses and
stack traces are illustrative values of the documented form. The rules that claim these
replies are in ``rules/documented.probes``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence

from tests.samples.model import Built, Expect

# --------------------------------------------------------------------------- helpers

DATE = "Mon, 03 Jun 2024 10:00:00 GMT"  # an HTTP-date (RFC 9110 5.6.7); any value does


def http_response(
    status: str,
    headers: Sequence[tuple[str, str]],
    body: bytes = b"",
    version: str = "HTTP/1.0",
) -> bytes:
    """An HTTP/1.x response: status line, header lines in the order given, blank line, body."""
    head = f"{version} {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


def go_headers(
    headers: Sequence[tuple[str, str]], body: bytes, *, length: bool = True
) -> list[tuple[str, str]]:
    """Headers as Go's net/http writes them: the handler's headers sorted by name
    (``Header.WriteSubset``), then ``Date`` and ``Content-Length`` (``extraHeader.Write``,
    net/http/server.go). ``length`` is False when the body is streamed to an HTTP/1.0
    client, which gets neither a length nor chunking."""
    out = sorted(headers)
    out.append(("Date", DATE))
    if length:
        out.append(("Content-Length", str(len(body))))
    return out


# --------------------------------------------------------------------------- Hadoop IPC
# hadoop-common ipc/Server.java: Connection.readAndProcess reads 4 bytes ("hrpc") and 3 more
# (version, service class, auth protocol). "GET " gets RECEIVED_HTTP_REQ_RESPONSE; any other
# header goes to setupBadVersionResponse(version), which for a version >= 9 sends an
# RpcResponseHeaderProto (RpcHeader.proto) with callId -1, status FATAL, errorDetail
# FATAL_VERSION_MISMATCH, framed as a 4-byte total length + varint-delimited message.

HADOOP_SERVER = "hadoop-common ipc/Server.java"
HADOOP_CURRENT_VERSION = 9  # RpcConstants.CURRENT_VERSION


def hadoop_http_on_ipc_port() -> bytes:
    body = (
        b"It looks like you are making an HTTP request to a Hadoop IPC port. "
        b"This is not the correct port for the web interface on this daemon.\r\n"
    )
    return http_response("404 Not Found", [("Content-type", "text/plain")], body, "HTTP/1.1")


def pb_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def pb_field_varint(number: int, value: int) -> bytes:
    return pb_varint(number << 3 | 0) + pb_varint(value)


def pb_field_bytes(number: int, value: bytes) -> bytes:
    return pb_varint(number << 3 | 2) + pb_varint(len(value)) + value


def zigzag32(value: int) -> int:
    return (value << 1) ^ (value >> 31)


def hadoop_version_mismatch(client_version: int) -> bytes:
    """The FATAL_VERSION_MISMATCH response to a connection header with this version byte."""
    message = (
        f"Server IPC version {HADOOP_CURRENT_VERSION} cannot communicate with client "
        f"version {client_version}"
    )
    header = b"".join(
        (
            pb_field_varint(1, 0xFFFFFFFF),  # callId -1 (uint32)
            pb_field_varint(2, 2),  # status FATAL
            pb_field_varint(3, HADOOP_CURRENT_VERSION),  # serverIpcVersionNum
            pb_field_bytes(4, b"org.apache.hadoop.ipc.RPC$VersionMismatch"),
            pb_field_bytes(5, message.encode()),
            pb_field_varint(6, 14),  # errorDetail FATAL_VERSION_MISMATCH
            pb_field_bytes(7, b""),  # clientId: RpcConstants.DUMMY_CLIENT_ID
            pb_field_varint(8, zigzag32(-1)),  # retryCount INVALID_RETRY_COUNT (sint32)
        )
    )
    delimited = pb_varint(len(header)) + header
    return struct.pack(">i", len(delimited)) + delimited


# ----------------------------------------------------------------- Cassandra native protocol
# native_protocol_v4.spec sections 2 (frame header: version, flags, stream, opcode, length),
# 3 ([int], [string]) and 9 (error codes: 0x000A Protocol error). The server answers a frame
# whose version byte it cannot use with an ERROR message; the first byte of nmap's probe is
# read as the version (byte & 0x7f). The response version and flags follow
# transport/Message.java encode(): the exception's forced version, else the connection's
# (PreV5Handlers.getConnectionVersion: ProtocolVersion.CURRENT before any STARTUP), with
# USE_BETA (0x10) when that version is beta. These replies are pre-v5 envelopes: v5 framing
# starts only after a v5 STARTUP has been answered (InitialConnectionHandler).

CQL_RESPONSE = 0x80
CQL_USE_BETA = 0x10
CQL_OP_ERROR = 0x00
CQL_PROTOCOL_ERROR = 0x000A


def cql_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


def cql_error(version: int, flags: int, message: str, stream: int = 0) -> bytes:
    body = struct.pack(">i", CQL_PROTOCOL_ERROR) + cql_string(message)
    header = struct.pack(">BBhBI", CQL_RESPONSE | version, flags, stream, CQL_OP_ERROR, len(body))
    return header + body


def cql_unsupported(asked: int, supported: Sequence[str]) -> str:
    """ProtocolVersion.invalidVersionMessage (3.10 and later); ``toString`` is "n/descr"."""
    return (
        f"Invalid or unsupported protocol version ({asked}); "
        f"supported versions are ({', '.join(supported)})"
    )


def cql_unsupported_30(asked: int) -> str:
    """The 3.0-3.9 text (Frame.Decoder there), min and max being v3 and v4."""
    return (
        f"Invalid or unsupported protocol version ({asked}); "
        "the lowest supported version is 3 and the greatest is 4"
    )


def probe_version(first_byte: bytes) -> int:
    return first_byte[0] & 0x7F


CASSANDRA_4 = ("3/v3", "4/v4", "5/v5", "6/v6-beta")  # 4.0-beta5 .. 5.0: V5 stable, V6 beta
CASSANDRA_310 = ("3/v3", "4/v4", "5/v5-beta")  # 3.10 .. 3.11: V5 beta
CASSANDRA_SRC = "apache/cassandra doc/native_protocol_v4.spec (2, 3, 9) and src/java/.../transport/"

# --------------------------------------------------------------------------- ClickHouse
# Native protocol: src/Server/TCPHandler.cpp receiveHello() reads a varint packet type; "G"
# or "P" get formatHTTPErrorResponseWhenUserIsConnectedToWrongPort(), anything else but
# Hello (0) throws UNEXPECTED_PACKET_FROM_CLIENT (code 101), sent by sendException():
# varint Protocol::Server::Exception (2) + writeException() (src/IO/WriteHelpers.cpp):
# Int32 LE code, String name, String displayText ("name: message"), String stack trace,
# bool has_nested. Strings are varint length + bytes.

CH_EXCEPTION_PACKET = 2
CH_UNEXPECTED_PACKET_FROM_CLIENT = 101


def ch_string(text: str) -> bytes:
    raw = text.encode()
    return pb_varint(len(raw)) + raw


def ch_stack_trace(frames: Sequence[tuple[str, int]]) -> str:
    """Lines in the form of StackTrace::toString: index, symbol, address, object."""
    return "".join(
        f"{n}. {symbol} @ 0x{address:016x} in /usr/bin/clickhouse\n"
        for n, (symbol, address) in enumerate(frames)
    )


def ch_exception(name: str, message: str, trace: str) -> bytes:
    return (
        pb_varint(CH_EXCEPTION_PACKET)
        + struct.pack("<i", CH_UNEXPECTED_PACKET_FROM_CLIENT)
        + ch_string(name)
        + ch_string(f"{name}: {message}")
        + ch_string(trace)
        + b"\x00"  # has_nested = false
    )


def ch_wrong_port(tcp_port: int, http_port: int | None, period: bool = False) -> bytes:
    dot = "." if period else ""
    text = "HTTP/1.0 400 Bad Request\r\n\r\n"
    text += f"Port {tcp_port} is for clickhouse-client program{dot}\r\n"
    if http_port is not None:
        text += f"You must use port {http_port} for HTTP.\r\n"
    return text.encode()


def ch_not_found(uri: str) -> bytes:
    """src/Server/NotFoundHandler.cpp: 404 with a usage text naming the URI."""
    body = (
        f"There is no handle {uri}\n\n"
        "Use / or /ping for health checks.\n"
        "Or /replicas_status for more sophisticated health checks.\n\n"
        "Send queries from your program with POST method or GET /?query=...\n\n"
        "Use clickhouse-client:\n\n"
        "For interactive data analysis:\n"
        "    clickhouse-client\n\n"
        "For batch query processing:\n"
        "    clickhouse-client --query='SELECT 1' > result\n"
        "    clickhouse-client < query > result\n"
    ).encode()
    # HTTPServerResponse::send(): no length known, so keep-alive off; Poco writes the headers
    return http_response("404 Not Found", [("Date", DATE), ("Connection", "Close")], body)


CH_TRACE = ch_stack_trace(
    [
        ("DB::Exception::Exception(DB::Exception::MessageMasked&&, int, bool)", 0xC4FD597),
        ("DB::TCPHandler::receiveHello()", 0x12A3B4C1),
        ("DB::TCPHandler::runImpl()", 0x12A2F0D3),
    ]
)

# --------------------------------------------------------------------------- Grafana
# pkg/middleware/auth.go: an unauthenticated browser request is redirected to
# AppSubUrl + "/login" (web.Context.Redirect -> net/http Redirect: 302, text/html body
# '<a href="...">Found</a>.' + "\n\n"); writeRedirectCookie sets redirect_to (8.x for every
# path; 9.x and later skip "/"). pkg/middleware/middleware.go AddDefaultResponseHeaders:
# no-cache headers (8.x: Cache-Control no-cache, Pragma no-cache, Expires -1; later
# Cache-Control no-store), X-Frame-Options deny, X-Content-Type-Options nosniff,
# X-Xss-Protection "1; mode=block" (content_type_protection and x_xss_protection default on).
# The not-found route also requires sign-in (http_server.go applyRoutes), so nmap's 404
# probe gets the same redirect. With anonymous access on, "/" and unknown paths render
# public/views/index.html (pkg/api/index.go Index / NotFoundHandler) whose boot data holds
# settings.buildInfo (FrontendSettingsBuildInfoDTO; 8.x a map, hence sorted keys).

GRAFANA_SRC = "grafana/grafana pkg/middleware/auth.go, middleware.go; pkg/api/index.go"


def go_redirect_body(location: str) -> bytes:
    return f'<a href="{location}">Found</a>.\n\n'.encode()


def grafana_login_redirect(*, modern: bool, cookie: str | None, location: str = "/login") -> bytes:
    body = go_redirect_body(location)
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Location", location),
        ("X-Frame-Options", "deny"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Xss-Protection", "1; mode=block"),
    ]
    if modern:
        headers.append(("Cache-Control", "no-store"))
    else:
        headers += [("Cache-Control", "no-cache"), ("Pragma", "no-cache"), ("Expires", "-1")]
    if cookie is not None:
        # pkg/services/contexthandler/cookies WriteCookie: Path=/, HttpOnly, SameSite=Lax
        headers.append(("Set-Cookie", f"redirect_to={cookie}; Path=/; HttpOnly; SameSite=Lax"))
    return http_response("302 Found", go_headers(headers, body), body)


def go_query_escape(text: str) -> str:
    """net/url QueryEscape: unreserved bytes kept, space as '+', the rest %XX."""
    keep = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
    return "".join(
        c if c in keep else "+" if c == " " else "".join(f"%{b:02X}" for b in c.encode())
        for c in text
    )


def grafana_build_info_8x(version: str) -> dict[str, object]:
    # a map[string]interface{} in 8.x: encoding/json writes its keys sorted
    info: dict[str, object] = {
        "hideVersion": False,
        "version": version,
        "commit": "0a1b2c3d4e",
        "buildstamp": 1700000000,
        "edition": "Open Source",
        "latestVersion": "",
        "hasUpdate": False,
        "env": "production",
    }
    return dict(sorted(info.items()))


def grafana_build_info_dto(version: str, *, hidden: bool = False) -> dict[str, object]:
    # FrontendSettingsBuildInfoDTO field order (9.x and later); hideVersion blanks fields
    return {
        "hideVersion": hidden,
        "version": "" if hidden else version,
        "commit": "" if hidden else "0a1b2c3d4e",
        "buildstamp": 0 if hidden else 1700000000,
        "edition": "Open Source",
        "latestVersion": "",
        "hasUpdate": False,
        "env": "production",
    }


def grafana_index(status: str, build_info: dict[str, object]) -> bytes:
    """public/views/index.html with its boot data (html/template writes JSON values)."""
    settings = {"appSubUrl": "", "buildInfo": build_info, "defaultDatasource": ""}
    user = {"isSignedIn": False, "id": 0, "login": "", "orgId": 1, "orgRole": "Viewer"}
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n'
        '    <title>Grafana</title>\n    <base href="/" />\n  </head>\n'
        '  <body class="theme-dark app-grafana">\n    <div id="reactRoot"></div>\n'
        '    <script nonce="">\n      window.grafanaBootData = {\n'
        f"        user: {json.dumps(user, separators=(',', ':'))},\n"
        f"        settings: {json.dumps(settings, separators=(',', ':'))},\n"
        "        navTree: [],\n      };\n    </script>\n  </body>\n</html>\n"
    ).encode()
    headers = [
        ("Content-Type", "text/html; charset=UTF-8"),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "deny"),
        ("X-Xss-Protection", "1; mode=block"),
    ]
    return http_response(status, go_headers(headers, page, length=False), page)


FOUR_OH_FOUR_PATH = "/nice%20ports%2C/Tri%6Eity.txt%2ebak"  # nmap's FourOhFourRequest

# ----------------------------------------------------------------- Kubernetes Dashboard
# kubernetes/dashboard modules/web/pkg/locale/handler.go (v2: src/app/backend/handler/
# localehandler.go): "/" gets Cache-Control "no-cache, no-store, must-revalidate" and
# index.html through net/http FileServer (Accept-Ranges, Content-Length, Content-Type,
# Last-Modified). index.html (modules/web/src/index.html, v2 src/app/frontend/index.html)
# has the title "Kubernetes Dashboard" and the Angular root element <kd-root>.

DASHBOARD_SRC = "kubernetes/dashboard modules/web/pkg/locale/handler.go, modules/web/src/index.html"


def dashboard_index() -> bytes:
    page = (
        b'<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8" />\n'
        b"    <title>Kubernetes Dashboard</title>\n"
        b'    <link rel="icon" type="image/png" href="assets/images/kubernetes-logo.png" />\n'
        b'    <script type="text/javascript">document.write("<base href=\'/\' />");</script>\n'
        b"  </head>\n\n  <body>\n    <kd-root></kd-root>\n"
        b'    <script src="main.js" type="module"></script>\n  </body>\n</html>\n'
    )
    headers = [
        ("Accept-Ranges", "bytes"),
        ("Cache-Control", "no-cache, no-store, must-revalidate"),
        ("Content-Length", str(len(page))),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Last-Modified", "Tue, 14 May 2024 08:00:00 GMT"),
    ]
    # FileServer sets Content-Length itself: only Date comes after the sorted headers
    return http_response("200 OK", [*sorted(headers), ("Date", DATE)], page)


# ----------------------------------------------------------------- Kubernetes API server
# k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go: Forbidden() builds
# `User "system:anonymous" cannot get path "/"` (forbiddenMessage, non-resource request),
# apierrors.NewForbidden with an empty resource prefixes "forbidden: "; an unauthenticated
# request with anonymous auth off gets apierrors.NewUnauthorized("Unauthorized"). Both are
# metav1.Status objects written as JSON (kind, apiVersion, metadata, status, message,
# reason, details, code) with a newline. Headers: Audit-Id (audit filter), Cache-Control
# "no-cache, private", X-Content-Type-Options, and the API priority-and-fairness
# X-Kubernetes-Pf-Flowschema-Uid / -Prioritylevel-Uid.

KUBE_API_SRC = (
    "kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/endpoints/handlers/"
    "responsewriters/errors.go"
)


def kube_status(code: int, reason: str, message: str, details: bool) -> bytes:
    status: dict[str, object] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        status["details"] = {}
    status["code"] = code
    body = (json.dumps(status, separators=(",", ":")) + "\n").encode()
    headers = [
        ("Audit-Id", "5d3a1c9e-2b7f-4e08-9a61-0c4b8e2f7d13"),
        ("Cache-Control", "no-cache, private"),
        ("Content-Type", "application/json"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Kubernetes-Pf-Flowschema-Uid", "7b1e3f6a-0d2c-4c59-8e47-2a9f5b6c1d08"),
        ("X-Kubernetes-Pf-Prioritylevel-Uid", "c2f4a8d1-6e3b-4f70-9b25-8d1e0a7c3f64"),
    ]
    phrase = {401: "Unauthorized", 403: "Forbidden"}[code]
    return http_response(f"{code} {phrase}", go_headers(headers, body), body)


# --------------------------------------------------------------------------- the samples

GENERIC_LINES_FIRST = b"\r"  # first byte of GenericLines, read as a version
GET_FIRST = b"G"
OPTIONS_FIRST = b"O"
TLS_SESSION_REQ_HEAD = b"\x16\x03\x00\x00\x69"  # nmap's TLSSessionReq: 4 bytes, then 0x69

HADOOP = Expect(service="hadoop-ipc", product="Hadoop IPC", cpe=("cpe:/a:apache:hadoop",))

DOCUMENTED: tuple[Built, ...] = (
    Built(
        name="hadoop-ipc-http-get",
        probe="GetRequest",
        reply=hadoop_http_on_ipc_port(),
        expect=HADOOP,
        source=(
            f"built from the protocol documentation: {HADOOP_SERVER} "
            "(RECEIVED_HTTP_REQ_RESPONSE, sent when the connection header is 'GET ')"
        ),
    ),
    Built(
        name="hadoop-ipc-version-mismatch-tls",
        probe="TLSSessionReq",
        reply=hadoop_version_mismatch(TLS_SESSION_REQ_HEAD[4]),
        expect=Expect(
            service="hadoop-ipc",
            product="Hadoop IPC",
            extrainfo="IPC version 9",
            cpe=("cpe:/a:apache:hadoop",),
        ),
        source=(
            f"built from the protocol documentation: {HADOOP_SERVER} (setupBadVersionResponse,"
            " setupResponse) and hadoop-common src/main/proto/RpcHeader.proto"
            " (RpcResponseHeaderProto)"
        ),
    ),
    Built(
        name="cassandra-4-genericlines",
        probe="GenericLines",
        reply=cql_error(5, 0, cql_unsupported(probe_version(GENERIC_LINES_FIRST), CASSANDRA_4)),
        expect=Expect(
            service="cassandra-native",
            product="Apache Cassandra",
            version="4.0 or later",
            extrainfo="native protocol versions 3/v3, 4/v4, 5/v5, 6/v6-beta",
            cpe=("cpe:/a:apache:cassandra",),
        ),
        source=(
            f"built from the protocol documentation: {CASSANDRA_SRC} ProtocolVersion.java"
            " (decode: no forced version, so the channel's version, CURRENT = V5, no beta"
            " flag; invalidVersionMessage), Message.java encode, PreV5Handlers.java"
        ),
    ),
    Built(
        name="cassandra-4-getrequest",
        probe="GetRequest",
        reply=cql_error(5, 0, cql_unsupported(probe_version(GET_FIRST), CASSANDRA_4)),
        expect=Expect(
            service="cassandra-native",
            product="Apache Cassandra",
            version="4.0 or later",
            extrainfo="native protocol versions 3/v3, 4/v4, 5/v5, 6/v6-beta",
            cpe=("cpe:/a:apache:cassandra",),
        ),
        source=(
            f"built from the protocol documentation: {CASSANDRA_SRC} ProtocolVersion.java"
            " (decode, invalidVersionMessage), Envelope.java (Decoder reads the version"
            " before a whole header), Message.java encode"
        ),
    ),
    Built(
        name="cassandra-4.0-rc1-genericlines",
        probe="GenericLines",
        reply=cql_error(
            6, CQL_USE_BETA, cql_unsupported(probe_version(GENERIC_LINES_FIRST), CASSANDRA_4)
        ),
        expect=Expect(
            service="cassandra-native",
            product="Apache Cassandra",
            version="4.0 or later",
            extrainfo="native protocol versions 3/v3, 4/v4, 5/v5, 6/v6-beta",
            cpe=("cpe:/a:apache:cassandra",),
        ),
        source=(
            f"built from the protocol documentation: {CASSANDRA_SRC} ProtocolVersion.java"
            " as of 4.0-beta5..rc1 (decode forces MAX_SUPPORTED_VERSION = V6, a beta, so"
            " version byte 0x86 and USE_BETA), Message.java encode"
        ),
    ),
    Built(
        name="cassandra-3.10-httpoptions",
        probe="HTTPOptions",
        reply=cql_error(
            5, CQL_USE_BETA, cql_unsupported(probe_version(OPTIONS_FIRST), CASSANDRA_310)
        ),
        expect=Expect(
            service="cassandra-native",
            product="Apache Cassandra",
            version="3.10 - 3.11",
            extrainfo="native protocol versions 3/v3, 4/v4, 5/v5-beta",
            cpe=("cpe:/a:apache:cassandra:3",),
        ),
        source=(
            f"built from the protocol documentation: {CASSANDRA_SRC} ProtocolVersion.java"
            " of 3.10-3.11 (V5 '5/v5-beta'; decode forces MAX_SUPPORTED_VERSION = V5, beta,"
            " so 0x85 with USE_BETA), Frame.java, native_protocol_v4.spec 9"
        ),
    ),
    Built(
        name="cassandra-3.0-httpoptions",
        probe="HTTPOptions",
        reply=cql_error(4, 0, cql_unsupported_30(probe_version(OPTIONS_FIRST))),
        expect=Expect(
            service="cassandra-native",
            product="Apache Cassandra",
            version="3.0.0 - 3.9",
            extrainfo="native protocol version 3-4",
            cpe=("cpe:/a:apache:cassandra:3",),
        ),
        source=(
            f"built from the protocol documentation: {CASSANDRA_SRC} Frame.java of 3.0-3.9"
            " (Decoder: version outside MIN..MAX answered in the greatest version, v4)"
        ),
    ),
    Built(
        name="clickhouse-native-exception",
        probe="GenericLines",
        reply=ch_exception(
            "DB::Exception",
            f"Unexpected packet from client (expected Hello, got {GENERIC_LINES_FIRST[0]})",
            CH_TRACE,
        ),
        expect=Expect(
            service="clickhouse", product="ClickHouse DBMS", cpe=("cpe:/a:clickhouse:clickhouse",)
        ),
        source=(
            "built from the protocol documentation: ClickHouse/ClickHouse"
            " src/Server/TCPHandler.cpp (receiveHello, runImpl, sendException),"
            " src/IO/WriteHelpers.cpp (writeException), src/Core/Protocol.h"
        ),
    ),
    Built(
        name="clickhouse-native-netexception",
        probe="GenericLines",
        reply=ch_exception(
            "DB::NetException",
            f"Unexpected packet from client (expected Hello, got {GENERIC_LINES_FIRST[0]})",
            CH_TRACE,
        ),
        expect=Expect(
            service="clickhouse", product="ClickHouse DBMS", cpe=("cpe:/a:clickhouse:clickhouse",)
        ),
        source=(
            "built from the protocol documentation: ClickHouse/ClickHouse"
            " src/Server/TCPHandler.cpp of the releases that throw NetException there"
            " (receiveHello), src/IO/WriteHelpers.cpp (writeException)"
        ),
    ),
    Built(
        name="clickhouse-native-http-get",
        probe="GetRequest",
        reply=ch_wrong_port(9000, 8123),
        expect=Expect(
            service="clickhouse",
            product="ClickHouse DBMS",
            extrainfo="HTTP on port 8123",
            cpe=("cpe:/a:clickhouse:clickhouse",),
        ),
        source=(
            "built from the protocol documentation: ClickHouse/ClickHouse"
            " src/Server/TCPHandler.cpp (formatHTTPErrorResponseWhenUserIsConnectedToWrongPort,"
            " http_port configured)"
        ),
    ),
    Built(
        name="clickhouse-native-http-get-old",
        probe="GetRequest",
        reply=ch_wrong_port(9000, 8123, period=True),
        expect=Expect(
            service="clickhouse",
            product="ClickHouse DBMS",
            extrainfo="HTTP on port 8123",
            cpe=("cpe:/a:clickhouse:clickhouse",),
        ),
        source=(
            "built from the protocol documentation: ClickHouse/ClickHouse"
            " dbms/src/Server/TCPHandler.cpp of older releases (receiveHello writes"
            " 'program.' and the HTTP port line)"
        ),
    ),
    Built(
        name="clickhouse-native-http-get-no-http-port",
        probe="GetRequest",
        reply=ch_wrong_port(9000, None),
        expect=Expect(
            service="clickhouse", product="ClickHouse DBMS", cpe=("cpe:/a:clickhouse:clickhouse",)
        ),
        source=(
            "built from the protocol documentation: ClickHouse/ClickHouse"
            " src/Server/TCPHandler.cpp (formatHTTPErrorResponseWhenUserIsConnectedToWrongPort,"
            " no http_port in the configuration)"
        ),
    ),
    Built(
        name="clickhouse-http-404",
        probe="FourOhFourRequest",
        reply=ch_not_found(FOUR_OH_FOUR_PATH),
        expect=Expect(
            service="http",
            product="ClickHouse HTTP interface",
            cpe=("cpe:/a:clickhouse:clickhouse",),
        ),
        source=(
            "built from the protocol documentation: ClickHouse/ClickHouse"
            " src/Server/NotFoundHandler.cpp, src/Server/HTTP/HTTPServerResponse.cpp (send)"
        ),
    ),
    Built(
        name="grafana-8-login-redirect",
        probe="GetRequest",
        reply=grafana_login_redirect(modern=False, cookie=go_query_escape("/")),
        expect=Expect(service="http", product="Grafana", cpe=("cpe:/a:grafana:grafana",)),
        source=(
            f"built from the protocol documentation: {GRAFANA_SRC} as of 8.x"
            " (notAuthorized, writeRedirectCookie without the '/' exception, addNoCacheHeaders"
            " with Pragma and Expires); net/http Redirect and header order"
        ),
    ),
    Built(
        name="grafana-11-login-redirect",
        probe="GetRequest",
        reply=grafana_login_redirect(modern=True, cookie=None),
        expect=Expect(service="http", product="Grafana", cpe=("cpe:/a:grafana:grafana",)),
        source=(
            f"built from the protocol documentation: {GRAFANA_SRC} as of 10.x-11.x"
            " (no redirect_to cookie for '/', Cache-Control no-store); net/http Redirect"
        ),
    ),
    Built(
        name="grafana-11-404-login-redirect",
        probe="FourOhFourRequest",
        reply=grafana_login_redirect(modern=True, cookie=go_query_escape(FOUR_OH_FOUR_PATH)),
        expect=Expect(service="http", product="Grafana", cpe=("cpe:/a:grafana:grafana",)),
        source=(
            f"built from the protocol documentation: {GRAFANA_SRC} and pkg/api/http_server.go"
            " (applyRoutes: NotFound behind ReqSignedIn; writeRedirectCookie with the"
            " QueryEscape'd request URI)"
        ),
    ),
    Built(
        name="grafana-10-anonymous-index",
        probe="GetRequest",
        reply=grafana_index("200 OK", grafana_build_info_dto("10.4.2")),
        expect=Expect(
            service="http",
            product="Grafana",
            version="10.4.2",
            cpe=("cpe:/a:grafana:grafana:10.4.2",),
        ),
        source=(
            f"built from the protocol documentation: {GRAFANA_SRC}, public/views/index.html"
            " (grafanaBootData) and pkg/api/dtos/frontend_settings.go"
            " (FrontendSettingsBuildInfoDTO); anonymous access enabled"
        ),
    ),
    Built(
        name="grafana-8-anonymous-404-index",
        probe="FourOhFourRequest",
        reply=grafana_index("404 Not Found", grafana_build_info_8x("8.5.27")),
        expect=Expect(
            service="http",
            product="Grafana",
            version="8.5.27",
            cpe=("cpe:/a:grafana:grafana:8.5.27",),
        ),
        source=(
            f"built from the protocol documentation: {GRAFANA_SRC} as of 8.x"
            " (NotFoundHandler renders the index with status 404; frontendsettings.go"
            " buildInfo is a map, so its keys come sorted); anonymous access enabled"
        ),
    ),
    Built(
        name="grafana-anonymous-index-version-hidden",
        probe="GetRequest",
        reply=grafana_index("200 OK", grafana_build_info_dto("11.0.0", hidden=True)),
        expect=Expect(service="http", product="Grafana", cpe=("cpe:/a:grafana:grafana",)),
        source=(
            f"built from the protocol documentation: {GRAFANA_SRC}, pkg/api/frontendsettings.go"
            " (hideVersion = AnonymousHideVersion && !IsSignedIn blanks version and commit)"
        ),
    ),
    Built(
        name="kubernetes-dashboard-index",
        probe="GetRequest",
        reply=dashboard_index(),
        expect=Expect(
            service="http",
            product="Kubernetes Dashboard",
            cpe=("cpe:/a:kubernetes:dashboard",),
        ),
        source=f"built from the protocol documentation: {DASHBOARD_SRC} (v2.x and v3 web module)",
    ),
    Built(
        name="kubernetes-apiserver-anonymous-forbidden",
        probe="GetRequest",
        reply=kube_status(
            403,
            "Forbidden",
            'forbidden: User "system:anonymous" cannot get path "/"',
            details=True,
        ),
        expect=Expect(
            service="http",
            product="Kubernetes API server",
            extrainfo="anonymous auth on",
            cpe=("cpe:/a:kubernetes:kubernetes",),
        ),
        source=(
            f"built from the protocol documentation: {KUBE_API_SRC} (Forbidden,"
            " forbiddenMessage) and apimachinery pkg/api/errors/errors.go (NewForbidden)"
        ),
    ),
    Built(
        name="kubernetes-apiserver-unauthorized",
        probe="GetRequest",
        reply=kube_status(401, "Unauthorized", "Unauthorized", details=False),
        expect=Expect(
            service="http",
            product="Kubernetes API server",
            cpe=("cpe:/a:kubernetes:kubernetes",),
        ),
        source=(
            "built from the protocol documentation: kubernetes/kubernetes staging/src/k8s.io/"
            "apiserver/pkg/endpoints/filters/authentication.go (Unauthorized) and"
            " apimachinery pkg/api/errors/errors.go (NewUnauthorized)"
        ),
    ),
)
