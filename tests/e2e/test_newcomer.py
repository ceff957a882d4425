"""What a newcomer trips over on a fresh clone (issue 11): peers that cannot do
what the tests need, a second server on one data directory, errors that do not
say what failed, no `sims --version`, `init` that accepts what `serve`
refuses, weak passwords, output wider than 80 columns."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from simslib import (DOMAIN, POSTMASTER, REPO, SIMS_BINARY, START_DEADLINE, SimsServer, free_port, require_tool,
                     wait_until)

CHECK_PEERS = REPO / "Scripts" / "check-peers"
LIBRARY_INTERNALS = ("SingleConnectionFailure", "NSCocoaErrorDomain", "IOError", "errno:", "Error Domain=",
                     "CocoaError", "NIOConnectionError")


def sims(*args: str, input: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([SIMS_BINARY, *args], input=input, capture_output=True, text=True, timeout=timeout,
                          stdin=None if input is not None else subprocess.DEVNULL)


def assert_plain_error(result: subprocess.CompletedProcess, *expected: str):
    """A runtime failure: non-zero, `Error: …` in words, no usage text, no library internals."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for text in expected:
        assert text in result.stderr, f"{text!r} not in stderr:\n{output}"
    assert "usage:" not in output.lower() and "See 'sims" not in output, f"usage printed for a runtime error:\n{output}"
    for internal in LIBRARY_INTERNALS:
        assert internal not in output, f"library internals ({internal}) in:\n{output}"


# --------------------------------------------------------------------------
# 1. Peers: installed is not enough, each must be able to do what tests need
# --------------------------------------------------------------------------


