#!/usr/bin/env python3
"""Compares relaydoc's provider catalogue with offline snapshots of its machine-readable sources.

Usage:
  relaydoc providers --json > providers.json
  scripts/check-catalogue.py --ispdb DIR [--resolved FILE] [providers.json | -]

--ispdb DIR     a local copy of Thunderbird's ISPDB (the ispdb/ folder of
                https://github.com/thunderbird/autoconfig, e.g. from `git clone`).
--resolved FILE optional: the host names that resolved when the snapshot was taken, one per
                line (for example the names for which `dig +short NAME` answered); every
                server name in the catalogue must be among them.

For every entry that cites an ISPDB file (a source ending in /ispdb/NAME.xml), each of the
entry's servers that the file also lists must have a port and security the file lists for that
server; servers the file does not list, and address domains it does not list, are reported as
notes (the entry may draw on other sources too). Nothing is looked up on the network.
Exit status: 0 when everything agrees, 1 on any mismatch, 2 on bad input.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

SECURITY = {"SSL": "tls", "STARTTLS": "starttls", "plain": "none"}
MARKER = "/ispdb/"


def ispdb_servers(path):
    """(domains, {(type, host): {(port, security)}}) from one ISPDB XML file."""
    root = ET.parse(path).getroot()
    domains, servers = set(), {}
    for provider in root.findall("emailProvider"):
        domains.update(d.text.strip().lower() for d in provider.findall("domain") if d.text)
        for tag in ("incomingServer", "outgoingServer"):
            for server in provider.findall(tag):
                host = (server.findtext("hostname") or "").strip().lower()
                port = (server.findtext("port") or "").strip()
                socket = (server.findtext("socketType") or "").strip()
                if not host or not port.isdigit():
                    continue
                key = (server.get("type"), host)
                servers.setdefault(key, set()).add((int(port), SECURITY.get(socket, socket)))
    return domains, servers


def ispdb_file(source):
    if MARKER not in source:
        return None
    name = source.rsplit(MARKER, 1)[1]
    return name if name.endswith(".xml") else name + ".xml"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ispdb", required=True, help="folder with the ISPDB's *.xml files")
    parser.add_argument("--resolved", help="file of host names that resolved, one per line")
    parser.add_argument("catalogue", nargs="?", default="-", help="`relaydoc providers --json` output")
    args = parser.parse_args()

    try:
        text = sys.stdin.read() if args.catalogue == "-" else open(args.catalogue, encoding="utf-8").read()
        rows = json.loads(text)
    except (OSError, ValueError) as error:
        print(f"check-catalogue: cannot read the catalogue: {error}", file=sys.stderr)
        return 2
    if not os.path.isdir(args.ispdb):
        print(f"check-catalogue: {args.ispdb} is not a folder", file=sys.stderr)
        return 2
    resolved = None
    if args.resolved:
        with open(args.resolved, encoding="utf-8") as lines:
            resolved = {l.strip().lower().rstrip(".") for l in lines if l.strip() and not l.startswith("#")}

    mismatches = notes = compared = 0
    for row in rows:
        entry = row.get("provider")
        origin = row.get("origin") or {}
        endpoints = [("smtp", e) for e in row.get("outgoing", [])] + [
            (e.get("protocol"), e) for e in row.get("incoming", [])
        ]
        if resolved is not None:
            for _, endpoint in endpoints:
                if endpoint["host"].lower() not in resolved:
                    print(f"MISMATCH {entry}: {endpoint['host']} did not resolve in the snapshot")
                    mismatches += 1
        for source in origin.get("sources", []):
            name = ispdb_file(source)
            if name is None:
                continue
            path = os.path.join(args.ispdb, name)
            if not os.path.isfile(path):
                print(f"note     {entry}: the snapshot has no {name}")
                notes += 1
                continue
            compared += 1
            domains, servers = ispdb_servers(path)
            for kind, endpoint in endpoints:
                key = (kind, endpoint["host"].lower())
                if key not in servers:
                    print(f"note     {entry}: {kind} {endpoint['host']} is not in {name}")
                    notes += 1
                elif (endpoint["port"], endpoint["security"]) not in servers[key]:
                    listed = ", ".join(f"{p}/{s}" for p, s in sorted(servers[key]))
                    print(
                        f"MISMATCH {entry}: {kind} {endpoint['host']} port {endpoint['port']} "
                        f"{endpoint['security']}; {name} lists {listed}"
                    )
                    mismatches += 1
            for domain in row.get("domains", []):
                if domain not in domains:
                    notes += 1
    print(f"{len(rows)} entries, {compared} compared with an ISPDB file: {mismatches} mismatches, {notes} notes")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
