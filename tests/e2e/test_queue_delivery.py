"""Relayed mail leaves through the outbound queue: real DNS (a dnslib zone
server) and real remote MX hosts (Postfix's smtp-sink, a scripted aiosmtpd
server). MX preference, implicit MX, null MX, NXDOMAIN, and retries."""

from __future__ import annotations

import re
import socket
import threading

import pytest

from simslib import (HOSTNAME, POSTMASTER, QUEUE_DEADLINE, TRUSTED_IP, compose, free_port, parse_received, peers,
                     queue_ids_listed, queue_list, queue_overrides, relay, spool_files, swaks, swaks_sent_data,
                     wait_dsn, zone)

assert peers  # the fixture, imported for pytest

MX_ZONE = ("remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")


def sent_line(qid: str, rcpt: str) -> str:
    return rf"QUEUE \[{re.escape(qid)}\] <{re.escape(rcpt)}> sent: "


def wait_sent(sims, qid: str, rcpt: str = "user@remote.test"):
    sims.wait_for_log(sent_line(qid, rcpt), timeout=QUEUE_DEADLINE)


def test_relay_through_dns_mx_reaches_smtp_sink_byte_exact(sims_server, peers, tmp_path):
    sink = peers.smtp_sink()
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port))
    # No trailing CRLF: swaks adds exactly one before the final dot.
    message = (b"From: Postmaster <postmaster@example.test>\r\n"
               b"To: <user@remote.test>\r\n"
               b"Subject: through the MX\r\n"
               b"Message-ID: <relay-1@example.test>\r\n"
               b"\r\n"
               b"first line\r\n"
               b".a line that starts with a dot\r\n"
               b"..two dots\r\n"
               b".\r\n"
               b"\ttab and trailing space \r\n"
               b"\r\n"
               b"last line")
    data_file = tmp_path / "msg.eml"
    data_file.write_bytes(message)
    result = swaks("--server", f"127.0.0.1:{sims.smtp_port}", "--local-interface", TRUSTED_IP,
                   "--helo", "trusted.client.test", "--from", POSTMASTER, "--to", "user@remote.test",
                   "--data", f"@{data_file}")
    transcript = result.stdout + result.stderr
    assert result.returncode == 0, transcript
    assert swaks_sent_data(transcript) == message + b"\r\n", "swaks did not send what the test composed"
    qid = re.search(r"<-  250 2\.0\.0 .*queue id (S\.[0-9A-Z]+)", transcript).group(1)

    wait_sent(sims, qid)
    received = sink.messages()
    assert len(received) == 1, received
    got = received[0]
    assert got.mail_from == POSTMASTER
    assert got.rcpt_tos == ["user@remote.test"]
    assert got.helo == HOSTNAME, "SIMS must greet the remote MX with its hostname"
    fields, rest = parse_received(got.content)
    assert rest == message + b"\r\n", "the remote MX must receive the message text unchanged"
    assert fields["id"] == qid
    assert fields["ip"] == TRUSTED_IP
    assert fields["helo"] == "trusted.client.test"
    assert fields["for"] == "user@remote.test"
    assert fields["by"] == HOSTNAME

    log = sims.log_since_start()
    relayed = re.search(rf"\[{qid}\] {TRUSTED_IP} <user@remote\.test> relayed: client network {TRUSTED_IP}, "
                        r"queued for remote\.test", log)
    sent = re.search(rf"QUEUE \[{qid}\] <user@remote\.test> sent: \S+ .*said 250 .*\(client network "
                     rf"{re.escape(TRUSTED_IP)}\)", log)
    assert relayed and sent, log
    assert relayed.start() < sent.start(), "the log must tell relayed before sent"
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue: all recipients done", timeout=QUEUE_DEADLINE)
    assert spool_files(sims) == []
    assert "deferred" not in log and "bounced" not in log
    assert sims.mail_files() == [], "no DSN for a successful delivery"


