"""Python code run in a fresh interpreter, with a checkout's packages (construct and handler) first on the path.

For what one pytest process cannot show: which modules an import really pulls in, which
copy of ``cdk_appintegrations`` a checkout's ``app.py`` uses, or what cdk-nag 2 finds (its
module name is cdk-nag 3's, which this process has). The CLI's context
(``CDK_CONTEXT_JSON``) is dropped, so an app run this way sees only what the code gives it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_fresh_python(
    code: str,
    root: Path,
    extra_env: Mapping[str, str] | None = None,
    timeout_s: float = 300,
    path: Sequence[Path] = (),
) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in ``root``, with ``path`` then ``root/constructs`` and ``root/lambda_src`` on PYTHONPATH.

    Output captured, exit code not checked.
    """
    env = {name: value for name, value in os.environ.items() if name != "CDK_CONTEXT_JSON"}
    env.update(extra_env or {})
    env["PYTHONPATH"] = os.pathsep.join(str(entry) for entry in (*path, root / "constructs", root / "lambda_src"))
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
