"""`sims check-relay` (issue 7) against SIMS itself and against Postfix set
up as an open relay on a loopback port. The check stops after RCPT, so
neither server may end up with a message."""

from __future__ import annotations

import json
import re
import socket
import time
import os
import subprocess
from pathlib import Path

import pytest

from simslib import SIMS_BINARY, free_port, in_ci, require_tool

REPO = Path(__file__).resolve().parents[2]


def destination(rcpt_command: str) -> str:
    """The mailbox a RCPT TO names once a source route is dropped (RFC 5321
    § 4.1.1.3 lets servers ignore routes): '@a,@b:user@dom' -> 'user@dom'."""
    address = rcpt_command.removeprefix("RCPT TO:<").removesuffix(">")
    return address.rsplit(":", 1)[-1] if address.startswith("@") else address


def check_relay(*args: str, timeout: float = 120) -> tuple[int, dict]:
    result = subprocess.run([SIMS_BINARY, "check-relay", *args, "--format", "json"], capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def tricks_by_id(document: dict) -> dict:
    return {trick["id"]: trick for trick in document["tricks"]}


def test_sims_refuses_every_trick_from_outside(sims):
    status, document = check_relay(f"127.0.0.1:{sims.smtp_port}", "--helo", "prober.example.net")
    assert status == 0, json.dumps(document, indent=1)
    assert document["verdict"] == "closed"
    assert document["untried"] == [] and document["total"] == len(document["tricks"]) >= 25
    assert document["summary"] == f"not an open relay: all {document['total']} tricks refused"
    assert document["hostname"] == "mx.example.test" and document["local_domain"] == "example.test"
    assert all(trick["verdict"] == "refused" for trick in document["tricks"])
    plain = tricks_by_id(document)["plain"]
    assert plain["rcpt_reply"].startswith("554 5.7.1"), plain
    # Every refusal is in the log, and nothing was stored or queued.
    sims.wait_for_log(r"<relay-check@example\.com> refused relay: client 127\.0\.0\.1")
    assert " received " not in sims.log_since_start()
    assert sims.all_stored_files() == []


def test_sims_with_client_network_is_open_for_that_client_but_not_to_tricks(sims_server):
    sims = sims_server({"relay.client_networks": ["127.0.0.0/8"]})
    status, document = check_relay(f"127.0.0.1:{sims.smtp_port}")
    assert status == 1, json.dumps(document, indent=1)
    assert document["verdict"] == "open"
    assert document["summary"].startswith("OPEN RELAY: ")
    tricks = tricks_by_id(document)
    assert tricks["plain"]["verdict"] == "accepted"
    assert tricks["null-sender"]["verdict"] == "accepted"
    # A client network may relay to any other domain, so the % and ! forms at
    # mx.example.test (not a local domain) and source routes (dropped, leaving
    # relay-check@example.com) are ordinary relaying for it. What must still be
    # refused: every trick that smuggles a remote address through a local
    # domain, an address literal or a domain-less address.
    smuggling = 0
    for trick in document["tricks"]:
        target = destination(trick["rcpt"])
        domain = target.rsplit("@", 1)[-1] if "@" in target and not target.endswith('"') else ""
        if domain == "example.test" or domain.startswith("[") or not domain or "@" in target.split("@", 1)[1]:
            smuggling += 1
            assert trick["verdict"] == "refused", trick
    assert smuggling >= 14
    assert document["accepted"] == sum(trick["verdict"] == "accepted" for trick in document["tricks"])
    # No DATA, so no message: nothing received, relayed or stored.
    assert " received " not in sims.log_since_start()
    assert " relayed" not in sims.log_since_start()
    assert sims.all_stored_files() == []


def test_text_report_fits_80_columns(sims):
    result = subprocess.run([SIMS_BINARY, "check-relay", f"127.0.0.1:{sims.smtp_port}"], capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("not an open relay: all ")
    assert "\x1b[" not in result.stdout
    head = [line for line in lines if re.match(r"^ {0,2}\d+ [a-z]", line)]
    assert len(head) >= 25, result.stdout
    assert [line for line in head if len(line) != 80] == []
    assert any(line.strip().startswith("RCPT TO:<relay-check%example.com@example.test>") for line in lines)


def test_unreachable_server_could_not_test():
    port = free_port()  # nothing listens there
    status, document = check_relay(f"127.0.0.1:{port}", timeout=60)
    assert status == 2
    assert document["verdict"] == "inconclusive"
    assert document["summary"].startswith("could not test: cannot connect")


@pytest.fixture
def open_postfix(tmp_path):
    """A private Postfix on a loopback port that relays for 127.0.0.0/8
    (bench/postfix-instance.sh with a relay host where nothing listens)."""
    if os.geteuid() != 0:
        if in_ci():
            pytest.fail("running Postfix as a peer needs root")
        pytest.skip("running Postfix as a peer needs root")
    require_tool("postfix", ["/usr/sbin/postfix"])
    directory = Path("/tmp") / f"sims-postfix-relay-{os.getpid()}-{free_port()}"
    port = free_port()
    script = str(REPO / "bench/postfix-instance.sh")
    try:
        subprocess.run([script, "start", str(directory), str(port), f"127.0.0.1:{free_port()}"], check=True,
                       capture_output=True, timeout=60)
        yield directory, port
    finally:
        subprocess.run([script, "stop", str(directory)], capture_output=True, timeout=60)
        subprocess.run(["rm", "-rf", str(directory)])


def test_postfix_open_relay_is_reported(open_postfix):
    directory, port = open_postfix
    status, document = check_relay(f"127.0.0.1:{port}", "--local-domain", "example.test")
    assert status == 1, json.dumps(document, indent=1)
    assert document["verdict"] == "open"
    assert document["summary"].startswith("OPEN RELAY: ")
    assert document["hostname"] == "bench.postfix.test"
    assert tricks_by_id(document)["plain"]["verdict"] == "accepted"
    # No DATA was ever sent: Postfix's queue is empty and nothing was delivered.
    queue = subprocess.run(["postqueue", "-c", str(directory / "etc"), "-p"], capture_output=True, text=True,
                           timeout=30)
    assert "Mail queue is empty" in queue.stdout + queue.stderr, queue.stdout + queue.stderr
    queued = [p for p in (directory / "queue").rglob("*") if p.is_file() and p.parent.name in
              ("incoming", "active", "deferred", "hold", "maildrop")]
    assert queued == []
    assert [p for p in (directory / "vmail").rglob("*") if p.is_file()] == []


def test_silent_server_times_out():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # accepts (in the kernel) and never says a word
        started = time.monotonic()
        status, document = check_relay(f"127.0.0.1:{silent.getsockname()[1]}", "--timeout", "0.5", timeout=60)
        elapsed = time.monotonic() - started
    assert status == 2
    assert document["summary"] == "could not test: no reply within 500ms before the session started"
    assert elapsed < 10, f"took {elapsed:.1f}s"
