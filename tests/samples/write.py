"""Write samples as ``#@example`` lines above the pack's rules that claim them.

The rule a sample lands above is found by matching it with the whole rule set
(nmap's file and the pack, without any example lines), so a sample claimed by no rule
of the pack, or by nmap's, is an error rather than a silent misplacement. What the
rule must *say* comes from the sample's ``Expect``, not from the rule, and
``fastprobe rules test`` checks it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path

from fastprobe.rules.matcher import Matcher
from fastprobe.rules.parser import EXAMPLE_TAG, NMAP_LINE_LIMIT
from fastprobe.rules.ruleset import find_nmap_probes, load_rules
from fastprobe.rules.samples import example_line, same_prefix

from .model import Expect


@dataclass(frozen=True)
class Sample:
    name: str
    probe: str
    reply: bytes
    expect: Expect
    source: str
    nmap: str  # stock nmap 7.93's verdict, as its VERSION column would read
    protocol: str = "TCP"


class PlacementError(RuntimeError):
    """Samples that no rule of the pack claims."""


def sample_line(sample: Sample) -> str:
    """Replies stay inline, however long: the collection ships rules/, and files with
    the CRLFs of recorded replies would fail ansible-test's line-endings check."""
    expect = sample.expect
    return example_line(
        [
            ("probe", sample.probe),
            ("protocol", sample.protocol if sample.protocol != "TCP" else None),
            ("reply", sample.reply),
            *((f.name, getattr(expect, f.name)) for f in fields(Expect) if f.name != "cpe"),
            ("cpe", " ".join(expect.cpe)),
            ("nmap", sample.nmap),
            ("source", sample.source),
        ]
    )


def shortened(sample: Sample, matcher: Matcher) -> Sample:
    """A reply too long for one line nmap reads, cut to a prefix the rule set names the
    same way (said in ``source``); PlacementError when no prefix does."""

    def fits(prefix: bytes) -> bool:
        return len(sample_line(replace(sample, reply=prefix))) <= NMAP_LINE_LIMIT

    def verdict_of(data: bytes) -> object:
        return matcher.match(sample.probe, data, sample.protocol).verdict

    prefix = same_prefix(sample.reply, verdict_of, fits)
    if prefix is None:
        raise PlacementError(f"{sample.name}: no prefix of the reply fits a line nmap reads")
    return replace(sample, reply=prefix, source=f"{sample.source}, first {len(prefix)} bytes")


def strip_examples(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(EXAMPLE_TAG))


def place(samples: list[Sample], rules_dir: Path) -> dict[Path, str]:
    """The new text of every pack file, with each sample above the rule claiming it."""
    files = sorted(rules_dir.glob("*.probes"))
    stripped = {path: strip_examples(path.read_text(encoding="latin-1")) for path in files}
    base = find_nmap_probes()
    if base is None:
        raise PlacementError("nmap's probe file was not found")
    with tempfile.TemporaryDirectory(prefix="fastprobe-samples-") as tmp:
        copies = {}
        for path, text in stripped.items():
            copy = Path(tmp, path.name)
            copy.write_text(text, encoding="latin-1")
            copies[str(copy)] = path
        matcher = Matcher(load_rules(base, list(copies), cache=False))
        above: dict[tuple[Path, int], list[Sample]] = {}
        problems = []
        for sample in samples:
            verdict = matcher.match(sample.probe, sample.reply, sample.protocol).verdict
            owner = None
            if verdict is not None:
                file, line = verdict.rule.rsplit(":", 1)
                owner = next((p for c, p in copies.items() if os.path.samefile(c, file)), None)
            if owner is None:
                who = verdict.rule if verdict else "no rule"
                problems.append(f"{sample.name}: claimed by {who}, not by a rule of {rules_dir}")
                continue
            if len(sample_line(sample)) > NMAP_LINE_LIMIT:
                sample = shortened(sample, matcher)
            above.setdefault((owner, int(line)), []).append(sample)
    if problems:
        raise PlacementError("\n".join(problems))
    out = {}
    for path, text in stripped.items():
        lines = text.splitlines(keepends=True)
        for (owner, line), group in sorted(above.items(), key=lambda kv: -kv[0][1]):
            if owner != path:
                continue
            new = [sample_line(s) + "\n" for s in sorted(group, key=lambda s: s.name)]
            lines[line - 1 : line - 1] = new
        out[path] = "".join(lines)
    return out
