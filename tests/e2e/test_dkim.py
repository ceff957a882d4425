"""DKIM signing on the test internet (netlab.py): keys made with `sims dkim
generate`, records published as `sims dns-records` prints them, mail
submitted at mx.sims.test and received by Debian's Postfix at mx.peer.test,
then verified inside a lab host (so against the lab DNS) by two verifiers
nobody on this team wrote: dkimpy's dkimverify and OpenDKIM's
opendkim-testmsg, each signature (Ed25519 and RSA) on its own. Also: what
is not signed, and `sims doctor` before and after the record is published."""

from __future__ import annotations

import email.utils
import json
import os
import re
import signal

import pytest

from netlab import PASSWORD, TestInternet
from simslib import QUEUE_DEADLINE, SIMS_BINARY, compose, require_tool, wait_until

ALICE = "alice@sims.test"
SELECTOR = "e2e"
DOCTOR_DOMAIN = "dkim-e2e.net"  # not under a reserved TLD: doctor checks only such names
LAB_DNS = "192.0.2.53:53"


def zone_records(output: str) -> list[tuple[str, str, str]]:
    """(name, type, data) of each record line that `sims dns-records` or
    `sims dkim generate` printed (comment lines start with ';')."""
    records = []
    for line in output.splitlines():
        m = re.match(r"^(\S+)\. IN (\S+) (.+)$", line)
        if m:
            records.append((m[1], m[2], m[3]))
    return records


def publish_dkim(lab: TestInternet, domain: str) -> list[str]:
    """Publishes the DKIM records `sims dns-records DOMAIN` prints; returns their names."""
    result = lab.sims.cli("dns-records", domain, check=True)
    names = []
    for name, rtype, data in zone_records(result.stdout):
        if "._domainkey." in name:
            assert rtype == "TXT", result.stdout
            lab.dns.remove_records(name, "TXT")
            lab.dns.add_record(name, "TXT", data)
            names.append(name)
    assert names, result.stdout
    lab.dns.reload(check=(names[-1], "TXT"))
    return names


@pytest.fixture(scope="module")
def internet(lab: TestInternet) -> TestInternet:
    lab.sims.add_account(ALICE, PASSWORD)
    generated = lab.sims.cli("dkim", "generate", "sims.test", "--selector", SELECTOR, check=True)
    # Two keys, written 0600 in dkim/sims.test/ (0700), their records printed.
    for kind in ("ed25519", "rsa"):
        path = lab.sims.data / "dkim" / "sims.test" / f"{SELECTOR}-{kind}.{kind}.pem"
        assert path.is_file(), generated.stdout
        assert path.stat().st_mode & 0o777 == 0o600
    assert (lab.sims.data / "dkim" / "sims.test").stat().st_mode & 0o777 == 0o700
    printed = {name for name, _, _ in zone_records(generated.stdout)}
    assert printed == {f"{SELECTOR}-ed25519._domainkey.sims.test", f"{SELECTOR}-rsa._domainkey.sims.test"}, \
        generated.stdout
    listed = lab.sims.cli("dkim", "list", check=True).stdout
    assert f"sims.test  {SELECTOR}-ed25519  ed25519-sha256" in listed, listed
    assert f"sims.test  {SELECTOR}-rsa  rsa-sha256" in listed, listed
    publish_dkim(lab, "sims.test")
    lab.sims.restart()  # keys are read at startup
    lab.sims.wait_for_log(rf"DKIM keys for sims\.test: s={SELECTOR}-ed25519 ed25519-sha256, s={SELECTOR}-rsa rsa-sha256")
    return lab


def unique(label: str) -> str:
    return f"{label}-{os.urandom(6).hex()}"


def submit(internet: TestInternet, subject: str, from_header: str = ALICE, to: str = "bob@peer.test",
           filler: int = 0) -> bytes:
    body = (f"Hello from {subject}.\r\n"
            "trailing spaces   \r\n"
            "\ttab  and  spaces\r\n"
            ".leading dot\r\n"
            "\r\n" + "y" * 900 + "\r\n" + f"filler {'z' * 70}\r\n" * filler + "\r\n\r\n").encode()
    message = compose(subject, body, sender=from_header, to=to,
                      extra=f"Date: {email.utils.formatdate()}\r\nMIME-Version: 1.0\r\n")
    dialogue = internet.send_mail("outside", "mx.sims.test", ALICE, [to], message, port=587,
                                  auth=(ALICE, PASSWORD), family=4)
    assert dialogue.delivered, dialogue
    return message


