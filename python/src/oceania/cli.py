"""The ``oceania`` command: ``query-fasta`` as the original client had it, plus
``list``, ``intergenic`` and ``genes-and-gaps``.

Errors are one line on stderr and a non-zero exit: 1 bad usage, bad positions or an
unknown sample; 3 an I/O failure (query file unreadable, server unreachable, timeout,
cut-short answer); 4 the server failed.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

from . import DEFAULT_TIMEOUT, OceaniaClient, __version__
from . import errors as E

MAIN_HELP = """\
Usage: oceania [OPTIONS] COMMAND [ARGS]...

  A command line client of the OceanIA FASTA query service (an ofq server).

Options:
  --url URL        server address (default: $OCEANIA_API_URL, else http://127.0.0.1:8080/)
  --token TOKEN    bearer token (default: $OCEANIA_API_TOKEN)
  --timeout SECS   give up when the server says nothing for this long (default: {timeout:g})
  --version        show the version and exit
  -h, --help       show this message and exit

Commands:
  query-fasta      Extract sequences from a FASTA file of the catalog.
  list             List the catalog's samples (CSV: sample_id,sample_key).
  intergenic       List a sample's intergenic regions (TSV).
  genes-and-gaps   List a sample's genes and the gaps between them (TSV).

Run "oceania COMMAND -h" for a command's usage.
"""

QUERY_HELP = """\
Usage: oceania query-fasta [OPTIONS] <key> <query_file> <output_format> <output_file>

  Extract sequences from a FASTA file of the catalog.

  <key> the sample id (e.g. TARA_A100000171) or its storage key (see "oceania list")
  <query_file> CSV file containing the values to query.
               Each line represents a sequence to extract in the format "sequence_id,start,end,type"
               "sequence_id" sequence ID
               "start" start index position of the sequence to be extracted (0-based)
               "end" end index position of the sequence to extract (exclusive)
               "type" type of the sequence to extract
                      options are ["raw", "complement", "reverse_complement"]
                      type value is optional, if not provided default is "raw"
  <output_format> results format
                  options are ["csv", "fasta"]
  <output_file> name of the file to write the results ("-" for standard output)

Options:
  --strict        an end past the sequence's length is an error (default: cut to the length)
  -q, --quiet     do not print the summary line on stderr
  --url, --token, --timeout   as for "oceania -h"
  -h, --help      show this message and exit
"""

LIST_HELP = """\
Usage: oceania list [OPTIONS]

  List the samples of the catalog, as CSV "sample_id,sample_key" on standard output.

Options:
  --url, --token, --timeout   as for "oceania -h"
  -h, --help      show this message and exit
"""

INTERGENIC_HELP = """\
Usage: oceania intergenic [OPTIONS] <sample_id>

  List the intergenic regions of a sample, as TSV on standard output
  (sequence, start, stop, length, gen_before, gen_after; 0-based, half-open).

Options:
  --min-length N          only regions of at least N bases (default: 0)
  --page P                only page P (1-based; default: every region)
  --page-size S           regions per page (default: 50 with --page)
  --definition original|v1
                          "original" (default): the original service's rule, so that
                          published results come back unchanged; "v1": the bases no gene
                          covers, edge regions included, with strand and orientation columns
  --url, --token, --timeout   as for "oceania -h"
  -h, --help              show this message and exit
"""

GENES_HELP = """\
Usage: oceania genes-and-gaps [OPTIONS] <sample_id>

  List the genes of a sample and the original service's gaps between them, as TSV on
  standard output (original_sequence_id, id, strand, start, stop, length, start_codon,
  stop_codon, gene_type).

Options:
  --url, --token, --timeout   as for "oceania -h"
  -h, --help      show this message and exit
"""


class _UsageError(Exception):
    pass


class QueryFileError(E.OceaniaError):
    """The query file cannot be read (exit 3)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with our help text and one-line usage errors."""

    def __init__(self, *args, help_text="", **kwargs):
        super().__init__(*args, add_help=False, **kwargs)
        self.help_text = help_text
        self.add_argument("-h", "--help", action="store_true")

    def error(self, message):
        raise _UsageError(message)


def _common(parser):
    parser.add_argument("--url", default=argparse.SUPPRESS)
    parser.add_argument("--token", default=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=argparse.SUPPRESS)


def _parser():
    main = _Parser(prog="oceania", help_text=MAIN_HELP.format(timeout=DEFAULT_TIMEOUT))
    _common(main)
    main.add_argument("--version", action="store_true")
    sub = main.add_subparsers(dest="command", parser_class=_Parser)

    q = sub.add_parser("query-fasta", help_text=QUERY_HELP)
    _common(q)
    q.add_argument("key", nargs="?")
    q.add_argument("query_file", nargs="?")
    q.add_argument("output_format", nargs="?")
    q.add_argument("output_file", nargs="?")
    q.add_argument("--strict", action="store_true")
    q.add_argument("-q", "--quiet", action="store_true")

    ls = sub.add_parser("list", help_text=LIST_HELP)
    _common(ls)

    ig = sub.add_parser("intergenic", help_text=INTERGENIC_HELP)
    _common(ig)
    ig.add_argument("sample_id", nargs="?")
    ig.add_argument("--min-length", type=int, default=0)
    ig.add_argument("--page", type=int, default=None)
    ig.add_argument("--page-size", type=int, default=None)
    ig.add_argument("--definition", choices=("original", "v1"), default="original")

    gg = sub.add_parser("genes-and-gaps", help_text=GENES_HELP)
    _common(gg)
    gg.add_argument("sample_id", nargs="?")
    return main, sub


def read_query_file(path):
    """The positions of an original query file (``sequence_id,start,end[,type]``, no
    header; a first line ``..,start,end..`` is taken as a header and skipped), and the
    1-based line number of each position."""
    positions, lines, bad = [], [], []
    try:
        with open(path, newline="") as f:
            for number, fields in enumerate(csv.reader(f), start=1):
                fields = [x.strip() for x in fields]
                if not fields or fields == [""]:
                    continue
                if number == 1 and len(fields) >= 3 and fields[1].lower() == "start":
                    continue
                if len(fields) not in (3, 4):
                    bad.append(f"line {number}: expected sequence_id,start,end[,type], "
                               f"got {len(fields)} fields")
                    continue
                try:
                    start, end = int(fields[1]), int(fields[2])
                except ValueError:
                    bad.append(f"line {number}: start and end must be whole numbers, got "
                               f"{fields[1]!r}, {fields[2]!r}")
                    continue
                positions.append([fields[0], start, end] + fields[3:])
                lines.append(number)
    except OSError as exc:
        raise QueryFileError(f"cannot read the query file {path}: {exc.strerror}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise E.BadPositionsError(f"{path} is not a CSV query file: {exc}") from exc
    if bad:
        raise E.BadPositionsError(f"{path}: " + "; ".join(bad[:5])
                                  + (f"; and {len(bad) - 5} more bad lines" if len(bad) > 5 else ""))
    if not positions:
        raise E.BadPositionsError(f"{path} holds no positions")
    return positions, lines


def _one_line(exc, path=None, lines=None):
    """The error as one line; bad rows are named by their line in the query file."""
    text = exc.message if isinstance(exc, E.OceaniaError) else str(exc)
    text = " ".join(text.split())
    rows = getattr(exc, "rows", None) or []
    parts = []
    for r in rows[:5]:
        row = r.get("row")
        where = f"row {row}"
        if lines is not None and isinstance(row, int) and 0 <= row < len(lines):
            where = f"{path} line {lines[row]}"
        parts.append(f"{where} ({r.get('id')}): {r.get('reason')}")
    if len(rows) > 5:
        parts.append(f"and {len(rows) - 5} more")
    return "; ".join([text] + parts)


def _exit_code(exc):
    if isinstance(exc, (E.ServerUnreachableError, E.OceaniaTimeoutError, E.TransferError,
                        QueryFileError, E.OutputFileError)):
        return 3
    if isinstance(exc, (E.ServerError, E.ProtocolError)):
        return 4
    return 1


def _client(args):
    return OceaniaClient(url=getattr(args, "url", None), token=getattr(args, "token", None),
                         timeout=getattr(args, "timeout", DEFAULT_TIMEOUT))


def _need(args, parser, *names):
    missing = [f"<{n}>" for n in names if getattr(args, n) is None]
    if missing:
        raise _UsageError(f"missing {', '.join(missing)} (usage: {parser.help_text.splitlines()[0][7:]})")


def _query_fasta(args, parser):
    _need(args, parser, "key", "query_file", "output_format", "output_file")
    fmt = args.output_format.lower()
    if fmt not in ("csv", "fasta"):
        raise _UsageError(f"<output_format> must be csv or fasta, got {args.output_format!r}")
    positions, lines = read_query_file(args.query_file)
    began = time.monotonic()
    client = _client(args)
    bounds = "strict" if args.strict else "clamp"
    try:
        if args.output_file == "-":
            n = client.get_sequences_from_fasta_to_file(args.key, positions, fmt, sys.stdout.buffer,
                                                        bounds=bounds)
            sys.stdout.flush()
        else:
            n = client.get_sequences_from_fasta_to_file(args.key, positions, fmt, args.output_file,
                                                        bounds=bounds)
    except E.OceaniaError as exc:
        exc.cli_line = _one_line(exc, args.query_file, lines)
        raise
    if not args.quiet:
        where = "standard output" if args.output_file == "-" else args.output_file
        print(f"oceania: {n} sequences written to {where} in {time.monotonic() - began:.2f} s",
              file=sys.stderr)
    return 0


def _write_table(frame):
    frame.to_csv(sys.stdout, sep="\t", index=False, lineterminator="\n")


def main(argv=None):
    main_parser, sub = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = main_parser.parse_args(argv)
        parser = sub.choices.get(args.command, main_parser)
        if args.help or (args.command is None and not args.version):
            sys.stdout.write(parser.help_text)
            return 0
        if args.version:
            print(f"oceania {__version__}")
            return 0
        if args.command == "query-fasta":
            return _query_fasta(args, parser)
        if args.command == "list":
            _client(args).list_fasta_files().to_csv(sys.stdout, index=False, lineterminator="\n")
            return 0
        _need(args, parser, "sample_id")
        if args.command == "intergenic":
            page_size = args.page_size or (50 if args.page is not None else 1000)
            _write_table(_client(args).list_intergenic_regions(
                args.sample_id, min_length=args.min_length, page=args.page, page_size=page_size,
                definition=args.definition))
            return 0
        _write_table(_client(args).list_genes_and_gaps(args.sample_id))
        return 0
    except _UsageError as exc:
        print(f"oceania: usage error: {exc} (see oceania -h)", file=sys.stderr)
        return 1
    except E.OceaniaError as exc:
        print(f"oceania: error: {getattr(exc, 'cli_line', None) or _one_line(exc)}", file=sys.stderr)
        return _exit_code(exc)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("oceania: interrupted", file=sys.stderr)
        return 130
