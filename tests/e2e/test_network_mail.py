"""Mail between SIMS and the rest of the internet, on the test internet
(netlab.py): SIMS as mx.sims.test behind a NAT router's port forward,
Debian's Postfix as mx.peer.test, BIND answering MX/A/AAAA/PTR/TXT. Every
hop goes by MX lookup to port 25 with STARTTLS, as between real servers; the
messages are compared byte for byte in the receiving Maildir."""

from __future__ import annotations

import email
import email.utils
import json
import os
import re

import pytest

from netlab import PASSWORD, PUBLIC_SIMS_IPV4, TestInternet
from simslib import QUEUE_DEADLINE, compose, require_tool, wait_dsn, wait_until

ALICE = "alice@sims.test"
# SIMS's Received header: "from HELO ([IP])", or "from HELO (NAME [IP])" when
# the HELO name was verified in DNS.
SIMS_RECEIVED = re.compile(
    rb"^Received: from (?P<helo>\S+) \((?:\S+ )?\[(?:IPv6:)?(?P<ip>[0-9a-f.:]+)\]\)\r\n"
    rb"\tby mx\.sims\.test \(SIMS\) with (?P<proto>\S+) id S\.[0-9A-Z]+"
    rb"(?:\r\n\t\(using (?P<tls>[^)]+)\))?", re.M)


@pytest.fixture(scope="module")
def internet(lab: TestInternet) -> TestInternet:
    lab.sims.add_account(ALICE, PASSWORD)
    return lab


def message_from(subject: str, body: bytes | str, sender: str, to: str) -> bytes:
    """A message as a mail client writes it (with Date, which Postfix would add)."""
    return compose(subject, body, sender=sender, to=to, extra=f"Date: {email.utils.formatdate()}\r\n")


def unique(label: str) -> str:
    return f"{label}-{os.urandom(6).hex()}"


def tricky_body(tag: str) -> bytes:
    """A body that shows damage: a leading dot (dot-stuffing), trailing
    spaces, a tab, an empty line, UTF-8 in 8 bits and a long line."""
    return (f"Hello from {tag}.\r\n"
            ".a line that starts with a dot\r\n"
            "..two dots\r\n"
            "trailing spaces   \r\n"
            "\ttab first\r\n"
            "\r\n"
            + "x" * 900 + "\r\n"
            "end\r\n").encode()


def submit_from(internet: TestInternet, host: str, to: str, subject: str, body: bytes | None = None,
                sender: str = ALICE) -> bytes:
    """`sender` submits a message on port 587 (STARTTLS, AUTH) from `host`; returns it."""
    message = message_from(subject, body if body is not None else tricky_body(subject), sender, to)
    dialogue = internet.send_mail(host, "mx.sims.test", sender, [to], message, port=587, auth=(sender, PASSWORD),
                                  family=4)
    assert dialogue.delivered, dialogue
    # The certificate was verified against the lab CA for mx.sims.test.
    assert dialogue.tls and dialogue.tls[0].startswith("TLSv1."), dialogue
    return message


def test_sims_to_postfix_by_mx_with_starttls_arrives_byte_exact(internet):
    subject = unique("to-postfix")
    message = submit_from(internet, "lan", "bob@peer.test", subject)
    stored = internet.peer.wait_mail("bob@peer.test", subject.encode(), timeout=QUEUE_DEADLINE)

    # Postfix's Maildir has LF line ends; the message itself is untouched.
    original = message.replace(b"\r\n", b"\n")
    assert stored.endswith(original), stored
    trace = stored[:-len(original)].decode()
    # What Postfix added: the envelope sender, the recipient, and its Received
    # header naming SIMS's public address (NAT) or its IPv6 address, and TLS.
    assert trace.startswith(f"Return-Path: <{ALICE}>\nX-Original-To: bob@peer.test\nDelivered-To: bob@peer.test\n"), \
        trace
    postfix_received = re.search(
        r"^Received: from mx\.sims\.test \(mx\.sims\.test \[(?:IPv6:)?(?P<ip>[0-9a-f.:]+)\]\)\n"
        r"(?P<tls>(?:\t.*\n)*?)\tby mx\.peer\.test \(Postfix\) with (?P<proto>\S+) id", trace, re.M)
    assert postfix_received, trace
    assert postfix_received["ip"] in (PUBLIC_SIMS_IPV4, internet.address("sims", 6)), trace
    assert postfix_received["proto"] == "ESMTPS", trace
    assert "(using TLSv1." in postfix_received["tls"], trace
    # SIMS's own Received header (the submission) is below Postfix's.
    assert re.search(r"^Received: from .*\n(\t.*\n)*\tby mx\.sims\.test \(SIMS\) with ESMTPSA id S\.", trace, re.M), trace

    # SIMS's log: relayed for alice, sent to mx.peer.test.
    sims = internet.sims
    [qid] = sims.wait_for_log(r"\[(S\.[0-9A-Z]+)\] \S+ <bob@peer\.test> relayed: authenticated as alice@sims\.test")
    sims.wait_for_log(rf"QUEUE \[{qid}\] <bob@peer\.test> sent: mx\.peer\.test", timeout=QUEUE_DEADLINE)


