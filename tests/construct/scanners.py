"""The guardrail scanners a locked-down account runs, run here offline on synthesized templates.

- checkov (CloudFormation framework, ``--skip-download``): its pins conflict with
  pytest's, so ``scripts/setup.sh`` installs it into a virtualenv of its own,
  ``.venv-scan`` (``tools/scan/uv.lock``);
- the AWS Control Tower proactive controls, as cfn-guard rules, with the cfn-guard
  binary, both shipped inside the ``cdklabs-cdk-validator-cfnguard`` wheel;
- cfn-lint with the ``cfn-lint-serverless`` rules;
- cdk-nag 3, which runs as a validation plugin during synth (``validation-report.json``), and
  cdk-nag 2, which runs as Aspects in a subprocess of its own (``nag2.py``).

Each gives findings as :class:`Finding`; a finding's resource is a logical id, and
:func:`provider_resources` tells which logical ids belong to a provider.
"""

from __future__ import annotations

import functools
import json
import platform
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKOV = REPO_ROOT / ".venv-scan" / "bin" / "checkov"
SERVERLESS_RULES = "cfn_lint_serverless.rules"


class Finding(NamedTuple):
    """One failed check: which scanner, which rule, on which resource (a logical id)."""

    scanner: str
    rule: str
    resource: str


def provider_resources(template: dict[str, Any], provider_path: str) -> set[str]:
    """Logical ids of the resources under a provider's construct path (by their ``aws:cdk:path`` metadata)."""
    return {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if str(resource.get("Metadata", {}).get("aws:cdk:path", "")).startswith(provider_path + "/")
    }


def checkov(template: Path) -> list[Finding]:
    if not CHECKOV.exists():
        pytest.fail(
            f"{CHECKOV} is missing: run scripts/setup.sh (checkov lives in .venv-scan, see tools/scan/pyproject.toml)"
        )
    result = subprocess.run(
        [str(CHECKOV), "-f", str(template), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode not in (0, 1):
        pytest.fail(f"checkov failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    failed = report["results"]["failed_checks"] if isinstance(report, dict) else []
    return sorted(Finding("checkov", check["check_id"], check["resource"].split(".", 1)[1]) for check in failed)


@functools.cache
def _guard_package() -> Path:
    """The cfnguard wheel's jsii package, unpacked once: the cfn-guard binary and the Control Tower rules."""
    import cdklabs.cdk_validator_cfnguard as validator

    [bundle] = (Path(validator.__file__).parent / "_jsii").glob("*.jsii.tgz")
    target = Path(tempfile.mkdtemp(prefix="cfnguard-"))
    with tarfile.open(bundle) as archive:
        archive.extractall(target, filter="data")
    binary = target / "package" / "bin" / "ubuntu" / platform.machine() / "cfn-guard"
    binary.chmod(0o755)
    return target / "package"


_GUARD_OUTPUT = ("--output-format", "json", "--show-summary", "none")


def control_tower(template: Path) -> list[Finding]:
    package = _guard_package()
    binary = package / "bin" / "ubuntu" / platform.machine() / "cfn-guard"
    rules = package / "rules" / "control-tower" / "cfn-guard"
    result = subprocess.run(
        [str(binary), "validate", "--data", str(template), "--rules", str(rules), *_GUARD_OUTPUT],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode not in (0, 19):  # 19: some rule failed
        pytest.fail(f"cfn-guard failed ({result.returncode}): {result.stderr[-2000:]}")
    findings: set[Finding] = set()
    decoder = json.JSONDecoder()
    text, position = result.stdout, 0
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            break
        report, position = decoder.raw_decode(text, position)
        for failure in report.get("not_compliant", []):
            strings = list(_strings(failure))
            controls = {m.group(1) for text in strings for m in _CONTROL.finditer(text)} or {failure["Rule"]["name"]}
            resources = {m.group(1) for text in strings if (m := _RESOURCE_PATH.match(text))}
            findings.update(Finding("control-tower", c, r) for c in controls for r in resources or {"?"})
    return sorted(findings)


_CONTROL = re.compile(r"\[(CT\.[A-Z0-9]+\.PR\.\d+)\]")
_RESOURCE_PATH = re.compile(r"^/Resources/([^/\[]+)")


def _strings(node: object) -> list[str]:
    """Every string in a cfn-guard failure report (its messages name the control, its paths the resource)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in _strings(value)]
    return []


def cfn_lint_serverless(template: Path) -> list[Finding]:
    matches = lint_file(template, config=ManualArgs(append_rules=[SERVERLESS_RULES]))
    return sorted(
        Finding("cfn-lint", match.rule.id, str(match.path[1]) if len(match.path) > 1 else "?") for match in matches
    )


def _logical_ids(template: dict[str, Any]) -> dict[str, str]:
    """Logical ids by construct path (the resources' ``aws:cdk:path`` metadata)."""
    return {
        str(resource.get("Metadata", {}).get("aws:cdk:path", "")): logical_id
        for logical_id, resource in template["Resources"].items()
    }


def cdk_nag(report: dict[str, Any], template: dict[str, Any], stack: str) -> list[Finding]:
    """Unacknowledged cdk-nag findings on this stack, by logical id."""
    by_path = _logical_ids(template)
    return sorted(
        Finding("cdk-nag", violation["ruleName"], by_path.get(construct["constructPath"], construct["constructPath"]))
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
        if construct["constructPath"].split("/")[0] == stack
    )


def cdk_nag_2(findings: list[tuple[str, str]], template: dict[str, Any]) -> list[Finding]:
    """cdk-nag 2's unacknowledged findings (rule and construct path, see ``nag2.py``), by logical id."""
    by_path = _logical_ids(template)
    return sorted(Finding("cdk-nag", rule, by_path.get(path, path)) for rule, path in findings)


def unacknowledged(report: dict[str, Any]) -> list[Any]:
    """cdk-nag's findings in a validation report that no acknowledgement covers."""
    return [v for plugin in report["pluginReports"] for v in plugin["violations"]]


def lint(template: Path) -> list[str]:
    """cfn-lint's findings on a template with its default rules, one line each."""
    return [f"{match.rule.id} {match.message} ({match.path})" for match in lint_file(template)]