def test_eight_bit_message_for_two_domains_goes_to_each_mx_byte_exact(sims_server, peers):
    """One message, recipients in two domains: each domain's MX gets its own
    copy with only its recipients, octet for octet (8-bit text, long lines)."""
    port = free_port()
    first = peers.scripted_sink("127.0.0.1", port)
    second = peers.scripted_sink("127.0.0.4", port)
    dns = peers.dns(zone("remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1",
                         "other.test. MX 5 mx.other.test.", "mx.other.test. A 127.0.0.4"))
    sims = sims_server(queue_overrides(dns, port))
    body = ("Grüße aus Köln – ünïcödé\r\n.leading dot\r\n..\r\n" + "x" * 990 + "\r\n").encode() + b"\xff\xfe\r\n"
    message = compose("two domains", body, extra="Content-Type: text/plain; charset=utf-8\r\n"
                                                 "Content-Transfer-Encoding: 8bit\r\n")
    recipients = ["a@remote.test", "b@other.test", "c@REMOTE.test"]
    qid = relay(sims, recipients, message)
    for rcpt in ("a@remote.test", "b@other.test"):
        wait_sent(sims, qid, rcpt)
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)

    got1, got2 = first.messages(), second.messages()
    assert len(got1) == 1 and len(got2) == 1, (got1, got2)
    assert sorted(r.lower() for r in got1[0].rcpt_tos) == ["a@remote.test", "c@remote.test"]
    assert got2[0].rcpt_tos == ["b@other.test"]
    for got in (got1[0], got2[0]):
        assert got.mail_from == POSTMASTER
        fields, rest = parse_received(got.content)
        assert rest == message
        assert fields["id"] == qid
        assert fields["for"] is None, "several recipients: the Received header names none"
    assert spool_files(sims) == []


def test_mx_preference_falls_back_to_the_backup(sims_server, peers):
    """The preferred MX (127.0.0.3) does not listen: the backup gets the mail
    in the same attempt, nothing is deferred."""
    sink = peers.smtp_sink("127.0.0.1")
    dns = peers.dns(zone("remote.test. MX 10 mx1.remote.test.", "remote.test. MX 20 mx2.remote.test.",
                         "mx1.remote.test. A 127.0.0.3", "mx2.remote.test. A 127.0.0.1"))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1h"]))
    qid = relay(sims, ["user@remote.test"], compose("fallback"))
    wait_sent(sims, qid)
    got = sink.messages()
    assert len(got) == 1 and got[0].queue_id() == qid
    log = sims.log_since_start()
    tried = log.find(f"mx1.remote.test[127.0.0.3]:{sink.port}")
    assert tried != -1, f"the preferred MX was not tried first:\n{log}"
    assert tried < log.find(f"[{qid}] <user@remote.test> sent:")
    assert "deferred" not in log
    assert spool_files(sims) == []


def test_mx_preference_order_is_obeyed(sims_server, peers):
    """Both MX hosts listen; the zone lists the backup first. Every message
    must go to the lower preference value."""
    port = free_port()
    primary = peers.smtp_sink("127.0.0.4", port)
    backup = peers.smtp_sink("127.0.0.5", port)
    dns = peers.dns(zone("remote.test. MX 50 backup.remote.test.", "remote.test. MX 5 primary.remote.test.",
                         "backup.remote.test. A 127.0.0.5", "primary.remote.test. A 127.0.0.4"))
    sims = sims_server(queue_overrides(dns, port))
    ids = [relay(sims, ["user@remote.test"], compose(f"order {i}")) for i in range(6)]
    for qid in ids:
        wait_sent(sims, qid)
    assert sorted(m.queue_id() for m in primary.messages()) == sorted(ids)
    assert backup.files() == []


def test_implicit_mx_from_a_record(sims_server, peers):
    """No MX, only an A record: the domain itself is the MX (RFC 5321 § 5.1)."""
    sink = peers.smtp_sink("127.0.0.1")
    dns = peers.dns(zone("implicit.test. A 127.0.0.1", "implicit.test. TXT \"v=spf1 -all\""))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1h"]))
    qid = relay(sims, ["user@implicit.test"], compose("implicit", to="user@implicit.test"))
    wait_sent(sims, qid, "user@implicit.test")
    got = sink.messages()
    assert len(got) == 1 and got[0].rcpt_tos == ["user@implicit.test"] and got[0].queue_id() == qid
    assert sims.mail_files() == []


