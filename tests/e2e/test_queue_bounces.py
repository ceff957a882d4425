"""Delivery status notifications (RFC 3464): what fails for good is reported
to the sender once, field by field; the null sender never gets a bounce;
`sims queue bounce|delete|retry`; mail that would loop back to SIMS itself."""

from __future__ import annotations

import email.utils
import re

import pytest

from simslib import (HOSTNAME, POSTMASTER, QUEUE_DEADLINE, DSN, compose, dsns, free_port, peers, queue_ids_listed,
                     queue_list, queue_overrides, relay, set_config, spool_files, wait_dsn, wait_until, zone)

assert peers  # the fixture, imported for pytest

MX_ZONE = ("remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
REJECT = "550 5.1.1 <{}>: Recipient address rejected: User unknown in virtual mailbox table"
RULES = {"RCPT": {"reject": "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table",
                  "defer": "451 4.3.0 Temporary lookup failure"}}


def log_has(sims, pattern: str) -> bool:
    return re.search(pattern, sims.log_since_start()) is not None


def test_remote_550_for_one_recipient_dsn_field_by_field(sims_server, peers):
    sink = peers.scripted_sink(rules=RULES)
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1h"]))
    message = compose("will half bounce", "the body is not quoted back\r\n",
                      extra="X-Original-Marker: quoted-header-1\r\n")
    qid = relay(sims, ["good@remote.test", "rejected@remote.test"], message)

    [dsn] = wait_dsn(sims)
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue: all recipients done", timeout=QUEUE_DEADLINE)

    # The good recipient reached the MX, alone.
    got = sink.messages()
    assert len(got) == 1 and got[0].rcpt_tos == ["good@remote.test"], got
    assert got[0].queue_id() == qid

    # Envelope-level: stored for the local sender, from the null sender.
    assert dsn.raw.startswith(b"Return-Path: <>\r\n"), dsn.raw[:200]
    m = dsn.message
    assert email.utils.parseaddr(m["From"]) == ("Mail Delivery System", f"MAILER-DAEMON@{HOSTNAME}")
    assert email.utils.parseaddr(m["To"])[1] == POSTMASTER
    assert m["Auto-Submitted"] == "auto-replied"
    assert m["Subject"] and m["Date"] and m["Message-ID"]
    assert email.utils.parsedate_to_datetime(m["Date"]) is not None
    assert m.get_content_type() == "multipart/report"
    assert m.get_param("report-type") == "delivery-status"
    assert [p.get_content_type() for p in dsn.parts] == \
        ["text/plain", "message/delivery-status", "text/rfc822-headers"]

    # Human-readable part names the failed recipient and the remote reply.
    assert "rejected@remote.test" in dsn.notification
    assert "good@remote.test" not in dsn.notification
    assert "User unknown in virtual mailbox table" in dsn.notification

    # Per-message fields (RFC 3464 § 2.2).
    assert dsn.per_message["Reporting-MTA"] == f"dns; {HOSTNAME}"
    assert email.utils.parsedate_to_datetime(dsn.per_message["Arrival-Date"]) is not None

    # Per-recipient fields (RFC 3464 § 2.3): only the failed recipient.
    assert len(dsn.recipients) == 1, [dict(r) for r in dsn.recipients]
    group = dsn.recipient("rejected@remote.test")
    assert group["Final-Recipient"] == "rfc822; rejected@remote.test"
    assert group["Action"] == "failed"
    assert group["Status"] == "5.1.1"
    assert group["Diagnostic-Code"] == \
        "smtp; 550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"
    assert b"good@remote.test" not in dsn.parts[1].as_bytes()

    # The original headers, not the body.
    quoted = dsn.original_headers
    assert "X-Original-Marker: quoted-header-1" in quoted
    assert "Subject: will half bounce" in quoted
    assert f"id {qid}" in quoted, "our Received header (with the queue id) is part of the quoted header"
    assert "the body is not quoted back" not in dsn.raw.decode(errors="replace")

    log = sims.log_since_start()
    assert re.search(rf"QUEUE \[{qid}\] <good@remote\.test> sent: ", log)
    assert re.search(rf"QUEUE \[{qid}\] <rejected@remote\.test> bounced: .*550 5\.1\.1", log)
    assert f"[{qid}] delivery status notification for 1 recipient(s) sent to <{POSTMASTER}>" in log
    assert spool_files(sims) == []
    assert group["Remote-MTA"].startswith("dns; "), group["Remote-MTA"]


def test_dsn_remote_mta_is_the_mx_host_name(sims_server, peers):
    """RFC 3464 § 2.3.5: `Remote-MTA: dns; NAME` names the remote MTA by its
    host name, here the MX mx.remote.test; a port and transport notes such
    as "(no TLS)" are not part of an mta-name."""
    sink = peers.scripted_sink(rules=RULES)
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1h"]))
    relay(sims, ["rejected@remote.test"], compose("remote mta"))
    [dsn] = wait_dsn(sims)
    remote_mta = dsn.recipient("rejected@remote.test")["Remote-MTA"]
    assert re.fullmatch(r"dns; mx\.remote\.test", remote_mta), f"Remote-MTA is {remote_mta!r}"


def test_mixed_250_451_550_bounces_once_and_keeps_retrying_the_451(sims_server, peers):
    sink = peers.scripted_sink(rules=RULES)
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1s"]))
    qid = relay(sims, ["good@remote.test", "deferme@remote.test", "rejectme@remote.test"], compose("mixed"))
    # Wait for the third attempt: the 550 must not be bounced again.
    sims.wait_for_log(rf"QUEUE \[{qid}\] 1 recipient\(s\) deferred, attempt 4 at ", timeout=QUEUE_DEADLINE)
    assert len(sims.mail_files()) == 1, "exactly one DSN, however often the message is retried"
    [dsn] = dsns(sims)
    assert [r["Final-Recipient"] for r in dsn.recipients] == ["rfc822; rejectme@remote.test"]
    assert dsn.recipients[0]["Status"] == "5.1.1"
    # The 250 recipient got exactly one copy; later attempts only name the deferred one.
    accepted = [m for m in sink.messages()]
    assert [m.rcpt_tos for m in accepted] == [["good@remote.test"]], accepted
    rcpts = [c for c in sink.commands() if c.startswith("RCPT")]
    assert sum("good@" in c for c in rcpts) == 1, rcpts
    assert sum("rejectme@" in c for c in rcpts) == 1, rcpts
    assert sum("deferme@" in c for c in rcpts) >= 3, rcpts
    assert queue_ids_listed(sims) == [qid]
    show = sims.cli("queue", "show", qid, check=True).stdout
    assert re.search(r"<deferme@remote\.test> pending .*451 4\.3\.0", show), show
    assert re.search(r"<good@remote\.test> sent", show), show
    assert re.search(r"<rejectme@remote\.test> failed", show), show
    assert log_has(sims, rf"QUEUE \[{qid}\] <deferme@remote\.test> deferred: .*451 4\.3\.0 Temporary lookup failure")


def test_null_sender_failure_is_never_bounced(sims_server, peers):
    sink = peers.scripted_sink(rules=RULES)
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1s"]))
    qid = relay(sims, ["rejectme@remote.test"], compose("a bounce itself", sender="MAILER-DAEMON@example.test"),
                sender="")
    sims.wait_for_log(rf"QUEUE \[{qid}\] <rejectme@remote\.test> bounced: ", timeout=QUEUE_DEADLINE)
    sims.wait_for_log(rf"QUEUE \[{qid}\] bounce undeliverable, discarded: the null sender <> gets no bounce",
                      timeout=QUEUE_DEADLINE)
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    # The remote MX saw exactly one transaction, from <>; nothing was accepted.
    commands = sink.commands()
    assert len(commands) == 2 and commands[0].startswith("MAIL <> ") and commands[0].endswith("-> 250"), commands
    assert commands[1] == "RCPT <rejectme@remote.test> -> " + RULES["RCPT"]["reject"], commands
    assert sink.messages() == []
    # No file anywhere under mail/ (no DSN to anybody), nothing left in the queue.
    assert [p for p in (sims.data / "mail").rglob("*") if p.is_file()] == []
    assert spool_files(sims) == []
    assert "delivery status notification" not in sims.log_since_start()


def test_dsn_for_a_remote_sender_is_queued_from_the_null_sender(sims_server, peers):
    """The sender is not local: the DSN goes out through the queue, MAIL FROM:<>."""
    sink = peers.scripted_sink(rules=RULES)
    dns = peers.dns(zone(*MX_ZONE, "sender.test. MX 10 mx.remote.test."))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1s"]))
    qid = relay(sims, ["rejectme@remote.test"], compose("from afar", sender="bob@sender.test"),
                sender="bob@sender.test")
    sims.wait_for_log(rf"QUEUE \[{qid}\] delivery status notification for 1 recipient\(s\) sent to <bob@sender\.test>",
                      timeout=QUEUE_DEADLINE)
    got = wait_until(lambda: sink.messages(), QUEUE_DEADLINE, what="the DSN at the sender's MX")
    assert len(got) == 1
    assert got[0].mail_from == "" and got[0].rcpt_tos == ["bob@sender.test"]
    dsn = DSN(got[0].content)
    assert dsn.recipient("rejectme@remote.test")["Status"] == "5.1.1"
    assert qid in dsn.original_headers
    assert dsn.message["To"] == "<bob@sender.test>"
    [bounce_id] = sims.wait_for_log(r"QUEUE \[(S\.[0-9A-Z]+)\] <bob@sender\.test> sent: ", timeout=QUEUE_DEADLINE)
    assert bounce_id != qid
    sims.wait_for_log(rf"QUEUE \[{bounce_id}\] removed from queue", timeout=QUEUE_DEADLINE)
    assert spool_files(sims) == []
    assert sims.mail_files() == []


def deferred_setup(sims_server, peers, retry="1h"):
    """A server whose MX for remote.test does not listen (port returned).
    QUEUE at level 3 also logs the administrator's requests that failed."""
    port = free_port()
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, port, retry=[retry], **{"log.modules.QUEUE": 3}))
    return sims, port


