"""The NAT trap guard on loopback: behind a port forward that masquerades the
source address every outside client appears as this host's default gateway,
so a client network that merely covers the gateway must not let it relay.

A loopback address cannot be the machine's real default gateway, so these
tests point the server at a route table of their own with the documented
test hook SIMS_ROUTE_TABLE_DIR (a directory holding `route` and
`ipv6_route`, read instead of /proc/net) and declare 127.0.0.5 the gateway.
Clients connect from chosen 127.0.0.x addresses (bound client sockets)."""

from __future__ import annotations

import json
import re
import socket
import struct
import subprocess

import pytest

from simslib import (POSTMASTER, QUEUE_DEADLINE, SIMS_BINARY, RawSMTP, compose, peers, queue_overrides, set_config,
                     set_routes, spool_files)

assert peers  # the fixture, imported for pytest

GATEWAY = "127.0.0.5"
LAN_CLIENT = "127.0.0.6"
HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def kernel_word(address: str) -> str:
    """The address as /proc/net/route prints it: the 32-bit word in host byte order, in hex."""
    return "%08X" % struct.unpack("=I", socket.inet_aton(address))[0]


@pytest.fixture
def route_table(tmp_path, monkeypatch):
    """A route table whose default route goes through GATEWAY; the servers and
    commands started by the test inherit the hook."""
    directory = tmp_path / "routes"
    directory.mkdir()
    (directory / "route").write_text(
        HEADER + f"lo\t00000000\t{kernel_word(GATEWAY)}\t0003\t0\t0\t100\t00000000\t0\t0\t0\n")
    (directory / "ipv6_route").write_text("")
    monkeypatch.setenv("SIMS_ROUTE_TABLE_DIR", str(directory))
    return directory


# The gateway is checked like any outsider (that is the point); these checks
# would ask DNS about the sender, which this loopback test has none of.
NO_DNS_CHECKS = {"antispam.helo_policy": "off", "antispam.verify_return_path": False, "antispam.spf": "off"}


