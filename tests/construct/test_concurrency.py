"""maxConcurrentExecutions: at most k executions of a stack run at once, whatever dependencies the user adds.

One app, synthesized once, holds every case as its own stack; the checks read the
templates as CloudFormation would, following DependsOn, Ref and Fn::GetAtt.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from appintegrations_cr.constants import RESOURCE_TYPE
from cdk_appintegrations import ExecutionProvider
from cdk_appintegrations.stack_executions import (
    DEFAULT_MAX_CONCURRENT_EXECUTIONS,
    MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY,
)

from testkit.cfn_template import executions
from tests.construct import stacks

pytestmark = pytest.mark.construct

PLAIN = "ConcurrencyPlain"
USER_DEPENDENCIES = "ConcurrencyUserDependencies"
THROUGH_OTHER_RESOURCE = "ConcurrencyThroughOtherResource"
TOKENS = "ConcurrencyTokens"
SECOND = "ConcurrencySecondStack"
FEW = "ConcurrencyFew"
RESERVED = "ConcurrencyReserved"
TWO_PROVIDERS = "ConcurrencyTwoProviders"
LATE_RESERVATION = "ConcurrencyLateReservation"
LATE_RESERVATION_USER_LINK = "ConcurrencyLateReservationUserLink"
USER_LINK_AGAINST_ORDER = "ConcurrencyUserLinkAgainstOrder"


def _add(
    stack: cdk.Stack,
    index: int,
    *,
    di: str | None = None,
    association: str | None = None,
    provider: ExecutionProvider | None = None,
) -> Any:
    return stacks.add_execution(
        stack,
        f"Execution{index}",
        di or stacks.data_integration_id(index // 10),
        association or stacks.association_id(index),
        provider=provider,
    )


def _build(outdir: Path) -> cdk.App:
    app = stacks.new_app(outdir, nag=False)
    plain = cdk.Stack(app, PLAIN, env=stacks.ENV)
    for i in range(25):
        _add(plain, i)

    # The user makes early executions wait for late ones: creation order is not a safe order to chain them in.
    users = cdk.Stack(app, USER_DEPENDENCIES, env=stacks.ENV)
    made = [_add(users, i) for i in range(23)]
    for early, late in ((0, 22), (1, 21), (10, 20), (12, 0)):
        made[early].node.add_dependency(made[late])

    # The same, through a resource that is not an execution.
    through = cdk.Stack(app, THROUGH_OTHER_RESOURCE, env=stacks.ENV)
    via = [_add(through, i) for i in range(12)]
    handle = cdk.CfnWaitConditionHandle(through, "Between")
    handle.node.add_dependency(via[11])
    via[1].node.add_dependency(handle)

    tokens = cdk.Stack(app, TOKENS, env=stacks.ENV)
    di = cdk.CfnParameter(tokens, "DataIntegrationId").value_as_string
    for i in range(12):
        _add(tokens, i, di=di, association=cdk.Fn.join("-", ["assoc", str(i)]))

    second = cdk.Stack(app, SECOND, env=stacks.ENV)
    for i in range(15):
        _add(second, i)

    few = cdk.Stack(app, FEW, env=stacks.ENV)
    few.node.set_context(MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY, 3)
    for i in range(8):
        _add(few, i)

    # A reservation caps the executions at once, even below an explicit context value (which gets a warning).
    reserved = cdk.Stack(app, RESERVED, env=stacks.ENV)
    reserved.node.set_context(MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY, 8)
    ExecutionProvider(reserved, "Provider", reserved_concurrent_executions=3)
    for i in range(10):
        _add(reserved, i)

    # The limit is the stack's: it counts every execution, whichever provider serves it.
    two = cdk.Stack(app, TWO_PROVIDERS, env=stacks.ENV)
    two.node.set_context(MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY, 4)
    providers = [ExecutionProvider(two, "A"), ExecutionProvider(two, "B")]
    for i in range(14):
        _add(two, i, provider=providers[i % 2])

    # Executions are chained as they are created; a provider created after them that reserves less concurrency
    # narrows the chains at synth.
    later = cdk.Stack(app, LATE_RESERVATION, env=stacks.ENV)
    first = ExecutionProvider(later, "First")
    for i in range(12):
        _add(later, i, provider=first)
    ExecutionProvider(later, "Reserved", reserved_concurrent_executions=2)

    # The same, and the user also declares one of the chain's own links: narrowing the chains must keep it.
    linked = cdk.Stack(app, LATE_RESERVATION_USER_LINK, env=stacks.ENV)
    first_linked = ExecutionProvider(linked, "First")
    made_linked = [_add(linked, i, provider=first_linked) for i in range(12)]
    made_linked[10].node.add_dependency(made_linked[0])  # the link the chains made at creation (k = 10)
    ExecutionProvider(linked, "Reserved", reserved_concurrent_executions=2)

    # One chain (k = 1): the user declares a chain link (2 waits for 1) and a dependency against creation order
    # (0 waits for 2). Chains that fit the user's dependencies: 1, then 2, then 0.
    against = cdk.Stack(app, USER_LINK_AGAINST_ORDER, env=stacks.ENV)
    against.node.set_context(MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY, 1)
    trio = [_add(against, i) for i in range(3)]
    trio[2].node.add_dependency(trio[1])
    trio[0].node.add_dependency(trio[2])
    return app


@pytest.fixture(scope="module")
def concurrency_app(tmp_path_factory: pytest.TempPathFactory) -> cdk.cx_api.CloudAssembly:
    return _build(tmp_path_factory.mktemp("concurrency")).synth()


def _template(assembly: Any, name: str) -> dict[str, Any]:
    template: dict[str, Any] = assembly.get_stack_by_name(name).template
    return template


def _references(value: Any) -> set[str]:
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return {ref for item in value.values() for ref in _references(item)}
    if isinstance(value, list):
        return {ref for item in value for ref in _references(item)}
    return set()


def _graph(template: dict[str, Any]) -> dict[str, set[str]]:
    """Every resource's dependencies as CloudFormation sees them (DependsOn, Ref, GetAtt)."""
    resources = template["Resources"]
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        graph[name] = (set(depends) | _references(resource.get("Properties", {}))) & set(resources)
    return graph


