#!/usr/bin/python
# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_scan
short_description: Identify the services on targets' ports, as nmap -sV would, in seconds
description:
  - Finds open ports by TCP connect and names the service on each with nmap's probe
    file (C(nmap-service-probes)) and the collection's overlay rules, giving nmap's
    verdicts while sending probes concurrently with short adaptive waits.
  - Runs on a scan host, which needs nothing but Python; the engine travels with the
    module. nmap's probe file is read from the scan host (Debian's C(nmap) package
    puts it in C(/usr/share/nmap)).
  - The action plugin of the same name runs on the controller first. It expands
    inventory groups and host names in O(targets) (a host is scanned at its
    C(ansible_host)), shards the targets across the scan hosts of the play, reads
    the overlay rule files from the controller, and afterwards returns the records per
    inventory host, writes them to O(results_dir) and checks O(expect).
  - A scan only reads; in check mode it scans all the same, and only the writing of
    result files is skipped.
version_added: 0.1.0
author: fastprobe developers (!UNKNOWN)
options:
  targets:
    description:
      - What to scan. Inventory group names and inventory host names (expanded by the
        action plugin on the controller), or addresses, CIDR blocks
        (C(10.0.0.0/24)), octet ranges (C(10.0.0.1-20)) and DNS names.
    type: list
    elements: str
    required: true
  ports:
    description:
      - Ports in nmap's syntax (C(22,80,1000-2000), C(T:443), C(U:53)); UDP ports
        need the C(U:) prefix.
      - Without it, nmap's O(top_ports) most common TCP ports are scanned.
    type: str
  top_ports:
    description:
      - Scan this many of the most common TCP ports, from nmap's C(nmap-services).
      - Ignored when O(ports) is given.
    type: int
    default: 1000
  exclude:
    description: Addresses, CIDR blocks or ranges never to scan.
    type: list
    elements: str
    default: []
  intensity:
    description:
      - nmap's version intensity, 0 (port-listed probes only) to 9 (every probe).
    type: int
    default: 7
  profile:
    description:
      - V(fast) waits briefly for replies, adapted to each target's round-trip time.
      - V(thorough) waits longer and holds one connection open for nmap's own NULL
        wait, catching slow banners (SMTP greet-pause).
    type: str
    choices: [fast, thorough]
    default: fast
  connect_timeout:
    description: Seconds for a TCP connect and TLS handshake (default from O(profile)).
    type: float
  wait_min:
    description:
      - Shortest wait in seconds for a probe's reply (default from O(profile)); waits
        grow with the target's round-trip time up to O(wait_max).
    type: float
  wait_max:
    description: Longest wait in seconds for a probe's reply (default from O(profile)).
    type: float
  max_conns:
    description: Connections open at once, across the scan.
    type: int
    default: 512
  max_host_conns:
    description:
      - Most connections open at once to one address. The cap shrinks by itself when
        a host turns connections away.
    type: int
    default: 32
  rate:
    description: New connections per second, across the scan (default unlimited).
    type: float
  report_closed:
    description: Also return records for closed and filtered ports.
    type: bool
    default: false
  exclude_mode:
    description:
      - What to do with the C(Exclude) directive of nmap's probe file (ports reported
        open without version detection, T:9100-9107 in nmap's file; printers there
        print what they are sent, and Prometheus exporters listen there too).
      - V(replace) (the default) uses only the overlays' C(Exclude) lines; the
        collection's rules have none, so 9100-9107 are probed and the exporters named.
      - V(keep) honours nmap's as well (set it where printers listen on 9100-9107),
        V(drop) ignores every C(Exclude).
    type: str
    choices: [keep, replace, drop]
    default: replace
  nmap_probes:
    description:
      - Path of nmap's probe file on the scan host. By default the installed nmap's
        (or the file named by E(FASTPROBE_NMAP_PROBES)).
    type: path
  engine:
    description:
      - V(native) is the concurrent engine. V(nmap) runs nmap itself on the scan host
        (C(nmap -sV)), with nmap's probe file and the overlays merged into one file, and
        returns the same records; its XML gives the verdicts and its version trace the
        deciding rule. Built with the collection's nmap role, nmap gets short waits.
      - With V(nmap), O(profile), O(connect_timeout), O(wait_min), O(wait_max),
        O(max_conns) and O(max_host_conns) must keep their defaults (nmap times itself);
        O(rate) is nmap's C(--max-rate); UDP ports need root on the scan host
        (C(become)).
    type: str
    choices: [native, nmap]
    default: native
  nmap_path:
    description:
      - The nmap that O(engine=nmap) runs on the scan host. By default
        C(/opt/fastprobe/nmap/bin/nmap), where the collection's nmap role installs it,
        else C(nmap) on the scan host's E(PATH).
      - Without O(nmap_probes), that nmap's own probe file is used
        (C(<prefix>/share/nmap/nmap-service-probes)).
    type: path
  scanners:
    description:
      - The scan hosts the targets are shared among. By default every host of the
        play; with C(run_once) the one host that runs the task scans everything.
    type: list
    elements: str
  shard:
    description: Share the targets among O(scanners). Off, every scan host scans all.
    type: bool
    default: true
  results_dir:
    description:
      - Directory on the controller for one JSON file per inventory host
        (C(<inventory_hostname>.json)), in a stable order and without timings, so the
        files can be kept in Git and reviewed as diffs. Not written in check mode.
      - The file a host had before is what O(expect) and C(changed) compare against.
    type: path
  expect:
    description:
      - Expected services per inventory host or group, as C(PORT[/PROTOCOL]/NAME)
        (C(22/ssh), C(443/nginx), C(53/udp/domain)); NAME is a service name or a
        product, in any case. An expected service not seen is C(missing); an open
        port no expectation of that host names is C(unexpected).
    type: dict
    default: {}
  fail_on_mismatch:
    description:
      - Fail when a host misses an expected service or runs an unexpected one.
        Otherwise the task only reports it in RV(mismatches).
    type: bool
    default: true
