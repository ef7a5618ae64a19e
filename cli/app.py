"""``fastprobe match``, ``fastprobe scan`` and ``fastprobe rules lint|test|assemble|suggest``."""

from __future__ import annotations

import argparse
import binascii
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Optional

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
        default=DEFAULT_TIMEOUT,
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

    sc = sub.add_parser("scan", help="find open TCP ports and name their services")
    sc.add_argument("targets", nargs="*", metavar="TARGET", help="address, CIDR, range or name")
    sc.add_argument("-p", "--ports", metavar="PORTS", help="nmap syntax: 22,80,1000-2000,T:443")
    sc.add_argument("--top-ports", type=int, metavar="N", help="the N most common ports")
    sc.add_argument("-iL", dest="input_files", action="append", default=[], metavar="FILE")
    sc.add_argument("--exclude", action="append", default=[], metavar="TARGETS")
    sc.add_argument("--exclude-file", action="append", default=[], metavar="FILE")
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
    sc.add_argument("--version-intensity", type=int, default=7, metavar="0-9")
    sc.add_argument("--version-light", action="store_const", const=2, dest="version_intensity")
    sc.add_argument("--version-all", action="store_const", const=9, dest="version_intensity")
    sc.add_argument("--max-conns", type=int, metavar="N", help="default: 512")
    sc.add_argument("--max-host-conns", type=int, metavar="N", help="default: 32")
    sc.add_argument("--all-states", action="store_true", help="also report closed and filtered")
    sc.add_argument(
        "-oJ", dest="json_out", metavar="FILE", help="JSON lines as results come ('-': stdout)"
    )
    sc.add_argument("-oX", dest="xml_out", metavar="FILE", help="nmap's XML, written at the end")
    sc.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    sc.add_argument(
        "--fingerprint", action="store_true", help="print nmap-style fingerprints of unknown ports"
    )
    sc.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="open ports found by masscan (-oJ/-oL/-oX), nmap (-oX/-oG) or naabu (JSON)",
    )
    sc.add_argument("--rate", type=float, metavar="N", help="at most N new connections a second")
    sc.add_argument(
        "--resume", metavar="FILE", help="skip what this JSON-lines file of an earlier run holds"
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
    given = _unique(list(args.rules) + list(extra))
    if args.no_default_rules:
        if not given:
            raise CliError("--no-default-rules needs at least one --rules FILE")
        return given
    return given + [p for p in default_overlays() if _real(p) not in {_real(g) for g in given}]


def _load(args: argparse.Namespace, extra: Sequence[str] = ()) -> RuleSet:
    base = None if args.no_default_rules else "default"
    return load_rules(base, _rule_paths(args, extra), exclude=args.exclude_mode)


def _unique(paths: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for p in paths:
        if _real(p) not in seen:
            seen.add(_real(p))
            out.append(p)
    return out


def _real(path: str) -> str:
    return os.path.realpath(path)


def cmd_match(args: argparse.Namespace) -> int:
    from fastprobe.rules.matcher import Matcher

    reply = _read_reply(args)
    ruleset = _load(args)
    probe = ruleset.get(args.probe, args.protocol)
    if probe is None:
        raise CliError(f"--probe: no probe named {args.probe!r} in the loaded rules")
    result = Matcher(ruleset, timeout=args.regex_timeout).match(probe, reply)
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
        Matcher(ruleset, timeout=args.regex_timeout), {display_path(f) for f in files}
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
    files = _unique(args.files) if args.files else default_overlays()
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
    until the new one is complete)."""
    if not path or path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
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
        Matcher(ruleset, timeout=args.regex_timeout),
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


def cmd_scan(args: argparse.Namespace) -> int:
    import asyncio

    from fastprobe.engine.nmaprun import NmapError
    from fastprobe.engine.options import OptionError
    from fastprobe.engine.ports import Ports, PortSpecError, parse_ports, top_ports
    from fastprobe.engine.scan import Scanner
    from fastprobe.engine.targets import Exclusions, TargetError, read_list

    nmap = args.engine == "nmap"
    try:
        if args.ports and args.top_ports:
            raise CliError("give -p or --top-ports, not both")
        if args.nmap_path and not nmap:
            raise CliError("--nmap-path: only with --engine nmap")
        excluded = [x for spec in args.exclude for x in spec.split(",")] + [
            x for f in args.exclude_file for x in read_list(f)
        ]
        exclude = Exclusions(excluded)  # checked here for nmap too
        endpoints = None
        if nmap:
            # nmap's own --top-ports: a built nmap reads the nmap-services it came with
            ports = parse_ports(args.ports) if args.ports else (args.top_ports or 1000)
            scanner = _nmap_scanner(args)
        else:
            if args.ports:
                ports = parse_ports(args.ports)
            else:
                ports = Ports(top_ports(args.top_ports or 1000), ())
            scanner = Scanner(
                _load(args),
                profile=args.profile or "fast",
                intensity=args.version_intensity,
                max_conns=512 if args.max_conns is None else args.max_conns,
                max_host_conns=32 if args.max_host_conns is None else args.max_host_conns,
                regex_timeout=args.regex_timeout,
                report_closed=args.all_states,
                rate=args.rate,
            )
        if args.from_file:
            from fastprobe.engine.imports import ImportFileError, read_endpoints

            try:
                endpoints = read_endpoints(args.from_file)
            except ImportFileError as exc:
                raise CliError(str(exc)) from None
        elif not args.targets and not args.input_files:
            raise CliError("no targets: give addresses, networks, ranges or names, or -iL FILE")
        done = _done(args.resume) if args.resume else set()
    except PortSpecError as exc:
        raise CliError(f"-p: {exc}") from None
    except TargetError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(_cli_option(str(exc))) from None
    sink = None
    if args.json_out and args.json_out != "-":
        try:
            sink = open(args.json_out, "a+", encoding="utf-8")  # noqa: SIM115
            if sink.tell():
                sink.seek(sink.tell() - 1)
                if sink.read(1) != "\n":  # an interrupted run may have cut its last line
                    sink.write("\n")
        except OSError as exc:
            raise CliError(f"-oJ {args.json_out}: {exc.strerror or exc}") from None
    rows: list = []
    started = time.time()

    from fastprobe.cli.progress import ScanProgress, count_targets

    if nmap:  # nmap reports host by host: no port count to show
        progress = ScanProgress(None, enabled=False)
        scan = scanner.scan(
            args.targets, ports, input_files=args.input_files, exclude=excluded,
            xml_path=args.xml_out,
        )  # fmt: skip
    else:
        if endpoints is not None:
            total = len(endpoints) - len(done)
        else:
            total = count_targets(args.targets, args.input_files) * len(ports) - len(done)
        progress = ScanProgress(max(total, 0), enabled=not args.quiet and args.json_out != "-")
        scan = scanner.scan(
            args.targets,
            ports,
            input_files=args.input_files,
            exclude=exclude,
            skip=done,
            on_port_done=progress.port_done,
            endpoints=endpoints,
        )

    async def run() -> None:
        async for record in scan:
            progress.record(record)
            rows.append(record)
            line = json.dumps(record.as_dict(), sort_keys=False)
            if args.json_out == "-":
                print(line, flush=True)
            elif sink is not None:
                sink.write(line + "\n")
                sink.flush()

    interrupted = False
    failure = None
    try:
        with progress:
            asyncio.run(run())
    except TargetError as exc:
        raise CliError(str(exc)) from None
    except OptionError as exc:  # nmap's targets and ports, checked as it starts
        raise CliError(_cli_option(str(exc))) from None
    except NmapError as exc:
        failure = str(exc)  # what nmap finished is kept: written below
    except KeyboardInterrupt:
        interrupted = True  # what finished is kept: written below and already in -oJ
    finally:
        if sink is not None:
            sink.close()
    if args.xml_out and not nmap:  # nmap wrote its own
        from fastprobe.engine.xmlout import to_xml, write_xml

        tree = to_xml(rows, args=" ".join(["fastprobe", *sys.argv[1:]]), start=started)
        try:
            with open(args.xml_out, "wb") as fh:
                write_xml(tree, fh)
        except OSError as exc:
            raise CliError(f"-oX {args.xml_out}: {exc.strerror or exc}") from None
    if args.json_out != "-":
        _print_table(rows)
        if args.fingerprint:
            _print_fingerprints(rows, args.version_intensity)
    if interrupted:
        print(f"fastprobe: interrupted; {len(rows)} finished record(s) kept", file=sys.stderr)
        return 130
    if failure:
        print(f"fastprobe: error: {failure}; {len(rows)} record(s) kept", file=sys.stderr)
        return 1
    return 0


# the engine's option names, as the command line spells them
_CLI_OPTIONS = {
    "nmap_path": "--nmap-path",
    "ports": "-p",
    "top_ports": "--top-ports",
    "intensity": "--version-intensity",
    "rate": "--rate",
    "xml_path": "-oX",
}


def _cli_option(message: str) -> str:
    name, sep, rest = message.partition(": ")
    return f"{_CLI_OPTIONS[name]}: {rest}" if sep and name in _CLI_OPTIONS else message


def _nmap_scanner(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """nmap with the rules the native engine would use, or CliError for what only the
    native engine has."""
    from fastprobe.engine.nmaprun import nmap_scanner
    from fastprobe.rules.assemble import read_source

    native_only = {"--profile": args.profile, "--max-conns": args.max_conns,
                   "--max-host-conns": args.max_host_conns, "--resume": args.resume,
                   "--from": args.from_file}  # fmt: skip
    if args.regex_timeout != DEFAULT_TIMEOUT:
        native_only["--regex-timeout"] = args.regex_timeout
    for option, value in native_only.items():
        if value is not None:
            raise CliError(f"{option}: only the native engine has it, not --engine nmap")
    overlays = []
    for path in _rule_paths(args):
        try:
            overlays.append(read_source(path))
        except OSError as exc:
            raise CliError(f"--rules {path}: {exc.strerror or exc}") from None
    return nmap_scanner(
        args.nmap_path,
        overlays=overlays,
        base=not args.no_default_rules,
        exclude_mode=args.exclude_mode,
        intensity=args.version_intensity,
        rate=args.rate,
        report_closed=args.all_states,
    )


def _done(path: str) -> set[tuple[str, int, str]]:
    """(address, port, protocol) of the finished records in an earlier -oJ file."""
    done: set[tuple[str, int, str]] = set()
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    if rec.get("state") not in ("error", "unresolved"):
                        done.add((rec["address"], int(rec["port"]), rec["protocol"]))
                except (ValueError, KeyError, TypeError):
                    if line.endswith("\n"):  # a cut last line is what a crash leaves
                        raise CliError(
                            f"--resume {path}:{number}: not a fastprobe record"
                        ) from None
    except FileNotFoundError:
        return done  # nothing to resume from yet: a first run
    except OSError as exc:
        raise CliError(f"--resume {path}: {exc.strerror or exc}") from None
    return done


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
        if r.state == "unresolved":
            print(f"{r.target}: {r.error}")
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
