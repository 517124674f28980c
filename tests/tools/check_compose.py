#!/usr/bin/python3
"""Asserts the deployment rules of compose.yaml that no schema expresses.

Prints one TAP-style line per rule (tests/run.sh counts them):
  - only Caddy publishes ports to the outside (80/443); others bind 127.0.0.1
  - every image is pinned to an explicit version (no latest, no bare name)
  - every secret is required with ${VAR:?message}: no default, no silent empty
  - Thanos store gateway and exactly one compactor (--wait) are present
  - Prometheus has the block-duration, retention and lifecycle flags
  - long-running services have a restart policy, a memory limit, and the
    limits fit the 12 GB server with headroom
  - every ${VAR} compose reads is documented in .env.example
"""
import os
import re
import sys

import yaml

SECRETS = {"GRAFANA_ADMIN_PASSWORD", "SMTP_PASSWORD", "SMTP_USER", "WASABI_ACCESS_KEY",
           "WASABI_SECRET_KEY", "SUPABASE_GRAFANA_PASSWORD", "QUEUE_EXPORTER_DSN"}
# Optional by design: the supabase scrape job stays off while it is empty.
OPTIONAL_SECRETS = {"SUPABASE_SERVICE_KEY"}
SERVER_MEMORY = 12 * 1024**3
HEADROOM = 3 * 1024**3  # OS, Docker, page cache for the TSDB

failed = 0


def result(ok, desc, detail=""):
    global failed
    print(("ok - " if ok else "not ok - ") + desc)
    if not ok:
        failed = 1
        for line in str(detail).splitlines()[:20]:
            print("    # " + line)


def mem_bytes(v):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgG])?[bB]?", str(v))
    mult = {"k": 1024, "m": 1024**2, "g": 1024**3}.get((m.group(2) or "").lower(), 1)
    return float(m.group(1)) * mult


