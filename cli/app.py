"""``fastprobe match``, ``fastprobe scan`` and ``fastprobe rules lint|test|assemble|suggest``."""

from __future__ import annotations

import argparse
import binascii
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Optional

from fastprobe.engine.options import DEFAULTS
from fastprobe.rules.escapes import EscapeError, unescape
from fastprobe.rules.guard import DEFAULT_TIMEOUT
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.ruleset import (
    DEFAULT_EXCLUDE_MODE,
    EXCLUDE_MODES,
    RuleSet,
    default_overlays,
    display_path,
    load_rules,
    overlay_files,
)
from fastprobe.version import __version__


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _add_rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="extra overlay probe file, tried before the project's overlays (repeatable)",
    )
    p.add_argument(
        "--no-default-rules",
        action="store_true",
        help="do not load nmap's installed probe file and the project's overlays",
    )
    p.add_argument(
        "--exclude-mode",
        choices=EXCLUDE_MODES,
        default=DEFAULT_EXCLUDE_MODE,
        help="nmap's Exclude (9100-9107): keep it, replace it with the overlays' "
        f"(default: {DEFAULT_EXCLUDE_MODE}; the project's rules have none) or drop it",
    )
    p.add_argument(
        "--regex-timeout",
        type=float,
        metavar="SECONDS",
        help=f"time one pattern may spend on one reply (default {DEFAULT_TIMEOUT})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastprobe", description="Fast, nmap-compatible network service prober."
    )
    parser.add_argument("--version", action="version", version=f"fastprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    m = sub.add_parser("match", help="name the service behind one reply, as nmap would")
    m.add_argument("--probe", required=True, metavar="NAME", help="the probe the reply answers")
    m.add_argument("--protocol", default="TCP", type=str.upper, choices=("TCP", "UDP"))
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--reply", metavar="TEXT", help=r"reply with nmap escapes (\r \n \0 \t \xHH \\)"
    )
    src.add_argument("--reply-hex", metavar="HEX", help="reply as hex digits")
    src.add_argument("--reply-file", metavar="FILE", help="reply read from a file ('-': stdin)")
    _add_rule_options(m)

    sc = sub.add_parser(
        "scan",
        help="find open TCP ports and name their services",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  fastprobe scan 192.0.2.10 -p 22,80,443\n"
        "  fastprobe scan 192.0.2.0/24 --top-ports 100 -oJ results.jsonl\n"
        "  fastprobe scan -iL hosts.txt --exclude 192.0.2.1 --dry-run\n"
        "  fastprobe scan -iL hosts.txt -oJ results.jsonl --resume results.jsonl",
    )
    sc.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="address, CIDR (192.0.2.0/24), octet range (192.0.2.1-20) or host name",
    )
    sc.add_argument("-p", "--ports", metavar="PORTS", help="nmap syntax: 22,80,1000-2000,T:443")
    sc.add_argument(
        "--top-ports",
        type=int,
        metavar="N",
        help=f"the N most common TCP ports (default {DEFAULTS['top_ports']})",
    )
    sc.add_argument(
        "-iL",
        dest="input_files",
        action="append",
        default=[],
        metavar="FILE",
        help="read targets from FILE (white space separated, # comments; repeatable)",
    )
    sc.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="TARGETS",
        help="never scan these (comma separated addresses, CIDRs, ranges or names; names "
        "are looked up and their addresses excluded)",
    )
    sc.add_argument(
        "--exclude-file", action="append", default=[], metavar="FILE", help="exclusions from FILE"
    )
    sc.add_argument(
        "--max-addresses",
        type=int,
        metavar="N",
        help="refuse targets that stand for more than N addresses "
        f"(default {DEFAULTS['max_addresses']})",
    )
    sc.add_argument(
        "--dry-run",
        action="store_true",
        help="check everything and list what would be probed, without sending anything",
    )
    sc.add_argument(
        "--engine",
        choices=("native", "nmap"),
        default="native",
        help="native: fastprobe's concurrent engine; nmap: run nmap with the same rules",
    )
    sc.add_argument(
        "--nmap-path",
        metavar="PATH",
        help="nmap for --engine nmap (default: /opt/fastprobe/nmap/bin/nmap, where the "
        "collection's nmap role installs it, else nmap on PATH)",
    )
    # None: not given (native-only options are refused with --engine nmap)
    sc.add_argument("--profile", choices=("fast", "thorough"), help="default: fast")
    sc.add_argument("--version-intensity", type=int, default=DEFAULTS["intensity"], metavar="0-9")
    sc.add_argument("--version-light", action="store_const", const=2, dest="version_intensity")
    sc.add_argument("--version-all", action="store_const", const=9, dest="version_intensity")
    sc.add_argument("--connect-timeout", type=float, metavar="SECONDS", help="default: profile's")
    sc.add_argument("--wait-min", type=float, metavar="SECONDS", help="shortest reply wait")
    sc.add_argument("--wait-max", type=float, metavar="SECONDS", help="longest reply wait")
    sc.add_argument("--max-conns", type=int, metavar="N", help=f"default: {DEFAULTS['max_conns']}")
    sc.add_argument(
        "--max-host-conns", type=int, metavar="N", help=f"default: {DEFAULTS['max_host_conns']}"
    )
    sc.add_argument("--all-states", action="store_true", help="also report closed and filtered")
    sc.add_argument(
        "-oJ",
        dest="json_out",
        metavar="FILE",
        help="JSON lines as results come ('-': stdout); an existing file is replaced, "
        "unless --append-output or --resume",
    )
    sc.add_argument("-oX", dest="xml_out", metavar="FILE", help="nmap's XML, written at the end")
    sc.add_argument(
        "--append-output",
        "--append",
        action="store_true",
        help="add to the -oJ file instead of replacing it",
    )
    sc.add_argument("-q", "--quiet", action="store_true", help="no progress display or summary")
    sc.add_argument(
        "--fingerprint", action="store_true", help="print nmap-style fingerprints of unknown ports"
    )
    sc.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="open ports found by masscan (-oJ/-oL/-oX), nmap (-oX/-oG) or naabu (JSON); "
        "with targets, only their addresses",
    )
    sc.add_argument("--rate", type=float, metavar="N", help="at most N new connections a second")
    sc.add_argument(
        "--resume",
        metavar="FILE",
        help="skip what this JSON-lines file of an earlier run holds (and add to -oJ)",
    )
    _add_rule_options(sc)

    rules = sub.add_parser("rules", help="work with probe files")
    rsub = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    rsub.required = True
    lint = rsub.add_parser("lint", help="check probe files for errors and likely mistakes")
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument("--strict", action="store_true", help="warnings fail too")
    lint.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    lint.add_argument(
        "--no-default-rules",
        action="store_true",
        help="check the files alone, not against nmap's file and the project's overlays",
    )
    test = rsub.add_parser("test", help="run the example replies kept next to rules")
    test.add_argument("files", nargs="*", metavar="FILE", help="default: the project's overlays")
    test.add_argument("-v", "--verbose", action="store_true", help="also list passing examples")
    _add_rule_options(test)
    asm = rsub.add_parser(
        "assemble", help="merge nmap's probe file and overlays into one file nmap reads"
    )
    asm.add_argument(
        "files", nargs="*", metavar="FILE", help="overlays, in order (default: the project's)"
    )
    asm.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    base = asm.add_mutually_exclusive_group()
    base.add_argument(
        "--nmap-probes", metavar="FILE", help="nmap's probe file (default: the installed one)"
    )
    base.add_argument("--no-base", action="store_true", help="the overlays alone")
    asm.add_argument(
        "--exclude-mode",
        choices=EXCLUDE_MODES,
        default="drop",
        help="the base file's Exclude: keep it, replace it with the overlays' or drop it "
        "(default: drop, so nmap probes every port)",
    )
    asm.add_argument("--totalwaitms", type=int, metavar="MS", help="set on every probe")
    asm.add_argument("--tcpwrappedms", type=int, metavar="MS", help="set on the NULL probe")
    sug = rsub.add_parser(
        "suggest", help="draft match rules from the replies of unknown ports in scan results"
    )
    sug.add_argument(
        "files", nargs="+", metavar="RESULTS", help="JSON lines written by fastprobe scan -oJ"
    )
    sug.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    sug.add_argument(
        "--min-cluster",
        type=int,
        default=1,
        metavar="N",
        help="draft only for groups of at least N replies (default 1)",
    )
    sug.add_argument(
        "--samples",
        type=int,
        default=3,
        metavar="N",
        help="#@example lines per rule, from distinct replies (default 3)",
    )
    _add_rule_options(sug)
    return parser


