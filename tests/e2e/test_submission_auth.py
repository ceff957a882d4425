"""Submission with SMTP AUTH (issue 4, first part): swaks with STARTTLS or
implicit TLS and AUTH PLAIN/LOGIN relays through SIMS to a remote sink; without
AUTH, before TLS, with a wrong password or a foreign sender it is refused; the
password never reaches the log."""

from __future__ import annotations

import base64
import re
import signal
import socket
import subprocess

from simslib import (OUTSIDE_IP, free_port, peers, queue_overrides, require_tool, set_routes, swaks)

assert peers  # the fixture, imported for pytest

PASSWORD = "Tr0ub4dor&3-horse"
ALICE = "alice@example.test"


def submission_server(sims_server, peers, **extra):
    sink = peers.smtp_sink("127.0.0.1")
    sims = sims_server({**queue_overrides(None, None, networks=[], retry=["1h"]), "log.modules.SUBMIT": 4, **extra},
                       start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    sims.start(new_ports=False)
    sims.add_account(ALICE, PASSWORD)
    return sims, sink


def swaks_submit(sims, *args, port=None, user=ALICE, password=PASSWORD, sender=ALICE, tls="--tls"):
    require_tool("swaks")
    base = ["--server", f"127.0.0.1:{port or sims.submission_port}", "--local-interface", OUTSIDE_IP,
            "--from", sender, "--to", "bob@remote.test", "--h-Subject", "submitted"]
    if tls:
        base.append(tls)
    if user is not None:
        base += ["--auth-user", user, "--auth-password", password]
    return swaks(*base, *args)


def test_auth_plain_and_login_over_starttls_relay_to_the_sink(sims_server, peers):
    sims, sink = submission_server(sims_server, peers)
    for mechanism in ("PLAIN", "LOGIN"):
        result = swaks_submit(sims, "--auth", mechanism)
        assert result.returncode == 0, result.stdout
        assert "235 2.7.0" in result.stdout
    sims.wait_for_log(r"<bob@remote\.test> sent: .*\(authenticated as alice@example\.test\)", timeout=30, count=2)
    messages = sink.messages()
    assert len(messages) == 2
    for message in messages:
        assert re.search(rb"with ESMTPSA id S\.", message.content), message.content[:400]
        assert message.mail_from == ALICE
    log = sims.log_since_start()
    assert re.search(r"<bob@remote\.test> relayed: authenticated as alice@example\.test", log)


def test_implicit_tls_port_with_auth(sims_server, peers):
    sims, sink = submission_server(sims_server, peers)
    result = swaks_submit(sims, "--auth", "PLAIN", port=sims.submissions_port, tls="--tls-on-connect")
    assert result.returncode == 0, result.stdout
    assert "235 2.7.0" in result.stdout
    sims.wait_for_log(r"<bob@remote\.test> sent:", timeout=30)
    assert len(sink.messages()) == 1


def test_without_auth_submission_refuses_mail_even_for_local_recipients(sims_server, peers):
    sims, sink = submission_server(sims_server, peers)
    result = swaks("--server", f"127.0.0.1:{sims.submission_port}", "--tls", "--from", ALICE,
                   "--to", "postmaster@example.test")
    assert "530 5.7.0" in result.stdout, result.stdout
    assert sims.mail_files() == []
    assert sink.files() == []


def test_auth_is_not_offered_before_starttls_and_refused_with_538(sims_server, peers):
    sims, _ = submission_server(sims_server, peers)
    with socket.create_connection(("127.0.0.1", sims.submission_port), timeout=10) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"220")
        s.sendall(b"EHLO client.test\r\n")
        lines = []
        while True:
            line = f.readline()
            lines.append(line)
            if line[3:4] == b" ":
                break
        assert not any(b"AUTH" in line for line in lines), lines
        token = base64.b64encode(f"\0{ALICE}\0{PASSWORD}".encode()).decode()
        s.sendall(f"AUTH PLAIN {token}\r\n".encode())
        assert f.readline().startswith(b"538 5.7.11")
    assert PASSWORD not in sims.log_text()


def test_wrong_password_and_unknown_user_get_the_same_535(sims_server, peers):
    sims, sink = submission_server(sims_server, peers)
    wrong = swaks_submit(sims, "--auth", "PLAIN", password="not-it")
    unknown = swaks_submit(sims, "--auth", "PLAIN", user="nobody@example.test")
    for result in (wrong, unknown):
        assert "535 5.7.8 Authentication credentials invalid" in result.stdout, result.stdout
    assert sink.files() == []
    log = sims.log_since_start()
    assert "authentication failed for alice@example.test from 127.0.0.9" in log
    assert "authentication failed for nobody@example.test from 127.0.0.9" in log


def test_sender_must_belong_to_the_user(sims_server, peers):
    sims, sink = submission_server(sims_server, peers)
    sims.cli("alias", "add", "sales@example.test", ALICE, check=True)
    foreign = swaks_submit(sims, "--auth", "PLAIN", sender="ceo@example.test")
    assert "553 5.7.1" in foreign.stdout, foreign.stdout
    alias = swaks_submit(sims, "--auth", "PLAIN", sender="sales@example.test")
    assert alias.returncode == 0, alias.stdout
    sims.wait_for_log(r"<bob@remote\.test> sent:", timeout=30)
    assert len(sink.messages()) == 1


