#!/usr/bin/env python3
"""The layers of ticketsim, checked: each source file includes only headers
of its own layer or of the layers below it, and each layer's meson.build
names only the dependencies of those layers. A wrong-way include or
dependency fails this test (and the test first proves, on a planted tree,
that it would).

    storage/  <-  sim/  <-  sim/hosts/  <-  sim/report/  <-  bench/  <-  sim/cli/
"""
import os
import re
import sys
import tempfile

# Layer, from the bottom: its folder, the meson dependency it declares, and
# the folders its files may include from (its own and those below).
LAYERS = [
    ("storage", "storage_dep"),
    ("sim", "sim_dep"),
    ("sim/hosts", "hosts_dep"),
    ("sim/report", "report_dep"),
    ("bench", "bench_dep"),
    ("sim/cli", "cli_dep"),
]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
DEPENDENCY = re.compile(r"\b(\w+_dep)\b")


def layer_of(path):
    """The layer a file belongs to: the deepest layer folder holding it."""
    folder = os.path.dirname(path)
    for index in reversed(range(len(LAYERS))):
        if folder == LAYERS[index][0]:
            return index
    return None


def problems(root):
    found = []
    declared = {name: i for i, (_, name) in enumerate(LAYERS)}
    for index, (folder, _) in enumerate(LAYERS):
        directory = os.path.join(root, folder)
        if not os.path.isdir(directory):
            found.append(f"{folder}/: the layer's folder is missing")
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(folder, name)
            full = os.path.join(root, path)
            if name == "meson.build":
                text = open(full, encoding="utf-8").read()
                for dep in DEPENDENCY.findall(text):
                    if dep in declared and declared[dep] > index:
                        found.append(f"{path}: names {dep}, a layer above {folder}/")
                continue
            if not name.endswith((".h", ".cc", ".in")):
                continue
            for header in INCLUDE.findall(open(full, encoding="utf-8").read()):
                if not header.startswith(("storage/", "sim/", "bench/")):
                    continue
                target = layer_of(header)
                if target is None:
                    found.append(f"{path}: includes {header}, which is in no layer")
                elif target > index:
                    found.append(f"{path}: includes {header} from {LAYERS[target][0]}/, a layer above {folder}/")
    return found


def planted_tree_fails():
    """A copy of the layers with one wrong-way include must be caught."""
    with tempfile.TemporaryDirectory() as root:
        for folder, _ in LAYERS:
            os.makedirs(os.path.join(root, folder))
        with open(os.path.join(root, "sim", "runner.cc"), "w") as f:
            f.write('#include "sim/runner.h"\n#include "sim/report/report.h"\n')
        with open(os.path.join(root, "storage", "meson.build"), "w") as f:
            f.write("storage_lib = static_library('storage', dependencies : [sim_dep])\n")
        found = problems(root)
        return (any("sim/runner.cc: includes sim/report/report.h" in p for p in found)
                and any("storage/meson.build: names sim_dep" in p for p in found))


def main():
    if not planted_tree_fails():
        print("layers_test: the check missed a planted wrong-way include")
        return 1
    root = os.environ.get("SOURCE_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    found = problems(root)
    for problem in found:
        print(problem)
    if found:
        return 1
    print("layers: every include and every dependency points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
