"""The RFC 7208 SPF test suite (openspf.org, as shipped in Debian's
python3-spf) against `sims spf --batch`.

Every scenario's zone data is served by its own dnslib DNS server on a
loopback port, with the semantics of pyspf's test driver (testspf.py):
SPF-type records are also served as TXT unless the name has TXT records of
its own, a TIMEOUT entry means the server does not answer, names not in the
zone are NXDOMAIN and names in it without the asked type are NODATA, and a
CNAME is answered with its target's records, as a recursive server would.
Each scenario's tests run in one `sims spf --batch` process against its
server; every result (and explanation, where the suite gives one) must match.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from simslib import SIMS_BINARY, DNSZoneServer, Peer, require_peer_module

SUITE = Path("/usr/share/doc/python3-spf/rfc7208-tests.yml.gz")

# Cases the implementation does not claim, each with the reason. Empty: all pass.
KNOWN_FAILURES: dict[str, str] = {}

# Short, because the suite's TIMEOUT answers are never sent: each one costs a
# full timeout before the evaluator reports temperror.
DNS_TIMEOUT_SECONDS = 0.4

# Runs under Debian's python3 (dnslib, yaml). argv: SUITE OUTPUT_JSON.
# Serves every scenario on its own port (UDP, and TCP for truncated answers)
# and writes the scenarios with their ports and tests to OUTPUT_JSON.
_SPF_DNS_CODE = r'''
import gzip, json, os, sys, time
import yaml
from dnslib import RR, QTYPE, RCODE, A, AAAA, MX, PTR, CNAME, TXT, DNSLabel
from dnslib.dns import DNSError
from dnslib.server import DNSServer, DNSHandler, DNSLogger

class Timeout(Exception):
    pass

def zone_entries(records):
    """pyspf testspf.getrdata: SPF doubles as TXT unless the name has TXT."""
    out, generated, gen = [], [], True
    for item in records:
        if item == "TIMEOUT":
            out.append("TIMEOUT")
            continue
        for rtype, value in item.items():
            if rtype in ("TXT", "SPF") and isinstance(value, str):
                value = [value]
            if rtype == "TXT":
                gen = False
            elif rtype == "SPF" and gen:
                generated.append(("TXT", value))
            if value != ["NONE"]:
                out.append((rtype, value))
    if gen:
        out.extend(generated)
    return out

def txt(value):
    chunks = []
    for text in value:
        data = text.encode("utf-8")
        chunks.extend([data[i:i + 255] for i in range(0, len(data), 255)] or [b""])
    return TXT(chunks)

RDATA = {"A": A, "AAAA": AAAA, "PTR": PTR, "CNAME": CNAME, "TXT": txt,
         "MX": lambda v: MX(v[1], v[0])}

class Resolver:
    def __init__(self, zone):
        self.zone = zone

    def answers(self, name, qname, qtype, level=0):
        entries = self.zone.get(name)
        if entries is None:
            if name.startswith("error."):
                raise Timeout()
            return None
        timed_out, out = True, []
        for entry in entries:
            if entry == "TIMEOUT":
                if timed_out:
                    raise Timeout()
                break
            rtype, value = entry
            if rtype == qtype:
                timed_out = False
                out.append(RR(qname, getattr(QTYPE, rtype), rdata=RDATA[rtype](value), ttl=60))
            elif rtype == "CNAME" and level == 0:
                out.append(RR(qname, QTYPE.CNAME, rdata=CNAME(value), ttl=60))
                target = value.rstrip(".")
                out.extend(self.answers(target.lower(), DNSLabel(target), qtype, 1) or [])
        return out

    def resolve(self, request, handler):
        reply = request.reply()
        name = b".".join(request.q.qname.label).decode("latin-1").lower()
        qtype = QTYPE.get(request.q.qtype)
        try:
            records = self.answers(name, request.q.qname, qtype)
        except Timeout:
            raise DNSError("TIMEOUT: no answer")
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
        for rr in records or []:
            reply.add_answer(rr)
        return reply

class Handler(DNSHandler):
    udplen = 512  # truncate like a real server, so long answers go over TCP

suite_path, output = sys.argv[1], sys.argv[2]
with gzip.open(suite_path, "rt", encoding="utf-8") as f:
    documents = [d for d in yaml.safe_load_all(f) if d]
logger = DNSLogger("error", False)
scenarios = []
for document in documents:
    zone = {name.lower().rstrip("."): zone_entries(records) for name, records in document.get("zonedata", {}).items()}
    resolver = Resolver(zone)
    for attempt in range(5):
        udp = DNSServer(resolver, address="127.0.0.1", port=0, handler=Handler, logger=logger)
        port = udp.server.server_address[1]
        try:
            tcp = DNSServer(resolver, address="127.0.0.1", port=port, tcp=True, handler=Handler, logger=logger)
            break
        except OSError:
            udp.server.server_close()
    udp.start_thread()
    tcp.start_thread()
    scenarios.append({"description": document["description"], "port": port, "tests": document["tests"]})
with open(output + ".tmp", "w") as f:
    json.dump(scenarios, f, default=str)
os.rename(output + ".tmp", output)
while True:
    time.sleep(1)
'''


class SPFSuiteDNS(Peer):
    """All scenarios' DNS servers in one process; `scenarios` lists them with ports and tests."""

    def __init__(self, workdir: Path):
        super().__init__("spf suite dns", workdir / "spf-dns.log")
        python = require_peer_module("dnslib.server", "python3-dnslib")
        require_peer_module("yaml", "python3-yaml")
        output = workdir / "scenarios.json"
        self.spawn([python, "-c", _SPF_DNS_CODE, str(SUITE), str(output)])
        if not self.await_ready(output.exists, timeout=30):
            raise AssertionError(f"SPF suite DNS servers did not start:\n{self.output()}")
        self.scenarios = json.loads(output.read_text())


