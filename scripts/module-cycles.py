#!/usr/bin/env python3
"""Import graph of the library's top-level modules: its cycles and its layering.

Reads every `crate::NAME` path (and `chainwarden::NAME`, as the binary's src/cli/ writes
them) under src/, in `use` lines and inline, maps each file to its top-level module
(src/audit/x.rs -> audit), and prints every strongly connected component with more than one
module and every import that goes up the LAYERS below. Exit 1 on either, so CI can run it. A
module missing from LAYERS is an error too: a new module takes a layer.

A page of Python rather than `cargo modules`, so CI installs nothing and compiles nothing for
it. Reading paths is exact for this crate: modules are re-exported only under their own names
(`pub use crate::policy::identity`), and such a re-export is itself an import edge.

Usage: scripts/module-cycles.py [--edges] [SRC_DIR]
"""

import os
import re
import sys

PATH = re.compile(r"\b(?:crate|chainwarden)::([a-z_][a-z0-9_]*)")
GROUP = re.compile(r"\b(?:crate|chainwarden)::\{")


def group_names(text, start):
    """Top-level names inside `crate::{...}` starting at the brace at `start`."""
    depth, token, names = 0, "", []
    for ch in text[start:]:
        if ch == "{":
            depth += 1
            if depth > 1:
                token += ch
            continue
        if ch == "}":
            depth -= 1
            if depth == 0:
                names.append(token)
                break
            token += ch
            continue
        if ch == "," and depth == 1:
            names.append(token)
            token = ""
            continue
        token += ch
    out = []
    for name in names:
        m = re.match(r"\s*([a-z_][a-z0-9_]*)", name)
        if m and m.group(1) != "self":
            out.append(m.group(1))
    return out


# Raw strings, strings, char literals and comments, in one pass so that `//` inside a string
# or a quote inside a comment is read as what it is.
NOISE = re.compile(
    r'r(#*)".*?"\1|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\\n]|\\.)\'|//[^\n]*|/\*.*?\*/', re.S
)


def strip_comments(text):
    return NOISE.sub(" ", text)


def module_of(src, path):
    rel = os.path.relpath(path, src)
    top = rel.split(os.sep)[0]
    return top[:-3] if top.endswith(".rs") else top


# A module imports only from its own layer (without a cycle) or the layers below it.
LAYERS = [
    # Vocabulary: plain types and helpers every layer may use.
    ["lines", "json", "exit", "finding", "error", "clock", "markdown", "named", "sarif", "text"],
    # Capabilities: the file system, git, the network, and the one way out (redact, output).
    ["fsutil", "git", "net", "redact", "output", "progress"],
    # The validated policy: engines receive it (or their section of it).
    ["policy"],
    # Engines: each turns inputs and a policy into a typed report.
    ["advisories", "inventory", "audit", "verify", "secrets", "sbom", "vex"],
    # Over engine reports: the evidence store, the quarterly report, notifications.
    ["evidence", "report", "notify", "watch"],
    # The command line (lives in the binary).
    ["cli"],
]


def graph(src):
    edges = {}
    for root, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            mod = module_of(src, path)
            if mod in ("lib", "main"):
                continue
            with open(path, encoding="utf-8") as f:
                text = strip_comments(f.read())
            targets = set(PATH.findall(text))
            for m in GROUP.finditer(text):
                targets.update(group_names(text, m.end() - 1))
            for t in targets:
                if t != mod:
                    edges.setdefault(mod, {}).setdefault(t, set()).add(os.path.relpath(path, src))
            edges.setdefault(mod, {})
    return edges


def sccs(edges):
    """Tarjan's strongly connected components."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if args else "src"
    edges = graph(src)
    if "--edges" in sys.argv:
        for a in sorted(edges):
            print(f"{a} -> {', '.join(sorted(edges[a])) or '(leaf)'}")
    layer = {m: i for i, mods in enumerate(LAYERS) for m in mods}
    bad = 0
    for a in sorted(edges):
        if a not in layer:
            print(f"unlayered module: {a} (add it to LAYERS in {sys.argv[0]})")
            bad += 1
            continue
        for b in sorted(edges[a]):
            if b in layer and layer[b] > layer[a]:
                files = ", ".join(sorted(edges[a][b]))
                print(f"upward import: {a} -> {b}: {files}")
                bad += 1
    cycles = [c for c in sccs(edges) if len(c) > 1]
    for comp in cycles:
        print("cycle: " + " <-> ".join(comp))
        for a in comp:
            for b in comp:
                if b in edges.get(a, {}):
                    files = sorted(edges[a][b])
                    print(f"  {a} -> {b}: {', '.join(files[:4])}{' ...' if len(files) > 4 else ''}")
    n_edges = sum(len(v) for v in edges.values())
    print(f"{len(edges)} modules, {n_edges} edges, {len(cycles)} cycles, {bad} layering errors")
    return 1 if cycles or bad else 0


if __name__ == "__main__":
    sys.exit(main())
