"""The outbound queue survives crashes and restarts: every relayed message
that was acknowledged reaches the remote MX afterwards, at least once."""

from __future__ import annotations

import re
import signal
import subprocess

from simslib import (POSTMASTER, QUEUE_DEADLINE, compose, free_port, parse_received, peers, queue_ids_listed,
                     queue_overrides, relay, require_tool, spool_files, wait_until, zone)
from test_durability import smtp_source_body

assert peers  # the fixture, imported for pytest

MX_ZONE = ("remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1")
MESSAGES = 300
KILL_AFTER = 100
RELAYED_RE = re.compile(r"\[(S\.[0-9A-Z]+)\] 127\.0\.0\.1 <user@remote\.test> relayed: client network 127\.0\.0\.1, "
                        r"queued for remote\.test")


def test_sigkill_mid_run_every_relayed_message_reaches_the_mx_after_restart(sims_server, peers):
    smtp_source = require_tool("smtp-source", ["/usr/sbin/smtp-source"])
    port = free_port()  # the remote MX: nothing listens here until after the crash
    dns = peers.dns(zone(*MX_ZONE))
    # smtp-source cannot bind a source address: it connects from 127.0.0.1.
    sims = sims_server(queue_overrides(dns, port, networks=["127.0.0.1"], retry=["1s"]))
    source = subprocess.Popen(
        [smtp_source, "-s", "10", "-m", str(MESSAGES), "-l", "1024", "-f", POSTMASTER, "-t", "user@remote.test",
         f"127.0.0.1:{sims.smtp_port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(RELAYED_RE.findall(sims.log_since_start())) >= KILL_AFTER or source.poll() is not None,
                   120, interval=0.01, what=f"{KILL_AFTER} relayed messages in the log")
        assert source.poll() is None, "smtp-source finished before the kill: the test did not kill mid-run"
        sims.proc.send_signal(signal.SIGKILL)
        sims.proc.wait(timeout=20)
    finally:
        if source.poll() is None:
            source.kill()
        source.wait(timeout=30)

    before = sims.log_text()
    relayed = set(RELAYED_RE.findall(before))
    assert KILL_AFTER <= len(relayed) < MESSAGES, len(relayed)
    assert " sent: " not in before, "nothing can have been sent: the MX was down"
    queued_on_disk = {p.name for p in (sims.data / "queue" / "envelopes").iterdir()}
    missing_on_disk = sorted(q for q in relayed if f"{q}.json" not in queued_on_disk)
    assert not missing_on_disk, f"acknowledged relayed messages lost from the spool: {missing_on_disk[:5]}"

    sink = peers.smtp_sink("127.0.0.1", port)
    sims.start()
    [recovered] = sims.wait_for_log(r"queue runner started with (\d+) queued message\(s\)")
    assert int(recovered) >= len(relayed)
    wait_until(lambda: spool_files(sims) == [], 90, interval=0.2, what="the queue to drain after the restart")

    body = smtp_source_body(1024)
    arrived: dict[str, int] = {}
    for message in sink.messages():
        fields, rest = parse_received(message.content)
        assert rest.endswith(b"\r\n\r\n" + body), f"{message.path}: not the complete smtp-source message"
        assert message.rcpt_tos == ["user@remote.test"] and message.mail_from == POSTMASTER
        arrived[fields["id"]] = arrived.get(fields["id"], 0) + 1
    never = sorted(relayed - arrived.keys())
    assert not never, f"{len(never)} relayed (acknowledged) messages never reached the MX: {never[:5]}"
    print(f"relayed={len(relayed)} recovered={recovered} arrived={len(arrived)} "
          f"duplicates={sum(n - 1 for n in arrived.values())}")
    log = sims.log_since_start()
    for qid in list(relayed)[:20]:
        assert re.search(rf"QUEUE \[{qid}\] <user@remote\.test> sent: ", log), qid
    assert queue_ids_listed(sims) == []


def test_deferred_message_survives_a_restart_and_keeps_its_state(sims_server, peers):
    port = free_port()
    dns = peers.dns(zone(*MX_ZONE))
    sims = sims_server(queue_overrides(dns, port, retry=["1h"]))
    message = compose("survives a restart")
    qid = relay(sims, ["user@remote.test", "other@remote.test"], message)
    sims.wait_for_log(rf"QUEUE \[{qid}\] 2 recipient\(s\) deferred, attempt 2 at ", timeout=QUEUE_DEADLINE)
    assert sims.stop(signal.SIGTERM) == 0
    sims.wait_for_log(r"queue runner stopped; 1 message\(s\) remain queued")

    # The CLI reads the spool while the server is down.
    assert queue_ids_listed(sims) == [qid]
    show = sims.cli("queue", "show", qid, check=True).stdout
    assert "attempts:      1," in show, show
    assert "<user@remote.test> pending" in show and "<other@remote.test> pending" in show, show

    sink = peers.smtp_sink("127.0.0.1", port)
    sims.start()
    sims.wait_for_log(r"queue runner started with 1 queued message\(s\)")
    assert sink.files() == [], "the next attempt is an hour away"
    sims.cli("queue", "retry", "--all", check=True)
    for rcpt in ("user@remote.test", "other@remote.test"):
        sims.wait_for_log(rf"QUEUE \[{qid}\] <{re.escape(rcpt)}> sent: ", timeout=QUEUE_DEADLINE)
    sims.wait_for_log(rf"QUEUE \[{qid}\] removed from queue", timeout=QUEUE_DEADLINE)
    [got] = sink.messages()
    assert sorted(got.rcpt_tos) == ["other@remote.test", "user@remote.test"]
    fields, rest = parse_received(got.content)
    assert fields["id"] == qid and rest == message
    assert spool_files(sims) == []
    assert sims.mail_files() == []
