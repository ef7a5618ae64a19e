# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The overlay-rule options of the modules whose action plugin reads rules on the
controller (service_scan, probe_file)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  rules:
    description:
      - Overlay probe files on the controller (files, or directories whose C(*.probes)
        files are read), tried before the collection's own rules and nmap's, in the
        order given. Read by the action plugin.
    type: list
    elements: path
    default: []
  project_rules:
    description: Also use the overlay rules shipped in the collection's C(rules/) folder.
    type: bool
    default: true
  rules_content:
    description:
      - The overlay files' text, as C(name) and C(content). Filled in by the action
        plugin from O(rules) and O(project_rules); rarely given by hand.
    type: list
    elements: dict
    default: []
"""
