"""Shared by the plugin unit tests: real results files and real ansible command runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.facts import (
    document,
    dumps,
)

# every key a record always has (see engine/records.py), so expressions over them behave
# as on real scan results
_EMPTY_RECORD = {
    "address": "192.0.2.10",
    "port": 0,
    "protocol": "tcp",
    "state": "open",
    "service": None,
    "product": None,
    "version": None,
    "extrainfo": None,
    "hostname": None,
    "ostype": None,
    "devicetype": None,
    "cpe": [],
    "tunnel": None,
    "method": "matched",
    "probe": "NULL",
    "rule": None,
}


def record(port, service=None, **fields):
    """A service record as the scanner writes it."""
    return {**_EMPTY_RECORD, "port": port, "service": service, **fields}


# web1: the record kinds the inventory groups on
WEB1 = [
    record(
        22,
        "ssh",
        product="OpenSSH",
        version="9.2p1 Debian 2+deb12u3",
        extrainfo="protocol 2.0",
        ostype="Linux",
        cpe=["cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"],
    ),
    record(443, "http", product="nginx", version="1.22.1", tunnel="ssl"),
    record(8080, "http-proxy", product="Apache httpd", version="2.4.62"),
    record(9999, None, method="unknown", replies={"NULL": "\\x00\\x01"}),
    record(53, "domain", protocol="udp", state="open|filtered", method=None),
    record(25, None, state="closed", method=None, probe=None),
]
# db1: an older OpenSSH and PostgreSQL; a remote banner that looks like a template
DB1 = [
    record(
        22,
        "ssh",
        product="OpenSSH",
        version="8.4p1 Debian 5+deb11u3",
        extrainfo="{{ 7 * 6 }}",
        ostype="Linux",
        cpe=["cpe:/a:openbsd:openssh:8.4p1", "cpe:/o:linux:linux_kernel"],
        address="192.0.2.20",
    ),
    record(5432, "postgresql", product="PostgreSQL DB", address="192.0.2.20"),
]


def write_results(results_dir, host, records):
    """A host's results file, written the way the collection writes it."""
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, host + ".json")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dumps(document(host, records)))
    return path


def collections_path():
    """The collection root ansible-test runs us from (it sets ANSIBLE_COLLECTIONS_PATH)."""
    if os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        return os.environ["ANSIBLE_COLLECTIONS_PATH"]
    here = os.path.abspath(__file__)
    return here.rsplit(os.sep + "ansible_collections" + os.sep, 1)[0]


def run_ansible(cli, args, workdir):
    """Run an ansible command line (``adhoc``, ``inventory``) with this collection
    installed, as a user would; returns the finished process."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_HOME=os.path.join(str(workdir), ".ansible"),
        ANSIBLE_LOCAL_TEMP=os.path.join(str(workdir), ".ansible", "tmp"),
        ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal",
    )
    return subprocess.run(
        [sys.executable, "-m", f"ansible.cli.{cli}", *args],
        cwd=str(workdir),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def adhoc_result(proc, host):
    """The JSON result ``ansible`` printed for ``host`` (``host | SUCCESS => {...}``)."""
    assert proc.returncode == 0, proc.stdout + proc.stderr
    marker = f"{host} | SUCCESS => "
    start = proc.stdout.index(marker) + len(marker)
    return json.JSONDecoder().raw_decode(proc.stdout[start:])[0]


def plain_json(value):
    """ansible-inventory's output with its ``{"__ansible_unsafe": ...}`` wrappers removed."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    return value