def received_at_peer(internet: TestInternet, subject: str, address: str = "bob@peer.test") -> bytes:
    """The message as Postfix stored it, with CRLF line ends again (as a
    verifier at the receiving MTA sees it on the wire)."""
    stored = internet.peer.wait_mail(address, subject.encode(), timeout=QUEUE_DEADLINE)
    return stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def signatures(message: bytes) -> list[bytes]:
    """The DKIM-Signature fields, in order, each with its folded lines."""
    head = message.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    return re.findall(rb"^DKIM-Signature:.*\r\n(?:[ \t].*\r\n)*", head, re.M | re.I)


def without(message: bytes, field: bytes) -> bytes:
    assert field in message
    return message.replace(field, b"", 1)


def dkimverify(internet: TestInternet, message: bytes, index: int) -> str:
    tool = require_tool("dkimverify", ["/usr/bin/dkimverify"])
    result = internet.run("outside", [tool, "--index", str(index)], input=message, timeout=60)
    return (result.stdout + result.stderr).decode(errors="replace").strip()


def opendkim_verify(internet: TestInternet, message: bytes) -> tuple[int, str]:
    """opendkim-testmsg verifies the message on stdin (the first signature);
    silent with exit 0 on success. Its resolver reads the host's
    /etc/resolv.conf: in a lab host, the lab DNS."""
    tool = require_tool("opendkim-testmsg", ["/usr/sbin/opendkim-testmsg", "/usr/bin/opendkim-testmsg"])
    result = internet.run("outside", [tool], input=message, timeout=60)
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace").strip()


def test_submitted_mail_is_signed_with_both_keys_and_both_verifiers_say_pass(internet):
    subject = unique("dkim-signed")
    submit(internet, subject)
    message = received_at_peer(internet, subject)

    fields = signatures(message)
    assert len(fields) == 2, message[:3000]
    by_algorithm = {}
    for index, field in enumerate(fields):
        text = re.sub(rb"\s+", b" ", field).decode()
        algorithm = re.search(r"a=([a-z0-9-]+);", text)[1]
        by_algorithm[algorithm] = (index, field)
        assert " c=relaxed/relaxed;" in text and " d=sims.test;" in text, text
        assert f" s={SELECTOR}-{algorithm.split('-')[0]};" in text, text
        # From is oversigned: listed once more than the message has it.
        h = re.search(r"h=([^;]+);", text)[1].replace(" ", "").split(":")
        assert h.count("from") == 2 and "subject" in h and "date" in h and "received" not in h, h
    assert set(by_algorithm) == {"ed25519-sha256", "rsa-sha256"}, fields
    # The signatures are SIMS's own, on top of its Received field.
    assert message.index(b"DKIM-Signature:") < message.index(b"by mx.sims.test (SIMS)")

    # dkimpy checks each signature in place.
    for algorithm, (index, _) in by_algorithm.items():
        verdict = dkimverify(internet, message, index)
        assert verdict == "signature ok", f"dkimverify {algorithm}: {verdict}\n{message[:3000]!r}"

    # OpenDKIM verifies the first signature it meets: give it each alone.
    # (Debian's OpenDKIM 2.11 verifies ed25519-sha256 too.)
    for algorithm, (index, field) in by_algorithm.items():
        other = fields[1 - index]
        code, output = opendkim_verify(internet, without(message, other))
        assert code == 0 and output == "", f"opendkim-testmsg {algorithm}: exit {code}: {output}"

    # A changed body fails both verifiers: they really checked.
    broken = message.replace(b"Hello from", b"Hello frOm", 1)
    assert dkimverify(internet, broken, 0) != "signature ok"
    code, _ = opendkim_verify(internet, without(broken, fields[1]))
    assert code != 0

    internet.sims.wait_for_log(
        rf"DKIM signed d=sims\.test s={SELECTOR}-ed25519,{SELECTOR}-rsa \(ed25519-sha256, rsa-sha256\)")