def wait_deferred(sims, qid):
    sims.wait_for_log(rf"QUEUE \[{qid}\] \d+ recipient\(s\) deferred, attempt 2 at ", timeout=QUEUE_DEADLINE)


def test_queue_bounce_sends_a_5_0_0_dsn_and_removes_the_message(sims_server, peers):
    sims, _ = deferred_setup(sims_server, peers)
    qid = relay(sims, ["stuck@remote.test", "stuck2@remote.test"], compose("stuck"))
    wait_deferred(sims, qid)
    assert queue_ids_listed(sims) == [qid]
    assert sims.mail_files() == []
    out = sims.cli("queue", "bounce", qid, check=True).stdout
    assert qid in out
    [dsn] = wait_dsn(sims)
    assert sorted(r["Final-Recipient"] for r in dsn.recipients) == \
        ["rfc822; stuck2@remote.test", "rfc822; stuck@remote.test"]
    for r in dsn.recipients:
        assert r["Action"] == "failed" and r["Status"] == "5.0.0"
        assert "administrator" in r["Diagnostic-Code"]
    assert qid in dsn.original_headers
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    assert queue_ids_listed(sims) == []
    assert spool_files(sims) == []


def test_queue_delete_removes_without_a_dsn(sims_server, peers):
    sims, _ = deferred_setup(sims_server, peers)
    keep = relay(sims, ["keep@remote.test"], compose("keep"))
    doomed = relay(sims, ["doomed@remote.test"], compose("doomed"))
    wait_deferred(sims, keep)
    wait_deferred(sims, doomed)
    assert sorted(queue_ids_listed(sims)) == sorted([keep, doomed])
    sims.cli("queue", "delete", doomed, check=True)
    sims.wait_for_log(rf"\[{doomed}\] deleted from the queue by the administrator, no bounce sent",
                      timeout=QUEUE_DEADLINE)
    assert queue_ids_listed(sims) == [keep]
    assert not any(doomed in p.name for p in spool_files(sims)), spool_files(sims)
    # An unknown id is an error at once (exit 1), and nothing is asked of the server.
    unknown = sims.cli("queue", "delete", "S.NOSUCHMESSAGE0")
    assert unknown.returncode == 1, unknown.stdout + unknown.stderr
    assert "no message S.NOSUCHMESSAGE0 in the queue" in unknown.stderr
    # The id already deleted is unknown now too.
    assert sims.cli("queue", "delete", doomed).returncode == 1
    assert queue_ids_listed(sims) == [keep]
    assert sims.mail_files() == [], "delete must not send a DSN"
    assert "delivery status notification" not in sims.log_since_start()