def _start_waves(graph: dict[str, set[str]]) -> dict[str, int]:
    """When each resource starts if every resource takes one step and starts as soon as it can."""
    wave: dict[str, int] = {}
    remaining = dict(graph)
    while remaining:
        ready = [name for name, deps in remaining.items() if deps <= wave.keys()]
        assert ready, f"dependency cycle among {sorted(remaining)}"
        for name in ready:
            wave[name] = 1 + max((wave[d] for d in graph[name]), default=0)
            del remaining[name]
    return wave


def _execution_ids(template: dict[str, Any]) -> dict[str, str]:
    """Logical id of each execution's resource, by the execution's construct id."""
    return {
        resource["Metadata"]["aws:cdk:path"].split("/")[1]: name
        for name, resource in template["Resources"].items()
        if resource["Type"] == RESOURCE_TYPE
    }


def _most_at_once(template: dict[str, Any]) -> int:
    names = set(_execution_ids(template).values())
    waves = _start_waves(_graph(template))
    per_wave: dict[int, int] = defaultdict(int)
    for name in names:
        per_wave[waves[name]] += 1
    return max(per_wave.values())


@pytest.mark.parametrize(
    ("stack_name", "count", "at_once"),
    [
        (PLAIN, 25, DEFAULT_MAX_CONCURRENT_EXECUTIONS),
        (USER_DEPENDENCIES, 23, DEFAULT_MAX_CONCURRENT_EXECUTIONS),
        (THROUGH_OTHER_RESOURCE, 12, DEFAULT_MAX_CONCURRENT_EXECUTIONS),
        (TOKENS, 12, DEFAULT_MAX_CONCURRENT_EXECUTIONS),
        (SECOND, 15, DEFAULT_MAX_CONCURRENT_EXECUTIONS),
        (FEW, 8, 3),
        (RESERVED, 10, 3),
        (TWO_PROVIDERS, 14, 4),
        (LATE_RESERVATION, 12, 2),
    ],
)
def test_no_more_than_max_concurrent_executions_start_at_once_and_no_cycle(
    concurrency_app: Any, stack_name: str, count: int, at_once: int
) -> None:
    template = _template(concurrency_app, stack_name)
    assert len(executions(template)) == count
    most = _most_at_once(template)  # _start_waves fails on any cycle
    assert most <= at_once
    if stack_name not in (USER_DEPENDENCIES, THROUGH_OTHER_RESOURCE):  # their own waits may idle a chain
        assert most == at_once


