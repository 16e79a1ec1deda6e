"""What a locked-down account's scanners say about the provider: nothing, once it uses the options.

Both examples are scanned as such an account scans them at deploy: checkov, the AWS
Control Tower proactive controls (cfn-guard), cfn-lint with its serverless rules, and
cdk-nag's five packs (AWS Solutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1,
Serverless), in both generations: cdk-nag 3 as validation plugins in this process, cdk-nag
2 as Aspects in a subprocess (``nag2.py``). The locked-down example must have no finding at
all on the provider's resources (and none elsewhere: its own queue and keys are set up as
an account would require). The default example's findings are exactly those the table of
docs/locked-down.md lists, each with the option that removes it, and the same under both
generations of cdk-nag, so the table cannot drift from the scanners.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import tomllib
from packaging.requirements import Requirement

from testkit.cfn_template import only
from tests.construct import nag2, scanners, stacks
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
def nag2_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[nag2.Nag2Run, Path]:
    """cdk-nag 2 on each case of ``nag2.py``, and where it wrote their assemblies."""
    outdir = tmp_path_factory.mktemp("nag2")
    return nag2.run(outdir), outdir


@pytest.fixture(scope="module")
def nag2_findings(nag2_run: tuple[nag2.Nag2Run, Path]) -> dict[str, list[scanners.Finding]]:
    """cdk-nag 2's findings on each case of ``nag2.py``, by logical id."""
    run, outdir = nag2_run
    found: dict[str, list[scanners.Finding]] = {}
    for case, findings in run.findings.items():
        found[case] = []
        for stack in {path.split("/")[0] for _, path in findings}:
            template = json.loads((outdir / case / f"{stack}.template.json").read_text())
            found[case] += scanners.cdk_nag_2([f for f in findings if f[1].startswith(f"{stack}/")], template)
    return found


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


def test_cdk_nag_2_finds_nothing_on_the_locked_down_example(nag2_findings: dict[str, list[scanners.Finding]]) -> None:
    assert nag2_findings[nag2.LOCKED_DOWN] == []


def test_cdk_nag_2_finds_on_the_default_example_what_cdk_nag_3_finds(
    nag2_findings: dict[str, list[scanners.Finding]], default_findings: list[scanners.Finding]
) -> None:
    """The same rules on the same resources (the documented ones, see the test above): the table holds for both."""
    assert nag2_findings[nag2.DEFAULT] == [f for f in default_findings if f.scanner == "cdk-nag"]
    assert {f.rule for f in nag2_findings[nag2.DEFAULT]} == {
        rule for scanner, rule, _ in DEFAULT_FINDINGS if scanner == "cdk-nag"
    }


def test_without_its_cdk_nag_metadata_cdk_nag_2_finds_the_acknowledged_wildcards(
    nag2_findings: dict[str, list[scanners.Finding]], default_example_app: Synthesized
) -> None:
    """cdk-nag 2 reads only the metadata: with cdk-nag 3's acknowledgement alone, the wildcards are findings."""
    template = default_example_app.template(stacks.EXAMPLE)
    [policy] = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    extra = set(nag2_findings[nag2.WITHOUT_METADATA]) - set(nag2_findings[nag2.DEFAULT])
    assert extra == {
        scanners.Finding("cdk-nag", "AwsSolutions-IAM5[Resource::*]", policy),
        scanners.Finding(
            "cdk-nag",
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:app-integrations:<AWS::Region>:<AWS::AccountId>:"
            "data-integration-association/<Documents.Id>/*]",
            policy,
        ),
    }
    assert set(nag2_findings[nag2.DEFAULT]) <= set(nag2_findings[nag2.WITHOUT_METADATA])


def _pinned_nag(group: str) -> str:
    groups = tomllib.loads((scanners.REPO_ROOT / "pyproject.toml").read_text())["dependency-groups"]
    (pin,) = (Requirement(item) for item in groups[group] if isinstance(item, str) and item.startswith("cdk-nag=="))
    (spec,) = pin.specifier
    return spec.version


def test_the_docs_name_the_two_cdk_nag_versions_the_tier_runs() -> None:
    section = COMPLIANCE_TABLE.read_text().split("## What the scanners say", 1)[1]
    assert f"cdk-nag {_pinned_nag('nag2')} and {_pinned_nag('template-checks')}" in section


def test_the_docs_way_of_applying_cdk_nag_2_runs(nag2_run: tuple[nag2.Nag2Run, Path]) -> None:
    """The page's program for cdk-nag 2, as pasted: it ran, packs and all, before the cases (``nag2.py``)."""
    run, _ = nag2_run
    assert run.documented == nag2.documented_program(2)
    assert "cdk.Aspects.of(app).add(AwsSolutionsChecks())" in run.documented


def test_the_docs_way_of_applying_cdk_nag_3_runs() -> None:
    """The page's program for cdk-nag 3, as pasted, here where cdk-nag 3 is installed."""
    program = nag2.documented_program(3)
    assert "cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app)" in program
    exec(compile(program, str(nag2.PACKS_PAGE), "exec"), {})


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
    _, function = only(template, "AWS::Lambda::Function")
    metadata: dict[str, Any] = function["Metadata"]
    assert metadata["cfn-lint"] == {"config": {"ignore_checks": ["WS1004"]}}
    assert "LoggingConfig" in metadata["cdk-appintegrations:suppressions"]["WS1004"]


def test_the_locked_down_asset_is_the_one_the_round_trip_tests_run(
    main_app: Synthesized, locked_down_app: Synthesized
) -> None:
    """The options change the function's configuration, never its code: one asset serves both."""

    def asset(app: Synthesized, stack: str) -> Any:
        _, function = only(app.template(stack), "AWS::Lambda::Function")
        return function["Metadata"]["aws:asset:path"]

    assert asset(main_app, stacks.EXAMPLE) == asset(locked_down_app, stacks.LOCKED_DOWN)
