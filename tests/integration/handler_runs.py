"""Running the handler as Lambda does, for the integration tier: its events, answers and log records.

The handler runs in a Lambda-like process (:mod:`testkit.lambda_process`), calls the
emulator over HTTP and answers the HTTPS receiver; these are the pieces the round-trip,
lookup, network and logging tests share.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from testkit.account import arn
from testkit.association_properties import ON_DEMAND, changed
from testkit.cfn_events import cfn_event
from testkit.cfn_receiver import CfnResponseReceiver
from testkit.lambda_process import REPO_ROOT, InvocationResult, LoggingConfig, invoke_many

CODE_DIR = REPO_ROOT / "lambda_src"
STACK_ID = arn("cloudformation", "stack/roundtrip/11111111-2222-4333-8444-555555555555")
DI, ASSOC = "8f0e9a57-0000-4000-8000-00000000d1d1", "3c1b2a69-0000-4000-8000-0000000a5500"


def properties(base: dict[str, Any] = ON_DEMAND, **overrides: Any) -> dict[str, Any]:
    result = changed(changed(base, "DataIntegrationIdentifier", DI), "DataIntegrationAssociationIdentifier", ASSOC)
    result["ServiceToken"] = ON_DEMAND["ServiceToken"]  # SCHEDULED has none
    result.update(overrides)
    return result


def event(
    receiver: CfnResponseReceiver, request_type: str, props: dict[str, Any], request_id: str, **extra: Any
) -> dict[str, Any]:
    """A request of this tier's stack, answered at ``receiver`` (:func:`testkit.cfn_events.cfn_event`)."""
    return cfn_event(
        request_type,
        props,
        request_id=request_id,
        response_url=receiver.response_url(request_id),
        stack_id=STACK_ID,
        service_token=props["ServiceToken"],
        deep_copy=False,  # it travels as JSON; a test may nest a value deeper than copy recurses
        **extra,
    )


#: The provider function's LoggingConfig by default: Lambda's JSON format at INFO.
PROVIDER_LOGGING = LoggingConfig("JSON", "INFO")


def run_handler(events: Sequence[Mapping[str, Any]], env: Mapping[str, str], **options: Any) -> list[InvocationResult]:
    """``events`` through the handler in one warm Lambda-like container, as the provider's function runs it.

    crhelper is bundled, as in the asset, and the runtime logs as the function's
    ``LoggingConfig`` says (:data:`PROVIDER_LOGGING`) unless ``options`` say otherwise.
    """
    return invoke_many(
        CODE_DIR, events, env=env, extra_packages=["crhelper"], **{"logging_config": PROVIDER_LOGGING, **options}
    )


def invoke_create(
    receiver: CfnResponseReceiver, props: dict[str, Any], request_id: str, env: dict[str, str], **options: Any
) -> InvocationResult:
    """One Create event to the handler in a fresh Lambda-like process."""
    [result] = run_handler([event(receiver, "Create", props, request_id)], env, **options)
    return result


def answer(
    receiver: CfnResponseReceiver, request_id: str, settle: float = 0.5, result: InvocationResult | None = None
) -> dict[str, Any]:
    responses = receiver.wait_for(request_id, timeout=20, settle=settle)
    assert len(responses) == 1, ([r.body for r in responses], result)
    assert responses[0].problems == [], responses[0].problems
    body: dict[str, Any] = responses[0].body
    return body


def assert_no_secrets(receiver: CfnResponseReceiver, request_id: str, result: InvocationResult) -> None:
    signature, token = receiver.secrets_for(request_id)
    assert signature not in result.output
    assert token not in result.output


def log_records(result: InvocationResult) -> list[dict[str, Any]]:
    """The JSON records of a run under Lambda's JSON log format (every line of stdout must be one)."""
    return [json.loads(line) for line in result.stdout.split("\n") if line]