def relay_server(sims_server, peers, networks):
    sink = peers.smtp_sink()
    sims = sims_server(queue_overrides(networks=networks, **NO_DNS_CHECKS), start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    sims.start(new_ports=False)
    return sims, sink


def try_relay(sims, source: str) -> tuple[int, str]:
    with RawSMTP(sims.smtp_port, source=source) as c:
        c.expect("EHLO client.test", 250)
        c.expect(f"MAIL FROM:<{POSTMASTER}>", 250)
        code, text = c.cmd("RCPT TO:<user@remote.test>")
        if code == 250:
            c.expect("DATA", 354)
            c.send(compose(f"from {source}") + b".\r\n")
            assert c.reply()[0] == 250
        c.cmd("QUIT")
    return code, text


def sims_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SIMS_BINARY, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def audit_json(sims) -> dict:
    result = sims_cli("audit", "--format", "json", "--data", str(sims.data))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_the_gateway_covered_by_a_network_is_refused_relay_and_the_log_explains(route_table, sims_server, peers):
    sims, sink = relay_server(sims_server, peers, ["127.0.0.0/8"])
    sims.wait_for_log(rf"SYSTEM default gateways: {re.escape(GATEWAY)} \(")

    code, text = try_relay(sims, GATEWAY)
    assert code == 550 and text.startswith("5.7.1") and "Relay access denied" in text, (code, text)
    sims.wait_for_log(
        rf" {re.escape(GATEWAY)} <user@remote\.test> refused relay: client {re.escape(GATEWAY)} is this host's default "
        rf"gateway: behind a masquerading port forward every outside client appears as the gateway; list "
        rf"{re.escape(GATEWAY)} in client_networks only if the gateway itself sends mail \(from <{re.escape(POSTMASTER)}>\)")

    # Another address of the same network still relays.
    assert try_relay(sims, LAN_CLIENT)[0] == 250
    [qid] = sims.wait_for_log(rf"\[(S\.[0-9A-Z]+)\] {re.escape(LAN_CLIENT)} <user@remote\.test> relayed: client network "
                              rf"127\.0\.0\.0/8, queued for remote\.test")
    sims.wait_for_log(rf"QUEUE \[{qid}\] <user@remote\.test> sent: ", timeout=QUEUE_DEADLINE)
    assert [m.queue_id() for m in sink.messages()] == [qid], "only the LAN client's message left"
    assert spool_files(sims) == []

    report = audit_json(sims)
    assert report["counts"]["refused_relay"] == 1
    notes = [f for f in report["findings"] if f["kind"] == "gateway_refused"]
    assert notes and GATEWAY in notes[0]["message"], report["findings"]
    assert report["verdict"]["status"] == "ok", report["verdict"]

    # Had the listener been the LAN address itself (exposed by a port
    # forward), the audit says so, naming the listener with its port.
    sims.stop()
    set_config(sims, {"smtp.listen": ["192.168.1.10:2525"]})
    report = audit_json(sims)
    trap = [f for f in report["findings"] if f["kind"] == "private_network_public_listener"]
    assert trap and "192.168.1.10:2525" in trap[0]["message"], report["findings"]
    assert f"127.0.0.1:{sims.submission_port}" not in trap[0]["message"]


def test_the_gateway_listed_alone_relays_and_the_audit_flags_it(route_table, sims_server, peers):
    sims, sink = relay_server(sims_server, peers, ["127.0.0.0/8", GATEWAY])
    assert try_relay(sims, GATEWAY)[0] == 250
    [qid] = sims.wait_for_log(rf"\[(S\.[0-9A-Z]+)\] {re.escape(GATEWAY)} <user@remote\.test> relayed: client network "
                              rf"{re.escape(GATEWAY)}, queued for remote\.test")
    sims.wait_for_log(rf"QUEUE \[{qid}\] <user@remote\.test> sent: ", timeout=QUEUE_DEADLINE)
    assert [m.queue_id() for m in sink.messages()] == [qid]

    report = audit_json(sims)
    flagged = [f for f in report["findings"] if f["kind"] == "gateway_relay"]
    assert flagged and flagged[0]["severity"] == "warning" and GATEWAY in flagged[0]["message"], report["findings"]
    assert report["verdict"]["status"] == "warning"
    assert report["verdict"]["text"].startswith("outsiders could relay through the NAT"), report["verdict"]
    [permission] = [p for p in report["relay_permissions"] if p["name"] == GATEWAY]
    assert permission["gateway_clients"] == [GATEWAY]
    text = sims_cli("audit", "--data", str(sims.data)).stdout
    assert f"{GATEWAY} 1 (default gateway)" in text, text


def test_the_gateway_is_no_trusted_client_for_the_checks(route_table, sims_server):
    """Loopback is exempt from the checks by default; the gateway, inside it, is not."""
    sims = sims_server(dict(NO_DNS_CHECKS))
    for source in (GATEWAY, LAN_CLIENT):
        with RawSMTP(sims.smtp_port, source=source) as c:
            c.expect("EHLO client.test", 250)
            c.expect("MAIL FROM:<bob@remote.test>", 250)
            c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
            c.expect("DATA", 354)
            c.send(compose(f"from {source}", to=POSTMASTER) + b".\r\n")
            assert c.reply()[0] == 250
            c.cmd("QUIT")
    sims.wait_for_log(r"delivered: ", count=2)
    stored = {f.read_bytes().split(b"Subject: from ")[1].split(b"\r\n")[0].decode(): f.read_bytes()
              for f in sims.mail_files()}
    assert b"Authentication-Results: " in stored[GATEWAY], stored[GATEWAY][:600]
    assert b"Authentication-Results: " not in stored[LAN_CLIENT], stored[LAN_CLIENT][:600]


def test_config_check_and_doctor_name_the_gateway(route_table, sims_server):
    sims = sims_server(start=False)
    set_config(sims, {"smtp.listen": ["0.0.0.0:2525"], "relay.client_networks": ["127.0.0.0/8"]})
    result = sims.cli("config", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"default gateway {GATEWAY} (in 127.0.0.0/8)" in result.stdout, result.stdout
    assert "0.0.0.0:2525" in result.stdout

    set_config(sims, {"relay.client_networks": ["127.0.0.0/8", f"{GATEWAY}/32"]})
    result = subprocess.run([SIMS_BINARY, "doctor", "--offline", "--format", "json", "--data", str(sims.data)],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    found = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
    gateway = found["config.client-networks-gateway"]
    assert gateway["severity"] == "warning" and GATEWAY in gateway["found"], gateway
    assert gateway["fix"].startswith("Keep the entry only")


def test_a_pop_login_from_the_gateway_opens_no_relay_window_and_says_so(sims_server, peers, route_table):
    """POP-before-SMTP from the gateway would let every outside client behind
    a masquerading port forward relay on one user's login: refused, and the
    log says so instead of promising a window."""
    from test_pop_before_smtp import ALICE, PASSWORD, pop_login, rcpt_reply

    sink = peers.smtp_sink()
    sims = sims_server(queue_overrides(networks=[], **NO_DNS_CHECKS, **{"relay.pop_before_smtp": True}), start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)
    pop_login(sims, GATEWAY)
    sims.wait_for_log(rf"pop-before-smtp: {re.escape(GATEWAY)} is this host's default gateway .*opens no relay window")
    assert "may relay as" not in sims.log_since_start()
    code, text = rcpt_reply(sims, GATEWAY)
    assert code in (550, 554) and text.startswith("5.7.1"), (code, text)
    # Another address's login still opens its window.
    pop_login(sims, LAN_CLIENT)
    sims.wait_for_log(rf"pop-before-smtp: {re.escape(LAN_CLIENT)} may relay as {re.escape(ALICE)}")
    assert rcpt_reply(sims, LAN_CLIENT)[0] == 250
