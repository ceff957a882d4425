"""A real MTA submits through SIMS (issue 4): Debian's Postfix, configured with
a relayhost (SIMS's submission port), STARTTLS required and SASL credentials,
relays a message that smtp-source hands it; SIMS authenticates it and relays
it on to the remote sink."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from simslib import free_port, in_ci, peers, queue_overrides, require_tool, set_routes

assert peers  # the fixture, imported for pytest

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "postfix-relay-pw"


@pytest.fixture
def postfix(tmp_path):
    if os.geteuid() != 0:
        if in_ci():
            pytest.fail("running Postfix as a peer needs root")
        pytest.skip("running Postfix as a peer needs root")
    require_tool("postfix", ["/usr/sbin/postfix"])
    directory = Path("/tmp") / f"sims-postfix-{os.getpid()}-{free_port()}"
    instances: list[Path] = []

    def start(relayhost: str) -> int:
        port = free_port()
        subprocess.run([str(REPO / "bench/postfix-instance.sh"), "start", str(directory), str(port), relayhost],
                       check=True, capture_output=True)
        instances.append(directory)
        settings = {
            "relayhost": f"[{relayhost.rsplit(':', 1)[0]}]:{relayhost.rsplit(':', 1)[1]}",
            "smtp_tls_security_level": "encrypt",
            "smtp_sasl_auth_enable": "yes",
            "smtp_sasl_password_maps": f"static:alice@example.test:{PASSWORD}",
            "smtp_sasl_security_options": "noanonymous",
            "smtp_sasl_tls_security_options": "noanonymous",
        }
        subprocess.run(["postconf", "-c", str(directory / "etc"), "-e", *[f"{k} = {v}" for k, v in settings.items()]],
                       check=True)
        subprocess.run(["postfix", "-c", str(directory / "etc"), "reload"], check=True, capture_output=True)
        return port

    yield start
    for instance in instances:
        subprocess.run([str(REPO / "bench/postfix-instance.sh"), "stop", str(instance)], capture_output=True)
        subprocess.run(["rm", "-rf", str(instance)])


def test_postfix_with_sasl_credentials_submits_through_sims(sims_server, peers, postfix):
    sink = peers.smtp_sink("127.0.0.1")
    sims = sims_server({**queue_overrides(None, None, networks=[], retry=["1h"])}, start=False)
    set_routes(sims, {"remote.test": f"127.0.0.1:{sink.port}"})
    sims.start(new_ports=False)
    sims.add_account("alice@example.test", PASSWORD)
    postfix_port = postfix(f"127.0.0.1:{sims.submission_port}")
    source = require_tool("smtp-source", ["/usr/sbin/smtp-source"])
    subprocess.run([source, "-m", "1", "-f", "alice@example.test", "-t", "bob@remote.test", f"127.0.0.1:{postfix_port}"],
                   check=True, timeout=60)
    # The sink's file is complete once SIMS has its 250 (reading it earlier
    # could catch it half-written).
    sims.wait_for_log(r"<bob@remote\.test> sent: ", timeout=60)
    messages = sink.messages()
    assert len(messages) == 1
    message = messages[0]
    assert message.mail_from == "alice@example.test"
    assert re.search(rb"by [^ ]+ \(SIMS\) with ESMTPSA id S\.", message.content), message.content[:600]
    log = sims.log_since_start()
    assert "authenticated as alice@example.test" in log
    assert re.search(r"<bob@remote\.test> relayed: authenticated as alice@example\.test", log)
    assert "TLS established" in log
