# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Overlay rules read on the controller, for the action plugins that ship them to scan
hosts: rules kept in Git next to the playbooks are never copied there by hand."""

from __future__ import annotations

import glob
import os
from typing import Any

from ansible.errors import AnsibleActionFail

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rules_paths(args: dict, loader: Any) -> list[str]:
    """The ``rules`` option's paths, relative to the playbook (or role) as other
    controller files are; ``rules_content`` is the action plugin's to fill."""
    if args["rules_content"]:
        raise AnsibleActionFail(
            "rules_content: filled in from rules and project_rules; give rules instead"
        )
    return [loader.path_dwim(p) for p in args["rules"]]


def read_rules(paths: list[str], project_rules: bool) -> list[dict[str, str]]:
    """The overlay files' names and text, in the order their rules are tried: the files
    given (a directory gives its ``*.probes``), then the collection's own ``rules/``."""
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            files += sorted(glob.glob(os.path.join(path, "*.probes")))
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise AnsibleActionFail(f"rules: {path}: no such file or directory")
    if project_rules:
        files += sorted(glob.glob(os.path.join(COLLECTION_ROOT, "rules", "*.probes")))
    out = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as fh:
                out.append({"name": path, "content": fh.read()})
        except (OSError, UnicodeDecodeError) as exc:
            raise AnsibleActionFail(f"rules: {path}: {exc}") from exc
    return out