extends_documentation_fragment:
  - fastprobe.scanner.rules
notes:
  - Sends traffic only to the targets given; mind your network's rules.
  - Facts go back to the targets with M(fastprobe.scanner.service_facts) in a play on
    those hosts, so they never land on the wrong host.
seealso:
  - module: fastprobe.scanner.service_facts
  - name: nmap's service and version detection
    description: The probe file format and the verdicts this module reproduces.
    link: https://nmap.org/book/vscan.html
attributes:
  check_mode:
    description: Can run in check mode and return the status it would have without it.
    support: full
    details: A scan only reads, so it runs in check mode too; result files are not written.
  diff_mode:
    description: Shows, with C(--diff), the services of each host before and now.
    support: full
"""

EXAMPLES = r"""
- name: Scan the web and db groups from the scan hosts, sharing the work
  fastprobe.scanner.service_scan:
    targets: [web, db]
    ports: "22,80,443,3306,5432"
    results_dir: "{{ playbook_dir }}/services"
  register: scan

- name: Check what runs where
  fastprobe.scanner.service_scan:
    targets: [web]
    ports: "22,80,443"
    expect:
      web: [22/ssh, 80/http, 443/nginx]
    results_dir: "{{ playbook_dir }}/services"

- name: A subnet, thoroughly, politely
  fastprobe.scanner.service_scan:
    targets: [192.0.2.0/28]
    profile: thorough
    max_host_conns: 4
    rate: 200
  run_once: true
"""

RETURN = r"""
records:
  description: One record per (address, port, protocol) found, in the order they finished.
  returned: success
  type: list
  elements: dict
  sample:
    - address: 192.0.2.10
      port: 22
      protocol: tcp
      state: open
      service: ssh
      product: OpenSSH
      version: 9.2p1 Debian 2+deb12u3
      extrainfo: protocol 2.0
      hostname: null
      ostype: Linux
      devicetype: null
      cpe: [cpe:/a:openbsd:openssh:9.2p1, cpe:/o:linux:linux_kernel]
      tunnel: null
      method: matched
      probe: NULL
      rule: /usr/share/nmap/nmap-service-probes:1234
      elapsed_ms: 153
hosts:
  description:
    - The records of each inventory host this scan host scanned (an empty list when
      none of its ports is open).
  returned: success, from the action plugin
  type: dict
  sample: {web1: [{address: 192.0.2.10, port: 22, protocol: tcp, state: open, service: ssh}]}
changed_hosts:
  description: Inventory hosts whose services differ from what they had before.
  returned: success, from the action plugin
  type: list
  elements: str
mismatches:
  description:
    - Per inventory host whose expectations are not met, what is C(missing) and
      C(unexpected).
  returned: success, from the action plugin
  type: dict
  sample: {web1: {missing: [443/tcp/nginx], unexpected: [8080/tcp/http]}}
summary:
  description: Counts for this scan host.
  returned: success
  type: dict
  sample: {targets: 12, open: 30, identified: 28, unknown: 2, seconds: 3.2}
