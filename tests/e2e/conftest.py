"""Fixtures for the SIMS end-to-end tests; the machinery is in simslib.py.

Every test talks to the real `sims` binary ($SIMS_BINARY, default
.build/debug/sims) over loopback sockets. `sims_server` is a factory that
creates a fresh data directory with `sims init`, writes free ports and config
overrides into its sims.toml, starts `sims serve` and waits (bounded) until the
SMTP listener is up. Teardown sends SIGTERM and waits, killing if needed.
"""

from __future__ import annotations

import os
import signal

import pytest

from simslib import SIMS_BINARY, STOP_DEADLINE, SimsServer, _missing_tools, in_ci


def pytest_terminal_summary(terminalreporter):
    if _missing_tools:
        terminalreporter.write_sep("!", "MISSING TOOLS", red=True, bold=True)
        for name in sorted(set(_missing_tools)):
            terminalreporter.write_line(
                f"  {name} is missing: tests needing it were {'FAILED' if in_ci() else 'SKIPPED'}", red=True)


@pytest.fixture(scope="session")
def sims_binary() -> str:
    assert os.path.isfile(SIMS_BINARY) and os.access(SIMS_BINARY, os.X_OK), (
        f"sims binary not found at {SIMS_BINARY}: build it with 'swift build' or set SIMS_BINARY")
    return SIMS_BINARY


@pytest.fixture
def sims_server(tmp_path, sims_binary):
    """Factory: sims_server(overrides={...}, start=True, name="sims") -> SimsServer."""
    servers: list[SimsServer] = []

    def make(overrides: dict | None = None, start: bool = True, name: str = "sims") -> SimsServer:
        server = SimsServer(tmp_path / name, overrides)
        server.init()
        server.configure()
        servers.append(server)
        if start:
            server.start(new_ports=False)
        return server

    yield make
    for server in servers:
        if server.running():
            try:
                server.stop(signal.SIGTERM, timeout=STOP_DEADLINE)
            except AssertionError:
                pass
        server.kill()


@pytest.fixture
def sims(sims_server) -> SimsServer:
    """A running server with default settings."""
    return sims_server()


@pytest.fixture(scope="module")
def lab(sims_binary):
    """The test internet (tests/e2e/netlab.py): SIMS, Postfix, BIND, a NAT
    router and clients in network namespaces; one per test module, torn down
    after it (SIMS_KEEP_LAB=1 keeps it for debugging)."""
    from netlab import TestInternet
    with TestInternet() as internet:
        yield internet
