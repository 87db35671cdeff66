#!/bin/sh
# The Swift modules under a Sources/ folder and their dependency order, from their `import` lines,
# for the firmware build (which calls swiftc itself, without SwiftPM):
#   swift-modules.sh order <Sources> [<main module>]   all Swift modules, dependencies first, main last
#   swift-modules.sh imports <Sources> <module>         the sibling Swift modules <module> imports
# A Swift module is a folder of Sources/ holding .swift files. Imports of anything else (CShim,
# Synchronization, ...) are not dependencies here; conditional imports count as real ones.
set -eu
mode=${1:?usage: swift-modules.sh order|imports <Sources> [module]}
src=${2:?usage: swift-modules.sh order|imports <Sources> [module]}

modules() {
  for d in "$src"/*/; do
    m=$(basename "$d")
    ls "$d"*.swift >/dev/null 2>&1 && echo "$m"
  done
  return 0
}

# Module names on `import` lines: `import X`, `import X.Sub`, `import struct X.T`,
# `@_implementationOnly import X`, `public import X`, ...
imports_of() {
  all=$(modules)
  cat "$src/$1"/*.swift $(ls "$src/$1"/*/*.swift 2>/dev/null) | sed -nE \
    's/^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((public|package|internal|fileprivate|private)[[:space:]]+)?import[[:space:]]+((typealias|struct|class|enum|protocol|let|var|func)[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*).*/\6/p' |
    sort -u | while read -r i; do
      [ "$i" = "$1" ] && continue
      for m in $all; do if [ "$m" = "$i" ]; then echo "$i"; fi; done
    done
  return 0
}

case "$mode" in
  imports)
    imports_of "${3:?module}"
    ;;
  order)
    main=${3:-}
    # tsort prints a before b for each pair "a b"; "m m" keeps modules with no edges.
    for m in $(modules); do
      echo "$m $m"
      for i in $(imports_of "$m"); do echo "$i $m"; done
    done | tsort | { grep -vx "${main:-//}" || true; }
    [ -n "$main" ] && [ -d "$src/$main" ] && echo "$main"
    ;;
  *) echo "swift-modules.sh: unknown mode $mode" >&2; exit 2;;
esac
