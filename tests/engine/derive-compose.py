#!/usr/bin/python3
"""Derive the engine test's compose file from compose.yaml.

    derive-compose.py derive COMPOSE_YAML PORT_BASE TEST_DIR > test-compose.yml
    derive-compose.py compare BASE_CONFIG DERIVED_CONFIG
    docker-compose config | derive-compose.py v2json

derive: compose.yaml with ONLY these changes (docker-compose 1.29 cannot
reset a list from an override file: `ports` would be appended, so the test
file is derived, not layered):
  - image: the Debian stand-in of every upstream image (tests/engine/images);
    the project's own images (queue-exporter, daily-report) stay as they are,
    built from their Dockerfiles;
  - ports: host ports moved into PORT_BASE+800.. (bind address unchanged);
  - services with no stand-in (Grafana, Thanos, cAdvisor) left out by name,
    and depends_on entries naming them dropped;
  - two services added that stand in for what lies outside Server F:
    smtp-sink (Mailgun) and supabase-db (Supabase's PostgreSQL).
v2json: `docker-compose config` (1.29's YAML) as `docker compose config
--format json` prints it (Compose v2): volumes in the long syntax. Used by
the test harness's docker compose adapter only.
compare: reads `docker-compose config` of both (as JSON, via PyYAML) and
fails, naming the difference, when anything else differs.
"""
import json
import sys

import yaml

STANDIN = {
    "alpine:3.20.3": "engine-standin/config-init",
    "prom/prometheus:v2.55.1": "engine-standin/prometheus",
    "prom/alertmanager:v0.27.0": "engine-standin/alertmanager",
    "prom/node-exporter:v1.8.2": "engine-standin/node-exporter",
    "caddy:2.8.4-alpine": "engine-standin/caddy",
}
OWN_IMAGE_PREFIX = "ecotrans-monitoring/"
# Container port -> offset from PORT_BASE for the published host port.
PORT_OFFSET = {9090: 800, 9093: 801, 80: 802, 443: 803}
ADDED = ("smtp-sink", "supabase-db")


def absent_services(services):
    """Services whose image has no stand-in here, by name."""
    return sorted(n for n, s in services.items()
                  if s.get("image") not in STANDIN
                  and not str(s.get("image", "")).startswith(OWN_IMAGE_PREFIX))


def move_port(spec, base):
    """'127.0.0.1:9090:9090' -> '127.0.0.1:<base+800>:9090' (address kept)."""
    proto = ""
    if "/" in spec:
        spec, proto = spec.split("/", 1)
        proto = "/" + proto
    parts = spec.split(":")
    container = int(parts[-1])
    if container not in PORT_OFFSET:
        sys.exit("derive-compose: no test port for container port %d (%s)" % (container, spec))
    parts[-2] = str(base + PORT_OFFSET[container])
    return ":".join(parts) + proto


def derive(path, base, test_dir):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)  # resolves anchors and << merge keys
    services = doc["services"]
    absent = absent_services(services)
    for name in absent:
        del services[name]
    for name, svc in services.items():
        img = svc.get("image")
        if img in STANDIN:
            svc["image"] = STANDIN[img]
        if "ports" in svc:
            svc["ports"] = [move_port(p, base) for p in svc["ports"]]
        deps = svc.get("depends_on")
        if isinstance(deps, dict):
            for d in [d for d in deps if d in absent]:
                del deps[d]
            if not deps:
                del svc["depends_on"]
    services["smtp-sink"] = {
        "image": "engine-standin/smtp-sink",
        "networks": ["monitoring"],
        "command": ["--auth-user", "${SMTP_USER}",
                    "--auth-password-file", "/run/sink/smtp_password"],
        "volumes": [test_dir + "/sink/smtp_password:/run/sink/smtp_password:ro",
                    "smtp-sink-mail:/var/mail/sink"],
    }
    services["supabase-db"] = {
        "image": "engine-standin/postgres",
        "networks": ["monitoring"],
        "environment": {"POSTGRES_PASSWORD_FILE": "/run/pg/postgres_password"},
        "volumes": [test_dir + "/pg/secrets:/run/pg:ro",
                    test_dir + "/pg/init:/docker-entrypoint-initdb.d:ro",
                    test_dir + "/pg/sql:/sql:ro",
                    "supabase-db-data:/var/lib/postgresql/data"],
    }
    for name in ("smtp-sink-mail", "supabase-db-data"):
        doc.setdefault("volumes", {})[name] = None
    for key in [k for k in doc if k.startswith("x-")]:
        del doc[key]
    print("# Derived by tests/engine/derive-compose.py from %s: do not edit." % path)
    print("# Left out (no stand-in image here): %s" % " ".join(absent))
    yaml.safe_dump(doc, sys.stdout, sort_keys=False, width=1000)
    print("left out (no stand-in image here): %s" % " ".join(absent), file=sys.stderr)