def test_queue_retry_attempts_promptly(sims_server, peers):
    """retry_schedule 1h: only `sims queue retry` can cause another attempt."""
    sims, port = deferred_setup(sims_server, peers)
    first = relay(sims, ["first@remote.test"], compose("first"))
    second = relay(sims, ["second@remote.test"], compose("second"))
    wait_deferred(sims, first)
    wait_deferred(sims, second)
    sink = peers.smtp_sink("127.0.0.1", port)

    sims.cli("queue", "retry", first, check=True)
    sims.wait_for_log(rf"QUEUE \[{first}\] <first@remote\.test> sent: ", timeout=10)
    assert queue_ids_listed(sims) == [second], "retry ID must retry that message only"

    sims.cli("queue", "retry", "--all", check=True)
    sims.wait_for_log(r"administrator asked to retry all messages: 1 message\(s\)", timeout=10)
    sims.wait_for_log(rf"QUEUE \[{second}\] <second@remote\.test> sent: ", timeout=10)
    sims.wait_for_log(rf"QUEUE \[{second}\] removed from queue", timeout=10)
    assert sorted(m.queue_id() for m in sink.messages()) == sorted([first, second])
    assert "the queue is empty" in queue_list(sims)
    assert sims.mail_files() == []


@pytest.mark.parametrize("how", ["own-listener", "own-hostname"])
def test_mail_looping_back_to_myself_bounces_with_5_4_6(sims_server, peers, how):
    """remote.test's MX is SIMS itself: by its SMTP port on 127.0.0.1, or by
    its own hostname. Relaying it would loop forever; it must bounce at once."""
    sink = peers.smtp_sink("127.0.0.1")
    if how == "own-listener":
        dns = peers.dns(zone(*MX_ZONE))
    else:
        dns = peers.dns(zone(f"remote.test. MX 10 {HOSTNAME}.", f"{HOSTNAME}. A 127.0.0.1"))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1s"]), start=False)
    if how == "own-listener":
        set_config(sims, {"delivery.port": sims.smtp_port})
    sims.start(new_ports=False)
    if how == "own-listener":
        assert f'port = {sims.smtp_port}\n' in (sims.data / "sims.toml").read_text(), "ports changed at start"
    qid = relay(sims, ["user@remote.test"], compose("loop"))
    [dsn] = wait_dsn(sims)
    group = dsn.recipient("user@remote.test")
    assert group["Status"] == "5.4.6"
    assert group["Action"] == "failed"
    assert "loops back to myself" in group["Diagnostic-Code"]
    assert qid in dsn.original_headers
    sims.wait_for_log(rf"QUEUE \[{qid}\] <user@remote\.test> bounced: .*loops back to myself", timeout=QUEUE_DEADLINE)
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    log = sims.log_since_start()
    # It was never handed to anybody: no second SMTP session into ourselves, nothing at the sink.
    assert log.count(" connected to ") == 1, log
    assert sink.files() == []
    assert spool_files(sims) == []
    assert "deferred" not in log


