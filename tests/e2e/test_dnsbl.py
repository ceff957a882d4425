"""`sims dnsbl` against rbldnsd (issue 7): the DNSBL server real blocklists
run, on a loopback port, serving an address list (ip4set, ip6trie), a domain
list (dnset) and a zone that answers 127.255.255.254 ("query refused") to
everything. A DNS server that never answers gives "no answer" quickly.

`Rbldnsd` lives in simslib; the server-side DNSBL tests use it too."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

from simslib import SIMS_BINARY, Rbldnsd, peers, require_tool, zone

assert peers  # the fixture, imported for pytest

# rbldnsd substitutes "$" in a TXT template with the address looked up.
LISTED_REASON = "Listed for testing: $ is a test spammer"
BLOCKLIST_ZONES = {
    "bl.test": ("ip4set", f":127.0.0.2:{LISTED_REASON}\n127.0.0.2\n127.0.0.3\n"),
    "bl6.test": ("ip6trie", ":127.0.0.2:IPv6 listing for $\n::1\n"),
    "dbl.test": ("dnset", ":127.0.1.2:Domain listed: $\nspammer.test\n"),
    "refused.test": ("ip4set", ":127.255.255.254:Query refused\n0.0.0.0/1\n128.0.0.0/1\n"),
}


@pytest.fixture
def rbldnsd(tmp_path):
    """Factory: rbldnsd(zones) -> a running Rbldnsd, killed at teardown."""
    started: list[Rbldnsd] = []

    def start(zones: dict[str, tuple[str, str]] = BLOCKLIST_ZONES) -> Rbldnsd:
        server = Rbldnsd(zones, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def dnsbl(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([SIMS_BINARY, "dnsbl", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def line_for(output: str, zone: str) -> str:
    lines = [line for line in output.splitlines() if line.strip().startswith(zone + " ")]
    assert len(lines) == 1, f"expected one line for {zone} in:\n{output}"
    return lines[0]


def test_listed_address_with_reason_and_refusing_list(rbldnsd):
    server = rbldnsd()
    result = dnsbl("127.0.0.2", "--dns", server.address, "--lists", "bl.test,refused.test")
    assert result.returncode == 1, result.stdout + result.stderr
    listed = line_for(result.stdout, "bl.test")
    assert listed.split()[1:3] == ["LISTED", "127.0.0.2"], result.stdout
    assert "Listed for testing: 127.0.0.2 is a test spammer" in result.stdout
    assert line_for(result.stdout, "refused.test").split()[1:3] == ["refused", "127.255.255.254:"], result.stdout
    assert "LISTED: 127.0.0.2 on 1 of 2 lists (bl.test)" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    assert all(len(line) <= 80 for line in result.stdout.splitlines()), result.stdout


def test_unlisted_address(rbldnsd):
    server = rbldnsd()
    result = dnsbl("127.0.0.9", "--dns", server.address, "--lists", "bl.test", "--lists", "refused.test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert line_for(result.stdout, "bl.test").split()[1:] == ["not", "listed"]
    # A refusal is never a listing, and says so.
    assert line_for(result.stdout, "refused.test").split()[1] == "refused"
    assert "not listed: 127.0.0.9 on none of 2 lists (1 lookups without an answer)" in result.stdout


def test_only_refusals_exit_2(rbldnsd):
    server = rbldnsd()
    result = dnsbl("127.0.0.2", "--dns", server.address, "--lists", "refused.test")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no list gave an answer" in result.stdout


def test_ipv6_address_by_nibbles(rbldnsd):
    server = rbldnsd()
    result = dnsbl("::1", "--dns", server.address, "--lists", "bl6.test", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    lookup = json.loads(result.stdout)["lookups"][0]
    assert lookup["query"] == "1." + "0." * 31 + "bl6.test"
    assert lookup["status"] == "listed"
    assert lookup["reason"] == "IPv6 listing for ::1"


def test_domain_lists_json(rbldnsd):
    server = rbldnsd()
    result = dnsbl("Spammer.Test.", "--dns", server.address, "--domain-lists", "dbl.test", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["listed"] == 1 and document["exit_status"] == 1
    [lookup] = document["lookups"]
    assert lookup == {"subject": "spammer.test", "kind": "domain", "list": "dbl.test", "name": "dbl.test",
                      "query": "spammer.test.dbl.test", "status": "listed", "answers": ["127.0.1.2"],
                      "reason": "Domain listed: spammer.test"}
    clean = dnsbl("good.test", "--dns", server.address, "--domain-lists", "dbl.test", "--format", "json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert [entry["status"] for entry in json.loads(clean.stdout)["lookups"]] == ["not-listed"]


def test_silent_dns_server_gives_no_answer_quickly():
    require_tool("rbldnsd", ["/usr/sbin/rbldnsd"])  # the suite's peer; not used here, but keeps CI honest
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives queries, never answers
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = dnsbl("127.0.0.2", "--dns", f"127.0.0.1:{port}", "--dns-timeout", "0.3", "--lists", "bl.test,bl2.test")
        elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stdout + result.stderr
    for zone in ("bl.test", "bl2.test"):
        assert line_for(result.stdout, zone).split()[1:3] == ["no", "answer"], result.stdout
    assert "timeout" in result.stdout.lower()
    # 2 attempts x 0.3 s, both lists at once; loose bound for a loaded machine.
    assert elapsed < 10, f"took {elapsed:.1f}s"


def test_host_name_checks_the_name_and_each_address(peers):
    # One zone server holds the host's addresses and both lists' records.
    dns = peers.dns(zone(
        "mail.host.test. A 127.0.0.2",
        "mail.host.test. A 127.0.0.9",
        "2.0.0.127.bl.test. A 127.0.0.2",
        '2.0.0.127.bl.test. TXT "dynamic address"',
        "mail.host.test.dbl.test. A 127.0.1.2",
    ))
    result = dnsbl("mail.host.test", "--dns", dns.address, "--lists", "bl.test", "--domain-lists", "dbl.test")
    assert result.returncode == 1, result.stdout + result.stderr
    blocks = result.stdout.split("\n\n")
    assert blocks[0].splitlines()[0] == "domain mail.host.test"
    assert line_for(blocks[0], "dbl.test").split()[1:3] == ["LISTED", "127.0.1.2"]
    assert blocks[1].splitlines()[0] == "address 127.0.0.2"
    assert "dynamic address" in blocks[1]
    assert blocks[2].splitlines()[0] == "address 127.0.0.9"
    assert line_for(blocks[2], "bl.test").split()[1:] == ["not", "listed"]
    missing = dnsbl("nowhere.host.test", "--dns", dns.address, "--lists", "bl.test", "--domain-lists", "dbl.test")
    assert missing.returncode == 0, missing.stdout + missing.stderr
    assert "nowhere.host.test: no such host name (NXDOMAIN)" in missing.stdout


def test_a_subject_that_is_neither_address_nor_name_is_refused_without_asking_dns():
    result = dnsbl("!!bad", "--dns", "127.0.0.1:1", "--dns-timeout", "0.2")
    assert result.returncode != 0 and "neither an IP address nor a host name" in result.stderr, result


@pytest.mark.parametrize("subject", ["999.1.1.1", "1.2.3", "256.0.0.1"])
def test_a_malformed_ipv4_address_is_refused_not_looked_up_as_a_name(subject):
    result = dnsbl(subject, "--dns", "127.0.0.1:1", "--dns-timeout", "0.2")
    assert result.returncode != 0, result.stdout + result.stderr
    assert f'"{subject}" is not a valid IPv4 address' in result.stderr, result.stderr
    assert "domain " + subject not in result.stdout


@pytest.mark.parametrize("subject", ["127.0.0.2", "192.0.2.5"])
def test_a_resolver_that_denies_the_rfc5782_test_entry_is_unusable(peers, subject):
    # A resolver that answers NXDOMAIN for everything under bl.test, the test
    # entry 2.0.0.127.bl.test included (as some public resolvers do for lists
    # that block them); good.test keeps a usable list beside it.
    dns = peers.dns(zone("2.0.0.127.good.test. A 127.0.0.2", "other.test. A 127.0.0.1"))
    result = dnsbl(subject, "--dns", dns.address, "--lists", "bl.test,good.test")
    output = result.stdout + result.stderr
    assert line_for(result.stdout, "bl.test").split()[1] == "unusable", output
    assert "unusable for blocklists" in " ".join(result.stdout.split()), output
    assert all(len(line) <= 80 for line in result.stdout.splitlines()), result.stdout
    if subject == "127.0.0.2":
        assert result.returncode == 1, output  # good.test lists its test entry
    else:
        assert result.returncode == 0, output  # good.test answered, and it is usable
        assert line_for(result.stdout, "good.test").split()[1:] == ["not", "listed"], output
    only_bad = dnsbl(subject, "--dns", dns.address, "--lists", "bl.test", "--format", "json")
    assert only_bad.returncode == 2, only_bad.stdout + only_bad.stderr
    document = json.loads(only_bad.stdout)
    assert [entry["status"] for entry in document["lookups"]] == ["unusable"]
    assert "denies the RFC 5782 test entry 127.0.0.2" in document["summary"]