def test_password_never_in_the_log_even_at_level_4(sims_server, peers):
    sims, _ = submission_server(sims_server, peers)
    for mechanism in ("PLAIN", "LOGIN"):
        swaks_submit(sims, "--auth", mechanism)
    log = sims.log_text()
    assert "< AUTH PLAIN <hidden>" in log or "<SASL response hidden>" in log
    secrets = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(),
               base64.b64encode(f"\0{ALICE}\0{PASSWORD}".encode()).decode()]
    for secret in secrets:
        assert secret not in log


def test_repeated_failures_ban_the_address_but_not_others(sims_server, peers):
    sims, _ = submission_server(sims_server, peers, **{"auth.ban_after": 3, "auth.delay_after": 100, "auth.ban": "1h"})
    results = [swaks_submit(sims, "--auth", "PLAIN", password=f"guess-{n}") for n in range(3)]
    assert all("535 5.7.8" in r.stdout for r in results[:2]), results[0].stdout
    assert "421 4.7.0" in results[2].stdout, results[2].stdout
    # A new connection from the banned address is refused before the greeting...
    banned = swaks_submit(sims, "--auth", "PLAIN")
    assert "421 4.7.0" in banned.stdout and "235" not in banned.stdout, banned.stdout
    # ... while another address can still log in.
    other = swaks("--server", f"127.0.0.1:{sims.submission_port}", "--local-interface", "127.0.0.10", "--tls",
                  "--auth", "PLAIN", "--auth-user", ALICE, "--auth-password", PASSWORD,
                  "--from", ALICE, "--to", "bob@remote.test")
    assert "235 2.7.0" in other.stdout, other.stdout
    log = sims.log_since_start()
    assert re.search(r"banned 127\.0\.0\.9 for ", log)
    assert "refused connection: address banned" in log


def test_locked_account_refuses_even_the_right_password_with_the_same_reply(sims_server, peers):
    sims, _ = submission_server(sims_server, peers, **{"auth.lock_after": 2, "auth.ban_after": 100, "auth.delay_after": 100})
    for n in range(2):
        swaks_submit(sims, "--auth", "LOGIN", password=f"guess-{n}")
    right = swaks_submit(sims, "--auth", "LOGIN")
    assert "535 5.7.8 Authentication credentials invalid" in right.stdout, right.stdout
    assert "account locked" in sims.log_since_start()


def peer_common_name(port: int) -> str:
    import ssl
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"], input=der,
                         capture_output=True, check=True).stdout.decode()
    return out.strip().split("CN", 1)[1].lstrip(" =")


def test_certificate_reloads_on_sighup_without_restart(sims_server, peers):
    require_tool("openssl")
    sims, _ = submission_server(sims_server, peers)
    assert peer_common_name(sims.submissions_port) != "renewed.example.test"
    tls = sims.data / "tls"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=renewed.example.test", "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
                    "-days", "2"], check=True, capture_output=True)
    sims.proc.send_signal(signal.SIGHUP)
    sims.wait_for_log(r"SYSTEM SIGHUP: log file reopened; .*certificate reloaded from ", timeout=10)
    assert peer_common_name(sims.submissions_port) == "renewed.example.test"
    assert sims.running(), "SIGHUP must not stop the server"


def test_auth_pipelined_after_starttls_on_submission_is_discarded(sims_server, peers):
    """STARTTLS injection on 587: an AUTH sent in plaintext together with
    STARTTLS must not be executed inside TLS (it would log the user in)."""
    from simslib import RawSMTP
    sims, _ = submission_server(sims_server, peers)
    token = base64.b64encode(f"\0{ALICE}\0{PASSWORD}".encode()).decode()
    with RawSMTP(sims.submission_port) as c:
        c.expect("EHLO inject.example", 250)
        c.send(f"STARTTLS\r\nAUTH PLAIN {token}\r\n".encode())
        assert c.reply()[0] == 220
        assert c.buffer == b"" and c.nothing_pending(0.3)
        c.starttls()
        assert c.nothing_pending(0.3), f"unsolicited data after the handshake: {c.buffer!r}"
        c.expect("EHLO inject.example", 250)
        code, text = c.cmd(f"MAIL FROM:<{ALICE}>")
        assert (code, text[:5]) == (530, "5.7.0"), "the injected AUTH must not have logged the client in"
    assert "authenticated as" not in sims.log_since_start()


def test_account_senders_widen_what_a_user_may_send_as(sims_server, peers):
    sims, sink = submission_server(sims_server, peers)
    before = swaks_submit(sims, "--auth", "PLAIN", sender="newsletter@example.test")
    assert "553 5.7.1" in before.stdout, before.stdout
    widened = sims.cli("account", "senders", ALICE, "--add", "*@example.test", check=True)
    assert "*@example.test" in widened.stdout
    after = swaks_submit(sims, "--auth", "PLAIN", sender="newsletter@example.test")
    assert after.returncode == 0, after.stdout
    other_domain = swaks_submit(sims, "--auth", "PLAIN", sender="ceo@elsewhere.test")
    assert "553 5.7.1" in other_domain.stdout, "the pattern covers its domain only"
    sims.wait_for_log(r"<bob@remote\.test> sent:", timeout=30)
    assert [m.mail_from for m in sink.messages()] == ["newsletter@example.test"]
