"""POP-before-SMTP (issue 5): off by default; when switched on, a POP3 login
from an address lets that address — and only that one — relay for the
configured window, and every relayed recipient is logged with the login that
allowed it. `sims config check` warns that it is on."""

from __future__ import annotations

import json
import poplib
import re
import socket
import ssl

from simslib import (POSTMASTER, QUEUE_DEADLINE, RawSMTP, compose, peers, queue_overrides, set_routes, spool_files,
                     wait_until)

assert peers  # the fixture, imported for pytest

ALICE = "alice@example.test"
PASSWORD = "pop-before-smtp-2026"


class POP3FromAddress(poplib.POP3_SSL):
    """poplib over implicit TLS, connecting from a chosen loopback address."""

    def __init__(self, host, port, source, context):
        self._source = source
        super().__init__(host, port, timeout=10, context=context)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))
        return self.context.wrap_socket(sock, server_hostname=self.host)


def pop_login(sims, source: str, password: str = PASSWORD) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    pop = POP3FromAddress("127.0.0.1", sims.pops_port, source, context)
    pop.user(ALICE)
    pop.pass_(password)
    pop.quit()


def rcpt_reply(sims, source: str, send: bool = False) -> tuple[int, str]:
    """RCPT for a remote recipient from `source`; DATA only when asked and accepted."""
    with RawSMTP(sims.smtp_port, source=source) as c:
        c.expect("EHLO roaming.test", 250)
        c.expect(f"MAIL FROM:<{ALICE}>", 250)
        code, text = c.cmd("RCPT TO:<user@remote.test>")
        if code == 250 and send:
            c.expect("DATA", 354)
            c.send(compose(f"from {source}") + b".\r\n")
            assert c.reply()[0] == 250
        c.cmd("QUIT")
    return code, text


def pop_before_smtp_server(sims_server, peers, window: str = "10m", enabled: bool = True):
    sink = peers.smtp_sink()
    overrides = queue_overrides(networks=[])
    overrides.update({"relay.pop_before_smtp": enabled, "relay.pop_before_smtp_window": window})
    sims = sims_server(overrides, start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)
    return sims, sink


def test_pop_login_opens_relay_for_that_address_until_the_window_ends(sims_server, peers):
    sims, sink = pop_before_smtp_server(sims_server, peers, window="5s")
    assert rcpt_reply(sims, "127.0.0.5")[0] == 554

    # A login from another address opens nothing for 127.0.0.5.
    pop_login(sims, "127.0.0.6")
    sims.wait_for_log(r"POP3-\d+ 127\.0\.0\.6 pop-before-smtp: 127\.0\.0\.6 may relay as alice@example\.test for 5s")
    assert rcpt_reply(sims, "127.0.0.5")[0] == 554

    pop_login(sims, "127.0.0.5")
    code, text = rcpt_reply(sims, "127.0.0.5", send=True)
    assert code == 250, f"relay right after the POP login refused: {code} {text}"
    [qid] = sims.wait_for_log(
        r"\[(S\.[0-9A-Z]+)\] 127\.0\.0\.5 <user@remote\.test> relayed: pop-before-smtp alice@example\.test "
        r"from 127\.0\.0\.5, login \d+m?s ago, queued for remote\.test")
    sims.wait_for_log(rf"QUEUE \[{qid}\] <user@remote\.test> sent: .*\(pop-before-smtp alice@example\.test",
                      timeout=QUEUE_DEADLINE)
    assert [m.queue_id() for m in sink.messages()] == [qid]
    # `sims audit` names the permission: which POP3 login, from where.
    report = json.loads(sims.cli("audit", "--format", "json", check=True).stdout)
    [grant] = report["relay_permissions"]
    assert (grant["kind"], grant["name"], grant["client"], grant["recipients"]) == (
        "pop_before_smtp", ALICE, "127.0.0.5", 1), grant
    assert report["verdict"]["text"].startswith(
        "no relaying except by authenticated users, client networks and POP-before-SMTP logins"), report["verdict"]

    # The window closes by itself: refused again, with the ordinary refusal.
    wait_until(lambda: rcpt_reply(sims, "127.0.0.5")[0] == 554, timeout=15, interval=0.5,
               what="relay refused after the window")
    sims.wait_for_log(r" 127\.0\.0\.5 <user@remote\.test> refused relay: client 127\.0\.0\.5 is not authenticated")
    assert spool_files(sims) == []


def test_failed_pop_login_opens_nothing(sims_server, peers):
    sims, _ = pop_before_smtp_server(sims_server, peers)
    try:
        pop_login(sims, "127.0.0.5", password="wrong")
        raise AssertionError("wrong password accepted")
    except poplib.error_proto:
        pass
    assert rcpt_reply(sims, "127.0.0.5")[0] == 554
    assert "pop-before-smtp" not in sims.log_since_start()


def test_off_by_default_a_pop_login_opens_nothing(sims_server, peers):
    sims, _ = pop_before_smtp_server(sims_server, peers, enabled=False)
    pop_login(sims, "127.0.0.5")
    sims.wait_for_log(r"login alice@example\.test \(TLS\)")
    assert rcpt_reply(sims, "127.0.0.5")[0] == 554


def test_local_delivery_needs_no_pop_login(sims_server, peers):
    """Mail for local mailboxes is never relay and is accepted from anyone."""
    sims, _ = pop_before_smtp_server(sims_server, peers)
    with RawSMTP(sims.smtp_port, source="127.0.0.5") as c:
        c.expect("EHLO roaming.test", 250)
        c.expect("MAIL FROM:<bob@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
    assert not re.search(r"relayed: pop-before-smtp", sims.log_since_start())


def test_config_check_warns_when_switched_on(sims_server, peers):
    sims, _ = pop_before_smtp_server(sims_server, peers)
    result = sims.cli("config", "check")
    out = result.stdout + result.stderr
    assert "relay.pop_before_smtp = true" in out and "SMTP AUTH" in out, out