def main(path, env_example):
    root = os.path.dirname(os.path.abspath(path))
    text = open(path).read()
    doc = yaml.safe_load(text)
    services = doc["services"]

    # Published ports.
    bad = []
    for name, svc in services.items():
        for p in svc.get("ports", []):
            p = str(p)
            if name == "caddy":
                if not re.fullmatch(r"(80|443):(80|443)(/(tcp|udp))?", p):
                    bad.append(f"caddy publishes {p} (only 80 and 443 expected)")
            elif not p.startswith("127.0.0.1:"):
                bad.append(f"{name} publishes {p} beyond 127.0.0.1")
        if svc.get("network_mode") == "host" and name != "node-exporter":
            bad.append(f"{name} uses the host network")
    caddy_ports = {str(p) for p in services.get("caddy", {}).get("ports", [])}
    result(not bad and {"80:80", "443:443"} <= caddy_ports,
           "only Caddy publishes ports to the outside (80, 443); the rest bind 127.0.0.1", "\n".join(bad))
    ne = services.get("node-exporter", {})
    listen = [a for a in ne.get("command", []) if a.startswith("--web.listen-address=")]
    result(listen == ["--web.listen-address=172.31.240.1:9100"],
           "node-exporter (host network) listens only on the compose network's gateway", listen)

    # Pinned images.
    bad = []
    for name, svc in services.items():
        img = svc.get("image")
        if not img:
            bad.append(f"{name}: no image (build-only services must still be tagged)")
            continue
        tag = img.rsplit(":", 1)[1] if ":" in img.split("/")[-1] else ""
        if not tag or tag == "latest" or not re.search(r"\d", tag):
            bad.append(f"{name}: {img} is not pinned to a version")
    result(not bad, "every image is pinned to an explicit version", "\n".join(bad))
    cad = services.get("cadvisor", {}).get("image", "")
    result(cad.startswith("ghcr.io/google/cadvisor:"), "cAdvisor comes from ghcr.io/google/cadvisor", cad)

    # Secrets: every reference is ${VAR:?...}.
    bad = []
    for m in re.finditer(r"\$\{([A-Z0-9_]+)(:?[-?+])?([^}]*)\}", text):
        var, op = m.group(1), m.group(2) or ""
        if var in SECRETS and op != ":?":
            bad.append(f"${{{m.group(1)}{op}{m.group(3)}}}: a secret must be required with ${{{var}:?...}}")
        if var in OPTIONAL_SECRETS and not (op == ":-" and m.group(3) == ""):
            bad.append(f"{var} may only default to empty")
    result(not bad, "every secret is required (${VAR:?message}), none has a default", "\n".join(bad))
    result(not re.search(r"(?i)(password|secret|key)\s*[:=]\s*['\"]?[A-Za-z0-9/+]{12,}", text),
           "compose.yaml contains no literal secret")

    # Thanos.
    store = services.get("thanos-store", {})
    compacts = [n for n, s in services.items() if "compact" in (s.get("command") or [])]
    result(store.get("command", [None])[0] == "store", "a Thanos store gateway serves the archived blocks")
    result(len(compacts) == 1 and "--wait" in services[compacts[0]]["command"],
           "exactly one Thanos compactor, running with --wait", compacts)
    ret = [a for a in services.get("thanos-compact", {}).get("command", []) if a.startswith("--retention.resolution-")]
    result(len(ret) == 3, "the compactor sets raw, 5m and 1h retention", ret)
    query = services.get("thanos-query", {}).get("command", [])
    result({"--endpoint=thanos-sidecar:10901", "--endpoint=thanos-store:10901"} <= set(query)
           and not any(a.startswith("--store=") for a in query),
           "Thanos Query reaches sidecar and store with --endpoint", query)

    # Prometheus flags.
    pcmd = set(services.get("prometheus", {}).get("command", []))
    need = {"--storage.tsdb.retention.time=15d", "--storage.tsdb.min-block-duration=2h",
            "--storage.tsdb.max-block-duration=2h"}
    result(need <= pcmd, "Prometheus: 15d retention, 2h blocks (for the sidecar)", need - pcmd)

    # Restart, healthcheck, memory.
    bad, total = [], 0
    for name, svc in services.items():
        limit = svc.get("deploy", {}).get("resources", {}).get("limits", {}).get("memory")
        if not limit:
            bad.append(f"{name}: no memory limit")
        else:
            total += mem_bytes(limit)
        # One-shots: restart "no" (config-init, volume-init), and services under
        # a profile (run by hand: the doctor).
        if svc.get("restart") != "no" and not svc.get("profiles") and svc.get("restart") not in ("unless-stopped", "always"):
            bad.append(f"{name}: no restart policy")
    result(not bad, "every service has a memory limit and long-running ones a restart policy", "\n".join(bad))
    result(total + HEADROOM <= SERVER_MEMORY,
           f"memory limits sum to {total / 1024**3:.2f} GiB, leaving >= 3 GiB of the 12 GB server",
           f"sum {total / 1024**3:.2f} GiB")
    # Healthchecks: in compose, or (for images built here) in their Dockerfile.
    # node-exporter and cadvisor images carry no shell tool for a probe;
    # cAdvisor's image defines its own HEALTHCHECK.
    nohc = []
    for n, svc in services.items():
        if n in ("node-exporter", "cadvisor") or svc.get("restart") == "no" or "healthcheck" in svc or svc.get("profiles"):
            continue
        build = svc.get("build")
        dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
        if dockerfile and re.search(r"^HEALTHCHECK ", open(os.path.join(root, dockerfile)).read(), re.M):
            continue
        nohc.append(n)
    result(not nohc, "every long-running service has a healthcheck (compose or its Dockerfile)", nohc)
    for n, svc in services.items():
        build = svc.get("build")
        if isinstance(build, dict):
            df = open(os.path.join(root, build["dockerfile"])).read()
            froms = re.findall(r"^FROM\s+(\S+)", df, re.M)
            result(all(re.search(r":[^:]*\d", f) and not f.endswith(":latest") for f in froms),
                   f"{n}: its Dockerfile's base images are pinned", froms)
            result(re.search(r"^USER\s+(?!root|0\b)\S+", df, re.M) is not None,
                   f"{n}: its image runs as a non-root user")

    # .env.example documents every variable compose reads.
    documented = set(re.findall(r"^([A-Z0-9_]+)=", open(env_example).read(), re.M))
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    result(used <= documented, "every variable compose.yaml reads is in .env.example", used - documented)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    sys.exit(failed)
