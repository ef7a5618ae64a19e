# Copyright (c) fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A readable table of the services of many hosts, for a playbook's summary."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.facts import label

COLUMNS = ("host", "address", "port", "service", "product", "version", "extrainfo")


def services_table(hosts: Mapping, states: tuple = ("open",)) -> list[str]:
    """One aligned line per record of ``{host: [record, ...]}``, hosts and ports in
    order, under a header line."""
    if not isinstance(hosts, Mapping):
        raise AnsibleFilterError("services_table: expects a mapping of host to records")
    rows = []
    for host in sorted(hosts, key=str):
        records = hosts[host] or []
        if not isinstance(records, (list, tuple)):
            raise AnsibleFilterError(f"services_table: the records of {host} are not a list")
        for r in sorted(records, key=lambda r: (r.get("protocol", ""), r.get("port", 0))):
            if r.get("state") not in states:
                continue
            rows.append(
                (
                    str(host),
                    str(r.get("address", "")),
                    f"{r.get('port')}/{r.get('protocol')}",
                    label(r),
                    str(r.get("product") or ""),
                    str(r.get("version") or ""),
                    str(r.get("extrainfo") or ""),
                )
            )
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(COLUMNS)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        for row in [COLUMNS, *rows]
    ]


class FilterModule:
    def filters(self) -> dict:
        return {"services_table": services_table}