def expected_results(case: dict) -> list[str]:
    result = case["result"]
    return result if isinstance(result, list) else [result]


def run_batch(port: int, tests: dict) -> dict[str, dict]:
    lines = "".join(json.dumps({"id": name, "ip": case["host"], "mailfrom": case["mailfrom"], "helo": case["helo"]}) + "\n"
                    for name, case in tests.items())
    proc = subprocess.run(
        [SIMS_BINARY, "spf", "--batch", "--receiver", "receiver.test", "--dns", f"127.0.0.1:{port}",
         "--dns-timeout", str(DNS_TIMEOUT_SECONDS), "--dns-attempts", "1"],
        input=lines, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return {reply["id"]: reply for reply in map(json.loads, proc.stdout.splitlines())}


def test_rfc7208_suite(tmp_path, sims_binary):
    assert SUITE.exists(), f"{SUITE} is missing: install python3-spf"
    dns = SPFSuiteDNS(tmp_path)
    try:
        started = time.monotonic()
        failures, passing_known, passed, total = [], [], 0, 0
        for scenario in dns.scenarios:
            replies = run_batch(scenario["port"], scenario["tests"])
            for name, case in scenario["tests"].items():
                total += 1
                reply = replies.get(name)
                assert reply is not None, f"no answer for {name}"
                ok = reply["result"] in expected_results(case)
                if ok and "explanation" in case:
                    # The suite's DEFAULT is "no explanation from the domain".
                    ok = (reply["explanation"] or "DEFAULT") == case["explanation"]
                if ok:
                    passed += 1
                    if name in KNOWN_FAILURES:
                        passing_known.append(name)
                elif name not in KNOWN_FAILURES:
                    failures.append(
                        f"{scenario['description']} / {name} (spec {case.get('spec')}): expected {case['result']}"
                        + (f" with explanation {case['explanation']!r}" if "explanation" in case else "")
                        + f", got {reply['result']} mechanism={reply.get('mechanism')!r} problem={reply.get('problem')!r}"
                        + f" explanation={reply.get('explanation')!r}")
        elapsed = time.monotonic() - started
        print(f"RFC 7208 test suite: {passed}/{total} cases pass in {elapsed:.1f}s "
              f"({len(KNOWN_FAILURES)} known failures listed)")
        assert total >= 190, f"only {total} cases found in {SUITE}"
        assert not failures, f"{len(failures)} of {total} SPF cases failed:\n" + "\n".join(failures)
        assert not passing_known, f"listed as known failures but passing, remove them: {passing_known}"
    finally:
        dns.stop()


def test_spf_command_explains_one_check(tmp_path, sims_binary):
    """The operator's view: result, deciding mechanism, explanation and the header SIMS would add."""
    zone = (
        'example.test. 60 IN TXT "v=spf1 ip4:127.0.0.2 -all exp=why.example.test"\n'
        'why.example.test. 60 IN TXT "%{i} is not one of the mail servers of %{d}"\n'
    )
    dns = DNSZoneServer(zone, tmp_path)
    try:
        def spf(ip: str) -> str:
            proc = subprocess.run(
                [sims_binary, "spf", ip, "alice@example.test", "--helo", "client.test", "--dns", dns.address,
                 "--receiver", "mx.example.test"], capture_output=True, text=True, timeout=30)
            assert proc.returncode == 0, proc.stderr
            return proc.stdout

        refused = spf("127.0.0.9")
        assert "result: fail\n" in refused
        assert "mechanism: -all\n" in refused
        assert "explanation: 127.0.0.9 is not one of the mail servers of example.test\n" in refused
        assert ("Received-SPF: fail (mx.example.test: domain of alice@example.test does not designate 127.0.0.9 "
                "as permitted sender)") in refused
        assert "Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=alice@example.test" in refused

        allowed = spf("127.0.0.2")
        assert "result: pass\n" in allowed
        assert "mechanism: ip4:127.0.0.2\n" in allowed
        assert "explanation:" not in allowed
    finally:
        dns.stop()


def test_a_client_that_is_not_an_ip_address_is_a_usage_error():
    result = subprocess.run([SIMS_BINARY, "spf", "notanip", "bob@example.test", "--dns", "127.0.0.1:1"],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode != 0 and '"notanip" is not an IP address' in result.stderr, result
