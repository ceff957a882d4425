"""The NAT trap, reproduced for real (issue 13): SIMS behind a router whose
port forward rewrites the source address to the router's LAN address
("masquerading", as docker-proxy and some routers do) sees every outside
client as 192.168.1.1. With `client_networks = ["192.168.1.0/24"]` every
spammer on the internet may then relay. The honest port forward (DNAT
only) keeps the real client address, and only the LAN relays."""

from __future__ import annotations

import json
import os
import re

import pytest

from netlab import PUBLIC_SIMS_IPV4, VICTIM_DOMAIN, TestInternet
from simslib import QUEUE_DEADLINE, SIMS_BINARY, compose, wait_until

SPAMMER = "spammer@outside.test"
VICTIM = "postmaster@victim.test"


def relay_attempt(lab: TestInternet, host: str, subject: str):
    """A message for the third domain victim.test through SIMS's port 25,
    over IPv4 (through the router's port forward for `outside`)."""
    message = compose(subject, "buy now\r\n", sender=SPAMMER, to=VICTIM)
    server = PUBLIC_SIMS_IPV4 if host == "outside" else lab.address("sims")
    return lab.send_mail(host, server, SPAMMER, [VICTIM], message, starttls=False, helo=lab.hosts[host].fqdn,
                         family=4)


def check_relay(lab: TestInternet) -> tuple[int, dict]:
    """`sims check-relay` from the internet against the router's public address;
    the relay target is victim.test (example.com is not in the lab DNS)."""
    result = lab.run("outside", [SIMS_BINARY, "check-relay", f"{PUBLIC_SIMS_IPV4}:25", "--helo", "client.outside.test",
                                 "--to-domain", VICTIM_DOMAIN, "--format", "json"], timeout=120)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def audit(lab: TestInternet) -> dict:
    result = lab.sims.cli("audit", "--format", "json")
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def subject(label: str) -> str:
    return f"{label}-{os.urandom(4).hex()}"


@pytest.fixture
def honest(lab: TestInternet) -> TestInternet:
    lab.set_nat_mode("honest")
    lab.sims.restart(**{"relay.client_networks": ["192.168.1.0/24"]})
    return lab


@pytest.fixture
def masquerading(lab: TestInternet):
    """Factory: the masquerading port forward and SIMS with these client networks."""
    def make(networks: list[str]) -> TestInternet:
        lab.set_nat_mode("masquerading")
        lab.sims.restart(**{"relay.client_networks": networks})
        return lab
    yield make
    lab.set_nat_mode("honest")


def test_honest_port_forward_lan_relays_and_the_internet_is_refused(honest):
    lab = honest
    lan = subject("from-lan")
    dialogue = relay_attempt(lab, "lan", lan)
    assert dialogue.delivered, dialogue
    lab.peer.wait_mail(VICTIM, lan.encode(), timeout=QUEUE_DEADLINE)
    lab.sims.wait_for_log(r" 192\.168\.1\.20 <postmaster@victim\.test> relayed: client network 192\.168\.1\.0/24")

    spam = subject("from-outside")
    dialogue = relay_attempt(lab, "outside", spam)
    assert not dialogue.delivered, dialogue
    code, text = dialogue.reply("RCPT")
    assert code == 554 and text.startswith("5.7.1"), dialogue
    # SIMS saw the spammer's real address through the honest port forward.
    lab.sims.wait_for_log(r" 192\.0\.2\.66 <postmaster@victim\.test> refused relay: client 192\.0\.2\.66 is not "
                          r"authenticated and not in a client network")
    status, document = check_relay(lab)
    assert status == 0 and document["verdict"] == "closed", json.dumps(document, indent=1)


def test_masquerading_port_forward_with_the_gateway_listed_is_an_open_relay(masquerading):
    """The operator listed the gateway 192.168.1.1 explicitly: the trap is
    open, and every tool shows it."""
    lab = masquerading(["192.168.1.0/24", "192.168.1.1"])
    spam = subject("nat-trap")
    dialogue = relay_attempt(lab, "outside", spam)
    assert dialogue.delivered, dialogue
    # The spam really reaches the third domain.
    lab.peer.wait_mail(VICTIM, spam.encode(), timeout=QUEUE_DEADLINE)
    # SIMS believed the client was the router.
    lab.sims.wait_for_log(r" 192\.168\.1\.1 <postmaster@victim\.test> relayed: client network 192\.168\.1\.")

    status, document = check_relay(lab)
    assert status == 1, json.dumps(document, indent=1)
    assert document["verdict"] == "open"
    assert document["summary"].startswith("OPEN RELAY: "), document["summary"]

    report = audit(lab)
    kinds = {finding["kind"]: finding["message"] for finding in report["findings"]}
    assert "private_network_public_listener" in kinds, json.dumps(report["findings"], indent=1)
    assert "behind NAT every outside client may look trusted" in kinds["private_network_public_listener"]
    assert "192.168.1." in kinds["private_network_public_listener"]
    # The relay permission used, and by whom: "192.168.1.1", the router, for the outsider.
    networks = [p for p in report["relay_permissions"] if p["kind"] == "client_network"]
    assert networks, json.dumps(report, indent=1)
    clients = {entry["key"] for p in networks for entry in p["clients"]}
    assert "192.168.1.1" in clients, json.dumps(networks, indent=1)
    assert report["verdict"]["status"] in ("warning", "open_relay"), report["verdict"]


def test_masquerading_port_forward_relay_from_the_gateway_is_refused_unless_listed(masquerading):
    """The guard: the default gateway's address is in 192.168.1.0/24, but
    not listed on its own, so its connections (every outside client behind
    a masquerading port forward) may not relay."""
    lab = masquerading(["192.168.1.0/24"])
    spam = subject("nat-guard")
    dialogue = relay_attempt(lab, "outside", spam)
    assert not dialogue.delivered, dialogue
    code, text = dialogue.reply("RCPT")
    # 550 5.7.1 (the plain relay refusal is 554 5.7.1: either shows the guard).
    assert code in (550, 554) and text.startswith("5.7.1"), dialogue
    wait_until(lambda: re.search(r"192\.168\.1\.1 <postmaster@victim\.test> refused relay: .*(gateway|NAT)",
                                 lab.sims.log_since_start(), re.I), 5, what="the refusal naming the gateway/NAT")
    # The LAN still relays.
    lan = subject("lan-still-relays")
    assert relay_attempt(lab, "lan", lan).delivered
    lab.peer.wait_mail(VICTIM, lan.encode(), timeout=QUEUE_DEADLINE)
