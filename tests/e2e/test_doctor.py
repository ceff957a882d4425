"""`sims doctor` against a fresh data directory (the server is not started):
a dnslib zone answers for the hostname and a local domain, openssl makes the
certificates. Each case spoils one thing and checks the finding, its severity,
its fix, and the exit status (0 only without critical findings and warnings)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from simslib import SIMS_BINARY, SimsServer, peers, require_tool, set_config, zone

assert peers  # the fixture, imported for pytest

HOST = "mx.doctor-e2e.net"
DOMAIN = "doctor-e2e.net"
ADDRESS = "192.0.2.25"
PTR_NAME = "25.2.0.192.in-addr.arpa."


def healthy_records(ptr: str = HOST, spf: bool = True) -> list[str]:
    records = [
        f"{HOST}. A {ADDRESS}",
        f"{PTR_NAME} PTR {ptr}.",
        f"{DOMAIN}. MX 10 {HOST}.",
        f'_dmarc.{DOMAIN}. TXT "v=DMARC1; p=none"',
    ]
    if spf:
        records.append(f'{DOMAIN}. TXT "v=spf1 mx -all"')
    else:
        records.append(f'{DOMAIN}. TXT "google-site-verification=e2e"')
    return records


def openssl() -> str:
    return require_tool("openssl", ["/usr/bin/openssl"])


def make_certificate(directory: Path, name: str = HOST, days: int = 365):
    """A self-signed certificate for `name`, valid from now for `days`."""
    subprocess.run(
        [openssl(), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(directory / "tls" / "key.pem"), "-out", str(directory / "tls" / "cert.pem"),
         "-days", str(days), "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True, timeout=30)


def make_expired_certificate(directory: Path, name: str = HOST):
    """A certificate valid only in January 2020: `openssl ca` takes explicit
    dates (OpenSSL 3.0's req/x509 cannot make one in the past)."""
    work = directory / "ca-work"
    work.mkdir()
    (work / "index.txt").write_text("")
    (work / "ca.cnf").write_text(
        "[ca]\ndefault_ca = doctor\n[doctor]\ndir = .\ndatabase = ./index.txt\nnew_certs_dir = .\n"
        "serial = ./serial\ndefault_md = sha256\npolicy = anything\ncopy_extensions = copy\nunique_subject = no\n"
        "[anything]\ncommonName = supplied\n")
    key = directory / "tls" / "key.pem"
    subprocess.run(
        [openssl(), "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", "req.csr", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True, timeout=30, cwd=work)
    subprocess.run(
        [openssl(), "ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", str(key), "-in", "req.csr",
         "-out", str(directory / "tls" / "cert.pem"), "-startdate", "20200101000000Z", "-enddate",
         "20200201000000Z", "-rand_serial", "-notext"],
        check=True, capture_output=True, timeout=30, cwd=work)
    shutil.rmtree(work)


@pytest.fixture
def data(sims_server):
    """A fresh data directory (not started) whose hostname and second domain
    are names the test zone answers for, with a matching certificate."""
    server: SimsServer = sims_server(start=False)
    set_config(server, {"hostname": HOST})
    server.cli("domain", "add", DOMAIN, check=True)
    make_certificate(server.data)
    return server


def doctor(server: SimsServer, *args: str, dns=None, timeout: float = 60) -> subprocess.CompletedProcess:
    extra = ["--dns", dns.address] if dns is not None else []
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [SIMS_BINARY, "doctor", "--data", str(server.data), *extra, *args], capture_output=True, text=True,
        timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def findings(result: subprocess.CompletedProcess) -> dict[str, dict]:
    document = json.loads(result.stdout)
    return {f["id"]: f for f in document["findings"]}


def disk_is_fine(found: dict[str, dict]) -> bool:
    """The disk check reads the real file system; a nearly full test machine
    must not fail the other assertions about exit status."""
    return "disk.ok" in found


def test_healthy_setup_exits_zero(data, peers):
    dns = peers.dns(zone(*healthy_records()))
    result = doctor(data, "--format", "json", dns=dns)
    found = findings(result)
    assert found["hostname.fcrdns"]["severity"] == "ok", result.stdout
    assert found["domain.mx"]["severity"] == "ok"
    assert found["domain.spf"]["found"] == f'{DOMAIN} SPF: "v=spf1 mx -all".'
    assert found["domain.dmarc"]["severity"] == "ok"
    assert found["tls.self-signed"]["severity"] == "advice"
    assert found["listeners.loopback-only"]["severity"] == "advice"
    assert "not reachable from outside" in found["listeners.loopback-only"]["found"]
    # The demo domain from `sims init` is under .test: skipped, in one advice line.
    assert "example.test" in found["dns.reserved-names"]["found"]
    assert found["log.ok"]["severity"] == "ok" and found["queue.ok"]["severity"] == "ok"
    document = json.loads(result.stdout)
    assert sorted(document) == ["counts", "data_directory", "exit_status", "findings", "summary"]
    assert all(sorted(f) == ["check", "fix", "found", "id", "severity"] for f in document["findings"])
    if disk_is_fine(found):
        assert document["counts"]["critical"] == 0 and document["counts"]["warning"] == 0, result.stdout
        assert result.returncode == 0 and document["exit_status"] == 0, result.stdout
    else:
        assert result.returncode == 1


def test_missing_spf_and_ptr_mismatch(data, peers):
    dns = peers.dns(zone(*healthy_records(ptr="host-25.dyn.isp-e2e.net", spf=False)))
    result = doctor(data, dns=dns)
    assert result.returncode == 1, result.stdout
    text = result.stdout
    assert "\x1b[" not in text, "no colour with NO_COLOR and a pipe"
    assert all(len(line) <= 80 for line in text.splitlines()), text
    flat = " ".join(text.split())
    assert "has no SPF record: others cannot tell your mail from forgeries" in flat, text
    assert f'fix: Publish the TXT record {DOMAIN}. TXT "v=spf1 mx -all"' in flat, text
    assert "whose PTR record names host-25.dyn.isp-e2e.net, not" in flat, text
    lines = [line for line in text.splitlines() if line.startswith("warning")]
    assert any(" hostname " in line for line in lines) and any(" domain " in line for line in lines), text

    found = findings(doctor(data, "--format", "json", dns=dns))
    assert found["domain.spf-missing"]["severity"] == "warning"
    assert "v=spf1 mx -all" in found["domain.spf-missing"]["fix"]
    assert found["hostname.ptr-mismatch"]["severity"] == "warning"
    assert "hostname.fcrdns" not in found


def test_expired_certificate_is_critical(data):
    make_expired_certificate(data.data)
    result = doctor(data, "--offline", "--format", "json")
    found = findings(result)
    assert result.returncode == 1
    assert found["tls.expired"]["severity"] == "critical", result.stdout
    assert "expired on 2020-02-01" in found["tls.expired"]["found"]
    assert json.loads(result.stdout)["counts"]["critical"] >= 1


def test_certificate_expiring_soon_and_for_another_name(data):
    make_certificate(data.data, name="other.doctor-e2e.net", days=2)
    found = findings(doctor(data, "--offline", "--format", "json"))
    assert found["tls.expiring"]["severity"] == "warning", found
    assert found["tls.name-mismatch"]["severity"] == "warning"
    assert HOST in found["tls.name-mismatch"]["found"]


def test_nat_trap_pop_before_smtp_and_low_log_level(data):
    set_config(data, {
        "smtp.listen": ["0.0.0.0:2525"],
        "relay.client_networks": ["192.168.0.0/24"],
        "relay.pop_before_smtp": True,
        "log.level": 1,
    })
    result = doctor(data, "--offline", "--format", "json")
    assert result.returncode == 1
    found = findings(result)
    nat = found["config.client-networks-nat"]
    assert nat["severity"] == "warning" and "192.168.0.0/24" in nat["found"] and "0.0.0.0:2525" in nat["found"]
    assert nat["fix"].startswith("Trust only")
    assert found["config.pop-before-smtp"]["severity"] == "warning"
    assert "SMTP AUTH" in found["config.pop-before-smtp"]["fix"]
    log = found["log.level-too-low"]
    assert log["severity"] == "warning" and "sims audit" in log["found"] and "Problems" in log["found"]
    assert found["dns.skipped"]["severity"] == "advice"
    assert found["listeners.not-port-25"]["severity"] == "advice"
    assert not any(k.startswith(("hostname.", "domain.")) for k in found), "no DNS with --offline"


def test_unanswered_dns_is_could_not_check_and_quick(data):
    # A UDP socket that never answers: every lookup times out.
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [SIMS_BINARY, "doctor", "--data", str(data.data), "--dns", f"127.0.0.1:{port}", "--dns-timeout", "0.5",
             "--format", "json"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    found = findings(result)
    assert found["hostname.unchecked"]["severity"] == "advice", result.stdout
    assert found["hostname.unchecked"]["found"].startswith("Could not check")
    assert found["domain.unchecked"]["severity"] == "advice"
    # Two rounds (addresses, then PTRs; here only the first) of at most 2 x 0.5 s each, plus start-up.
    assert elapsed < 15, f"doctor took {elapsed:.1f}s with an unanswering DNS server"
    if disk_is_fine(found):
        assert result.returncode == 0, "a DNS timeout is not a problem of the setup"


def test_invalid_configuration_and_missing_directory(data, tmp_path):
    set_config(data, {"limits.bogus_key": 1})
    result = doctor(data, "--offline", "--format", "json")
    assert result.returncode == 1
    problems = [f for f in json.loads(result.stdout)["findings"] if f["id"] == "config.invalid"]
    assert problems and problems[0]["severity"] == "critical" and "bogus_key" in problems[0]["found"], result.stdout

    missing = subprocess.run(
        [SIMS_BINARY, "doctor", "--offline", "--data", str(tmp_path / "nowhere")], capture_output=True, text=True,
        timeout=30, stdin=subprocess.DEVNULL)
    assert missing.returncode == 1
    assert "not a SIMS data directory" in " ".join(missing.stdout.split())


def test_old_queued_message_is_a_growing_queue(data):
    """An envelope in the spool, as the server writes it, queued two days ago."""
    queue = data.data / "queue"
    for sub in ("messages", "envelopes", "tmp", "control"):
        (queue / sub).mkdir(parents=True, exist_ok=True)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 2 * 86400))
    envelope = {
        "id": "S.DOCTOR0000001", "reversePath": f"postmaster@{DOMAIN}", "created": created, "attempts": 7,
        "nextAttempt": created, "receivedFrom": "127.0.0.2", "delayWarningSent": True,
        "recipients": [{"address": "user@remote.test", "domain": "remote.test", "state": "pending",
                        "permission": "client network 127.0.0.2"}],
    }
    (queue / "messages" / "S.DOCTOR0000001").write_bytes(b"Subject: stuck\r\n\r\nhello\r\n")
    (queue / "envelopes" / "S.DOCTOR0000001.json").write_text(json.dumps(envelope))
    result = doctor(data, "--offline", "--format", "json")
    found = findings(result)
    assert found["queue.growing"]["severity"] == "warning", result.stdout
    assert "1 message queued, the oldest for 2 days" in found["queue.growing"]["found"]
    assert result.returncode == 1