def test_each_execution_waits_for_at_most_one_other_in_its_chain(concurrency_app: Any) -> None:
    template = _template(concurrency_app, PLAIN)
    found = set(_execution_ids(template).values())
    chain_dependencies = {name: found & set(template["Resources"][name].get("DependsOn", [])) for name in found}
    assert sum(1 for deps in chain_dependencies.values() if not deps) == DEFAULT_MAX_CONCURRENT_EXECUTIONS
    assert all(len(deps) <= 1 for deps in chain_dependencies.values())
    # a chain: nobody is waited for by two executions
    waited_for = [dep for deps in chain_dependencies.values() for dep in deps]
    assert len(waited_for) == len(set(waited_for)) == 25 - DEFAULT_MAX_CONCURRENT_EXECUTIONS


def test_user_dependencies_are_kept_and_respected(concurrency_app: Any) -> None:
    template = _template(concurrency_app, USER_DEPENDENCIES)
    graph = _graph(template)
    waves = _start_waves(graph)
    by_id = _execution_ids(template)
    for early, late in ((0, 22), (1, 21), (10, 20), (12, 0)):
        assert by_id[f"Execution{late}"] in graph[by_id[f"Execution{early}"]]
        assert waves[by_id[f"Execution{early}"]] > waves[by_id[f"Execution{late}"]]


def test_chains_never_cross_stacks(concurrency_app: Any) -> None:
    for name in (PLAIN, SECOND):
        template = _template(concurrency_app, name)
        for resource in template["Resources"].values():
            for dependency in resource.get("DependsOn", []):
                assert dependency in template["Resources"]


def test_a_max_concurrent_executions_that_is_not_a_whole_number_fails_synth_naming_the_key(tmp_path: Path) -> None:
    app = stacks.new_app(tmp_path, nag=False)
    stack = cdk.Stack(app, "BadConcurrency", env=stacks.ENV)
    stack.node.set_context(MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY, 0)
    _add(stack, 0)
    with pytest.raises(
        Exception, match=rf"{MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY}.*is 0; expected a whole number of at least 1"
    ):
        app.synth()


def test_a_reservation_below_the_context_value_is_said_at_synth(concurrency_app: Any) -> None:
    warnings = [
        str(m.entry.data)
        for m in concurrency_app.get_stack_by_name(RESERVED).messages
        if m.level == cdk.cx_api.SynthesisMessageLevel.WARNING
    ]
    assert warnings == [
        f"context '{MAX_CONCURRENT_EXECUTIONS_CONTEXT_KEY}' asks for 8 executions at once, but ExecutionProvider "
        f"'{RESERVED}/Provider' reserves 3 concurrent executions; the stack runs at most 3 at once "
        f"[ack: cdk-appintegrations:maxConcurrentExecutionsCapped]"
    ]


def test_narrowed_chains_keep_a_dependency_the_user_declared_that_was_also_a_link(concurrency_app: Any) -> None:
    template = _template(concurrency_app, LATE_RESERVATION_USER_LINK)
    by_id = _execution_ids(template)
    assert by_id["Execution0"] in template["Resources"][by_id["Execution10"]]["DependsOn"]
    assert _most_at_once(template) == 2


def test_chains_laid_again_against_creation_order_keep_the_users_link_and_order(concurrency_app: Any) -> None:
    template = _template(concurrency_app, USER_LINK_AGAINST_ORDER)
    by_id = _execution_ids(template)
    graph = _graph(template)
    waves = _start_waves(graph)
    assert waves[by_id["Execution1"]] < waves[by_id["Execution2"]] < waves[by_id["Execution0"]]
    assert _most_at_once(template) == 1