def test_a_large_message_is_signed_from_its_spill_file(internet):
    # 2.3 MB: past limits.message_memory (1 MiB), so the text was on disk
    # while it arrived and the body hash is computed from the spill file.
    subject = unique("dkim-large")
    submit(internet, subject, filler=30_000)
    message = received_at_peer(internet, subject)
    assert len(message) > 2_000_000
    assert len(signatures(message)) == 2
    for index in (0, 1):
        verdict = dkimverify(internet, message, index)
        assert verdict == "signature ok", f"dkimverify signature {index}: {verdict}"


def queue_id(internet: TestInternet, message: bytes) -> str:
    """The queue id SIMS gave `message`, found by its Message-ID in the log."""
    message_id = re.search(rb"^Message-ID: <([^>]+)>", message, re.M | re.I)[1].decode()
    [qid] = internet.sims.wait_for_log(rf"\[(S\.[0-9A-Z]+)\][^\n]* message-id <{re.escape(message_id)}>")
    return qid


def not_signed_in_log(internet: TestInternet, message: bytes):
    qid = queue_id(internet, message)
    lines = [line for line in internet.sims.log_since_start().splitlines() if f"[{qid}]" in line]
    assert lines and not any("DKIM signed" in line for line in lines), lines


def test_mail_from_another_domain_or_from_outside_is_not_signed(internet):
    # alice relays, but the From: is not a local domain: no signature.
    subject = unique("dkim-foreign-from")
    sent = submit(internet, subject, from_header="someone@peer.test")
    assert signatures(received_at_peer(internet, subject)) == []
    not_signed_in_log(internet, sent)

    # Two addresses in From: (strictly parsed): not signed either.
    subject = unique("dkim-two-from")
    submit(internet, subject, from_header=f"{ALICE}>, <carol@peer.test")
    assert signatures(received_at_peer(internet, subject)) == []

    # Inbound, unauthenticated, claiming to be from sims.test: stored unsigned.
    subject = unique("dkim-inbound")
    message = compose(subject, "forged\r\n", sender="boss@sims.test", to=ALICE,
                      extra=f"Date: {email.utils.formatdate()}\r\n")
    dialogue = internet.send_mail("outside", "mx.sims.test", "someone@outside.test", [ALICE], message, family=4)
    assert dialogue.delivered, dialogue

    def stored():
        for path in internet.sims.mail_files(ALICE):
            data = path.read_bytes()
            if subject.encode() in data:
                return data
        return None
    data = wait_until(stored, QUEUE_DEADLINE, what=f"{subject} in alice's Maildir")
    assert b"DKIM-Signature:" not in data, data[:2000]
    not_signed_in_log(internet, message)


def hangup(internet: TestInternet, count: int) -> str:
    """SIGHUP to sims serve; the count-th reload summary line since the start."""
    internet.sims.proc.send_signal(signal.SIGHUP)
    return internet.sims.wait_for_log(r"SYSTEM SIGHUP: log file reopened; ([^\n]*)", count=count)[count - 1]


def test_a_key_rotated_in_and_out_on_sighup(internet):
    # A new key under a new selector signs beside the old ones from the
    # next SIGHUP on, without a restart ...
    internet.sims.cli("dkim", "generate", "sims.test", "--selector", "rot", "--algorithm", "ed25519", check=True)
    publish_dkim(internet, "sims.test")
    assert "DKIM keys reloaded (3)" in hangup(internet, 1)
    subject = unique("dkim-rotation")
    submit(internet, subject)
    message = received_at_peer(internet, subject)
    assert len(signatures(message)) == 3
    for index in range(3):
        assert dkimverify(internet, message, index) == "signature ok", index
    internet.sims.wait_for_log(
        rf"DKIM signed d=sims\.test s={SELECTOR}-ed25519,rot,{SELECTOR}-rsa \(ed25519-sha256, ed25519-sha256, rsa-sha256\)")

    # ... and once its file is gone, it signs no more.
    (internet.sims.data / "dkim" / "sims.test" / "rot.ed25519.pem").unlink()
    assert "DKIM keys reloaded (2)" in hangup(internet, 2)
    subject = unique("dkim-rotated-out")
    submit(internet, subject)
    assert b" s=rot;" not in received_at_peer(internet, subject)


