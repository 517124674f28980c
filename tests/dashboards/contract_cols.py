#!/usr/bin/python3
"""Every dashboard SQL target reads only columns the schema contract declares.

For each SQL target of each dashboard, the tables it names (the contract's
real table names) and the identifiers it uses outside string literals and
quoted aliases are matched against the reference schema's columns
(sql/schema.sql): a column of a named table that the contract does not
declare for that table is reported with the dashboard, the panel and the
column. Such a panel would be denied on Supabase, where sql/roles.sql grants
SELECT on exactly the declared columns.

Usage: contract_cols.py --contract-json FILE --schema sql/schema.sql DASHBOARD_DIR
Prints TAP-like lines; exit 1 when a target reads an undeclared column.
"""
import argparse
import glob
import json
import os
import re
import sys


def schema_columns(path):
    """table -> set of columns, from the CREATE TABLE statements."""
    out = {}
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"CREATE TABLE(?: IF NOT EXISTS)? (\w+) \((.*?)\n\);", text, re.S):
        cols = set()
        for line in m.group(2).splitlines():
            w = re.match(r"\s*([a-z_][a-z0-9_]*)\s+\w", line)
            if w and w.group(1).upper() not in ("CHECK", "PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN"):
                cols.add(w.group(1))
        out[m.group(1)] = cols
    return out


def identifiers(sql):
    sql = re.sub(r"'(?:[^']|'')*'", " ", sql)  # string literals
    sql = re.sub(r'"[^"]*"', " ", sql)  # quoted aliases
    sql = re.sub(r"\$\{?\w+\}?", " ", sql)  # Grafana variables and macros
    return set(re.findall(r"\b[a-z_][a-z0-9_]*\b", sql.lower()))


def panels(dash):
    for p in dash.get("panels") or []:
        yield p
        for sub in p.get("panels") or []:
            yield sub


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contract-json", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("dashboards")
    a = ap.parse_args()
    contract = json.load(open(a.contract_json))["tables"]
    declared = {t["table"]: set(t["columns"].values()) for t in contract.values()}
    # The reference schema's columns, under the contract's table names.
    ref = schema_columns(a.schema)
    columns = {t["table"]: ref.get(key, set()) | declared[t["table"]] for key, t in contract.items()}
    failed = checked = 0
    for path in sorted(glob.glob(os.path.join(a.dashboards, "*.json"))):
        dash = json.load(open(path, encoding="utf-8"))
        uid = dash.get("uid", os.path.basename(path))
        for p in panels(dash):
            for t in p.get("targets") or []:
                if "rawSql" not in t:
                    continue
                checked += 1
                ids = identifiers(t["rawSql"])
                bad = sorted("%s.%s" % (tbl, c) for tbl in columns if tbl in ids
                             for c in (columns[tbl] - declared[tbl]) & ids)
                label = "%s / %s (%s)" % (uid, p.get("title"), t.get("refId"))
                if bad:
                    failed += 1
                    print("not ok - %s reads %s, which the contract does not declare" % (label, ", ".join(bad)))
                else:
                    print("ok - %s reads only declared columns" % label)
    if checked == 0:
        print("not ok - no SQL target found in %s" % a.dashboards)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
