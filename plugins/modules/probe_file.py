#!/usr/bin/python
# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: probe_file
short_description: Write nmap's probe file merged with overlay rules, as one file nmap reads
description:
  - Merges nmap's C(nmap-service-probes) on the scan host with overlay probe files
    from the controller and writes the result to O(dest), for C(nmap --versiondb).
  - nmap reads one file and uses only the first probe of a name, so the merge is
    written out probe by probe; nmap then tries the overlay rules before its own, as
    M(fastprobe.scanner.service_scan) does. The same as C(fastprobe rules assemble).
  - The overlays are read on the controller (an action plugin) and sent with the task.
version_added: 0.1.0
author: fastprobe developers (!UNKNOWN)
options:
  dest:
    description: Where to write the merged file on the scan host.
    type: path
    required: true
  nmap_probes:
    description:
      - nmap's own probe file on the scan host. By default the installed nmap's (or
        the file named by E(FASTPROBE_NMAP_PROBES)).
    type: path
  exclude_mode:
    description:
      - What to do with nmap's C(Exclude) directive (ports nmap reports open without
        probing, such as printers' 9100-9107). V(drop) probes every port.
      - V(keep) keeps it (merged with the overlays'), V(replace) keeps the overlays' only.
    type: str
    choices: [keep, replace, drop]
    default: drop
  totalwaitms:
    description: Set this wait (milliseconds, 100 to 300000) on every probe.
    type: int
  tcpwrappedms:
    description: Set this window (milliseconds, 100 to 300000) on the NULL probe.
    type: int
extends_documentation_fragment:
  - ansible.builtin.files
  - fastprobe.scanner.rules
notes:
  - Lines copied from nmap's file keep nmap's licence (the Nmap Public Source License);
    the file names its sources in its first lines.
seealso:
  - module: fastprobe.scanner.service_scan
  - name: nmap's probe file format
    description: The directives and match lines merged here.
    link: https://nmap.org/book/vscan-fileformat.html
attributes:
  check_mode:
    description: Can run in check mode and return the status it would have without it.
    support: full
  diff_mode:
    description: Shows, with C(--diff), the counts and header of the old and new file.
    support: full
"""

EXAMPLES = r"""
- name: nmap's probe file with our rules, for nmap --versiondb
  fastprobe.scanner.probe_file:
    nmap_probes: /usr/share/nmap/nmap-service-probes
    rules: ["{{ playbook_dir }}/rules"]
    dest: /etc/fastprobe/nmap-service-probes
    mode: "0644"

- name: Keep nmap's Exclude and wait at most 500 ms per probe
  fastprobe.scanner.probe_file:
    dest: /etc/fastprobe/nmap-service-probes
    exclude_mode: keep
    totalwaitms: 500
"""

RETURN = r"""
dest:
  description: The file written.
  returned: success
  type: str
  sample: /etc/fastprobe/nmap-service-probes
probes:
  description: Probes in the file.
  returned: success
  type: int
  sample: 148
rules:
  description: match and softmatch lines in the file.
  returned: success
  type: int
  sample: 11917
exclude:
  description: The file's C(Exclude) line, empty when it has none.
  returned: success
  type: str
  sample: ""
checksum:
  description: SHA-1 of the file's content, as M(ansible.builtin.copy) reports it.
  returned: success
  type: str
  sample: 2d5f4d8c0b6c2b0c8f3f3d2b8f3d2b8f3d2b8f3d
"""

import hashlib
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.engine.options import (
    RULES_ARGUMENT_SPEC,
    rules_content,
)
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.rules.assemble import (
    assemble,
    read_source,
)
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.rules.model import (
    ProbeFileError,
)
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.rules.ruleset import (
    find_nmap_probes,
)

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    nmap_probes=dict(type="path"),
    **RULES_ARGUMENT_SPEC,
    exclude_mode=dict(type="str", choices=["keep", "replace", "drop"], default="drop"),
    totalwaitms=dict(type="int"),
    tcpwrappedms=dict(type="int"),
)


def sources(params):
    """nmap's file and the overlays, each as latin-1 text: one character per byte, as
    nmap reads them and as they are written back."""
    path = params["nmap_probes"] or find_nmap_probes()
    if not path:
        raise ValueError("nmap_probes: nmap's probe file was not found; give its path")
    try:
        base = read_source(path, name=path)
    except OSError as exc:
        raise ValueError(f"nmap_probes: {path}: {exc.strerror or exc}") from None
    return base, rules_content(params["rules_content"])


def header(text):
    return "\n".join(line for line in text.split("\n", 8)[:8] if line.startswith("#"))


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC, supports_check_mode=True, add_file_common_args=True
    )
    params = module.params
    try:
        base, overlays = sources(params)
        merged = assemble(
            base,
            overlays,
            exclude=params["exclude_mode"],
            totalwaitms=params["totalwaitms"],
            tcpwrappedms=params["tcpwrappedms"],
        )
    except ProbeFileError as exc:
        module.fail_json(msg=f"rules: {exc}")
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    data = merged.text.encode("latin-1")
    dest = params["dest"]
    old = None
    if os.path.exists(dest):
        with open(dest, "rb") as fh:
            old = fh.read()
    result = dict(
        dest=dest,
        probes=merged.probes,
        rules=merged.rules,
        exclude=merged.excluded,
        checksum=hashlib.sha1(data).hexdigest(),
        changed=old != data,
    )
    if module._diff:
        before = header(old.decode("latin-1")) + "\n" if old is not None else ""
        result["diff"] = dict(before=before, after=header(merged.text) + "\n")
    if result["changed"] and not module.check_mode:
        folder = os.path.dirname(dest) or "."
        if not os.path.isdir(folder):
            module.fail_json(msg=f"dest: the directory {folder} does not exist", **result)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".probe_file.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        module.atomic_move(tmp, dest)
    file_args = module.load_file_common_arguments(params, path=dest)
    if not module.check_mode or os.path.exists(dest):
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
