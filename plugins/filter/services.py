# Copyright (c) fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters over fastprobe service records: which hosts run what, and jmespath queries.

Each filter is documented in its own plugins/filter/<name>.yml (ansible-doc -t filter).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Set

from ansible.errors import AnsibleFilterError

try:
    import jmespath
except ImportError:
    jmespath = None

HOSTVAR = "fastprobe_services"


def plain(value):
    """A copy of ``value`` made of Python's own types only.

    ansible-core 2.19 hands filters tagged and lazy subclasses of str, int, dict and list.
    jmespath decides types by class name (``type()``, ``contains``, ``starts_with``, ...),
    so those subclasses fail its checks; lazy containers are also templated as they are
    read here, once.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return bytes(value).decode("utf-8", "surrogateescape")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Set):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def services_query(data, expr):
    """jmespath ``expr`` over ``data`` (records, hostvars or any structure)."""
    if jmespath is None:
        raise AnsibleFilterError("services_query needs the jmespath library: pip install jmespath")
    if not isinstance(expr, str):
        raise AnsibleFilterError(
            f"services_query: the expression must be a string, not {type(expr).__name__}"
        )
    try:
        return jmespath.search(str.__str__(expr), plain(data))
    except jmespath.exceptions.JMESPathError as exc:
        raise AnsibleFilterError(f"services_query: {expr!r}: {exc}") from exc


def open_services(records, service=None):
    """The open records, or the open records of one service (name without regard to case),
    ordered by protocol, port and address."""
    records = _records("open_services", records)
    service = _text("open_services", "service", service, optional=True)
    out = [
        r
        for r in records
        if r.get("state") == "open" and (service is None or _lower(r.get("service")) == service)
    ]
    return sorted(out, key=_record_order)


def hosts_with_service(hostvars, name, hosts=None):
    """Hosts with an open record of service ``name`` (without regard to case)."""
    name = _text("hosts_with_service", "name", name)
    return _hosts_where(
        "hosts_with_service", hostvars, hosts, lambda r: _lower(r.get("service")) == name
    )


def hosts_with_product(hostvars, product, hosts=None):
    """Hosts with an open record whose product is ``product`` or starts with it (without
    regard to case): ``apache`` finds ``Apache httpd``."""
    product = _text("hosts_with_product", "product", product)
    return _hosts_where(
        "hosts_with_product",
        hostvars,
        hosts,
        lambda r: bool(r.get("product")) and _lower(r.get("product")).startswith(product),
    )


def hosts_with_cpe(hostvars, cpe_prefix, hosts=None):
    """Hosts with an open record one of whose CPE names starts with ``cpe_prefix``
    (``cpe:/a:openbsd:openssh`` finds every OpenSSH version)."""
    prefix = _text("hosts_with_cpe", "cpe_prefix", cpe_prefix, lower=False)

    def has_cpe(record):
        cpes = record.get("cpe") or []
        return isinstance(cpes, (list, tuple)) and any(str(c).startswith(prefix) for c in cpes)

    return _hosts_where("hosts_with_cpe", hostvars, hosts, has_cpe)


def _hosts_where(filter_name, hostvars, hosts, wanted):
    """Sorted names of the hosts (all of ``hostvars``, or those of ``hosts`` it has) with an
    open record for which ``wanted`` is true."""
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(
            f"{filter_name}: expects hostvars (a mapping of host names to their variables), "
            f"not {type(hostvars).__name__}"
        )
    if hosts is None:
        names = list(hostvars)
    elif isinstance(hosts, (list, tuple)) and all(isinstance(h, str) for h in hosts):
        names = [h for h in hosts if h in hostvars]
    else:
        raise AnsibleFilterError(
            f"{filter_name}: hosts must be a list of host names (e.g. groups['all']), not {hosts!r}"
        )
    found = set()
    for host in names:
        variables = hostvars[host]
        records = variables.get(HOSTVAR) if isinstance(variables, Mapping) else None
        if records is None:
            continue
        records = _records(filter_name, records, f"{HOSTVAR} of {host}")
        if any(r.get("state") == "open" and wanted(r) for r in records):
            found.add(str(host))
    return sorted(found)


def _records(filter_name, records, what="the input"):
    if not isinstance(records, (list, tuple)) or not all(isinstance(r, Mapping) for r in records):
        raise AnsibleFilterError(
            f"{filter_name}: {what} must be a list of fastprobe service records, "
            f"not {type(records).__name__}"
        )
    return records


def _text(filter_name, arg, value, optional=False, lower=True):
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise AnsibleFilterError(f"{filter_name}: {arg} must be a non-empty string, not {value!r}")
    return value.lower() if lower else str.__str__(value)


def _lower(value):
    return str(value or "").lower()


def _record_order(record):
    return (str(record.get("protocol") or ""), record.get("port") or 0, str(record.get("address")))


class FilterModule:
    """fastprobe service record filters."""

    def filters(self):
        return {
            "services_query": services_query,
            "open_services": open_services,
            "hosts_with_service": hosts_with_service,
            "hosts_with_product": hosts_with_product,
            "hosts_with_cpe": hosts_with_cpe,
        }
