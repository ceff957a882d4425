"""relay.client_networks: the TCP peer address decides who may relay, for
single addresses, ranges, CIDR blocks and IPv6; everyone else gets 554 5.7.1
and nothing leaves. `sims config check` names malformed entries and warns
about the NAT trap and open relays."""

from __future__ import annotations

import re
import socket
import subprocess

import pytest

from simslib import (POSTMASTER, QUEUE_DEADLINE, SIMS_BINARY, RawSMTP, compose, free_port, peers, queue_overrides,
                     set_config, set_routes, spool_files)

assert peers  # the fixture, imported for pytest


def relay_server(sims_server, peers, networks, listen_extra=()):
    """A server relaying remote.test (delivery.routes) to an smtp-sink."""
    sink = peers.smtp_sink()
    sims = sims_server(queue_overrides(networks=networks), start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    if listen_extra:
        set_config(sims, {"smtp.listen": [f"127.0.0.1:{sims.smtp_port}", *listen_extra]})
    sims.start(new_ports=False)
    return sims, sink


def try_relay(sims, source: str, host: str = "127.0.0.1", port: int | None = None) -> tuple[int, str]:
    """RCPT for a remote recipient from `source`; sends the message when accepted.
    Returns the RCPT reply (code, text)."""
    with RawSMTP(port or sims.smtp_port, host=host, source=source) as c:
        c.expect("EHLO client.test", 250)
        c.expect(f"MAIL FROM:<{POSTMASTER}>", 250)
        code, text = c.cmd("RCPT TO:<user@remote.test>")
        if code == 250:
            c.expect("DATA", 354)
            c.send(compose(f"from {source}") + b".\r\n")
            assert c.reply()[0] == 250
        c.cmd("QUIT")
    return code, text


def assert_refused(sims, source: str, reply: tuple[int, str], client: str | None = None):
    client = client or source
    code, text = reply
    assert code == 554 and text.startswith("5.7.1"), f"{source} was not refused: {code} {text}"
    sims.wait_for_log(rf" {re.escape(client)} <user@remote\.test> refused relay: client {re.escape(client)} is not "
                      rf"authenticated and not in a client network \(from <{re.escape(POSTMASTER)}>\)")


def assert_relayed(sims, source: str, entry: str, reply: tuple[int, str], client: str | None = None) -> str:
    client = client or source
    code, text = reply
    assert code == 250, f"{source} could not relay ({entry}): {code} {text}"
    [qid] = sims.wait_for_log(rf"\[(S\.[0-9A-Z]+)\] {re.escape(client)} <user@remote\.test> relayed: client network "
                              rf"{re.escape(entry)}, queued for remote\.test")
    sims.wait_for_log(rf"QUEUE \[{qid}\] <user@remote\.test> sent: .*\(client network {re.escape(entry)}\)",
                      timeout=QUEUE_DEADLINE)
    return qid


def test_listed_address_relays_and_an_outside_address_is_refused(sims_server, peers):
    sims, sink = relay_server(sims_server, peers, ["127.0.0.2"])
    qid = assert_relayed(sims, "127.0.0.2", "127.0.0.2", try_relay(sims, "127.0.0.2"))
    assert [m.queue_id() for m in sink.messages()] == [qid]

    for outside in ("127.0.0.9", "127.0.0.1", "127.0.0.20"):
        assert_refused(sims, outside, try_relay(sims, outside))
    # Nothing more reached the sink, nothing waits in the queue, no mailbox got anything.
    assert [m.queue_id() for m in sink.messages()] == [qid]
    assert spool_files(sims) == []
    assert sims.mail_files() == []
    assert sims.log_since_start().count(" relayed: ") == 1


def test_outside_client_refused_even_when_sending_regardless(sims_server, peers):
    """An outside client that ignores the 554 and pushes DATA anyway gets nothing through."""
    sims, sink = relay_server(sims_server, peers, ["127.0.0.2"])
    with sims.smtp(source="127.0.0.9") as c:
        c.expect("EHLO outside.test", 250)
        c.expect(f"MAIL FROM:<{POSTMASTER}>", 250)
        c.expect("RCPT TO:<user@remote.test>", 554, "5.7.1")
        code, _ = c.cmd("DATA")
        assert code in (503, 554)
        c.send(compose("pushed anyway") + b".\r\n")
        c.cmd("QUIT")
    sims.wait_for_log(r" 127\.0\.0\.9 <user@remote\.test> refused relay: client 127\.0\.0\.9 ")
    assert sink.files() == [] and spool_files(sims) == []


@pytest.mark.parametrize("entry, allowed, refused", [
    ("127.0.0.100-127.0.0.110", ["127.0.0.100", "127.0.0.105", "127.0.0.110"], ["127.0.0.99", "127.0.0.111"]),
    ("127.0.0.0/30", ["127.0.0.2", "127.0.0.3"], ["127.0.0.4", "127.0.0.9"]),
    ("127.0.0.64/26", ["127.0.0.64", "127.0.0.127"], ["127.0.0.63", "127.0.0.128"]),
])
def test_range_and_cidr_entries(sims_server, peers, entry, allowed, refused):
    sims, sink = relay_server(sims_server, peers, [entry])
    ids = [assert_relayed(sims, source, entry, try_relay(sims, source)) for source in allowed]
    for source in refused:
        assert_refused(sims, source, try_relay(sims, source))
    assert sorted(m.queue_id() for m in sink.messages()) == sorted(ids)
    assert spool_files(sims) == []


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback (::1) on this host")
def test_ipv6_client_network(sims_server, peers):
    v6_port = free_port()
    sims, sink = relay_server(sims_server, peers, ["::1"], listen_extra=[f"[::1]:{v6_port}"])
    sims.wait_for_log(rf"listening on \[::1\]:{v6_port} \(SMTP\)")
    qid = assert_relayed(sims, "::1", "::1", try_relay(sims, "::1", host="::1", port=v6_port))
    [got] = sink.messages()
    assert got.queue_id() == qid
    assert b"[IPv6:::1]" in got.content.split(b"\r\n\r\n", 1)[0], "the Received header names the IPv6 client"
    # "::1" is not 127.0.0.1: an IPv4 loopback client may not relay.
    assert_refused(sims, "127.0.0.1", try_relay(sims, "127.0.0.1"))
    assert len(sink.messages()) == 1


# ---- sims config check ----------------------------------------------------


def config_check(sims) -> subprocess.CompletedProcess:
    return subprocess.run([SIMS_BINARY, "config", "check", "--data", str(sims.data)],
                          capture_output=True, text=True, timeout=30)


def write_networks(sims, networks: list[str], listen: list[str] | None = None) -> int:
    """Sets client_networks (and smtp.listen); returns the client_networks line number."""
    values = {"relay.client_networks": networks}
    if listen is not None:
        values["smtp.listen"] = listen
    set_config(sims, values)
    lines = (sims.data / "sims.toml").read_text().split("\n")
    return next(i for i, l in enumerate(lines) if l.startswith("client_networks")) + 1


@pytest.mark.parametrize("bad", ["300.1.2.3", "10.0.0.1/8", "192.168.0.10-192.168.0.1", "fe80::/129", "bogus",
                                 "127.0.0.1-::1", "10.0.0.0/-1", "", "192.168.0.0/24/8"])
def test_config_check_names_a_malformed_entry_with_its_line(sims_server, bad):
    sims = sims_server(start=False)
    line = write_networks(sims, ["127.0.0.2", bad, "::1"])
    result = config_check(sims)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert re.search(rf"line {line}: relay\.client_networks: .*{re.escape(bad)}", output), output
    # And the server will not start with it.
    serve = subprocess.run([SIMS_BINARY, "serve", "--data", str(sims.data)], capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
    assert serve.returncode != 0
    assert "client_networks" in serve.stdout + serve.stderr


def test_config_check_names_every_malformed_entry(sims_server):
    """docs/configuration.md: config check 'reports every problem at once'."""
    sims = sims_server(start=False)
    bad = ["300.1.2.3", "10.0.0.1/8", "bogus"]
    line = write_networks(sims, ["127.0.0.2", *bad])
    result = config_check(sims)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    missing = [b for b in bad if not re.search(rf"line {line}: relay\.client_networks: .*{re.escape(b)}", output)]
    assert not missing, f"malformed entries not reported: {missing}\n{output}"


NAT_WARNING = "every outside connection can appear to come from a trusted private address"


@pytest.mark.parametrize("listen", ["0.0.0.0:2525", "[::]:2525"])
@pytest.mark.parametrize("network", ["192.168.0.0/24", "10.1.2.3", "172.16.0.0/12", "100.64.0.0/10",
                                     "127.0.0.2", "fd00::/8", "192.168.0.100-192.168.0.199"])
def test_config_check_warns_about_the_nat_trap(sims_server, listen, network):
    """Only `config check`: no server is started on a wildcard address."""
    sims = sims_server(start=False)
    write_networks(sims, [network], [listen])
    result = config_check(sims)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"warning: relay\.client_networks contains private or loopback addresses", output), output
    assert network in output and listen in output and NAT_WARNING in output, output


@pytest.mark.parametrize("listen, network", [
    ("127.0.0.1:2525", "192.168.0.0/24"),   # loopback listener: nobody from outside
    ("0.0.0.0:2525", "8.8.8.0/24"),         # public network: not the NAT trap
])
def test_config_check_no_nat_warning_without_the_trap(sims_server, listen, network):
    sims = sims_server(start=False)
    write_networks(sims, [network], [listen])
    result = config_check(sims)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output, output
    assert "OK" in output


@pytest.mark.parametrize("network", ["0.0.0.0/0", "0.0.0.0-255.255.255.255", "::/0", "0::/0", "::0/0",
                                     "0:0:0:0:0:0:0:0/0"])
def test_config_check_warns_about_an_open_relay(sims_server, network):
    """docs: 'It also warns about 0.0.0.0/0 and ::/0' — however they are spelt."""
    sims = sims_server(start=False)
    write_networks(sims, [network], ["127.0.0.1:2525"])
    result = config_check(sims)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "everyone may relay" in output and "open relay" in output, output