def assert_single_dsn(sims, rcpt: str, status: str, diagnostic: str, qid: str):
    [dsn] = wait_dsn(sims)
    group = dsn.recipient(rcpt)
    assert group["Action"] == "failed"
    assert group["Status"] == status
    assert re.search(diagnostic, group["Diagnostic-Code"]), group["Diagnostic-Code"]
    assert group["Diagnostic-Code"].startswith("smtp; ")
    assert len(dsn.recipients) == 1
    assert dsn.per_message["Reporting-MTA"] == f"dns; {HOSTNAME}"
    assert qid in dsn.original_headers
    assert dsn.raw.startswith(b"Return-Path: <>\r\n")
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    log = sims.log_since_start()
    assert re.search(rf"QUEUE \[{qid}\] <{re.escape(rcpt)}> bounced: ", log), log
    assert f"[{qid}] delivery status notification for 1 recipient(s) sent to <{POSTMASTER}>" in log
    assert "deferred" not in log, "a permanent DNS answer must fail at once, not be retried"
    return dsn


def test_null_mx_bounces_at_once_with_5_1_10(sims_server, peers):
    """RFC 7505: '0 .' means no mail; the A record must not be used instead."""
    sink = peers.smtp_sink("127.0.0.1")
    dns = peers.dns(zone("nullmx.test. MX 0 .", "nullmx.test. A 127.0.0.1"))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1s"]))
    qid = relay(sims, ["user@nullmx.test"], compose("null mx", to="user@nullmx.test"))
    assert_single_dsn(sims, "user@nullmx.test", "5.1.10", r"null MX", qid)
    assert sink.files() == []
    assert spool_files(sims) == []


def test_nxdomain_bounces_at_once_with_5_1_2(sims_server, peers):
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, free_port(), retry=["1s"]))
    qid = relay(sims, ["user@nowhere.test"], compose("nxdomain", to="user@nowhere.test"))
    assert_single_dsn(sims, "user@nowhere.test", "5.1.2", r"nowhere\.test", qid)
    assert spool_files(sims) == []


def test_deferred_while_mx_is_down_then_delivered_on_retry(sims_server, peers):
    port = free_port()  # nothing listens here yet
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, port, retry=["1s"]))
    qid = relay(sims, ["user@remote.test"], compose("retry me"))
    sims.wait_for_log(rf"QUEUE \[{qid}\] <user@remote\.test> deferred: .*127\.0\.0\.1:{port}", timeout=QUEUE_DEADLINE)
    sims.wait_for_log(rf"QUEUE \[{qid}\] 1 recipient\(s\) deferred, attempt 2 at ", timeout=QUEUE_DEADLINE)
    # While deferred, the queue shows it; the CLI reads the spool of the running server.
    assert queue_ids_listed(sims) == [qid], queue_list(sims)
    show = sims.cli("queue", "show", qid, check=True).stdout
    assert "<user@remote.test> pending" in show, show
    assert f"sender:        <{POSTMASTER}>" in show
    # Retries keep happening every second while the MX is down.
    sims.wait_for_log(rf"QUEUE \[{qid}\] 1 recipient\(s\) deferred, attempt 3 at ", timeout=QUEUE_DEADLINE)
    assert sims.mail_files() == [], "a deferral is not a bounce"

    sink = peers.smtp_sink("127.0.0.1", port)
    wait_sent(sims, qid)
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    got = sink.messages()
    assert len(got) == 1 and got[0].queue_id() == qid
    assert "the queue is empty" in queue_list(sims)
    assert queue_ids_listed(sims) == []
    assert spool_files(sims) == []
    assert sims.mail_files() == []