def doctor(internet: TestInternet) -> dict:
    result = internet.run("sims", [SIMS_BINARY, "doctor", "--format", "json", "--dns", LAB_DNS,
                                   "--data", str(internet.sims.data)], timeout=60)
    report = json.loads(result.stdout)
    return {f["id"]: f for f in report["findings"] if f["check"] == "dkim"}


def test_doctor_reports_the_dkim_record_missing_then_published(internet):
    sims = internet.sims
    internet.dns.add_zone(DOCTOR_DOMAIN)
    internet.dns.add_record(DOCTOR_DOMAIN, "MX", "10 mx.sims.test.")
    internet.dns.reload(check=(DOCTOR_DOMAIN, "MX"))
    sims.cli("domain", "add", DOCTOR_DOMAIN, check=True)

    # A domain without keys: doctor advises making some.
    found = doctor(internet)
    assert found["dkim.no-key"]["severity"] == "advice", found
    assert DOCTOR_DOMAIN in found["dkim.no-key"]["found"]

    # Keys only for local domains.
    refused = sims.cli("dkim", "generate", "peer.test")
    assert refused.returncode != 0 and "not a local domain" in refused.stderr, refused
    assert not (sims.data / "dkim" / "peer.test").exists()

    sims.cli("dkim", "generate", DOCTOR_DOMAIN, "--selector", "doc", "--algorithm", "rsa", check=True)
    # A selector is one DNS name: taken, whatever the key type.
    again = sims.cli("dkim", "generate", DOCTOR_DOMAIN, "--selector", "doc", "--algorithm", "ed25519")
    assert again.returncode != 0 and "already has a key with the selector doc" in again.stderr, again
    assert not (sims.data / "dkim" / DOCTOR_DOMAIN / "doc.ed25519.pem").exists()
    found = doctor(internet)
    missing = found["dkim.missing"]
    assert missing["severity"] == "warning", missing
    assert f"doc._domainkey.{DOCTOR_DOMAIN}" in missing["found"], missing
    assert missing["fix"].startswith(f"Publish doc._domainkey.{DOCTOR_DOMAIN}. IN TXT \"v=DKIM1; k=rsa; p="), missing
    assert "dkim.published" not in found

    # A record with another key: "different".
    internet.dns.add_record(f"doc._domainkey.{DOCTOR_DOMAIN}", "TXT", '"v=DKIM1; k=rsa; p=AAAA"')
    internet.dns.reload(check=(f"doc._domainkey.{DOCTOR_DOMAIN}", "TXT"))
    assert "dkim.different" in doctor(internet)

    # As `sims dns-records` prints it: published, fine. The long RSA record
    # is split in strings of at most 255 bytes.
    printed = sims.cli("dns-records", DOCTOR_DOMAIN, "--address", "203.0.113.10", check=True).stdout
    records = zone_records(printed)
    assert ("mx.sims.test", "A", "203.0.113.10") in records, printed
    assert (DOCTOR_DOMAIN, "MX", "10 mx.sims.test.") in records, printed
    assert (DOCTOR_DOMAIN, "TXT", '"v=spf1 mx -all"') in records, printed
    assert (f"_dmarc.{DOCTOR_DOMAIN}", "TXT",
            f'"v=DMARC1; p=quarantine; rua=mailto:postmaster@{DOCTOR_DOMAIN}"') in records, printed
    assert "; 10.113.0.203.in-addr.arpa. IN PTR mx.sims.test." in printed, printed
    # The lab's listeners are wildcards: without --address, a comment asks for the public address.
    wildcard = sims.cli("dns-records", DOCTOR_DOMAIN, check=True).stdout
    assert not any(r[1] == "A" for r in zone_records(wildcard)) and "the SMTP listeners are wildcards" in wildcard
    [(name, _, data)] = [r for r in records if "._domainkey." in r[0]]
    assert all(len(s) <= 255 for s in re.findall(r'"([^"]*)"', data)) and data.count('"') == 4, data
    publish_dkim(internet, DOCTOR_DOMAIN)
    found = doctor(internet)
    assert found["dkim.published"]["severity"] == "ok", found
    assert "dkim.missing" not in found and "dkim.different" not in found, found
