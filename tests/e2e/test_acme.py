"""Certificates by ACME (RFC 8555) on the test internet (netlab.py): Debian's
pebble, a real ACME server, runs in the `outside` host as the certificate
authority (its HTTPS certificate from the lab CA, names resolved through the
lab DNS). SIMS orders a certificate for mx.sims.test, answers pebble's
HTTP-01 check on port 80 through the router's port forward, and serves the
issued chain on 25, 465, 587 and 995 without a restart, which `openssl
s_client` in `outside` verifies against pebble's root."""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest

from netlab import HOSTS, PUBLIC_SIMS_IPV4, PYTHON, TestInternet
from simslib import require_tool, wait_until

PEBBLE_NAME = "client.outside.test"  # the `outside` host, where pebble runs
ISSUE_DEADLINE = 90.0
ISSUED = re.compile(r"ACME certificate issued for mx\.sims\.test, valid until (\S+), renews at (\S+)")


@pytest.fixture(scope="module")
def pebble(lab: TestInternet) -> dict:
    """pebble in `outside`: directory https://client.outside.test:14000/dir,
    HTTP-01 checks on port 80, the lab DNS as its resolver. Port 80 of the
    router's public address is forwarded to SIMS, as on a production router."""
    binary = require_tool("pebble", ["/usr/bin/pebble"])
    require_tool("openssl", ["/usr/bin/openssl"])
    directory = lab.root / "pebble"
    directory.mkdir()
    certificate, key = lab.ca.issue(PEBBLE_NAME)
    config = directory / "pebble-config.json"
    config.write_text(json.dumps({"pebble": {
        "listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
        "certificate": str(certificate), "privateKey": str(key),
        "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": False}}))
    lab.run("router", ["nft", "add", "rule", "ip", "nat", "prerouting", "iifname", "wan", "ip", "daddr",
                       PUBLIC_SIMS_IPV4, "tcp", "dport", "80", "dnat", "to", HOSTS["sims"].ipv4], check=True)
    log = directory / "pebble.log"
    lab.popen("outside", [binary, "-config", str(config), "-dnsserver", f"{HOSTS['dns'].ipv4}:53"], log=log,
              env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"})
    wait_until(lambda: lab.port_open("sims", HOSTS["outside"].ipv4, 14000) and
               lab.port_open("outside", HOSTS["outside"].ipv4, 15000), 30, interval=0.2,
               what=f"pebble to listen (log: {log})")
    # pebble makes a new root for every run; the management interface hands it out.
    root = directory / "pebble-root.pem"
    fetch = (f"import ssl, urllib.request\n"
             f"context = ssl.create_default_context(cafile={str(lab.ca.certificate)!r})\n"
             f"print(urllib.request.urlopen('https://{PEBBLE_NAME}:15000/roots/0', context=context).read().decode())")
    result = lab.run("outside", [PYTHON, "-c", fetch], check=True)
    root.write_text(result.stdout)
    assert "BEGIN CERTIFICATE" in result.stdout
    return {"directory": f"https://{PEBBLE_NAME}:14000/dir", "root": root, "log": log}


def acme_overrides(lab: TestInternet, pebble: dict) -> dict:
    """[tls.acme] against pebble. tls.certificate/key back at the `sims init`
    defaults, so the served files are the ACME ones (acme/cert.pem, acme/key.pem)."""
    return {
        "tls.certificate": "tls/cert.pem",
        "tls.key": "tls/key.pem",
        "tls.acme.directory": pebble["directory"],
        "tls.acme.contact": ["mailto:postmaster@sims.test"],
        # Dual-stack: pebble may check over IPv6 (mx.sims.test has an AAAA record) or IPv4.
        "tls.acme.http_listen": "[::]:80",
        "tls.acme.ca_certificate": str(lab.ca.certificate),
    }


@pytest.fixture(scope="module")
def issued(lab: TestInternet, pebble: dict) -> dict:
    """SIMS restarted with ACME on; waits for the issued line."""
    began = time.monotonic()
    lab.sims.restart(**acme_overrides(lab, pebble))
    match = wait_until(lambda: ISSUED.search(lab.sims.log_since_start()) or failure(lab), ISSUE_DEADLINE,
                       interval=0.2, what="SIMS to log 'ACME certificate issued'")
    elapsed = time.monotonic() - began
    print(f"\nACME issuance by pebble: {elapsed:.1f}s from the restart; {match.group(0)}")
    return {"seconds": elapsed, "line": match.group(0)}


def failure(lab: TestInternet):
    """Fails at once, with SIMS's words, when an attempt failed."""
    log = lab.sims.log_since_start()
    if "not issued:" in log:
        raise AssertionError("ACME failed:\n" + "\n".join(l for l in log.splitlines() if "ACME" in l))
    return None


def s_client(lab: TestInternet, root, port: int, starttls: bool) -> str:
    argv = ["openssl", "s_client", "-connect", f"mx.sims.test:{port}", "-servername", "mx.sims.test",
            "-verify_hostname", "mx.sims.test", "-CAfile", str(root), "-showcerts"]
    if starttls:
        argv += ["-starttls", "smtp"]
    result = lab.run("outside", argv, input="", timeout=30)
    return result.stdout + result.stderr


@pytest.mark.parametrize("port,starttls", [(25, True), (465, False), (587, True), (995, False)])
def test_every_tls_port_presents_the_issued_chain(lab, pebble, issued, port, starttls):
    output = s_client(lab, pebble["root"], port, starttls)
    assert "Verify return code: 0 (ok)" in output, output[-3000:]
    # The leaf is mx.sims.test's, from pebble's intermediate (the chain is leaf, intermediate).
    assert re.search(r"0 s:\s*CN\s*=\s*mx\.sims\.test", output), output[-3000:]
    assert re.search(r"0 s:.*\n\s+i:\s*CN\s*=\s*Pebble Intermediate CA", output), output[-3000:]
    assert re.search(r"1 s:\s*CN\s*=\s*Pebble Intermediate CA", output), output[-3000:]


def test_files_are_in_the_data_directory_with_private_keys_private(lab, issued):
    acme = lab.sims.data / "acme"
    for name, mode in (("account.key", 0o600), ("key.pem", 0o600)):
        assert (acme / name).stat().st_mode & 0o777 == mode, name
    assert (acme / "cert.pem").read_text().count("BEGIN CERTIFICATE") >= 2
    # The self-signed pair of `sims init` is left as it was.
    assert "BEGIN CERTIFICATE" in (lab.sims.data / "tls" / "cert.pem").read_text()


HTTP_PROBE = r'''
import json, socket, sys
out = []
for target in json.loads(sys.argv[1]):
    s = socket.create_connection(("mx.sims.test", 80), timeout=10)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: mx.sims.test\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    out.append(data.decode(errors="replace"))
print(json.dumps(out))
'''


def test_port_80_serves_nothing_but_challenges(lab, issued):
    targets = ["/", "/index.html", "/.well-known/acme-challenge/", "/.well-known/acme-challenge/../../sims.toml",
               "/.well-known/acme-challenge/%2e%2e/%2e%2e/sims.toml", "/.well-known/acme-challenge/..%2f..%2fsims.toml",
               "/../../etc/passwd", "/.well-known/acme-challenge/unknown-token"]
    result = lab.run("outside", [PYTHON, "-c", HTTP_PROBE, json.dumps(targets)], timeout=60)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    for target, answer in zip(targets, answers):
        assert answer.startswith("HTTP/1.1 404"), (target, answer)
        assert "hostname" not in answer and "root:" not in answer, (target, answer)


PORT_80_ABUSE = r'''
import json, socket, time
out = {}
# Silent: closed by the responder after its idle timeout (10 s).
s = socket.create_connection(("mx.sims.test", 80), timeout=30)
began = time.monotonic()
out["idle_reply"] = s.recv(4096).decode(errors="replace")
out["idle_seconds"] = time.monotonic() - began
s.close()
# A request head far beyond the parser's limit: refused, never answered 200.
s = socket.create_connection(("mx.sims.test", 80), timeout=30)
try:
    s.sendall(b"GET /.well-known/acme-challenge/x HTTP/1.1\r\nHost: mx.sims.test\r\nX-Pad: " + b"a" * 200_000 + b"\r\n\r\n")
except OSError as error:
    out["oversize_send_error"] = str(error)
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as error:
    out["oversize_recv_error"] = str(error)
out["oversize_reply"] = data.decode(errors="replace")
print(json.dumps(out))
'''


def test_port_80_closes_idle_and_oversized_requests(lab, issued):
    result = lab.run("outside", [PYTHON, "-c", PORT_80_ABUSE], timeout=90)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["idle_reply"] == "" and 8 <= out["idle_seconds"] <= 20, out
    assert not out["oversize_reply"].startswith("HTTP/1.1 200"), out
    assert out["oversize_reply"] == "" or out["oversize_reply"].startswith("HTTP/1.1 4"), out


def test_a_second_start_with_a_valid_certificate_does_not_order(lab, pebble, issued):
    before = (lab.sims.data / "acme" / "cert.pem").read_text()
    lab.sims.restart(**acme_overrides(lab, pebble))
    line = wait_until(lambda: re.search(r"ACME certificate for mx\.sims\.test is valid until \S+, renews at \S+; "
                                        r"no order needed", lab.sims.log_since_start()), 15, interval=0.1,
                      what="SIMS to find its certificate valid")
    assert line
    assert "ACME ordering" not in lab.sims.log_since_start()
    assert (lab.sims.data / "acme" / "cert.pem").read_text() == before
    output = s_client(lab, pebble["root"], 465, False)
    assert "Verify return code: 0 (ok)" in output, output[-3000:]


def test_doctor_reports_the_acme_certificate(lab, issued):
    """`sims doctor` looks at the served file, acme/cert.pem: valid, not self-signed."""
    from simslib import SIMS_BINARY
    result = lab.run("sims", [SIMS_BINARY, "doctor", "--data", str(lab.sims.data), "--offline", "--format", "json"],
                     timeout=60)
    found = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
    assert found["tls.valid"]["severity"] == "ok", result.stdout
    assert "acme/cert.pem" in found["tls.valid"]["found"]
    assert "tls.self-signed" not in found
    assert "tls.name-mismatch" not in found


def served_serial(lab: TestInternet, root, port: int = 465) -> str:
    """The serial number of the leaf SIMS presents, verified against `root`."""
    argv = ["sh", "-c", f"openssl s_client -connect mx.sims.test:{port} -servername mx.sims.test -CAfile {root} "
                        "-verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial"]
    result = lab.run("outside", argv, timeout=30)
    assert result.stdout.startswith("serial="), result.stdout + result.stderr
    return result.stdout.strip()


def test_sighup_orders_again_for_a_removed_certificate_and_serves_it_without_a_restart(lab, pebble, issued):
    """The operator's way to force a new certificate: remove acme/cert.pem and
    send SIGHUP. The running server orders one and serves it to new connections."""
    lab.sims.restart(**acme_overrides(lab, pebble))
    wait_until(lambda: "no order needed" in lab.sims.log_since_start(), 15, interval=0.1, what="the start")
    before = served_serial(lab, pebble["root"])
    pid = lab.sims.proc.pid
    (lab.sims.data / "acme" / "cert.pem").unlink()
    lab.sims.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: len(ISSUED.findall(lab.sims.log_since_start())) == 1 or failure(lab), ISSUE_DEADLINE,
               interval=0.2, what="a new certificate after SIGHUP")
    assert "ACME ordering a certificate for mx.sims.test from " in lab.sims.log_since_start()
    assert "no certificate yet" in lab.sims.log_since_start()
    after = served_serial(lab, pebble["root"])
    assert after != before
    assert lab.sims.proc.pid == pid and lab.sims.proc.poll() is None  # no restart


