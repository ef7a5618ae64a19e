"""nmap's probe file plus our overlays, merged into the rule set a scan uses.

Overlay semantics (ours; nmap has one file): overlays load after the base. A
``Probe`` line naming a probe that already exists adds rules to it — they are tried
before the base's, overlays in the order given — and its ``ports``/``sslports``
extend the base's while ``rarity``, ``fallback``, ``totalwaitms`` and
``tcpwrappedms`` replace them. A probe the base lacks is appended after the base's
probes. The base's ``Exclude`` is kept (merged with any overlay's), replaced by
the overlays' or dropped, by option.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Optional

from .cache import cached
from .model import Exclusion, Issue, Probe, ProbeFile, ProbeFileError, Rule
from .parser import MAX_FALLBACKS, parse_file

NMAP_PROBE_PATHS = (
    "/usr/share/nmap/nmap-service-probes",
    "/usr/local/share/nmap/nmap-service-probes",
    "/opt/homebrew/share/nmap/nmap-service-probes",
)
EXCLUDE_MODES = ("keep", "replace", "drop")
# nmap's Exclude (T:9100-9107) hides the Prometheus exporters the rule pack names: by
# default only the overlays' Exclude lines count (the pack has none); "keep" restores it
DEFAULT_EXCLUDE_MODE = "replace"
OVERLAY_GLOB = "*.probes"


def find_nmap_probes() -> Optional[str]:
    """The installed nmap-service-probes: ``$FASTPROBE_NMAP_PROBES`` or nmap's usual places."""
    env = os.environ.get("FASTPROBE_NMAP_PROBES")
    if env:
        return env
    for path in NMAP_PROBE_PATHS:
        if os.path.isfile(path):
            return path
    return None


def project_rules_dir() -> Optional[str]:
    """The project's overlay folder: ``$FASTPROBE_RULES_DIR``, else ``rules/`` of the checkout
    or installed collection this code was loaded from."""
    env = os.environ.get("FASTPROBE_RULES_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    # <root>/plugins/module_utils/fastprobe/rules/ruleset.py
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here))))
    candidate = os.path.join(root, "rules")
    return candidate if os.path.isdir(candidate) else None


def default_overlays() -> list[str]:
    folder = project_rules_dir()
    if not folder:
        return []
    return sorted(glob.glob(os.path.join(folder, OVERLAY_GLOB)))


def overlay_files(given: Sequence[str], project: bool = True) -> tuple[list[str], list[str]]:
    """The overlay files in the order their rules are tried, each file once (by its real
    path): ``given`` first, then the project's (when ``project``) that are not among them."""
    seen: set[str] = set()
    out: tuple[list[str], list[str]] = ([], [])
    for kept, paths in zip(out, (given, default_overlays() if project else [])):
        for path in paths:
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                kept.append(path)
    return out


def load_probe_file(path: str, *, lenient: bool = False, cache: bool = True) -> ProbeFile:
    display = display_path(path)
    if not cache:
        return parse_file(path, lenient=lenient, display=display)
    return cached(
        path, display, lenient, lambda: parse_file(path, lenient=lenient, display=display)
    )