def test_check_peers_finds_every_ability_here():
    result = subprocess.run([str(CHECK_PEERS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every peer tool is installed and able" in result.stdout


def test_check_peers_names_the_package_for_a_swaks_without_tls(tmp_path):
    fake = tmp_path / "swaks"
    fake.write_text("#!/bin/sh\n"
                    "echo '*** TLS not available: requires Net::SSLeay'\n"
                    "echo '=== Basic AUTH supported'\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    result = subprocess.run([str(CHECK_PEERS)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"swaks cannot do TLS .*requires Net::SSLeay.*: install libnet-ssleay-perl libio-socket-ssl-perl",
                     result.stderr), result.stderr
    assert "AUTH" not in result.stderr, "AUTH is supported by the fake and must not be reported"


def test_scripts_test_installs_every_package_check_peers_asks_for():
    script = (REPO / "Scripts" / "test").read_text()
    installed = set(re.search(r"^packages=\(([^)]*)\)", script, re.M).group(1).split())
    check = CHECK_PEERS.read_text()
    wanted = set()
    failing = [line for line in check.splitlines() if re.search(r'\bfail "', line)]
    assert len(failing) >= 10, failing
    for line in failing:
        found = re.search(r': install ([^"]+)"$', line.strip())
        assert found, f"a problem without the package that fixes it: {line.strip()}"
        wanted.update(found.group(1).split())
    wanted = {w for w in wanted if not w.startswith("$")}
    wanted |= set(re.findall(r"\w+:(python3-[\w-]+)", check))
    assert {"libnet-ssleay-perl", "libio-socket-ssl-perl"} <= wanted
    assert wanted <= installed, f"Scripts/test does not install {sorted(wanted - installed)}"
    assert "Scripts/check-peers" in script


# --------------------------------------------------------------------------
# 2. One server per data directory
# --------------------------------------------------------------------------


def test_second_serve_on_the_same_data_directory_exits_before_touching_it(sims):
    log_before = sims.log_path.read_bytes()
    queue_before = sorted(p.relative_to(sims.data) for p in (sims.data / "queue").rglob("*"))
    started = time.monotonic()
    second = subprocess.run([SIMS_BINARY, "serve", "--data", str(sims.data)], capture_output=True, text=True,
                            timeout=START_DEADLINE, stdin=subprocess.DEVNULL)
    assert time.monotonic() - started < 10
    assert_plain_error(second, f"data directory {sims.data} is in use by pid {sims.proc.pid}")
    assert "listening" not in second.stdout + second.stderr
    assert sims.log_path.read_bytes() == log_before, "the second server wrote into the first one's log"
    assert sorted(p.relative_to(sims.data) for p in (sims.data / "queue").rglob("*")) == queue_before
    # The first one is unaffected.
    with sims.smtp() as c:
        assert c.greeting[0] == 220
    # Once it has stopped, the directory can be served again (the lock dies with the process).
    sims.stop()
    sims.start(new_ports=True)
    assert (sims.data / "sims.lock").read_text().strip() == str(sims.proc.pid)


def test_a_killed_server_leaves_no_stale_lock(sims):
    sims.stop(signal.SIGKILL)
    sims.start(new_ports=True)
    assert sims.running()


# --------------------------------------------------------------------------
# 3. Errors name what failed
# --------------------------------------------------------------------------


def serve_expecting_failure(server: SimsServer, timeout: float = START_DEADLINE) -> subprocess.CompletedProcess:
    return subprocess.run([SIMS_BINARY, "serve", "--data", str(server.data)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_a_taken_port_names_the_listener_in_stderr_and_log_and_prints_no_banner(sims_server):
    server = sims_server(start=False)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", server.submission_port))
        squatter.listen(1)
        result = serve_expecting_failure(server)
    expected = f"cannot listen for submission on 127.0.0.1:{server.submission_port}: address already in use"
    assert_plain_error(result, "Error: " + expected)
    assert "Stop with Ctrl-C" not in result.stdout and "SMTP        127.0.0.1" not in result.stdout, result.stdout
    assert expected in server.log_text()
    # Nothing was started: no listener kept running, no queue runner.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.smtp_port), timeout=1).close()


def test_the_banner_comes_after_every_listener_is_bound(sims):
    out = wait_until(lambda: (lambda text: text if "Stop with Ctrl-C" in text else None)(
        sims.stderr_path.read_text(errors="replace")), 10, what="the banner")
    assert f"SMTP        127.0.0.1:{sims.smtp_port}" in out and "Stop with Ctrl-C" in out
    # The example names an address and port a client can connect to, and the
    # postmaster of the directory's own domain (not always the demo's).
    assert f"Try it: swaks --server 127.0.0.1:{sims.smtp_port} --to postmaster@{DOMAIN} --tls" in out, out
    # Every listener's "listening" log line was written before the banner's last line.
    listening = len(re.findall(r"listening on 127\.0\.0\.1:\d+ \(", out.split("Stop with Ctrl-C")[0]))
    assert listening == 7, out  # SMTP, submission ×2, POP3 ×2, IMAP ×2
    # The banner fits 80 columns, but for the data directory's path, which is the test's.
    banner = [line.replace(str(sims.data), "/srv/sims") for line in out.splitlines()
              if not re.match(r"^\d{4}-\d\d-\d\dT", line)]
    assert all(len(line) <= 80 for line in banner), banner


def test_a_privileged_port_says_how_to_grant_the_capability(sims_server):
    server = sims_server(start=False)
    server.configure(**{"smtp.listen": ["127.0.0.1:25"]})
    if os.geteuid() == 0:
        setpriv = require_tool("setpriv", ["/usr/bin/setpriv"])
        # Root without CAP_NET_BIND_SERVICE, as an unprivileged user is.
        command = [setpriv, "--bounding-set", "-net_bind_service", "--inh-caps", "-all", SIMS_BINARY]
    else:
        command = [SIMS_BINARY]
    result = subprocess.run(command + ["serve", "--data", str(server.data)], capture_output=True, text=True,
                            timeout=START_DEADLINE, stdin=subprocess.DEVNULL)
    expected = "cannot listen for SMTP on 127.0.0.1:25: permission denied: ports below 1024 need the " \
               "CAP_NET_BIND_SERVICE capability"
    assert_plain_error(result, expected, "setcap cap_net_bind_service=+ep", "AmbientCapabilities=CAP_NET_BIND_SERVICE")
    assert expected in server.log_text()


def test_runtime_errors_have_no_usage_line_and_no_internals(tmp_path):
    missing = tmp_path / "nowhere"
    assert_plain_error(sims("account", "list", "--data", str(missing)),
                       f"Error: {missing} is not a SIMS data directory")
    # A real usage mistake still gets the usage text.
    usage = sims("account", "add")
    assert usage.returncode != 0 and "Usage: sims account add" in usage.stderr, usage.stderr


def test_check_relay_to_a_closed_port_says_connection_refused():
    port = free_port()
    result = sims("check-relay", f"127.0.0.1:{port}", "--timeout", "5")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "connection refused" in output.lower(), output
    for internal in LIBRARY_INTERNALS:
        assert internal not in output, output


def test_queue_commands_check_ids(sims):
    for verb in ("show", "retry", "delete", "bounce"):
        unknown = sims.cli("queue", verb, "S.NOSUCHMESSAGE0")
        assert_plain_error(unknown, "Error: no message S.NOSUCHMESSAGE0 in the queue")
        malformed = sims.cli("queue", verb, "../../etc/passwd")
        assert_plain_error(malformed, "is not a queue id")
    # Nothing was asked of the server.
    control = sims.data / "queue" / "control"
    assert not control.exists() or list(control.iterdir()) == []


def fingerprint(pem: str) -> str:
    result = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_documented_certificate_check_works(sims):
    """docs/operations.md tells how to compare the certificate on disk with the
    one a client is shown; run exactly those openssl commands."""
    require_tool("openssl")
    docs = (REPO / "docs" / "operations.md").read_text()
    section = docs.split("## The TLS certificate and mail clients")[1].split("\n## ")[0]
    assert "DIR/tls/cert.pem" in section and "DIR/tls/key.pem" in section
    assert "update-ca-certificates" in section and "tls_fingerprint" in section and "kill -HUP" in section
    on_disk = subprocess.run(["openssl", "x509", "-in", str(sims.data / "tls" / "cert.pem"), "-noout", "-subject",
                              "-enddate", "-fingerprint", "-sha256"], capture_output=True, text=True, timeout=30)
    expected = re.search(r"^sha256 Fingerprint=.*$", on_disk.stdout, re.M | re.I).group(0)
    for port, starttls in ((sims.submission_port, ["-starttls", "smtp"]), (sims.pops_port, [])):
        assert f"-starttls smtp" in section
        shown = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *starttls, "-servername",
                                "mx.example.test"], capture_output=True, text=True, timeout=30,
                               stdin=subprocess.DEVNULL)
        assert fingerprint(shown.stdout) == expected, shown.stdout + shown.stderr


# --------------------------------------------------------------------------
# 4. Installing: a version, documented build and install
# --------------------------------------------------------------------------


def test_version_is_defined_once_and_printed():
    source = (REPO / "Sources" / "Server" / "SIMSVersion.swift").read_text()
    version = re.search(r'static let current = "([^"]+)"', source).group(1)
    result = sims("--version")
    assert result.returncode == 0 and result.stdout.strip() == version, result
    defined = subprocess.run(["grep", "-rlE", r"\"[0-9]+\.[0-9]+\.[0-9]+\"", str(REPO / "Sources")],
                             capture_output=True, text=True).stdout.split()
    assert [Path(p).name for p in defined if version in Path(p).read_text()] == ["SIMSVersion.swift"]


def test_readme_says_how_to_install_and_which_swift():
    readme = (REPO / "README.md").read_text()
    assert "swift build -c release" in readme
    assert re.search(r"install .*\.build/release/sims /usr/local/bin/sims", readme)
    assert re.search(r"Swift 6\.\d", readme)
    assert "sims --version" in readme


# --------------------------------------------------------------------------
# 5. init validates before creating; dnsbl; passwords; 80 columns; plurals
# --------------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    (["--hostname", "bad host"], '"bad host" is not a valid host name'),
    (["--hostname", "mx.exa_mple.test"], "is not a valid host name"),
    (["--domain", "exa mple"], "'exa mple' is not a valid domain name"),
    (["--domain", "example..test"], "is not a valid domain name"),
])
def test_init_validates_everything_before_creating_anything(tmp_path, args, expected):
    data = tmp_path / "data"
    result = sims("init", "--data", str(data), *args)
    assert_plain_error(result, expected)
    assert not data.exists(), f"a half-made data directory was left: {list(data.rglob('*'))}"
    # Inside an existing (empty) directory, nothing is left either.
    data.mkdir()
    assert sims("init", "--data", str(data), *args).returncode != 0
    assert list(data.iterdir()) == []


def test_init_with_a_valid_hostname_serves(sims_server):
    server = sims_server()
    assert server.running()


def test_weak_passwords_are_refused_with_the_rule(sims):
    alice = f"alice@{DOMAIN}"
    for password, reason in [("short", "too short: use at least 10 characters"),
                             ("Alice@Example.Test", "must not be the account's name"),
                             ("example.test", "must not be the account's name or domain"),
                             ("aaaaaaaaaaaa", "one character repeated")]:
        result = sims.cli("account", "add", alice, "--password-stdin", input=password + "\n")
        assert_plain_error(result, reason)
        assert alice not in sims.cli("account", "list", check=True).stdout
    long_name = "averyveryverylongname@" + DOMAIN
    result = sims.cli("account", "add", long_name, "--password-stdin", input="averyveryverylongname\n")
    assert_plain_error(result, "must not be the account's name")
    sims.add_account(alice, "a long passphrase")
    weak = sims.cli("account", "passwd", alice, "--password-stdin", input="alice\n")
    assert_plain_error(weak, "too short")
    same = sims.cli("account", "passwd", alice, "--password-stdin", input="ALICE@example.test\n")
    assert_plain_error(same, "must not be the account's name")
    sims.cli("account", "passwd", alice, "--password-stdin", input="another long passphrase\n", check=True)


def subcommand_paths() -> list[list[str]]:
    top = sims("--help").stdout
    names = re.findall(r"^  ([a-z-]+)\s", top.split("SUBCOMMANDS:")[1], re.M)
    paths = []
    for name in names:
        paths.append([name])
        help_text = sims(name, "--help").stdout
        if "SUBCOMMANDS:" in help_text:
            subs = re.findall(r"^  ([a-z-]+)\s", help_text.split("SUBCOMMANDS:")[1], re.M)
            paths += [[name, sub] for sub in subs]
    return paths


def test_every_help_text_fits_80_columns():
    paths = subcommand_paths()
    assert ["dnsbl"] in paths and ["queue", "list"] in paths and ["account", "add"] in paths, paths
    wide = []
    env = dict(os.environ, COLUMNS="80")
    for path in [[]] + paths:
        result = subprocess.run([SIMS_BINARY, *path, "--help"], capture_output=True, text=True, timeout=30, env=env,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result
        wide += [f"sims {' '.join(path)}: {line!r} ({len(line)})" for line in result.stdout.splitlines()
                 if len(line) > 80]
    assert wide == [], "\n".join(wide)


def test_usage_after_a_mistake_fits_80_columns():
    result = sims("dnsbl")
    assert result.returncode != 0
    assert all(len(line) <= 80 for line in result.stderr.splitlines()), result.stderr