@pytest.mark.parametrize("stage, reply, status", [
    ("MAIL", "550 5.7.1 Sender rejected by policy", "5.7.1"),
    ("DATA", "554 5.6.0 Message content rejected", "5.6.0"),
])
def test_whole_transaction_refused_bounces_every_recipient(sims_server, peers, stage, reply, status):
    sink = peers.scripted_sink(rules={stage: reply})
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1s"]))
    qid = relay(sims, ["one@remote.test", "two@remote.test"], compose(f"refused at {stage}"))
    [dsn] = wait_dsn(sims)
    assert sorted(r["Final-Recipient"] for r in dsn.recipients) == ["rfc822; one@remote.test", "rfc822; two@remote.test"]
    for r in dsn.recipients:
        assert r["Action"] == "failed" and r["Status"] == status, dict(r)
        assert r["Diagnostic-Code"] == f"smtp; {reply}", dict(r)
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    assert sink.messages() == []
    assert "deferred" not in sims.log_since_start()
    assert len(sims.mail_files()) == 1


def test_mail_451_defers_every_recipient(sims_server, peers):
    sink = peers.scripted_sink(rules={"MAIL": "451 4.7.1 Greylisted, try again later"})
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, sink.port, retry=["1h"]))
    qid = relay(sims, ["one@remote.test", "two@remote.test"], compose("greylisted"))
    sims.wait_for_log(rf"QUEUE \[{qid}\] 2 recipient\(s\) deferred, attempt 2 at ", timeout=QUEUE_DEADLINE)
    log = sims.log_since_start()
    for rcpt in ("one@remote.test", "two@remote.test"):
        assert re.search(rf"QUEUE \[{qid}\] <{re.escape(rcpt)}> deferred: .*451 4\.7\.1 Greylisted", log), log
    assert "bounced" not in log
    assert sims.mail_files() == []
    assert queue_ids_listed(sims) == [qid]