def display_path(path: str) -> str:
    """Paths in rule locations: relative to the working directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


class RuleSet:
    """Merged probes in nmap's order, with fallback chains resolved."""

    def __init__(
        self,
        files: Sequence[ProbeFile],
        exclude: str = DEFAULT_EXCLUDE_MODE,
        base: Optional[ProbeFile] = None,
    ) -> None:
        if exclude not in EXCLUDE_MODES:
            raise ValueError(f"exclude must be one of {', '.join(EXCLUDE_MODES)}, not {exclude!r}")
        self.files = ([base] if base else []) + list(files)
        self.issues: list[Issue] = [i for f in self.files for i in f.issues]
        merged: dict[tuple[str, str], Probe] = {}
        order: list[tuple[str, str]] = []
        if base is not None:
            for p in base.probes:
                merged[p.key] = p.copy()
                order.append(p.key)
        overlay_rules: dict[tuple[str, str], list[Rule]] = {}
        for f in files:
            for p in f.probes:
                if p.key not in merged:
                    merged[p.key] = p.copy()
                    merged[p.key].rules = []
                    order.append(p.key)
                else:
                    self._extend(merged[p.key], p)
                overlay_rules.setdefault(p.key, []).extend(p.rules)
        for key, rules in overlay_rules.items():
            probe = merged[key]
            probe.rules = rules + probe.rules
        self.probes: list[Probe] = [merged[k] for k in order]
        self._by_key = merged
        self.null: Optional[Probe] = merged.get(("TCP", "NULL"))
        self.excludes = self._excludes(base, files, exclude)
        self.chains: dict[tuple[str, str], list[Probe]] = {}
        for p in self.probes:
            self.chains[p.key] = self._chain(p)

    @staticmethod
    def _extend(target: Probe, extra: Probe) -> None:
        if extra.payload != target.payload or extra.no_payload != target.no_payload:
            raise ProbeFileError(
                extra.file,
                extra.line,
                f"probe {extra.protocol} {extra.name} is defined in {target.file}:{target.line} "
                "with a different probe string; an overlay adding rules must repeat it exactly",
                "overlay",
            )
        target.ports = target.ports | extra.ports
        target.sslports = target.sslports | extra.sslports
        for attr in ("rarity", "totalwaitms", "tcpwrappedms"):
            if getattr(extra, attr) is not None:
                setattr(target, attr, getattr(extra, attr))
        if extra.fallbacks:
            target.fallbacks = extra.fallbacks

    @staticmethod
    def _excludes(
        base: Optional[ProbeFile], files: Sequence[ProbeFile], mode: str
    ) -> list[Exclusion]:
        overlay = [f.exclude for f in files if f.exclude]
        if mode == "drop":
            return []
        if mode == "replace":
            return overlay
        return ([base.exclude] if base and base.exclude else []) + overlay

    def excluded(self, port: int, protocol: str = "TCP") -> bool:
        """True when an Exclude in force names this port (nmap then skips -sV on it)."""
        return any(e.excludes(port, protocol) for e in self.excludes)

    def get(self, name: str, protocol: str = "TCP") -> Optional[Probe]:
        """nmap's ``getProbeByName``: the probe of that protocol, else of any protocol."""
        probe = self._by_key.get((protocol.upper(), name))
        if probe is None:
            for p in self.probes:
                if p.name == name:
                    return p
        return probe

    def chain(self, probe: Probe) -> list[Probe]:
        """The probes whose rules a reply to ``probe`` is tried against, in order."""
        return self.chains.get(probe.key) or self._chain(probe)

    def _chain(self, probe: Probe) -> list[Probe]:
        if probe.is_null:
            return [probe]
        out = [probe]
        for name in probe.fallbacks:
            fb = self.get(name, probe.protocol)
            if fb is None:
                raise ProbeFileError(
                    probe.file, probe.line, f"probe {probe.name}: unknown fallback {name!r}"
                )
            out.append(fb)
        if len(out) > MAX_FALLBACKS - 2:
            raise ProbeFileError(probe.file, probe.line, f"probe {probe.name}: too many fallbacks")
        if probe.protocol == "TCP" and self.null is not None:
            out.append(self.null)
        return out

    def rules(self) -> list[Rule]:
        return [r for p in self.probes for r in p.rules]

    def __repr__(self) -> str:
        names = ", ".join(f.path for f in self.files)
        return f"<RuleSet {len(self.probes)} probes, {len(self.rules())} rules from {names}>"


def load_rules(
    base: Optional[str] = "default",
    overlays: Optional[Sequence[str]] = None,
    *,
    exclude: str = DEFAULT_EXCLUDE_MODE,
    lenient: bool = False,
    cache: bool = True,
) -> RuleSet:
    """Load a rule set.

    ``base`` is nmap's probe file: ``"default"`` finds the installed one, None loads
    none. ``overlays`` None means the project's own overlay folder.
    """
    if base == "default":
        base = find_nmap_probes()
        if base is None:
            raise ProbeFileError(
                "nmap-service-probes",
                0,
                "nmap's probe file was not found (install nmap, or set FASTPROBE_NMAP_PROBES)",
                "io",
            )
    if overlays is None:
        overlays = default_overlays()
    base_file = load_probe_file(base, lenient=lenient, cache=cache) if base else None
    files = [load_probe_file(p, lenient=lenient, cache=cache) for p in overlays]
    return RuleSet(files, exclude=exclude, base=base_file)
