#!/usr/bin/python3
"""Which exporter metric families this repository's queries read.

A family counts as used when its name appears as a whole word in a Grafana
dashboard, a Prometheus rule file, the docs or the README: the places a
query can live. Shared by bench/fleet/run.sh (the backfill writes history
for the used families) and tests/static/test_cadvisor_drop.sh (no family
dropped by the cAdvisor job's relabeling may be used).

  families.py used FIXTURE...     used families present in the fixtures
  families.py names FIXTURE...    every family in the fixtures
  families.py refs PREFIX_RE      every metric name matching PREFIX_RE that
                                  appears in the query places, with the
                                  file it appears in (tab-separated)
"""

import glob
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def query_places(repo=REPO):
    pats = ["grafana/dashboards/*.json", "prometheus/rules/*.yml", "docs/*.md", "README.md",
            "n8n/*.json", "src/daily-report/*.c"]
    out = []
    for p in pats:
        out.extend(sorted(glob.glob(os.path.join(repo, p))))
    return out


def fixture_families(paths):
    fams = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name = NAME_RE.match(line).group(0)
                if name not in fams:
                    fams.append(name)
    return fams


def word_re(name):
    return re.compile(r"(?<![A-Za-z0-9_:])" + re.escape(name) + r"(?![A-Za-z0-9_:])")


def used_families(fams, repo=REPO):
    texts = [open(p, encoding="utf-8").read() for p in query_places(repo)]
    return [n for n in fams if any(word_re(n).search(t) for t in texts)]


def refs(prefix_re, repo=REPO):
    rx = re.compile(r"(?<![A-Za-z0-9_:])(" + prefix_re + r"[a-zA-Z0-9_:]*)")
    out = set()
    for p in query_places(repo):
        for m in rx.finditer(open(p, encoding="utf-8").read()):
            out.add((m.group(1), os.path.relpath(p, repo)))
    return sorted(out)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("used", "names", "refs"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "refs":
        for name, path in refs(sys.argv[2]):
            print("%s\t%s" % (name, path))
        return 0
    fams = fixture_families(sys.argv[2:])
    for n in (used_families(fams) if sys.argv[1] == "used" else fams):
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
