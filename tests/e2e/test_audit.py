"""`sims audit` and `sims explain` on logs written by the real server in
scripted scenarios: local delivery, authenticated relay on the submission
port, client-network relay, refused relay attempts, an unknown user, a
brute-force AUTH run that gets banned, and backscatter (a relayed message
from a forged sender that the remote MX rejects, so its bounce goes to a
domain we never relayed to). Every count and the verdict of
`sims audit --format json` are checked against what the scenarios did."""

from __future__ import annotations

import json
import os
import re
import smtplib
import ssl
import subprocess

from simslib import (POSTMASTER, QUEUE_DEADLINE, SIMS_BINARY, TRUSTED_IP, RawSMTP, compose, peers, queue_overrides,
                     relay, set_routes, wait_until)

assert peers  # the fixture, imported for pytest

ALICE = "alice@example.test"
PASSWORD = "audit-correct-horse"
OUTSIDE = "127.0.0.9"
OTHER_OUTSIDE = "127.0.0.8"
ATTACKER = "127.0.0.10"
SINK_RULES = {"RCPT": {"rejected": "550 5.1.1 User unknown", "forged": "550 5.1.1 No such user here"}}


def audit_server(sims_server, peers, **extra):
    """Relays remote.test, second.test and innocent.test to one scripted sink
    (routes, no DNS); 127.0.0.2 is a client network; 3 AUTH failures ban."""
    sink = peers.scripted_sink(rules=SINK_RULES)
    sims = sims_server({**queue_overrides(None, None, networks=[TRUSTED_IP], retry=["1h"]),
                        "auth.ban_after": 3, "auth.delay_after": 100, "auth.ban": "1h", **extra}, start=False)
    set_routes(sims, {d: f"127.0.0.1:{sink.port}" for d in ("remote.test", "second.test", "innocent.test")})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)
    return sims, sink


def sims_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([SIMS_BINARY, *args], capture_output=True, text=True, timeout=60,
                            env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"sims {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def audit_json(sims) -> dict:
    return json.loads(sims_cli("audit", "--format", "json", "--data", str(sims.data)).stdout)


def tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def local_delivery(sims) -> str:
    with RawSMTP(sims.smtp_port, source=OUTSIDE) as c:
        c.expect("EHLO outside.test", 250)
        c.expect("MAIL FROM:<bob@remote.test>", 250)
        c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
        c.expect("DATA", 354)
        c.send(compose("local", sender="bob@remote.test", to=POSTMASTER) + b".\r\n")
        code, text = c.reply()
        assert code == 250, text
        c.cmd("QUIT")
    return re.search(r"(S\.[0-9A-Z]+)", text).group(1)


def authenticated_relay(sims):
    with smtplib.SMTP("127.0.0.1", sims.submission_port, source_address=(OUTSIDE, 0), timeout=20) as s:
        s.ehlo("laptop.test")
        s.starttls(context=tls_context())
        s.ehlo("laptop.test")
        s.login(ALICE, PASSWORD)
        refused = s.sendmail(ALICE, ["bob@remote.test", "dave@second.test"], compose("submitted", sender=ALICE))
        assert refused == {}


def refused_relay(sims, source: str, recipients: list[str]):
    with RawSMTP(sims.smtp_port, source=source) as c:
        c.expect("EHLO spammer.test", 250)
        c.expect("MAIL FROM:<spam@spam.test>", 250)
        for r in recipients:
            code, _ = c.cmd(f"RCPT TO:<{r}>")
            assert code >= 500, r
        c.cmd("QUIT")


def brute_force(sims):
    with smtplib.SMTP("127.0.0.1", sims.submission_port, source_address=(ATTACKER, 0), timeout=20) as s:
        s.ehlo("bot.test")
        s.starttls(context=tls_context())
        s.ehlo("bot.test")
        for attempt in range(3):
            try:
                s.login(ALICE, f"guess-{attempt}")
                raise AssertionError("a wrong password was accepted")
            except (smtplib.SMTPAuthenticationError, smtplib.SMTPServerDisconnected):
                pass
    sims.wait_for_log(rf"banned {re.escape(ATTACKER)} for ")
    try:
        smtplib.SMTP("127.0.0.1", sims.submission_port, source_address=(ATTACKER, 0), timeout=20).quit()
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected):
        pass
    sims.wait_for_log(r"refused connection: address banned")