def _read_reply(args: argparse.Namespace) -> bytes:
    if args.reply is not None:
        try:
            return unescape(args.reply, "utf-8")
        except EscapeError as exc:
            raise CliError(f"--reply: {exc}") from None
    if args.reply_hex is not None:
        try:
            return binascii.unhexlify("".join(args.reply_hex.split()))
        except (binascii.Error, ValueError) as exc:
            raise CliError(f"--reply-hex: not hex digits ({exc})") from None
    if args.reply_file == "-":
        return sys.stdin.buffer.read()
    try:
        with open(args.reply_file, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CliError(f"--reply-file {args.reply_file}: {exc.strerror or exc}") from None


def _rule_paths(args: argparse.Namespace, extra: Sequence[str] = ()) -> list[str]:
    """The overlay files, in the order their rules are tried."""
    given, project = overlay_files([*args.rules, *extra], not args.no_default_rules)
    if args.no_default_rules and not given:
        raise CliError("--no-default-rules needs at least one --rules FILE")
    return given + project


def _load(args: argparse.Namespace, extra: Sequence[str] = ()) -> RuleSet:
    base = None if args.no_default_rules else "default"
    return load_rules(base, _rule_paths(args, extra), exclude=args.exclude_mode)


def _real(path: str) -> str:
    return os.path.realpath(path)


def cmd_match(args: argparse.Namespace) -> int:
    from fastprobe.rules.matcher import Matcher

    reply = _read_reply(args)
    ruleset = _load(args)
    probe = ruleset.get(args.probe, args.protocol)
    if probe is None:
        raise CliError(f"--probe: no probe named {args.probe!r} in the loaded rules")
    result = Matcher(ruleset, timeout=_regex_timeout(args)).match(probe, reply)
    for loc in result.aborted:
        print(
            f"fastprobe: warning: {loc}: pattern ran out of time, counted as no match",
            file=sys.stderr,
        )
    out = result.verdict.as_dict() if result.verdict else {"service": None}
    print(json.dumps(out))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from fastprobe.rules.assemble import is_assembled
    from fastprobe.rules.lint import lint_files

    alone = [f for f in args.files if args.no_default_rules or is_assembled(f)]
    merged = [f for f in args.files if f not in alone]
    context = None
    if merged:
        targets = {_real(f) for f in merged}
        overlays = [p for p in default_overlays() if _real(p) not in targets]
        try:
            context = load_rules("default", overlays)
        except ProbeFileError as exc:
            print(f"fastprobe: warning: checking without context: {exc}", file=sys.stderr)
    issues = lint_files(alone) + lint_files(merged, context)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    for issue in sorted(issues, key=lambda i: (i.file, i.line)):
        if issue.severity == "error" or not args.quiet:
            print(issue)
    print(f"{len(args.files)} file(s): {errors} error(s), {warnings} warning(s)")
    return 1 if errors or (args.strict and warnings) else 0


def cmd_test(args: argparse.Namespace) -> int:
    from fastprobe.rules.matcher import Matcher
    from fastprobe.rules.samples import run_examples

    files = args.files or default_overlays()
    if not files:
        raise CliError("no rule files given and the project has no overlay folder")
    for f in files:
        if not os.path.isfile(f):
            raise CliError(f"{f}: no such file")
    ruleset = _load(args, files)
    results = run_examples(
        Matcher(ruleset, timeout=_regex_timeout(args)), {display_path(f) for f in files}
    )
    failed = 0
    for r in results:
        if r.passed:
            if args.verbose:
                print(f"PASS {r.location} -> {r.rule.location}")
            continue
        failed += 1
        print(f"FAIL {r.location} (rule {r.rule.location})")
        if r.error:
            print(f"    {r.error}")
        for field, exp, got in r.differences:
            print(f"    {field}: expected {exp!r}, got {got!r}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_assemble(args: argparse.Namespace) -> int:
    from fastprobe.rules.assemble import Source, assemble, read_source
    from fastprobe.rules.ruleset import find_nmap_probes

    def read(path: str, option: str) -> Source:
        try:
            return read_source(path)
        except OSError as exc:
            raise CliError(f"{option}{path}: {exc.strerror or exc}") from None

    base = None
    if not args.no_base:
        path = args.nmap_probes or find_nmap_probes()
        if path is None:
            raise CliError("--nmap-probes: nmap's probe file was not found; give its path")
        base = read(path, "--nmap-probes ")
    files = overlay_files(args.files, False)[0] if args.files else default_overlays()
    if base is None and not files:
        raise CliError("--no-base needs at least one overlay FILE")
    try:
        result = assemble(
            base,
            [read(f, "") for f in files],
            exclude=args.exclude_mode,
            totalwaitms=args.totalwaitms,
            tcpwrappedms=args.tcpwrappedms,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _write_output(args.output, result.text.encode("latin-1"))
    print(
        f"{result.probes} probes, {result.rules} rules from {1 if base else 0} base file and "
        f"{len(files)} overlay(s); {result.excluded or 'no Exclude'}",
        file=sys.stderr,
    )
    return 0


def _write_output(path: Optional[str], data: bytes) -> None:
    """``data`` to stdout, or to ``path`` whole or not at all (a file that was there stays
    until the new one is complete, with its mode, owner and symlinks)."""
    from fastprobe.files import write_atomic

    if not path or path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise CliError(f"--output {path}: {exc.strerror or exc}") from None


def cmd_suggest(args: argparse.Namespace) -> int:
    from fastprobe.engine.ports import service_names
    from fastprobe.rules.matcher import Matcher
    from fastprobe.rules.ruleset import find_nmap_probes
    from fastprobe.rules.suggest import ResultsError, Stats, read_results, suggest

    for option, value in (("--min-cluster", args.min_cluster), ("--samples", args.samples)):
        if value < 1:
            raise CliError(f"{option}: must be at least 1, not {value}")
    stats = Stats()
    ports = []
    for path in args.files:
        try:
            ports.extend(read_results(path, stats))
        except ResultsError as exc:
            raise CliError(str(exc)) from None
    ruleset = _load(args)
    # the port's name in nmap-services, from the nmap installation whose probe file is used
    probes = find_nmap_probes()
    services = os.path.join(os.path.dirname(probes), "nmap-services") if probes else ""
    names = service_names(services) if os.path.isfile(services) else {}
    result = suggest(
        ports,
        Matcher(ruleset, timeout=_regex_timeout(args)),
        port_names=names,
        min_cluster=args.min_cluster,
        samples=args.samples,
        sources=args.files,
        stats=stats,
    )
    _write_output(args.output, result.text.encode("latin-1"))
    st = result.stats
    skipped = [
        f"{st.without_replies} unknown record(s) without replies",
        f"{st.claimed} replies the loaded rules match now (or of ports they name)",
    ]
    if st.foreign:
        skipped.append(f"{st.foreign} replies to probes the loaded rules lack")
    if st.cut_lines:
        skipped.append(f"{st.cut_lines} cut last line(s)")
    print(
        f"{st.unknown} unknown record(s), {st.replies} replies, {st.clusters} cluster(s): "
        f"{st.drafts} draft(s), {st.without_draft} without draft, {st.covered} covered by "
        f"another cluster (same ports), {st.small} below --min-cluster; "
        f"skipped: {', '.join(skipped)}",
        file=sys.stderr,
    )
    return 0


# the engine's option names, as the command line spells them
FLAGS = {
    "targets": "TARGET",
    "input_files": "-iL",
    "ports": "-p",
    "top_ports": "--top-ports",
    "exclude": "--exclude",
    "exclude_files": "--exclude-file",
    "engine": "--engine",
    "intensity": "--version-intensity",
    "profile": "--profile",
    "connect_timeout": "--connect-timeout",
    "wait_min": "--wait-min",
    "wait_max": "--wait-max",
    "max_conns": "--max-conns",
    "max_host_conns": "--max-host-conns",
    "rate": "--rate",
    "regex_timeout": "--regex-timeout",
    "rules": "--rules",
    "nmap_probes": "FASTPROBE_NMAP_PROBES",
    "exclude_mode": "--exclude-mode",
    "nmap_path": "--nmap-path",
    "from_file": "--from",
    "resume": "--resume",
    "xml_path": "-oX",
    "max_addresses": "--max-addresses",
}


def _flagged(option: Optional[str], reason: str) -> str:
    return f"{FLAGS.get(option, option)}: {reason}" if option else reason


def _regex_timeout(args: argparse.Namespace) -> float:
    from fastprobe.engine.options import MAX_REGEX_SECONDS, OptionError, positive

    if args.regex_timeout is None:
        return DEFAULT_TIMEOUT
    try:
        return positive("regex_timeout", args.regex_timeout, MAX_REGEX_SECONDS)
    except OptionError as exc:
        raise CliError(_flagged(exc.option, exc.reason)) from None


def scan_request(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The command line as the engine's request: nothing checked here but what only the
    command line has."""
    from fastprobe.engine.options import ScanRequest

    return ScanRequest(
        targets=args.targets,
        input_files=args.input_files,
        ports=args.ports,
        top_ports=args.top_ports,
        exclude=args.exclude,
        exclude_files=args.exclude_file,
        engine=args.engine,
        intensity=args.version_intensity,
        profile=args.profile,
        connect_timeout=args.connect_timeout,
        wait_min=args.wait_min,
        wait_max=args.wait_max,
        max_conns=args.max_conns,
        max_host_conns=args.max_host_conns,
        rate=args.rate,
        regex_timeout=args.regex_timeout,
        report_closed=args.all_states,
        rules=args.rules,
        project_rules=not args.no_default_rules,
        base_rules=not args.no_default_rules,
        exclude_mode=args.exclude_mode,
        nmap_path=args.nmap_path,
        from_file=args.from_file,
        resume=args.resume,
        xml_path=args.xml_out,
        max_addresses=args.max_addresses,
    )


def cmd_scan(args: argparse.Namespace) -> int:
    from fastprobe.cli.output import JsonLines
    from fastprobe.cli.progress import ScanProgress
    from fastprobe.engine.api import open_scan
    from fastprobe.engine.options import OptionError

    try:
        scan = open_scan(scan_request(args))
    except OptionError as exc:
        raise CliError(_flagged(exc.option, exc.reason)) from None
    if args.dry_run:
        _print_preview(scan.preview())
        return 0
    to_stdout = args.json_out == "-"
    sink = None
    if args.json_out and not to_stdout:
        try:
            sink = JsonLines(args.json_out, append=args.append_output or bool(args.resume))
        except OSError as exc:
            raise CliError(f"-oJ {args.json_out}: {exc.strerror or exc}") from None
    quiet = args.quiet or to_stdout
    if not quiet:
        print(f"fastprobe: scanning {scan.describe()}", file=sys.stderr)
    # nmap reports host by host: no port count to show
    progress = ScanProgress(
        None if scan.engine == "nmap" else scan.total,
        enabled=not quiet and scan.engine != "nmap",
    )

    def on_record(record) -> None:  # type: ignore[no-untyped-def]
        progress.record(record)
        if to_stdout:
            print(json.dumps(record.as_dict()), flush=True)
        elif sink is not None:
            sink.write(record)

    started = time.monotonic()
    try:
        with progress:
            outcome = scan.run(
                on_record, progress.port_done, command=" ".join(["fastprobe", *sys.argv[1:]])
            )
    finally:
        if sink is not None:
            sink.close()
    rows = list(outcome.records)
    if not to_stdout:
        _print_table(rows)
        if args.fingerprint:
            _print_fingerprints(rows, args.version_intensity)
    for warning in outcome.warnings:
        print(f"fastprobe: warning: {warning}", file=sys.stderr)
    if not quiet:
        for note in outcome.excluded:
            print(f"fastprobe: not scanned: {note}", file=sys.stderr)
    if not quiet:
        print(f"fastprobe: {_summary(outcome, time.monotonic() - started)}", file=sys.stderr)
    status = 0
    if sink is not None and sink.error:
        print(
            f"fastprobe: error: -oJ {args.json_out}: {sink.error}; {sink.unwritten} record(s) "
            "not written there (shown above)",
            file=sys.stderr,
        )
        status = 1
    if outcome.interrupted:
        print(f"fastprobe: interrupted; {len(rows)} finished record(s) kept", file=sys.stderr)
        return 130
    if outcome.reason is not None:
        print(
            f"fastprobe: error: {_flagged(outcome.option, outcome.reason)}; "
            f"{len(rows)} record(s) kept",
            file=sys.stderr,
        )
        return 1
    return status


def _summary(outcome, seconds: float) -> str:  # type: ignore[no-untyped-def]
    c = outcome.counts()
    text = (
        f"{c['open']} open port(s) on {c['hosts']} address(es): {c['identified']} identified, "
        f"{c['unknown']} unknown"
    )
    if c["errors"]:
        text += f", {c['errors']} error(s)"
    return f"{text}; {seconds:.1f} s"


def _print_preview(preview: dict) -> None:
    print(f"dry run: would scan {preview['summary']}")
    print(f"ports: {preview['port_list']}")
    if preview["first"]:
        more = " ..." if preview["to_probe"] > len(preview["first"]) * preview["ports"] else ""
        print(f"first addresses: {' '.join(preview['first'])}{more}")
    for item in preview["not_scanned"]:
        print(f"not scanned: {item}")


def _print_fingerprints(rows: list, intensity: int) -> None:
    from fastprobe.engine.fingerprint import service_fingerprint

    unknown = [r for r in rows if r.method == "unknown" and r.replies]
    if not unknown:
        return
    print(
        f"{len(unknown)} service(s) unrecognized despite returning data. Their fingerprints, "
        "for a rule of your own (see docs/rules.md):"
    )
    for r in unknown:
        replies = {k: unescape(v) for k, v in r.replies.items()}
        print(f"==============NEXT SERVICE FINGERPRINT ({r.address})==============")
        print(
            service_fingerprint(r.port, r.protocol, replies, intensity=intensity, tunnel=r.tunnel)
        )


def _print_table(rows: list) -> None:
    rows.sort(key=lambda r: (r.address, r.protocol, r.port))
    for r in rows:
        if r.state == "unresolved":  # a warning on stderr
            continue
        name = (f"{r.tunnel}/" if r.tunnel else "") + (r.service or "unknown")
        if r.method == "softmatched":
            name += "?"
        version = " ".join(
            x for x in (r.product, r.version, f"({r.extrainfo})" if r.extrainfo else None) if x
        )
        print(f"{r.address:15} {str(r.port) + '/' + r.protocol:9} {r.state:9} {name:18} {version}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "match":
            return cmd_match(args)
        if args.command == "scan":
            return cmd_scan(args)
        if args.rules_command == "lint":
            return cmd_lint(args)
        if args.rules_command == "assemble":
            return cmd_assemble(args)
        if args.rules_command == "suggest":
            return cmd_suggest(args)
        return cmd_test(args)
    except (CliError, ProbeFileError) as exc:
        print(f"fastprobe: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fastprobe: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141


if __name__ == "__main__":
    sys.exit(main())