def test_relay_host_takes_everything_instead_of_mx(sims_server, peers):
    smarthost = peers.smtp_sink("127.0.0.1")
    dns = peers.dns(zone("remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.3"))
    sims = sims_server(queue_overrides(dns, free_port(), retry=["1h"],
                                       **{"delivery.relay_host": f"127.0.0.1:{smarthost.port}"}))
    ids = [relay(sims, [rcpt], compose("smarthost", to=rcpt)) for rcpt in ("user@remote.test", "x@nowhere.test")]
    for qid, rcpt in zip(ids, ("user@remote.test", "x@nowhere.test")):
        wait_sent(sims, qid, rcpt)
    assert sorted(m.queue_id() for m in smarthost.messages()) == sorted(ids)
    assert "127.0.0.3" not in sims.log_since_start()


def test_tls_required_never_sends_in_plaintext(sims_server, peers):
    """delivery.tls = "required": an MX without STARTTLS gets nothing; the mail waits."""
    sink = peers.smtp_sink("127.0.0.1")  # smtp-sink offers no STARTTLS
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1h"], **{"delivery.tls": "required"}))
    qid = relay(sims, ["user@remote.test"], compose("secret"))
    sims.wait_for_log(rf"QUEUE \[{qid}\] 1 recipient\(s\) deferred, attempt 2 at ", timeout=QUEUE_DEADLINE)
    assert re.search(rf"QUEUE \[{qid}\] <user@remote\.test> deferred: .*TLS", sims.log_since_start())
    assert sink.files() == []
    assert sims.mail_files() == [], "a TLS problem is temporary: no bounce"
    assert queue_ids_listed(sims) == [qid]


class RefusingGreeter:
    """A host that greets every connection with a 5xx and closes after QUIT."""

    def __init__(self, address: str, port: int, greeting: bytes = b"554 5.3.2 Not accepting mail here\r\n"):
        self.listener = socket.create_server((address, port))
        self.greeting = greeting
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    conn.sendall(self.greeting)
                    while (line := conn.recv(4096)):
                        conn.sendall(b"221 2.0.0 Bye\r\n" if line.upper().startswith(b"QUIT")
                                     else b"503 5.5.1 Bad sequence of commands\r\n")
                        if line.upper().startswith(b"QUIT"):
                            break
                except OSError:
                    pass

    def close(self):
        self.listener.close()


def test_5xx_greeting_at_the_preferred_mx_tries_the_backup(sims_server, peers):
    """A 5xx greeting refuses this host's session, not the message: like
    Postfix (smtp_skip_5xx_greeting) and Exim, go on to the next MX."""
    port = free_port()
    backup = peers.smtp_sink("127.0.0.1", port)
    refuser = RefusingGreeter("127.0.0.3", port)
    try:
        dns = peers.dns(zone("remote.test. MX 10 mx1.remote.test.", "remote.test. MX 20 mx2.remote.test.",
                             "mx1.remote.test. A 127.0.0.3", "mx2.remote.test. A 127.0.0.1"))
        sims = sims_server(queue_overrides(dns, port, retry=["1h"]))
        qid = relay(sims, ["user@remote.test"], compose("skip the 554 host"))
        sims.wait_for_log(rf"QUEUE \[{qid}\] <user@remote\.test> (sent|bounced|deferred): ", timeout=QUEUE_DEADLINE)
        assert refuser.connections >= 1, "the preferred MX was not tried"
        assert [m.queue_id() for m in backup.messages()] == [qid], sims.log_since_start()
    finally:
        refuser.close()


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback (::1) on this host")
def test_ipv6_only_mx(sims_server, peers):
    """An MX with only an AAAA record is reached over IPv6."""
    sink = peers.scripted_sink("::1")
    dns = peers.dns(zone("v6.test. MX 10 mx.v6.test.", "mx.v6.test. AAAA ::1"))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1h"]))
    message = compose("over IPv6", to="user@v6.test")
    qid = relay(sims, ["user@v6.test"], message)
    wait_sent(sims, qid, "user@v6.test")
    [got] = sink.messages()
    assert got.peer == "::1" and got.rcpt_tos == ["user@v6.test"]
    assert parse_received(got.content)[1] == message
