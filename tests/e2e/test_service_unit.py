"""deploy/sims.service, the systemd unit docs/deployment.md installs: it
passes `systemd-analyze verify`, its sandbox scores as well exposed as
systemd's own hardened services, and SIMS really runs the way it makes it
run: an unprivileged user whose only privilege is CAP_NET_BIND_SERVICE,
binding the standard mail ports."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from simslib import SIMS_BINARY, require_tool, set_toml_values

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "sims.service"
PORTS = {"smtp.listen": 25, "submission.listen": 587, "submission.implicit_tls_listen": 465,
         "pop3.listen": 110, "pop3.implicit_tls_listen": 995, "imap.listen": 143, "imap.implicit_tls_listen": 993}


def unit_with_binary(directory: Path) -> Path:
    """The shipped unit with this build's binary in place of /usr/local/bin/sims
    (verify checks that the executables exist)."""
    text = UNIT.read_text()
    assert "/usr/local/bin/sims" in text
    path = directory / "sims.service"
    path.write_text(text.replace("/usr/local/bin/sims", SIMS_BINARY))
    return path


def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = require_tool("systemd-analyze")
    result = subprocess.run([analyze, "verify", str(unit_with_binary(tmp_path))], capture_output=True, text=True,
                            timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "sims.service" in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_the_unit_is_sandboxed(tmp_path):
    """systemd's own exposure score: 'OK' is below 2.0 (a plain unit scores
    9.6, 'UNSAFE')."""
    analyze = require_tool("systemd-analyze")
    result = subprocess.run([analyze, "security", "--offline=yes", str(unit_with_binary(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for sims\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) < 2.0, result.stdout
    text = UNIT.read_text()
    for setting in ("User=sims", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                    "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/sims",
                    "ExecReload=/bin/kill -HUP $MAINPID"):
        assert setting in text, setting


def run_unprivileged(data: Path, ambient: bool) -> subprocess.CompletedProcess:
    """`sims serve` as `nobody`, in a network namespace of its own, with or
    without the ambient CAP_NET_BIND_SERVICE the unit grants; a probe in the
    same namespace reads the SMTP greeting on port 25 and stops the server."""
    caps = ["--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service"] if ambient else []
    serve = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *caps, SIMS_BINARY, "serve", "--data",
             str(data)]
    probe = f"""
import socket, subprocess, sys, time
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
server = subprocess.Popen({serve!r}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
deadline = time.monotonic() + 60
greeting = b""
while time.monotonic() < deadline and server.poll() is None and not greeting:
    try:
        with socket.create_connection(("127.0.0.1", 25), timeout=5) as s:
            greeting = s.recv(200)
    except OSError:
        time.sleep(0.1)
if server.poll() is None:
    server.terminate()
out = server.communicate(timeout=60)[0].decode(errors="replace")
print("GREETING", greeting.decode(errors="replace"))
print("EXIT", server.returncode)
print(out)
"""
    return subprocess.run(["unshare", "--net", "python3", "-c", probe], capture_output=True, text=True, timeout=180)


@pytest.fixture
def nobody_data(sims_binary):
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user (as systemd does)")
    for tool in ("setpriv", "unshare", "ip"):
        require_tool(tool)
    if not os.access(SIMS_BINARY, os.X_OK) or not all(
            os.stat(p).st_mode & 0o005 for p in Path(SIMS_BINARY).parents if str(p) != "/"):
        pytest.skip("the binary is not reachable by an unprivileged user")
    base = Path(tempfile.mkdtemp(prefix="sims-unit-"))
    base.chmod(0o755)
    data = base / "data"
    subprocess.run([SIMS_BINARY, "init", "--data", str(data), "--hostname", "mx.example.test", "--domain",
                    "example.test"], check=True, capture_output=True, timeout=60)
    toml = data / "sims.toml"
    toml.write_text(set_toml_values(toml.read_text(), {key: [f"127.0.0.1:{port}"] for key, port in PORTS.items()}))
    subprocess.run(["chown", "-R", "65534:65534", str(data)], check=True)
    yield data
    shutil.rmtree(base, ignore_errors=True)


def test_an_unprivileged_user_with_only_cap_net_bind_service_serves_port_25(nobody_data):
    result = run_unprivileged(nobody_data, ambient=True)
    assert "GREETING 220 " in result.stdout, result.stdout + result.stderr
    assert "EXIT 0" in result.stdout, result.stdout
    # It wrote its log as that user, in the data directory only.
    log = nobody_data / "log" / "sims.log"
    assert log.stat().st_uid == 65534
    assert "listening on 127.0.0.1:25 (SMTP)" in log.read_text()


def test_without_the_capability_port_25_is_refused(nobody_data):
    """The control: the capability is what makes the difference."""
    result = run_unprivileged(nobody_data, ambient=False)
    assert "GREETING 220" not in result.stdout, result.stdout
    assert "permission denied" in result.stdout.lower(), result.stdout + result.stderr
