#!/usr/bin/env bash
# Every target's dependency list in Package.swift must name exactly the modules its
# files import: a missing one builds only by luck (another target pulled it in), an
# unused one links code (and libraries like OpenBLAS) the target never calls.
# Prints each mismatch and exits 1 if there is any.
#
# Products are taken to be named like the module they provide (true of every
# package Sluice uses); toolchain modules (Foundation, XCTest, Glibc, ...) are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package dump-package | python3 -c '
import json, os, re, sys

SYSTEM = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Dispatch", "Glibc", "Darwin", "Musl",
          "XCTest", "Testing", "Synchronization", "os", "_Concurrency", "PackageDescription"}
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)", re.M)

package = json.load(sys.stdin)
problems = 0
for target in sorted(package["targets"], key=lambda t: t["name"]):
    if target["type"] in ("system", "binary", "plugin", "macro"):
        continue
    root = target.get("path") or ("Tests/" if target["type"] == "test" else "Sources/") + target["name"]
    imported = set()
    for directory, _, files in os.walk(root):
        for name in files:
            if name.endswith(".swift"):
                with open(os.path.join(directory, name), encoding="utf-8") as source:
                    imported.update(IMPORT.findall(source.read()))
    imported -= SYSTEM | {target["name"]}
    declared = set()
    for dependency in target["dependencies"]:
        kind, value = next(iter(dependency.items()))
        declared.add(value[0])  # byName, target and product all start with the name
    missing, unused = sorted(imported - declared), sorted(declared - imported)
    if missing or unused:
        problems += 1
        print(target["name"] + ":" + (" imports but does not declare " + ", ".join(missing) if missing else "")
              + (";" if missing and unused else "") + (" declares but does not import " + ", ".join(unused) if unused else ""))
if problems:
    sys.exit(1)
print("every target declares exactly what it imports")
'
