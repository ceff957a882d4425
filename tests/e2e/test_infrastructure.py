"""The harness itself: a missing peer tool skips locally but fails with CI=true,
and config overrides really reach the server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simslib import set_toml_values

E2E = Path(__file__).resolve().parent


@pytest.mark.parametrize("ci, outcome", [("true", "1 failed"), ("", "1 skipped")])
def test_missing_tool_skips_or_fails_in_ci(tmp_path, ci, outcome):
    (tmp_path / "test_needs_tool.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(E2E)!r})\n"
        "from simslib import require_tool\n"
        "def test_needs_tool():\n"
        "    require_tool('no-such-smtp-tool-xyz')\n")
    env = dict(os.environ, CI=ci)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rsf", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert outcome in result.stdout, result.stdout + result.stderr
    assert "no-such-smtp-tool-xyz" in result.stdout


def test_set_toml_values():
    text = ('hostname = "a"\n\n[smtp]\nlisten = ["127.0.0.1:2525"]\n\n[limits]\nmessage_size = 5   # c\n\n'
            '[log]\nlevel = 2\n\n[log.modules]\n# SMTP = 4\n')
    out = set_toml_values(text, {"hostname": "b", "smtp.listen": ["127.0.0.1:1"], "limits.message_size": 9,
                                 "log.level": 4, "log.modules.SMTP": 2, "timeouts.command": "2s"})
    assert 'hostname = "b"' in out
    assert 'listen = ["127.0.0.1:1"]' in out
    assert "message_size = 9\n" in out
    assert "level = 4" in out
    assert "[log.modules]\nSMTP = 2\n# SMTP = 4" in out
    assert out.rstrip().endswith('[timeouts]\ncommand = "2s"')


def test_overrides_reach_the_server(sims_server):
    sims = sims_server({"hostname": "other.example.test", "limits.message_size": 12345})
    result = sims.cli("config", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    with sims.smtp() as c:
        assert c.greeting[0] == 220 and "other.example.test" in c.greeting[1]
        text = c.expect("EHLO x.example", 250)
        assert "SIZE 12345" in text.split("\n")