"""

import asyncio
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.engine import (
    nmaprun,
    options,
)
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.engine.targets import (
    TargetError,
)
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.rules.model import (
    ProbeFileError,
)
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.rules.parser import (
    parse_text,
)

ARGUMENT_SPEC = dict(
    targets=dict(type="list", elements="str", required=True),
    ports=dict(type="str"),
    top_ports=dict(type="int", default=1000),
    exclude=dict(type="list", elements="str", default=[]),
    intensity=dict(type="int", default=7),
    profile=dict(type="str", choices=["fast", "thorough"], default="fast"),
    connect_timeout=dict(type="float"),
    wait_min=dict(type="float"),
    wait_max=dict(type="float"),
    max_conns=dict(type="int", default=512),
    max_host_conns=dict(type="int", default=32),
    rate=dict(type="float"),
    report_closed=dict(type="bool", default=False),
    exclude_mode=dict(
        type="str", choices=list(options.EXCLUDE_MODES), default=options.DEFAULT_EXCLUDE_MODE
    ),
    **options.RULES_ARGUMENT_SPEC,
    nmap_probes=dict(type="path"),
    engine=dict(type="str", choices=["native", "nmap"], default="native"),
    nmap_path=dict(type="path"),
    scanners=dict(type="list", elements="str"),
    shard=dict(type="bool", default=True),
    results_dir=dict(type="path"),
    expect=dict(type="dict", default={}),
    fail_on_mismatch=dict(type="bool", default=True),
)

# options only the native engine has: engine nmap refuses them unless left at the default
NATIVE_ONLY = ("profile", "connect_timeout", "wait_min", "wait_max", "max_conns",
               "max_host_conns")  # fmt: skip


def overlays(params):
    """The overlay files the action plugin read on the controller, parsed."""
    parsed = []
    for name, content in options.rules_content(params["rules_content"]):
        try:
            parsed.append(parse_text(content, name))
        except ProbeFileError as exc:
            raise options.OptionError(f"rules: {exc}") from None
    return parsed


def run_scan(scanner, targets, ports, exclude):
    """Every record the scan gives, and the error that stopped it early, if one did:
    what finished before is kept either way."""
    records = []

    async def collect():
        async for record in scanner.scan(targets, ports, exclude=exclude):
            records.append(record.as_dict())

    try:
        asyncio.run(collect())
    except TargetError as exc:
        return records, f"targets: {exc}"
    except (options.OptionError, nmaprun.NmapError) as exc:  # nmap's, as it starts or fails
        return records, str(exc)
    except KeyboardInterrupt:
        return records, "interrupted"
    return records, None


def summarise(records, targets, seconds):
    open_ = [r for r in records if r["state"] == "open"]
    named = [r for r in open_ if r.get("service")]
    return dict(
        targets=len(targets),
        open=len(open_),
        identified=len(named),
        unknown=len(open_) - len(named),
        seconds=round(seconds, 2),
    )


def prepare(params):
    """Ports, exclusions and scanner; OptionError names the option at fault."""
    if params["engine"] == "nmap":
        return prepare_nmap(params)
    ports = options.port_spec(params["ports"], params["top_ports"])
    exclude = options.exclusions(params["exclude"])
    options.check_targets(params["targets"])
    rules = options.rule_set(params["nmap_probes"], overlays(params), params["exclude_mode"])
    engine = {k: params[k] for k in options.DEFAULTS}
    return ports, exclude, options.scanner(rules, **engine)


def prepare_nmap(params):
    """The same for engine nmap: nmap's own list for top_ports, the exclusions as given
    (once checked), the overlays assembled with nmap's file into the one nmap reads."""
    for name in NATIVE_ONLY:
        if params[name] != ARGUMENT_SPEC[name].get("default"):
            raise options.OptionError(f"{name}: only engine native has it, not engine nmap")
    ports = options.port_spec(params["ports"]) if params["ports"] else params["top_ports"]
    nmaprun.port_args(ports)  # a UDP port without root fails here, before anything runs
    options.exclusions(params["exclude"])
    options.check_targets(params["targets"])
    sources = options.rules_content(params["rules_content"])
    scanner = nmaprun.nmap_scanner(
        params["nmap_path"],
        params["nmap_probes"],
        sources,
        exclude_mode=params["exclude_mode"],
        intensity=params["intensity"],
        rate=params["rate"],
        report_closed=params["report_closed"],
    )
    return ports, params["exclude"], scanner


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        ports, exclude, scanner = prepare(params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    start = time.monotonic()
    records, error = run_scan(scanner, params["targets"], ports, exclude)
    summary = summarise(records, params["targets"], time.monotonic() - start)
    if error:
        module.fail_json(msg=error, records=records, summary=summary)
    module.exit_json(changed=False, records=records, summary=summary)


if __name__ == "__main__":
    main()
