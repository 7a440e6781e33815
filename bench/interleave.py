#!/usr/bin/env python3
"""Runs commands round-robin (A, B, C, A, B, C, ...) and writes JSON with each one's median
and mean wall time and CPU time (user + system of the process, from wait4).

Why not hyperfine: it runs every A before any B, so a host that slows down or speeds up during
the run (a shared 2-core VM was seen to drift by 50% within minutes) lands on one command only
and skews their ratio. Side by side, round by round, both see the same host.

    bench/interleave.py --runs 9 --warmup 2 --out FILE \\
        NAME='[VAR=VALUE ...] COMMAND ARGS' [--prepare NAME='COMMAND'] ...

Each command's output goes to /dev/null. `--prepare NAME=CMD` runs CMD (through the shell,
not timed) before every run of NAME, as hyperfine's --prepare does.

Each turn of a command is a run not timed, then the timed run: a process that starts right
after another program (cargo-audit, 60 ms of other code and data) finds the CPU caches full of
that program and was measured 2 ms slower than one that follows itself, which is how hyperfine
measures both sides and how a user's loop runs it. With the untimed run first, each timed run
follows a run of its own command, on the same host as the other side's.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import time


def parse(spec):
    name, _, command = spec.partition("=")
    words = shlex.split(command)
    env = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith(("/", ".")):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    return name, words, env, command


def run(argv, env):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def summary(values):
    return {"median": statistics.median(values), "mean": statistics.fmean(values)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--warmup", type=int, default=2, help="rounds run first and not measured")
    p.add_argument("--prepare", action="append", default=[], metavar="NAME=CMD")
    p.add_argument("--out", required=True)
    p.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = p.parse_args()
    commands = [parse(c) for c in args.commands]
    prepare = dict(spec.partition("=")[::2] for spec in args.prepare)
    times = {name: [] for name, *_ in commands}
    for round_ in range(args.warmup + args.runs):
        for name, argv, env, _ in commands:
            for timed in (False, True):
                if name in prepare:
                    subprocess.run(prepare[name], shell=True, check=True)
                t = run(argv, env)
                if timed and round_ >= args.warmup:
                    times[name].append(t)
    result = {
        "runs": args.runs,
        "warmup": args.warmup,
        "load": os.getloadavg(),
        "commands": {
            name: {
                "command": command,
                "wall": summary([w for w, _ in times[name]]),
                "cpu": summary([c for _, c in times[name]]),
                "prepare": prepare.get(name),
            }
            for name, _, _, command in commands
        },
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
