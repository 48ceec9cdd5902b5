#!/usr/bin/env python3
"""Normalise a FASTA answer to one sequence per line, headers dropped, so peers can be compared.

usage: fasta_seqs.py [--order-by-bed-name] IN.fa > OUT.txt

Every peer writes its own header (`id:1-10`, `id:0-10(-)`, `id_1-10:- q7`, ...) and its own
line width, so the comparison is on sequences only, in answer order. `--order-by-bed-name`
puts the records back in query order for `seqkit subseq --bed`, which answers in FASTA-file
order: it takes the BED name `q<N>` (the last word of the header, from make_queries.py) as the
row number.
"""
import sys


def records(f):
    header, parts = None, []
    for line in f:
        if line.startswith(">"):
            if header is not None:
                yield header, "".join(parts)
            header, parts = line[1:].rstrip("\r\n"), []
        else:
            parts.append(line.rstrip("\r\n"))
    if header is not None:
        yield header, "".join(parts)


def main():
    args = sys.argv[1:]
    by_name = "--order-by-bed-name" in args
    args = [a for a in args if a != "--order-by-bed-name"]
    with open(args[0]) as f:
        if by_name:
            rows = sorted((int(h.split()[-1].lstrip("q")), s) for h, s in records(f))
            seqs = (s for _, s in rows)
        else:
            seqs = (s for _, s in records(f))
        out = sys.stdout
        for s in seqs:
            out.write(s)
            out.write("\n")


if __name__ == "__main__":
    main()
