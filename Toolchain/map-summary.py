#!/usr/bin/env python3
"""Bytes per input file in the allocated sections of an lld link map (-Wl,-Map), largest first.

Archive members are added up per archive (libmbedcrypto.a), objects per object file.
Usage: map-summary.py <map file>
"""
import collections
import os
import re
import sys

# lld map lines: VMA LMA Size Align Out In Symbol, indented by nesting level.
LINE = re.compile(r'^\s*([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+)(\s+)(.*)$')


def main(path):
    per_file = collections.Counter()
    section_ok = False
    for raw in open(path, errors='replace'):
        m = LINE.match(raw)
        if not m:
            continue
        size = int(m.group(3), 16)
        text = m.group(6)
        depth = len(raw) - len(raw.lstrip())  # position of the VMA column: unused
        indent = len(m.group(5))
        if indent < 8 and not text.startswith((' ',)) and ':(' not in text:
            # An output section line: `.text`, `.debug_info`, ...
            name = text.split()[0]
            vma = int(m.group(1), 16)
            section_ok = vma != 0 and not name.startswith(('.debug', '.comment', '.symtab',
                                                            '.strtab', '.shstrtab'))
            continue
        if not section_ok or ':(' not in text:
            continue
        where = text.split(':(')[0].strip()
        arch = re.match(r'^(.*\.a)\(', where)
        key = os.path.basename(arch.group(1)) if arch else os.path.basename(where)
        per_file[key] += size
    total = sum(per_file.values())
    print(f'  {total:9d}  total')
    for name, size in per_file.most_common():
        print(f'  {size:9d}  {name}')


if __name__ == '__main__':
    main(sys.argv[1])