def test_maximum_lifetime_expiry_bounces_with_4_4_7(sims_server, peers):
    port = free_port()  # nothing listens: every attempt is deferred
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, port, retry=["500ms"], **{"queue.maximum_lifetime": "3s"}))
    qid = relay(sims, ["late@remote.test"], compose("too late"))
    sims.wait_for_log(rf"QUEUE \[{qid}\] 1 recipient\(s\) deferred, attempt 2 at ", timeout=QUEUE_DEADLINE)
    [dsn] = wait_dsn(sims)
    group = dsn.recipient("late@remote.test")
    assert group["Action"] == "failed"
    assert group["Status"] == "4.4.7"
    assert "expired" in group["Diagnostic-Code"]
    assert re.search(r"127\.0\.0\.1.*" + str(port), group["Diagnostic-Code"]), \
        "the last error (the unreachable MX) is part of the diagnostic"
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    assert spool_files(sims) == []


def test_queue_list_fits_80_columns_and_counts_recipients(sims_server, peers):
    sims, _ = deferred_setup(sims_server, peers)
    single = relay(sims, ["one@remote.test"], compose("single"))
    many = [f"recipient-number-{n}-with-a-long-local-part@remote.test" for n in range(5)]
    long_sender = "a-sender-with-a-very-long-local-part-that-goes-on-and-on-and-on@example.test"
    crowd = relay(sims, many, compose("crowd"), sender=long_sender)
    wait_deferred(sims, single)
    wait_deferred(sims, crowd)
    listing = queue_list(sims)
    assert all(len(line) <= 80 for line in listing.splitlines()), listing
    assert sorted(queue_ids_listed(sims)) == sorted([single, crowd])
    blocks = {block.split()[0]: block for block in re.split(r"\n(?=S\.)", listing.strip())}
    assert "  1 recipient pending: <one@remote.test>" in blocks[single].splitlines(), blocks[single]
    assert "1 recipients" not in listing
    assert re.search(r"^  5 recipients pending: <recipient-number-0-\S*> and [1-4] more$", blocks[crowd], re.M), \
        blocks[crowd]
    assert re.search(r"^  1 attempt, next \d{4}-", blocks[single], re.M), blocks[single]
    assert blocks[crowd].splitlines()[0].endswith("…"), blocks[crowd]
    # queue show keeps everything the list cuts.
    show = sims.cli("queue", "show", crowd, check=True).stdout
    assert long_sender in show and all(address in show for address in many)