def test_postfix_to_sims_by_mx_with_starttls_arrives_byte_exact(internet):
    subject = unique("from-postfix")
    message = message_from(subject, tricky_body(subject), "bob@peer.test", ALICE)
    # bob hands it to his own server (mynetworks), which looks up sims.test's MX.
    dialogue = internet.send_mail("peer", "127.0.0.1", "bob@peer.test", [ALICE], message, starttls=False,
                                  helo="localhost")
    assert dialogue.delivered, dialogue

    sims = internet.sims

    def stored():
        for path in sims.mail_files(ALICE):
            data = path.read_bytes()
            if subject.encode() in data:
                return data
        return None
    data = wait_until(stored, QUEUE_DEADLINE, what=f"{subject} in alice's Maildir\n{internet.peer.log()[-2000:]}")
    assert data.endswith(message), data
    trace = data[:-len(message)]
    # Postfix's Received header (from the local client) arrived as sent ...
    assert re.search(rb"Received: from localhost \(localhost \[127\.0\.0\.1\]\)\r\n\tby mx\.peer\.test \(Postfix\) "
                     rb"with ESMTP id \w+\r\n\tfor <alice@sims\.test>; ", trace), trace
    # ... and SIMS's says TLS, and the real client address: an honest port
    # forward does not hide Postfix's address.
    sims_received = SIMS_RECEIVED.search(trace)
    assert sims_received, trace
    assert sims_received["helo"] == b"mx.peer.test"
    assert sims_received["proto"] == b"ESMTPS", trace
    assert sims_received["ip"].decode() == internet.address("peer"), trace
    assert sims_received["tls"] and sims_received["tls"].startswith(b"TLSv1."), trace
    # Postfix verified SIMS's certificate against the lab CA.
    assert re.search(r"Trusted TLS connection established to mx\.sims\.test\[203\.0\.113\.10\]:25",
                     internet.peer.log()), internet.peer.log()[-2000:]


def test_unknown_user_at_postfix_bounces_to_the_sims_sender(internet):
    subject = unique("bounce-out")
    sender = "dave@sims.test"  # a mailbox of its own: the DSN is all it will hold
    internet.sims.add_account(sender, PASSWORD)
    submit_from(internet, "lan", "nobody@peer.test", subject, body=b"short\r\n", sender=sender)
    [dsn] = wait_dsn(internet.sims, sender, timeout=QUEUE_DEADLINE)
    group = dsn.recipient("nobody@peer.test")
    assert group["Action"] == "failed"
    assert group["Status"] == "5.1.1"
    assert group["Remote-MTA"] == "dns; mx.peer.test"
    assert "User unknown in virtual mailbox table" in group["Diagnostic-Code"], group["Diagnostic-Code"]
    assert f"Subject: {subject}" in dsn.original_headers


def test_unknown_user_at_sims_bounces_to_the_postfix_sender(internet):
    subject = unique("bounce-in")
    message = message_from(subject, "short\r\n", "carol@peer.test", "nobody@sims.test")
    dialogue = internet.send_mail("peer", "127.0.0.1", "carol@peer.test", ["nobody@sims.test"], message,
                                  starttls=False, helo="localhost")
    assert dialogue.delivered, dialogue
    # Postfix's own DSN, in carol's Maildir.
    raw = internet.peer.wait_mail("carol@peer.test", b"nobody@sims.test", timeout=QUEUE_DEADLINE)
    report = email.message_from_bytes(raw)
    assert report.get_content_type() == "multipart/report", raw[:1000]
    assert email.utils.parseaddr(report["From"])[1] == "MAILER-DAEMON@peer.test", report["From"]
    status = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    groups = status.get_payload()
    recipient = groups[1]
    assert recipient["Final-Recipient"] == "rfc822; nobody@sims.test"
    assert recipient["Action"] == "failed"
    assert recipient["Status"] == "5.1.1"
    assert recipient["Remote-MTA"] == "dns; mx.sims.test"
    assert recipient["Diagnostic-Code"].startswith("smtp; 550 5.1.1"), recipient["Diagnostic-Code"]
    assert subject.encode() in raw  # the original headers come back
    internet.sims.wait_for_log(r"<nobody@sims\.test>.*(unknown|no such)", timeout=5)