def strip(svc):
    s = dict(svc)
    s.pop("image", None)
    s.pop("ports", None)
    s.pop("depends_on", None)
    return s


def port_key(p):
    """A published port without its host port: (bind address, container port, protocol)."""
    if isinstance(p, dict):
        return (p.get("host_ip", ""), int(p["target"]), p.get("protocol", "tcp"))
    spec, _, proto = str(p).partition("/")
    parts = spec.split(":")
    return (parts[0] if len(parts) == 3 else "", int(parts[-1]), proto or "tcp")


def compare(base_path, derived_path):
    with open(base_path, encoding="utf-8") as f:
        base = yaml.safe_load(f)
    with open(derived_path, encoding="utf-8") as f:
        derived = yaml.safe_load(f)
    problems = []
    bs, ds = base["services"], derived["services"]
    absent = absent_services(bs)
    added = sorted(set(ds) - set(bs))
    if added != sorted(ADDED):
        problems.append("added services %s, expected exactly %s" % (added, sorted(ADDED)))
    for name, svc in bs.items():
        if name in absent:
            if name in ds:
                problems.append("%s has no stand-in yet is in the test file" % name)
            continue
        if name not in ds:
            problems.append("%s is missing from the test file" % name)
            continue
        d = ds[name]
        if strip(svc) != strip(d):
            for k in sorted(set(strip(svc)) | set(strip(d))):
                if svc.get(k) != d.get(k):
                    problems.append("%s.%s differs: %s -> %s" % (name, k, json.dumps(svc.get(k)), json.dumps(d.get(k))))
        bdeps = {k: v for k, v in (svc.get("depends_on") or {}).items() if k not in absent}
        if bdeps != (d.get("depends_on") or {}):
            problems.append("%s.depends_on differs beyond the left-out services" % name)
        bports = [port_key(p) for p in svc.get("ports") or []]
        dports = [port_key(p) for p in d.get("ports") or []]
        if bports != dports:
            problems.append("%s.ports differ in more than the host port: %s -> %s" % (name, bports, dports))
        if svc.get("image") != d.get("image") and not str(svc.get("image")) in STANDIN:
            problems.append("%s.image changed though it is the project's own" % name)
    for key in sorted(set(base) | set(derived)):
        if key in ("services", "volumes"):
            continue
        if base.get(key) != derived.get(key):
            problems.append("top-level %s differs" % key)
    bvol = base.get("volumes") or {}
    dvol = {k: v for k, v in (derived.get("volumes") or {}).items()
            if k not in ("smtp-sink-mail", "supabase-db-data")}
    if bvol != dvol:
        problems.append("top-level volumes differ")
    for p in problems:
        print(p)
    print("left out: %s; added: %s" % (" ".join(absent), " ".join(added)))
    return 1 if problems else 0


def v2json():
    doc = yaml.safe_load(sys.stdin)
    for svc in (doc.get("services") or {}).values():
        vols = []
        for v in svc.get("volumes") or []:
            if isinstance(v, str):
                parts = v.split(":")
                long = {"source": parts[0], "target": parts[1],
                        "type": "bind" if parts[0].startswith("/") else "volume"}
                if len(parts) > 2 and "ro" in parts[2].split(","):
                    long["read_only"] = True
                v = long
            vols.append(v)
        if vols:
            svc["volumes"] = vols
    json.dump(doc, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "derive":
        derive(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 2 and sys.argv[1] == "v2json":
        v2json()
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
