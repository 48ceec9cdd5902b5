#!/usr/bin/python3
"""Extract the positions of a TSV (header `id start end type`, 0-based half-open) with pyfaidx.

usage: pyfaidx_extract.py REF.fa POSITIONS.tsv > OUT.fa

The pyfaidx peer of bench_engine.sh: the only peer with a complement-only mode, so it is the
one that checks ofq's `complement` rows and the one peer that can run the mixed set.
Writes FASTA, `>{id}:{start}-{end} {type}` and the sequence on one line.
Needs the Debian python3-pyfaidx, hence /usr/bin/python3.
"""
import sys

from pyfaidx import Fasta


def main():
    fasta, positions = sys.argv[1], sys.argv[2]
    fa = Fasta(fasta)  # reads REF.fa.fai (builds it if missing)
    out = sys.stdout
    with open(positions) as f:
        next(f)
        for line in f:
            name, start, end, kind = line.rstrip("\n").split("\t")
            seq = fa[name][int(start):int(end)]
            if kind == "raw":
                s = seq.seq
            elif kind == "reverse_complement":
                s = seq.reverse.complement.seq
            elif kind == "complement":
                s = seq.complement.seq
            else:
                sys.exit(f"pyfaidx_extract.py: unknown type {kind!r}")
            out.write(f">{name}:{start}-{end} {kind}\n{s}\n")


if __name__ == "__main__":
    main()