def unwrapped(text: str) -> str:
    """Explain's summary wraps long values onto indented lines: join them back."""
    return re.sub(r"\n {16}(?=\S)", " ", text)


def night_relays(sims) -> int:
    """Client-network recipients relayed 00:00-05:00 UTC (the test may run at night)."""
    return len(re.findall(r"^\S+T0[0-4]:\S+ \d \S+ \[S\.\w+\] \S+ <[^>]+> relayed: client network ",
                          sims.log_text(), re.M))


def test_audit_counts_every_scenario(sims_server, peers):
    sims, sink = audit_server(sims_server, peers)
    local_delivery(sims)
    authenticated_relay(sims)
    relay(sims, ["good@remote.test"], compose("from the office"))
    backscatter_id = relay(sims, ["rejected@remote.test"], compose("forged", sender="forged@innocent.test"),
                           sender="forged@innocent.test")
    refused_relay(sims, OUTSIDE, ["x@remote.test", "y@remote.test", "nobody@example.test"])
    refused_relay(sims, OTHER_OUTSIDE, ["z@remote.test"])
    brute_force(sims)
    # Wait for the queue: 3 sent, 1 rejected -> DSN to innocent.test -> rejected -> discarded.
    sims.wait_for_log(r"<good@remote\.test> sent: ", timeout=QUEUE_DEADLINE)
    sims.wait_for_log(r"bounce undeliverable, discarded", timeout=QUEUE_DEADLINE)
    sims.wait_for_log(r" sent: .*\(authenticated as alice@example\.test\)", timeout=QUEUE_DEADLINE, count=2)
    assert len(sink.messages()) == 3

    report = audit_json(sims)
    c = report["counts"]
    assert c["received"] == 4, c
    assert c["delivered_locally"] == 1, c
    assert (c["relayed"], c["relayed_messages"], c["relayed_without_permission"]) == (4, 3, 0), c
    assert c["sent"] == 3, c
    assert c["bounced"] == 2, c  # rejected@remote.test, then the bounce itself to forged@innocent.test
    assert (c["bounces_sent"], c["bounces_discarded"]) == (1, 1), c
    assert c["deferred"] == 0, c
    assert (c["refused"], c["refused_relay"], c["refused_connections"]) == (5, 3, 1), c
    assert (c["auth_successes"], c["auth_failures"], c["bans"]) == (1, 3, 1), c
    reasons = {e["key"]: e["count"] for e in report["refused_by_reason"]}
    assert reasons == {"relay denied": 3, "unknown user": 1, "connection: banned address": 1}, reasons

    permissions = {(p["kind"], p["name"]): p for p in report["relay_permissions"]}
    assert set(permissions) == {("authenticated", ALICE), ("client_network", TRUSTED_IP)}, permissions
    alice = permissions[("authenticated", ALICE)]
    assert (alice["messages"], alice["recipients"], alice["distinct_domains"]) == (1, 2, 2), alice
    assert {e["key"] for e in alice["top_domains"]} == {"remote.test", "second.test"}
    assert [e["key"] for e in alice["clients"]] == [OUTSIDE]
    network = permissions[("client_network", TRUSTED_IP)]
    assert (network["messages"], network["recipients"], network["distinct_domains"]) == (2, 2, 1), network
    assert network["first"] <= network["last"]
    assert network["night_recipients"] == night_relays(sims)

    assert {e["key"]: e["count"] for e in report["refused_relay_by_ip"]} == {OUTSIDE: 2, OTHER_OUTSIDE: 1}
    assert report["auth_failures_by_ip"] == [{"key": ATTACKER, "count": 3}]
    assert report["auth_failures_by_account"] == [{"key": ALICE, "count": 3}]
    assert report["bans_by_ip"] == [{"key": ATTACKER, "count": 1}]
    assert report["backscatter_domains"] == [{"key": "innocent.test", "count": 1}]

    kinds = [f["kind"] for f in report["findings"]]
    assert kinds == (["night_relay"] if night_relays(sims) else []) + ["backscatter"], report["findings"]
    assert report["verdict"]["status"] == "warning"
    assert report["verdict"]["text"].startswith("no relaying except by authenticated users and client networks, but")
    assert "backscatter" in report["verdict"]["text"]

    # explain the backscatter message: relayed, rejected, bounced, the DSN discarded.
    text = unwrapped(sims_cli("explain", backscatter_id, "--data", str(sims.data), env={"NO_COLOR": "1"}).stdout)
    assert f"Message {backscatter_id}" in text
    assert f"relayed: client network {TRUSTED_IP}, queued for remote.test" in text
    assert re.search(r"fate\s+bounced", text), text
    assert "sent to <forged@innocent.test>" in text
    assert "bounce undeliverable, discarded" in text
    assert "\x1b[" not in text


