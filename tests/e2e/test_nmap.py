"""nmap's smtp-open-relay, smtp-enum-users and smtp-brute scripts find no relay, no user and no password."""

from __future__ import annotations

import re
import subprocess

from simslib import require_tool


def script_output(output: str, script: str) -> str:
    """The block nmap prints for one script: '|_name: text' or '| name: \\n|  ...|_ ...'."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = re.match(rf"^\|_?\s*{re.escape(script)}:(.*)$", line)
        if not m:
            continue
        block = [m.group(1).strip()]
        if line.startswith("|_"):
            return "\n".join(block).strip()
        for follow in lines[i + 1:]:
            if not follow.startswith("|"):
                break
            block.append(follow.lstrip("|_ ").rstrip())
            if follow.startswith("|_"):
                break
        return "\n".join(block).strip()
    raise AssertionError(f"nmap printed no {script} result:\n{output}")


def test_nmap_open_relay_and_enum_users(sims_server):
    nmap = require_tool("nmap", ["/usr/bin/nmap"])
    # Generous error limit, so that the scripts can run all their tests in one session.
    sims = sims_server({"limits.errors_per_session": 1000})
    # "+" forces the scripts although the port is not 25/465/587. The relay tests
    # aim at relaytest@remote.test (not local) through 16 address tricks;
    # the user enumeration guesses users of example.test (the local domain).
    result = subprocess.run(
        [nmap, "-Pn", "-n", "-p", str(sims.smtp_port),
         "--script", "+smtp-open-relay,+smtp-enum-users",
         "--script-args",
         "smtp-open-relay.domain=remote.test,smtp-open-relay.ip=127.0.0.1,"
         "smtp-open-relay.from=antispam,smtp-enum-users.domain=example.test,"
         "smtp-enum-users.methods={RCPT,VRFY,EXPN}",
         "127.0.0.1"],
        capture_output=True, text=True, timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output

    relay = script_output(output, "smtp-open-relay")
    assert "Server is an open relay" not in relay, relay
    assert "Server doesn't seem to be an open relay, all tests failed" in relay, \
        f"smtp-open-relay did not complete its tests: {relay!r}"

    users = script_output(output, "smtp-enum-users")
    assert "Couldn't find any accounts" in users, f"smtp-enum-users listed something: {users!r}"
    assert "root" not in users.split() and "admin" not in users.split()

    # The server really was probed: many relay attempts were refused, none accepted.
    log = sims.log_text()
    refused = [l for l in log.splitlines() if "refused relay: client 127.0.0.1" in l]
    assert len(refused) >= 10, f"only {len(refused)} relay refusals logged; was the server probed?\n{log}"
    assert "delivered" not in log
    assert sims.all_stored_files() == []


def test_nmap_smtp_brute_finds_no_credentials(sims_server, tmp_path):
    """nmap's smtp-brute against the SMTP and submission ports, with the real
    password in its list: AUTH is never offered in plaintext, so no password
    can be tried, let alone found."""
    nmap = require_tool("nmap", ["/usr/bin/nmap"])
    sims = sims_server()
    sims.add_account("alice@example.test", "letmein-2026")
    users = tmp_path / "users.txt"
    users.write_text("alice@example.test\nroot\n")
    passwords = tmp_path / "passwords.txt"
    passwords.write_text("123456\nletmein-2026\npassword\n")
    result = subprocess.run(
        [nmap, "-Pn", "-n", "-d", "-p", f"{sims.smtp_port},{sims.submission_port}", "--script", "+smtp-brute",
         "--script-args", f"userdb={users},passdb={passwords},unpwdb.timelimit=60s", "127.0.0.1"],
        capture_output=True, text=True, timeout=180)
    output = result.stdout + result.stderr
    for port in (sims.smtp_port, sims.submission_port):
        assert f"Finished smtp-brute against 127.0.0.1:{port}" in output, output[-2000:]
    assert "Valid credentials" not in output and "letmein-2026" not in output.replace(str(passwords), ""), output[-2000:]
    assert "authenticated as" not in sims.log_since_start()