def test_a_name_added_to_domains_is_ordered_at_once_and_served(lab, pebble, issued):
    """mail.loop6.test (an AAAA record for SIMS's own IPv6 address) joins
    mx.sims.test: the certificate no longer covers `domains`, so SIMS orders
    one for both names at start; pebble validates each on port 80."""
    lab.sims.restart(**acme_overrides(lab, pebble), **{"tls.acme.domains": ["mx.sims.test", "mail.loop6.test"]})
    log = wait_until(lambda: re.search(r"ACME certificate issued for mx\.sims\.test, mail\.loop6\.test, .*",
                                       lab.sims.log_since_start()) and lab.sims.log_since_start() or failure(lab),
                     ISSUE_DEADLINE, interval=0.2, what="the certificate for both names")
    assert "the certificate names mx.sims.test, not mx.sims.test, mail.loop6.test" in log
    argv = ["openssl", "s_client", "-connect", "mx.sims.test:465", "-servername", "mail.loop6.test",
            "-verify_hostname", "mail.loop6.test", "-CAfile", str(pebble["root"])]
    output = lab.run("outside", argv, input="", timeout=30)
    assert "Verify return code: 0 (ok)" in output.stdout, output.stdout[-3000:] + output.stderr


def test_a_failed_order_is_logged_with_the_cas_words_and_the_old_certificate_stays(lab, pebble, issued):
    """A name without an address: pebble's validation fails; SIMS logs the
    problem, backs off, and keeps serving the certificate it has."""
    lab.sims.restart(**acme_overrides(lab, pebble), **{"tls.acme.domains": ["mx.sims.test", "nowhere.sims.test"]})
    line = wait_until(lambda: re.search(r".*ACME certificate for mx\.sims\.test, nowhere\.sims\.test not issued: .*",
                                        lab.sims.log_since_start()), ISSUE_DEADLINE, interval=0.2,
                      what="SIMS to log the failed order")
    text = line.group(0)
    print("\n" + text)
    assert "validation of nowhere.sims.test failed: " in text, text
    assert re.search(r"attempt 1, next in 1m(\d+s)?$", text), text  # one minute, up to 10 % jitter
    assert " 1 SYSTEM " in text, text  # level 1: a failure
    output = s_client(lab, pebble["root"], 465, False)
    assert "Verify return code: 0 (ok)" in output, output[-3000:]


def test_a_stop_during_an_order_is_clean(lab, pebble, issued):
    """SIGTERM while the CA does not answer (an address where nothing
    listens): the order is abandoned quietly and SIMS exits 0."""
    overrides = {**acme_overrides(lab, pebble), "tls.acme.directory": "https://192.0.2.99:14000/dir"}
    (lab.sims.data / "acme" / "cert.pem").unlink()
    lab.sims.restart(**overrides)
    wait_until(lambda: "ACME ordering a certificate" in lab.sims.log_since_start(), 15, interval=0.1,
               what="the order to start")
    # The order is under way now: its first request waits 30 s for a connection.
    assert lab.sims.stop() == 0
    log = lab.sims.log_since_start()
    assert "not issued" not in log, log
    assert "SIMS stopped" in log
    assert "Fatal error" not in lab.sims.stderr_path.read_text(errors="replace")
