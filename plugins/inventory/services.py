# Copyright (c) fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: services
short_description: Hosts, groups and service facts from fastprobe scan results
version_added: 0.1.0
description:
  - Reads a fastprobe results directory (one C(<inventory_hostname>.json) file per host, as
    written by the collection's scan module and C(fastprobe scan)) and turns what each host
    runs into inventory.
  - Each host gets the host variable C(fastprobe_services), its list of service records as
    stored in its results file (every state, not only the counted ones).
  - Each counted record (see O(states)) puts its host in the groups C(service_<service>)
    (C(service_unknown) when the service has no name), C(product_<product>) (the product
    lowercased, each run of other characters than letters and digits made C(_), so
    C(Apache httpd) gives C(product_apache_httpd)), C(port_<protocol>_<port>) (for example
    C(port_tcp_22)) and, for a service behind TLS, C(tunnel_ssl).
  - The config file name must end in C(.fastprobe.yml) or C(.fastprobe.yaml).
  - To add groups and variables to hosts that another inventory source defines, list that
    source first and this one after it, with O(add_hosts=false).
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as a config file of this plugin.
    required: true
    type: str
    choices: [fastprobe.scanner.services]
  results_dir:
    description:
      - The results directory to read.
      - A relative path is relative to the directory of this config file; C(~) and
        environment variables are expanded.
    required: true
    type: str
  group_prefix:
    description:
      - Text put in front of the name of every group this plugin makes itself (not of the
        groups made by O(groups) and O(keyed_groups)), for example C(fastprobe_).
    type: str
    default: ''
  states:
    description:
      - The record states that put a host in the service, product, port and tunnel groups.
    type: list
    elements: str
    default: [open]
    choices: [open, closed, filtered, open|filtered, unresolved, error]
  add_hosts:
    description:
      - Add the hosts found in the results directory to the inventory.
      - When false, only hosts already in the inventory (from a source listed before this
        one) get variables and groups; results of other hosts are left out.
    type: bool
    default: true
"""

EXAMPLES = r"""
# inventory/scan.fastprobe.yml: every scanned host, grouped by what it runs
plugin: fastprobe.scanner.services
results_dir: ../results

# then: ansible-inventory -i inventory/scan.fastprobe.yml --graph
#   @service_ssh, @product_openssh, @port_tcp_22, @tunnel_ssl, ...
# and: ansible-playbook -i inventory/scan.fastprobe.yml site.yml --limit service_http

# ---
# inventory/20-scan.fastprobe.yml: groups and facts for the hosts of a static inventory
# (inventory/10-hosts.yml) only, with prefixed group names, open and filtered ports,
# and groups built from the records with the constructed options
plugin: fastprobe.scanner.services
results_dir: /srv/fastprobe/results
add_hosts: false
group_prefix: fp_
states: [open, open|filtered]
compose:
  open_ports: >-
    fastprobe_services | selectattr('state', 'eq', 'open') | map(attribute='port') | list
groups:
  exposes_telnet: "'telnet' in (fastprobe_services | map(attribute='service'))"
keyed_groups:
  - key: fastprobe_services | map(attribute='ostype') | select | list
    prefix: os
  - key: fastprobe_services | map(attribute='cpe') | flatten | list
    prefix: cpe

# ---
# with inventory caching (results are read again once the cache times out or on
# ansible-inventory --flush-cache)
plugin: fastprobe.scanner.services
results_dir: results
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /tmp/fastprobe-inventory-cache
cache_timeout: 600
"""

import os
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.facts import read_dir

HOSTVAR = "fastprobe_services"
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slug(text):
    """A name part that is valid in a group name: lowercased, each run of other characters
    than ASCII letters and digits made one ``_``."""
    return _NOT_ALNUM.sub("_", str(text).lower()).strip("_")


def record_groups(record):
    """The unprefixed group names a counted record puts its host in."""
    names = ["service_" + (slug(record.get("service") or "") or "unknown")]
    product = slug(record.get("product") or "")
    if product:
        names.append("product_" + product)
    if record.get("port") is not None and record.get("protocol"):
        names.append(f"port_{slug(record['protocol'])}_{record['port']}")
    tunnel = slug(record.get("tunnel") or "")
    if tunnel:
        names.append("tunnel_" + tunnel)
    return names


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Inventory from a fastprobe results directory."""

    NAME = "fastprobe.scanner.services"

    def verify_file(self, path):
        """Only ``*.fastprobe.yml``/``*.fastprobe.yaml``, so that the ``auto`` plugin does
        not hand us other YAML inventories."""
        return super().verify_file(path) and path.endswith((".fastprobe.yml", ".fastprobe.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        results_dir = self._results_dir(path)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        services = None
        if use_cache:
            try:
                services = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if services is None:
            services = self._read_results(path, results_dir)
        if update_cache:
            self._cache[cache_key] = services
        self._populate(services)

    def _results_dir(self, path):
        """``results_dir`` as an absolute path, a relative one taken from the config file's
        directory (not the current one, which changes with where ansible runs)."""
        raw = os.path.expandvars(os.path.expanduser(str(self.get_option("results_dir"))))
        return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), raw))

    @staticmethod
    def _read_results(path, results_dir):
        if not os.path.isdir(results_dir):
            raise AnsibleParserError(
                f"{path}: results_dir {results_dir} does not exist or is not a directory"
            )
        try:
            services = read_dir(results_dir)
        except (OSError, ValueError) as exc:
            raise AnsibleParserError(f"{path}: {exc}") from exc
        for host, records in services.items():
            if not all(isinstance(r, dict) for r in records):
                file = os.path.join(results_dir, host + ".json")
                raise AnsibleParserError(
                    f"{path}: {file}: not a fastprobe results file (a service is not a mapping)"
                )
        return services

    def _populate(self, services):
        add_hosts = self.get_option("add_hosts")
        states = set(self.get_option("states"))
        prefix = self.get_option("group_prefix") or ""
        strict = self.get_option("strict")
        for host, records in sorted(services.items()):
            if add_hosts:
                self.inventory.add_host(host)
            elif self.inventory.get_host(host) is None:
                continue
            # wrap_var: banners are remote data; ansible-core < 2.19 would template them
            self.inventory.set_variable(host, HOSTVAR, wrap_var(records))
            for record in records:
                if record.get("state") in states:
                    for name in record_groups(record):
                        group = self.inventory.add_group(self._sanitize_group_name(prefix + name))
                        self.inventory.add_child(group, host)

            hostvars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict)
