"""The layers hold: import-linter's contracts ([tool.importlinter] in pyproject.toml) are all kept.

engine imports no Flask, werkzeug, api, web or server; api and web import each other nowhere; forms import no engine;
of server/, only the composition root server.app imports api and web.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
