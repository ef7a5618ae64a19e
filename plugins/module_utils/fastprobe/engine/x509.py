"""The few certificate facts a scan records, read from DER with the standard library.

``ssl`` gives the peer certificate only as DER bytes when verification is off (as it
must be for scanning), and the engine may not depend on ``cryptography``; X.509 is
plain DER, so this reads just what is needed: subject CN, SANs, issuer, validity.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Optional

_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
}
_SAN = "2.5.29.17"


class CertError(ValueError):
    """Bytes that are not a DER certificate of the expected shape."""


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at ``pos``."""
    if pos + 2 > len(data):
        raise CertError("truncated element")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise CertError("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    else:
        length = first
    if pos + length > len(data):
        raise CertError("element runs past the end")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    while start < end:
        tag, s, e = _tlv(data, start)
        out.append((tag, s, e))
        start = e
    return out


def _oid(raw: bytes) -> str:
    if not raw:
        raise CertError("empty OID")
    parts = [raw[0] // 40, raw[0] % 40]
    value = 0
    for b in raw[1:]:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def _text(tag: int, raw: bytes) -> str:
    if tag == 0x1E:  # BMPString
        return raw.decode("utf-16-be", "replace")
    return raw.decode("utf-8" if tag == 0x0C else "latin-1", "replace")


def _name(data: bytes, start: int, end: int) -> list[tuple[str, str]]:
    pairs = []
    for _set_tag, s, e in _children(data, start, end):
        for _seq_tag, s2, e2 in _children(data, s, e):
            (_ot, os_, oe), (vt, vs, ve) = _children(data, s2, e2)[:2]
            oid = _oid(data[os_:oe])
            pairs.append((_NAMES.get(oid, oid), _text(vt, data[vs:ve])))
    return pairs


def _time(tag: int, raw: bytes) -> str:
    text = raw.decode("ascii", "replace")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    if len(text) < 14:
        raise CertError("bad time")
    return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}Z"


def cert_facts(der: bytes, tls_version: Optional[str] = None) -> dict[str, Any]:
    """``subject_cn``, ``sans``, ``issuer``, ``not_before``, ``not_after``, ``tls_version``."""
    try:
        return _facts(der, tls_version)
    except (IndexError, ValueError, UnicodeError) as exc:
        raise CertError(str(exc) or "malformed certificate") from None


def _facts(der: bytes, tls_version: Optional[str]) -> dict[str, Any]:
    _tag, cs, ce = _tlv(der, 0)
    tbs_tag, ts, te = _children(der, cs, ce)[0]
    if tbs_tag != 0x30:
        raise CertError("not a certificate")
    items = _children(der, ts, te)
    if items and items[0][0] == 0xA0:  # explicit version
        items = items[1:]
    if len(items) < 6:
        raise CertError("short TBSCertificate")
    issuer = _name(der, items[2][1], items[2][2])
    not_before, not_after = (
        _time(t, der[s:e]) for t, s, e in _children(der, items[3][1], items[3][2])[:2]
    )
    subject = _name(der, items[4][1], items[4][2])
    sans: list[str] = []
    for tag, s, e in items[6:]:
        if tag != 0xA3:
            continue
        (_seq, ss, se) = _children(der, s, e)[0]
        for _ext_tag, xs, xe in _children(der, ss, se):
            parts = _children(der, xs, xe)
            if _oid(der[parts[0][1] : parts[0][2]]) != _SAN:
                continue
            _ot, os_, oe = parts[-1]  # extnValue OCTET STRING
            (_st, gs, ge) = _children(der, os_, oe)[0]
            for gtag, ns, ne in _children(der, gs, ge):
                if gtag == 0x82:
                    sans.append("DNS:" + der[ns:ne].decode("ascii", "replace"))
                elif gtag == 0x87:
                    raw = der[ns:ne]
                    if len(raw) == 4:
                        sans.append("IP:" + ".".join(map(str, raw)))
                    elif len(raw) == 16:
                        sans.append("IP:" + str(ipaddress.IPv6Address(raw)))
    cn = next((v for k, v in subject if k == "CN"), None)
    return {
        "subject_cn": cn,
        "sans": sans,
        "issuer": ", ".join(f"{k}={v}" for k, v in issuer),
        "not_before": not_before,
        "not_after": not_after,
        "tls_version": tls_version,
    }
