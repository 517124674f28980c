#!/usr/bin/python3
"""Every `$` in a compose file that Compose's interpolation would reject.

    compose_dollars.py FILE...

Compose (docker-compose 1.29 and Compose v2's compose-go alike) reads `$$`
as a literal dollar, `${NAME...}` and `$NAME` as variables, and rejects any
other `$` ("Invalid interpolation format"): the whole file then fails to
load. Prints FILE:LINE:COLUMN for each, exits 1 if there is one. Full-line
comments are skipped (Compose never interpolates them); everything else,
including quoted strings and inline comments, is checked.
"""
import re
import sys

TOKEN = re.compile(r"\$\$|\$\{[A-Za-z_][A-Za-z0-9_]*|\$[A-Za-z_][A-Za-z0-9_]*|\$")


def bad_dollars(text):
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        for m in TOKEN.finditer(line):
            if m.group(0) == "$":
                yield lineno, m.start() + 1, line.strip()


def main(paths):
    found = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for lineno, col, line in bad_dollars(f.read()):
                print("%s:%d:%d: a lone '$' (write '$$' for a literal dollar): %s" % (path, lineno, col, line))
                found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) if len(sys.argv) > 1 else __doc__)
