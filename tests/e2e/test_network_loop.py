"""The mail-loop check on a real network: SIMS listens on the wildcard
addresses ("0.0.0.0:25", "[::]:25") as in production, so it must recognise
only this host's own addresses as itself. Mail to the internet still leaves;
mail for a domain whose MX is SIMS itself (by its name, or by another name
with SIMS's own IPv6 address) bounces at once with 5.4.6."""

from __future__ import annotations

import os
import re

import pytest

from netlab import PASSWORD, PRODUCTION_LISTEN_HOSTS, TestInternet
from simslib import QUEUE_DEADLINE, compose, wait_dsn

ALICE = "alice@sims.test"


@pytest.fixture(scope="module")
def internet(lab: TestInternet) -> TestInternet:
    lab.sims.add_account(ALICE, PASSWORD)
    return lab


def submit(internet: TestInternet, to: str, subject: str):
    message = compose(subject, "loop check\r\n", sender=ALICE, to=to)
    dialogue = internet.send_mail("lan", "mx.sims.test", ALICE, [to], message, port=587, auth=(ALICE, PASSWORD))
    assert dialogue.delivered, dialogue
    [qid] = internet.sims.wait_for_log(rf"\[(S\.[0-9A-Z]+)\] \S+ <{re.escape(to)}> relayed: ")
    return qid


def test_wildcard_listeners_do_not_mistake_the_internet_for_ourselves(internet):
    toml = (internet.sims.data / "sims.toml").read_text()
    assert re.search(r'^listen = \[(("0\.0\.0\.0:25", )?"\[::\]:25")\]$', toml, re.M), toml
    subject = f"not-a-loop-{os.urandom(4).hex()}"
    qid = submit(internet, "bob@peer.test", subject)
    internet.peer.wait_mail("bob@peer.test", subject.encode(), timeout=QUEUE_DEADLINE)
    internet.sims.wait_for_log(rf"QUEUE \[{qid}\] <bob@peer\.test> sent: mx\.peer\.test", timeout=QUEUE_DEADLINE)
    assert "loops back to myself" not in internet.sims.log_since_start()


@pytest.mark.parametrize("domain, mx", [("loop.test", "mx.sims.test"), ("loop6.test", "mail.loop6.test")])
def test_domain_whose_mx_is_sims_itself_bounces_with_5_4_6(internet, domain, mx):
    """loop.test's MX is mx.sims.test by name; loop6.test's MX has another
    name whose only address is SIMS's own IPv6 address (an interface address,
    found although the listener is the wildcard [::])."""
    account = f"loop-{domain.split('.')[0]}@sims.test"
    internet.sims.add_account(account, PASSWORD)
    to = f"user@{domain}"
    message = compose(f"loop {domain}", "loop\r\n", sender=account, to=to)
    dialogue = internet.send_mail("lan", "mx.sims.test", account, [to], message, port=587, auth=(account, PASSWORD))
    assert dialogue.delivered, dialogue
    [dsn] = wait_dsn(internet.sims, account, timeout=QUEUE_DEADLINE)
    group = dsn.recipient(to)
    assert group["Action"] == "failed"
    assert group["Status"] == "5.4.6"
    assert f"loops back to myself ({mx} is this server)" in group["Diagnostic-Code"], group["Diagnostic-Code"]
    log = internet.sims.log_since_start()
    assert re.search(rf"<{re.escape(to)}> bounced: .*loops back to myself", log), log[-3000:]
    # It was never handed to anybody: no SMTP session from SIMS into itself
    # (it would show as a connection from one of its own addresses).
    assert not re.search(r"SMTP-\d+ (192\.168\.1\.10|203\.0\.113\.10|2001:db8:10::10) connected", log), log[-3000:]
    assert not re.search(rf"<{re.escape(to)}> (sent|deferred)", log)


def test_production_listener_pair_binds(internet):
    """docs/configuration.md: 'A production MX listens on "0.0.0.0:25" and
    "[::]:25"'. Both must bind, and an IPv4 and an IPv6 client get the greeting."""
    sims = internet.sims
    pair = {key: [f"{host}:{port}" for host in PRODUCTION_LISTEN_HOSTS] for key, port in sims.BASE_PORTS.items()}
    try:
        sims.restart(**pair)
        for family, server in ((4, "mx.sims.test"), (6, "mx.sims.test")):
            dialogue = internet.smtp("outside", server, 25, ["QUIT"], family=family)
            assert dialogue.steps and dialogue.steps[0][1] == 220, dialogue
    finally:
        sims.overrides = {}
        if not sims.running():
            sims.start()
        else:
            sims.restart()