def test_clean_verdict_text_output_and_explain(sims_server, peers):
    sims, sink = audit_server(sims_server, peers, **{"log.modules.SMTP": 4})
    local_id = local_delivery(sims)
    office_message = compose("from the office")
    relayed_id = relay(sims, ["good@remote.test"], office_message, helo="office-pc.test")
    refused_relay(sims, OUTSIDE, ["x@remote.test"])
    sims.wait_for_log(rf"QUEUE \[{relayed_id}\] removed from queue", timeout=QUEUE_DEADLINE)

    report = audit_json(sims)
    assert (report["counts"]["received"], report["counts"]["relayed"], report["counts"]["refused_relay"]) == (2, 1, 1)
    expected = [] if not night_relays(sims) else ["night_relay"]
    assert [f["kind"] for f in report["findings"]] == expected
    if not expected:
        assert report["verdict"] == {"status": "ok",
                                     "text": "no relaying except by authenticated users and client networks"}

    # The same for people: aligned, 80 columns, no colour through a pipe.
    text = sims_cli("audit", "--data", str(sims.data), "--since", "1h").stdout
    assert "\x1b[" not in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert re.search(r"^  received \(messages\)\s+2$", text, re.M), text
    assert "Verdict: no relaying except by authenticated users and client" in text
    # --log reads exactly the given file; --since in the future leaves nothing.
    later = json.loads(sims_cli("audit", "--format", "json", "--log", str(sims.log_path),
                                "--since", "2999-01-01").stdout)
    assert later["counts"]["received"] == 0 and later["window"]["lines"] == 0

    relayed_story = unwrapped(sims_cli("explain", relayed_id, "--data", str(sims.data)).stdout)
    assert re.search(rf"connection\s+SMTP-\d+ from {re.escape(TRUSTED_IP)} at ", relayed_story), relayed_story
    assert "EHLO office-pc.test" in relayed_story
    assert f"MAIL FROM     <{POSTMASTER}>" in relayed_story
    assert f"relayed: client network {TRUSTED_IP}, queued for remote.test" in relayed_story
    assert re.search(r"attempt\s+\S+ sent: .*127\.0\.0\.1:\d+.* said 250", relayed_story), relayed_story
    assert re.search(r"fate\s+sent to .*127\.0\.0\.1:\d+", relayed_story), relayed_story

    local_story = unwrapped(sims_cli("explain", local_id, "--data", str(sims.data)).stdout)
    assert re.search(rf"connection\s+SMTP-\d+ from {re.escape(OUTSIDE)}", local_story), local_story
    assert "EHLO outside.test" in local_story
    assert f"delivered: local mailbox {POSTMASTER}" in local_story
    assert re.search(r"fate\s+delivered locally", local_story)
    assert "relayed" not in local_story

    missing = subprocess.run([SIMS_BINARY, "explain", "S.NOSUCHID", "--data", str(sims.data)],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "no log line names S.NOSUCHID" in missing.stderr
    unknown_id = subprocess.run([SIMS_BINARY, "explain", "<abc@test.example>", "--data", str(sims.data)],
                                capture_output=True, text=True, timeout=60)
    assert unknown_id.returncode != 0 and "message-id" in unknown_id.stderr
    # The server logs each message's Message-ID, so explain finds the message by it too.
    [message_id] = re.findall(rb"Message-ID: (<[^>]+>)", office_message)
    by_message_id = unwrapped(sims_cli("explain", message_id.decode(), "--data", str(sims.data)).stdout)
    assert f"relayed: client network {TRUSTED_IP}, queued for remote.test" in by_message_id, by_message_id
    assert relayed_id in by_message_id
