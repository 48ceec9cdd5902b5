#!/usr/bin/env python3
"""Run one command and report its memory: peak anonymous memory, not RSS.

usage: memprobe.py [--stdout FILE] [--interval-us N] -- COMMAND [ARGS...]

Prints one tab-separated line on stderr-free stdout:
    peak_anon_kb  peak_file_kb  max_rss_kb  wall_s  samples  exit_code

Method (why not just `/usr/bin/time -v`): max RSS counts file-backed pages, and a tool that
maps a 1 GB FASTA has up to 1 GB of page cache in its RSS without owning any of it.
What a process holds is its anonymous memory (heap, stacks, private copies), so:
- peak_anon_kb: the largest `RssAnon` seen in /proc/PID/status, polled every
  --interval-us (default 200 us) from spawn to exit; a sampled maximum, so it can miss a
  spike shorter than the interval, and reads 0 for a process that exits before the first
  sample (the sample count is printed so that case is visible);
- peak_file_kb: the largest `RssFile` seen the same way (mapped files, binary, libraries);
- max_rss_kb: the exact peak RSS from wait4() (ru_maxrss, what `time -v` prints), kept as
  a cross-check: peak_anon_kb + peak_file_kb is at most about max_rss_kb.
The command is exec'd directly (no shell), so the PID polled is the tool itself.
"""
import argparse
import os
import subprocess
import sys
import time


def read_status(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            text = f.read()
    except OSError:
        return None
    anon = file_ = None
    for line in text.split(b"\n"):
        if line.startswith(b"RssAnon:"):
            anon = int(line.split()[1])
        elif line.startswith(b"RssFile:"):
            file_ = int(line.split()[1])
    if anon is None:  # a zombie has no memory lines
        return None
    return anon, file_


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stdout", default="/dev/null", help="where the command's stdout goes [/dev/null]")
    ap.add_argument("--interval-us", type=int, default=200)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command")
    interval = args.interval_us / 1e6
    peak_anon = peak_file = samples = 0
    t0 = time.perf_counter()
    with open(args.stdout, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out)
        while True:
            got = read_status(proc.pid)
            if got is not None:
                samples += 1
                peak_anon = max(peak_anon, got[0])
                peak_file = max(peak_file, got[1] or 0)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(interval)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    print(f"{peak_anon}\t{peak_file}\t{usage.ru_maxrss}\t{wall:.4f}\t{samples}\t{proc.returncode}")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
