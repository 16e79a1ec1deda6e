"""What a locked-down account's scanners say about the provider: nothing, once it uses the options.

Both examples are scanned as such an account scans them at deploy: checkov, the AWS
Control Tower proactive controls (cfn-guard), cfn-lint with its serverless rules, and
cdk-nag's five packs (AWS Solutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1,
Serverless). The locked-down example must have no finding at all on the provider's
resources (and none elsewhere: its own queue and keys are set up as an account would
require). The default example's findings are exactly those the table of
docs/locked-down.md lists, each with the option that removes it, so the table cannot
drift from the scanners.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.construct import scanners, stacks
from tests.construct.synthesized import Synthesized

pytestmark = pytest.mark.construct

#: The default example's findings, all on the provider: (scanner, rule, resource kind).
DEFAULT_FINDINGS = {
    ("checkov", "CKV_AWS_115", "Function"),
    ("checkov", "CKV_AWS_116", "Function"),
    ("checkov", "CKV_AWS_117", "Function"),
    ("checkov", "CKV_AWS_158", "LogGroup"),
    ("control-tower", "CT.LAMBDA.PR.3", "Function"),
    ("control-tower", "CT.CLOUDWATCH.PR.3", "LogGroup"),
    ("cfn-lint", "WS1000", "Function"),
    *(
        ("cdk-nag", f"{pack}-{rule}", kind)
        for pack, rules in {
            "HIPAA.Security": ("CloudWatchLogGroupEncrypted", "LambdaConcurrency", "LambdaDLQ", "LambdaInsideVPC"),
            "NIST.800.53.R5": ("CloudWatchLogGroupEncrypted", "LambdaConcurrency", "LambdaDLQ", "LambdaInsideVPC"),
            "PCI.DSS.321": ("CloudWatchLogGroupEncrypted", "LambdaInsideVPC"),
            "Serverless": ("LambdaDLQ", "LambdaTracing"),
        }.items()
        for rule in rules
        for kind in ["LogGroup" if rule == "CloudWatchLogGroupEncrypted" else "Function"]
    ),
}
#: Where the compliance table lives: the rows name each default finding and the option that removes it.
COMPLIANCE_TABLE = scanners.REPO_ROOT / "docs" / "locked-down.md"
_RULE = re.compile(
    r"(CKV_AWS_\d+|CT\.[A-Z]+\.PR\.\d+|WS\d{4}|(?:HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|Serverless)-\w+)"
)


def scan(app: Synthesized, stack: str) -> list[scanners.Finding]:
    path = app.template_path(stack)
    template = app.template(stack)
    return [
        *scanners.checkov(path),
        *scanners.control_tower(path),
        *scanners.cfn_lint_serverless(path),
        *scanners.cdk_nag(app.validation_report(), template, stack),
    ]


@pytest.fixture(scope="module")
def default_findings(default_example_app: Synthesized) -> list[scanners.Finding]:
    return scan(default_example_app, stacks.EXAMPLE)


@pytest.fixture(scope="module")
def locked_down_findings(locked_down_app: Synthesized) -> list[scanners.Finding]:
    return scan(locked_down_app, stacks.LOCKED_DOWN)


def test_the_locked_down_example_has_no_finding_from_any_scanner(
    locked_down_app: Synthesized, locked_down_findings: list[scanners.Finding]
) -> None:
    template = locked_down_app.template(stacks.LOCKED_DOWN)
    provider = scanners.provider_resources(template, f"{stacks.LOCKED_DOWN}/Provider")
    assert {"AWS::Lambda::Function", "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::EC2::SecurityGroup"} <= {
        template["Resources"][name]["Type"] for name in provider
    }
    assert [f for f in locked_down_findings if f.resource in provider] == []
    assert locked_down_findings == []


def test_the_default_examples_findings_are_the_documented_ones_all_on_the_provider(
    default_example_app: Synthesized, default_findings: list[scanners.Finding]
) -> None:
    template = default_example_app.template(stacks.EXAMPLE)
    provider = scanners.provider_resources(template, f"{stacks.EXAMPLE}/AppIntegrationsExecutionProvider")
    kinds = {name: template["Resources"][name]["Type"].split("::")[-1] for name in provider}
    assert {f.resource for f in default_findings} <= provider
    assert {(f.scanner, f.rule, kinds[f.resource]) for f in default_findings} == DEFAULT_FINDINGS


def test_the_docs_table_lists_each_default_finding_with_the_option_that_removes_it() -> None:
    page = COMPLIANCE_TABLE.read_text()
    section = page.split("## What the scanners say", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    listed = {rule for line in rows for rule in _RULE.findall(line.split("|")[1])}
    assert {rule for _, rule, _ in DEFAULT_FINDINGS} <= listed
    for _, rule, _ in DEFAULT_FINDINGS:
        [row] = [line for line in rows if rule in _RULE.findall(line.split("|")[1])]
        assert re.search(r"`(vpc|log_encryption_key|reserved_concurrent_executions|dead_letter_queue|tracing)", row), (
            row
        )


def test_the_suppressed_misfire_carries_its_reason_in_the_template(main_app: Synthesized) -> None:
    template = main_app.template(stacks.EXAMPLE)
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    metadata: dict[str, Any] = function["Metadata"]
    assert metadata["cfn-lint"] == {"config": {"ignore_checks": ["WS1004"]}}
    assert "LoggingConfig" in metadata["cdk-appintegrations:suppressions"]["WS1004"]


def test_the_locked_down_asset_is_the_one_the_round_trip_tests_run(
    main_app: Synthesized, locked_down_app: Synthesized
) -> None:
    """The options change the function's configuration, never its code: one asset serves both."""

    def asset(app: Synthesized, stack: str) -> Any:
        [function] = [r for r in app.template(stack)["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        return function["Metadata"]["aws:asset:path"]

    assert asset(main_app, stacks.EXAMPLE) == asset(locked_down_app, stacks.LOCKED_DOWN)
