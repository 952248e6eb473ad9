#!/usr/bin/env python3
"""Where the CPU of `sluice up` goes: CPU seconds per event of every process.

Runs `sluice up` (embedded broker, one worker process per stage, monitor and gateway on)
fed at --rate events/s for --seconds, reads each process's user+system CPU from
/proc/<pid>/stat once the warm-up is over and again before the end, and the output rate
from the status lines `sluice up` prints. Prints a markdown table: cores and milliseconds
of CPU per output event, per process. Feed above the capacity to see the saturated budget
(the output rate is then the capacity), below it for the budget at that load.

Usage: scripts/cpu-budget.py [--rate 300] [--seconds 45] [--warmup 15] [-- extra sluice up args]
Needs `make build` first (or SLUICE_BIN). Linux only (/proc).
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid):
    """pid and all its descendants (children of any of its threads)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    found += tree(int(child))
    except OSError:
        pass
    return found


def name(pid):
    with open(f"/proc/{pid}/cmdline") as f:
        args = f.read().split("\0")
    if "worker" in args and "--stage" in args:
        return "worker " + args[args.index("--stage") + 1]
    if any(a.endswith("tansu") for a in args):
        return "broker (embedded Tansu)"
    if "up" in args:
        return "sluice up (feeder, monitor, gateway, live view)"
    return os.path.basename(args[0])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def snapshot(root):
    readings = {}
    for pid in tree(root):
        try:
            readings[pid] = (name(pid), cpu_seconds(pid))
        except OSError:
            pass  # gone meanwhile
    return readings


def status_lines(log):
    with open(log) as f:
        return [l for l in f if re.match(r"^\[ *\d+s\]", l)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=300)
    ap.add_argument("--seconds", type=int, default=45)
    ap.add_argument("--warmup", type=int, default=15)
    ap.add_argument("extra", nargs="*", help="more `sluice up` arguments (after --)")
    args = ap.parse_args()
    if args.seconds < args.warmup + 10:
        sys.exit("cpu-budget: --seconds must be at least --warmup + 10")
    binary = os.environ.get("SLUICE_BIN", os.path.join(ROOT, ".build/release/sluice"))
    if not os.access(binary, os.X_OK):
        sys.exit(f"cpu-budget: {binary} is not built: run 'make build' first")
    log = tempfile.NamedTemporaryFile(prefix="sluice-cpu-budget-", suffix=".log", delete=False).name
    command = [binary, "up", "--rate", str(args.rate), "--duration", str(args.seconds),
               "--gateway-port", str(free_port()), "--metrics-port", str(free_port()),
               "--worker-metrics-port", "0"] + args.extra
    with open("/proc/loadavg") as f:
        load_before = " ".join(f.read().split()[:3])
    with open(log, "w") as out:
        up = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        time.sleep(args.warmup)
        first, t1 = snapshot(up.pid), time.time()
        time.sleep(args.seconds - args.warmup - 3)
        second, t2 = snapshot(up.pid), time.time()
        up.wait(timeout=120)
    finally:
        if up.poll() is None:
            up.terminate()
    lines = [l for l in status_lines(log) if int(re.match(r"^\[ *(\d+)s\]", l).group(1)) >= args.warmup]
    if len(lines) < 2:
        sys.exit(f"cpu-budget: too few status lines after the warm-up; see {log}")
    out_count = lambda l: int(re.search(r"out (\d+)", l).group(1))
    at = lambda l: int(re.match(r"^\[ *(\d+)s\]", l).group(1))
    rate = (out_count(lines[-1]) - out_count(lines[0])) / max(1, at(lines[-1]) - at(lines[0]))
    with open("/proc/loadavg") as f:
        load_after = " ".join(f.read().split()[:3])
    wall = t2 - t1
    print(f"`sluice up --rate {args.rate:g}` for {args.seconds} s, measured from {args.warmup} s on: "
          f"{rate:.1f} events/s out; {os.cpu_count()} cores; load average {load_before} before, {load_after} after")
    print()
    print("| process | cores | CPU ms per event out |")
    print("| --- | --- | --- |")
    total = 0.0
    for pid, (label, seconds) in sorted(second.items(), key=lambda kv: kv[1][0]):
        if pid not in first:
            continue
        used = seconds - first[pid][1]
        total += used
        per_event = 1000 * used / wall / rate if rate > 0 else float("nan")
        print(f"| {label} | {used / wall:.2f} | {per_event:.2f} |")
    per_event = 1000 * total / wall / rate if rate > 0 else float("nan")
    print(f"| all | {total / wall:.2f} | {per_event:.2f} |")
    print()
    print("last status line: " + status_lines(log)[-1].strip())
    print(f"log: {log}")


if __name__ == "__main__":
    main()
