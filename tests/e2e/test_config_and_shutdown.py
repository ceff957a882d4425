"""`sims config check`, and graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import pytest

from simslib import POSTMASTER, SIMS_BINARY, ConnectionClosed, parse_received


def config_check(data) -> subprocess.CompletedProcess:
    return subprocess.run([SIMS_BINARY, "config", "check", "--data", str(data)],
                          capture_output=True, text=True, timeout=30)


def test_config_check_reports_bad_keys_with_line_numbers(sims_server):
    sims = sims_server(start=False)
    path = sims.data / "sims.toml"
    good = config_check(sims.data)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "OK" in good.stdout + good.stderr

    lines = path.read_text().split("\n")
    size_line = next(i for i, l in enumerate(lines) if l.startswith("message_size"))
    lines[size_line] = 'message_size = "big"'
    errors_line = next(i for i, l in enumerate(lines) if l.startswith("errors_per_session"))
    lines.insert(errors_line + 1, "bogus_key = 3")
    command_line = next(i for i, l in enumerate(lines) if l.startswith("command ="))
    lines[command_line] = 'command = "five minutes"'
    path.write_text("\n".join(lines))
    expected = {
        size_line + 1: "limits.message_size",
        errors_line + 2: "limits.bogus_key",
        command_line + 1: "timeouts.command",
    }

    bad = config_check(sims.data)
    output = bad.stdout + bad.stderr
    assert bad.returncode == 1, output
    for line_no, key in expected.items():
        assert f"line {line_no}: {key}: " in output, f"missing 'line {line_no}: {key}: ...' in:\n{output}"
    assert "unknown key" in output
    assert "OK" not in output.replace("not valid", "")

    # The server refuses to start with it, naming the problem.
    serve = subprocess.run([SIMS_BINARY, "serve", "--data", str(sims.data)], capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
    assert serve.returncode != 0
    assert "bogus_key" in serve.stdout + serve.stderr


def test_config_check_syntax_error(sims_server):
    sims = sims_server(start=False)
    path = sims.data / "sims.toml"
    lines = path.read_text().split("\n")
    lines.insert(3, "this is = = not toml [")
    path.write_text("\n".join(lines))
    result = config_check(sims.data)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "line 4" in result.stdout + result.stderr


def test_sigterm_closes_idle_session_with_421(sims):
    c = sims.smtp()
    c.expect("EHLO idle.example", 250)
    started = time.monotonic()
    sims.proc.send_signal(signal.SIGTERM)
    code, text = c.reply(timeout=10)
    assert (code, text[:5]) == (421, "4.3.2"), (code, text)
    assert c.closed_by_server(timeout=5)
    c.close()
    rc = sims.proc.wait(timeout=15)
    assert rc == 0
    assert time.monotonic() - started < 15
    # Nothing listens any more.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", sims.smtp_port), timeout=2).close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_shutdown_lets_message_in_transfer_finish(sims_server, sig):
    sims = sims_server({"timeouts.shutdown_grace": "10s"})
    c = sims.smtp()
    c.expect("EHLO busy.example", 250)
    c.expect("MAIL FROM:<s@remote.test>", 250)
    c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
    c.expect("DATA", 354)
    c.send(b"Subject: in flight\r\n\r\nfirst half\r\n")
    idle = sims.smtp()
    idle.expect("EHLO idle.example", 250)
    sims.proc.send_signal(sig)
    # The shutdown has begun: the idle client is sent away ...
    code, text = idle.reply(timeout=10)
    assert (code, text[:5]) == (421, "4.3.2"), (code, text)
    idle.close()
    # ... while the one in DATA finishes its message.
    assert sims.running()
    c.send(b"second half\r\n.\r\n")
    code, text = c.reply(timeout=10)
    assert code == 250, (code, text)
    try:
        code, text = c.reply(timeout=10)
        assert (code, text[:5]) == (421, "4.3.2"), (code, text)
    except ConnectionClosed:
        pass
    c.close()
    assert sims.proc.wait(timeout=15) == 0
    files = sims.mail_files()
    assert len(files) == 1
    assert parse_received(files[0].read_bytes())[1] == b"Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n"


def test_shutdown_grace_is_bounded(sims_server):
    sims = sims_server({"timeouts.shutdown_grace": "2s"})
    c = sims.smtp()
    c.expect("EHLO slow.example", 250)
    c.expect("MAIL FROM:<s@remote.test>", 250)
    c.expect(f"RCPT TO:<{POSTMASTER}>", 250)
    c.expect("DATA", 354)
    c.send(b"Subject: never finished\r\n\r\nbody\r\n")
    started = time.monotonic()
    sims.proc.send_signal(signal.SIGTERM)
    rc = sims.proc.wait(timeout=15)
    elapsed = time.monotonic() - started
    assert rc == 0
    assert 1.5 <= elapsed <= 10, f"exited after {elapsed:.1f}s with shutdown_grace=2s"
    c.close()
    assert sims.all_stored_files() == []