def test_roaming_user_submits_with_swaks_from_the_internet(internet):
    swaks = require_tool("swaks", ["/usr/bin/swaks"])
    subject = unique("roaming")
    result = internet.run("outside", [
        swaks, "-4", "--server", "mx.sims.test", "--port", "587", "--tls", "--tls-verify",
        "--tls-ca-path", str(internet.ca.certificate), "--auth", "PLAIN", "--auth-user", ALICE,
        "--auth-password", PASSWORD, "--from", ALICE, "--to", "carol@peer.test", "--helo", "client.outside.test",
        "--header", f"Subject: {subject}", "--body", f"sent from a hotel, {subject}"], timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = internet.peer.wait_mail("carol@peer.test", subject.encode(), timeout=QUEUE_DEADLINE)
    assert f"sent from a hotel, {subject}".encode() in stored
    # SIMS saw the roaming user's real address through the honest port forward.
    internet.sims.wait_for_log(r"192\.0\.2\.66 <carol@peer\.test> relayed: authenticated as alice@sims\.test")


def test_ipv6_client_reaches_the_wildcard_ipv6_listener(internet):
    """No NAT for IPv6: the client connects to mx.sims.test's AAAA address
    and SIMS's [::]:25 listener takes it, with the client's own address."""
    subject = unique("over-ipv6")
    message = message_from(subject, "via IPv6\r\n", "someone@outside.test", ALICE)
    dialogue = internet.send_mail("outside", "mx.sims.test", "someone@outside.test", [ALICE], message, family=6)
    assert dialogue.delivered, dialogue
    assert dialogue.peer == internet.address("sims", 6)
    path = wait_until(lambda: next((p for p in internet.sims.mail_files(ALICE) if subject.encode() in p.read_bytes()),
                                   None), QUEUE_DEADLINE, what="the IPv6 message in alice's Maildir")
    data = path.read_bytes()
    assert data.endswith(message)
    received = SIMS_RECEIVED.search(data)
    assert received, data[:800]
    assert received["ip"].decode() == internet.address("outside", 6), data[:800]
    assert received["proto"] == b"ESMTPS", data[:800]


# POP3 with implicit TLS from inside a lab host to an address, verifying the
# certificate against the lab CA for a name; prints the messages as JSON.
_POP3S_CLIENT = r'''
import json, socket, ssl, sys
address, name, ca, user, password = sys.argv[1:6]
context = ssl.create_default_context(cafile=ca)
sock = context.wrap_socket(socket.create_connection((address, 995), timeout=20), server_hostname=name)
f = sock.makefile("rb")
def ok():
    line = f.readline()
    assert line.startswith(b"+OK"), line
    return line
def multiline():
    lines = []
    while (line := f.readline()) != b".\r\n":
        lines.append(line[1:] if line.startswith(b"..") else line)
    return b"".join(lines)
def command(text):
    sock.sendall(text.encode() + b"\r\n")
    return ok()
ok()
command("USER " + user)
command("PASS " + password)
count = int(command("STAT").split()[1])
texts = []
for i in range(count):
    command("RETR %d" % (i + 1))
    texts.append(multiline().decode("utf-8", "replace"))
command("QUIT")
print(json.dumps(texts))
'''


def test_roaming_user_reads_mail_with_pop3s_through_the_port_forward(internet):
    account = "frank@sims.test"
    internet.sims.add_account(account, PASSWORD)
    subject = unique("pop3s")
    message = message_from(subject, "read me on the road\r\n", "bob@peer.test", account)
    dialogue = internet.send_mail("peer", "127.0.0.1", "bob@peer.test", [account], message, starttls=False,
                                  helo="localhost")
    assert dialogue.delivered, dialogue
    wait_until(lambda: internet.sims.mail_files(account), QUEUE_DEADLINE, what="the message in frank's Maildir")
    # To mx.sims.test's IPv4 address: through the router's port forward.
    result = internet.run("outside", ["/usr/bin/python3", "-c", _POP3S_CLIENT, PUBLIC_SIMS_IPV4, "mx.sims.test",
                                      str(internet.ca.certificate), account, PASSWORD])
    assert result.returncode == 0, result.stderr
    [text] = json.loads(result.stdout)
    assert text.endswith("read me on the road\r\n"), text[-200:]
    assert f"Subject: {subject}" in text
    internet.sims.wait_for_log(r"POP3-\d+ 192\.0\.2\.66 ")


def test_lab_dns_takes_records_added_at_run_time(internet):
    """Later tests publish DKIM keys and DMARC policies: lab.dns.add_record()
    and reload() make them visible to every host, removal too."""
    dns = internet.dns
    dns.add_record("_dmarc.sims.test", "TXT", '"v=DMARC1; p=reject"')
    dns.add_record("lab._domainkey.sims.test", "TXT", '"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="')
    dns.reload(check=("_dmarc.sims.test", "TXT"))
    assert dns.query("_dmarc.sims.test", "TXT", host="sims") == ['"v=DMARC1; p=reject"']
    assert dns.query("lab._domainkey.sims.test", "TXT", host="peer")[0].startswith('"v=DKIM1; k=ed25519;')
    # The zone's other records are still there.
    assert dns.query("sims.test", "MX", host="lan") == ["10 mx.sims.test."]
    dns.remove_records("_dmarc.sims.test", "TXT")
    dns.reload()
    assert dns.query("_dmarc.sims.test", "TXT", host="sims") == []
