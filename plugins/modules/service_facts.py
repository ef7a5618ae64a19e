#!/usr/bin/python
# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_facts
short_description: Give a host the services a scan found on it, as the fact fastprobe_services
description:
  - Sets the fact C(fastprobe_services) on the host the task runs for, from the result
    files M(fastprobe.scanner.service_scan) wrote (O(results_dir)) or from its
    registered results (O(scan_results)).
  - Run it in a play on the scanned hosts; the facts then land on exactly the host
    they describe, never on every host of a C(run_once) batch.
  - Runs on the controller only (an action plugin); nothing is sent to the host.
version_added: 0.1.0
author: fastprobe developers (!UNKNOWN)
options:
  results_dir:
    description: The directory of per-host result files on the controller.
    type: path
  scan_results:
    description:
      - Results registered from M(fastprobe.scanner.service_scan), one per scan host,
        for instance C({{ groups.scanners | map('extract', hostvars, 'scan') | list }}).
    type: list
    elements: raw
notes:
  - One of O(results_dir) and O(scan_results) is required. A host no scan covered gets
    no fact (rather than an empty list, which would say it runs nothing).
attributes:
  check_mode:
    description: Can run in check mode; it only reads files on the controller.
    support: full
  diff_mode:
    description: Would show what changed; facts are not diffed.
    support: none
  facts:
    description: Sets facts on the host the task runs for.
    support: full
seealso:
  - module: fastprobe.scanner.service_scan
"""

EXAMPLES = r"""
- name: Each target gets its own services
  hosts: web
  gather_facts: false
  tasks:
    - name: Read them from the result files
      fastprobe.scanner.service_facts:
        results_dir: "{{ playbook_dir }}/services"

    - name: Use them
      ansible.builtin.debug:
        msg: "{{ fastprobe_services | fastprobe.scanner.open_services('ssh') }}"
"""

RETURN = r"""
ansible_facts:
  description: The facts set.
  returned: when the host was scanned
  type: dict
  contains:
    fastprobe_services:
      description: The host's service records (see M(fastprobe.scanner.service_scan)).
      returned: when the host was scanned
      type: list
      elements: dict
scanned:
  description: Whether a scan covered this host.
  returned: always
  type: bool
"""
