#!/usr/bin/env python3
"""Checks toolkit/'s layers (docs/design.md): a file includes only headers of its own folder
and of the folders below it. Prints each include that points upward; exits 1 if any does."""
import os
import re
import sys

# Top to bottom. The subcommands (toolkit/*.c, run/, sweep/ and compare/) sit above everything,
# as one layer.
LAYERS = ["", "run", "sweep", "compare", "analysis", "link", "kernel", "core"]
TOP = {"", "run", "sweep", "compare"}


def layer_of(folder):
    return 0 if folder in TOP else LAYERS.index(folder)


def main():
    root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "toolkit")
    bad = 0
    files = 0
    for dirpath, _, names in os.walk(root):
        folder = os.path.relpath(dirpath, root)
        folder = "" if folder == "." else folder
        if folder not in LAYERS:
            print(f"toolkit/{folder}: a folder that is not a layer of docs/design.md")
            bad += 1
            continue
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            files += 1
            path = os.path.join(dirpath, name)
            with open(path) as f:
                for lineno, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    inc = m.group(1)
                    if "/" not in inc:
                        # A bare name: a header of the own folder, or from bpf/ and the build.
                        if os.path.exists(os.path.join(root, inc)) and folder not in TOP:
                            print(f"{os.path.relpath(path)}:{lineno}: {inc}: a top-level "
                                  f"header; name it with its folder")
                            bad += 1
                        continue
                    target = inc.rsplit("/", 1)[0]
                    if target not in LAYERS:
                        print(f"{os.path.relpath(path)}:{lineno}: {inc}: not a toolkit layer")
                        bad += 1
                        continue
                    if target != folder and layer_of(target) < layer_of(folder):
                        print(f"{os.path.relpath(path)}:{lineno}: {inc}: {folder or 'toolkit'}/ "
                              f"may not include from {target or 'toolkit'}/, a layer above it")
                        bad += 1
    print(f"{files} files, {bad} upward includes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
