"""Save enriched host data to SimpleInventory host files, so it can be reviewed in Git."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any, Union

from nornir.core import Nornir
from nornir.core.inventory import Host
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from fastprobe import facts
from fastprobe.files import write_atomic

from ..tasks.service_scan import SERVICES, UPDATED


def write_back(
    hosts: Union[Nornir, Mapping[str, Host], Iterable[Host]],
    host_file: str,
    key: str = SERVICES,
) -> list[str]:
    """Write ``host.data[key]`` of each host into its entry of ``host_file`` (a
    SimpleInventory / YAMLInventory hosts file) and return the names of the hosts whose
    entry changed. Comments, key order and every other key are kept; the records are
    written in a stable order, so a rescan with nothing new leaves the file as it was;
    with the services, the time they changed (``fastprobe_updated``). The file is
    replaced whole, keeping its mode, owner and symlinks.
    Hosts the file does not define are skipped (they come from elsewhere)."""
    if isinstance(hosts, Nornir):
        hosts = hosts.inventory.hosts
    if isinstance(hosts, Mapping):
        hosts = hosts.values()
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    with open(host_file, encoding="utf-8") as fh:
        original = fh.read()
    doc = yaml.load(original)
    if not isinstance(doc, Mapping):
        raise ValueError(f"{host_file}: not a SimpleInventory hosts file (no mapping of hosts)")
    changed = []
    for host in hosts:
        if host.name not in doc or key not in host.data:
            continue
        entry = doc[host.name]
        if entry is None:
            entry = doc[host.name] = CommentedMap()
        if not isinstance(entry, Mapping):
            raise ValueError(f"{host_file}: the entry of {host.name} is not a mapping")
        data = entry.get("data")
        if data is None:
            data = entry["data"] = CommentedMap()
        value = _plain(facts.stable(host.data[key]) if key == SERVICES else host.data[key])
        if _plain(data.get(key)) != value:
            data[key] = value
            if key == SERVICES and UPDATED in host.data:
                data[UPDATED] = host.data[UPDATED]
            changed.append(host.name)
    if changed:
        out = io.StringIO()
        yaml.dump(doc, out)
        # whole or not at all; a symlinked inventory is updated where it points, and a
        # file kept private (it may hold passwords) stays so
        write_atomic(host_file, out.getvalue())
    return sorted(changed)


def _plain(value: Any) -> Any:
    """Plain dicts and lists, to compare with what the file held and to write."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
