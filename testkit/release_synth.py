"""Synthesize the example app and a stack of literal executions with one checkout's code, in a fresh interpreter.

Why a script of its own, run by path in a subprocess: the upgrade test must synthesize each
released version with *that version's* construct and handler asset. In the test's own
interpreter the current package is already imported (and the editable install puts this
repository's ``constructs/`` on ``sys.path``), so the old code would silently be the new one.
Here the checkout's ``constructs/`` and root go first on ``sys.path``, every other entry
inside this repository is dropped, and the script refuses to go on unless
``cdk_appintegrations`` and ``app`` were imported from the checkout and the package's
``__version__`` is the one expected.

It imports nothing from ``tests``: the checkout may be an old commit, and this script (from
the current tree) only drives that commit's own ``app.py`` and construct:

* ``AppIntegrationsExample``: ``app.AppIntegrationsExampleStack`` as ``app.py`` runs it, with
  no context beyond the checkout's ``cdk.json`` (the knowledge base's execution, found by lookup);
* ``UpgradeLiteralExecutions``: one ``DataIntegrationAssociationExecution`` per entry of
  ``--literals`` (identifiers given, as ids or ARNs; ON_DEMAND or SCHEDULED; an optional rerun
  token), in a stack pinned to ``--account``/``--region``. Only arguments that every released
  version accepts are used.

Prints one JSON line: ``{"version": ..., "outdir": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

EXAMPLE_STACK: Final = "AppIntegrationsExample"
LITERAL_STACK: Final = "UpgradeLiteralExecutions"
#: The literal executions' windows: fixed, so that two versions render the same instants.
ON_DEMAND_START: Final = datetime(2025, 1, 1, tzinfo=timezone.utc)
ON_DEMAND_END: Final = datetime(2025, 7, 1, tzinfo=timezone.utc)
SCHEDULE_EXPRESSION: Final = "rate(1 hour)"
SCHEDULED_OBJECT: Final = "Account"

_THIS_REPOSITORY: Final = Path(__file__).resolve().parents[1]


def isolate(checkout: Path) -> None:
    """Put the checkout's code first on ``sys.path`` and drop every entry of this repository outside it."""

    def within(entry: Path, root: Path) -> bool:
        return entry == root or root in entry.parents

    def foreign(entry: str) -> bool:
        resolved = Path(entry or ".").resolve()
        interpreter = within(resolved, Path(sys.prefix).resolve())  # the virtualenv may sit in this repository
        return within(resolved, _THIS_REPOSITORY) and not within(resolved, checkout) and not interpreter

    roots = [str(checkout / "constructs"), str(checkout / "lambda_src"), str(checkout)]
    sys.path[:] = roots + [e for e in sys.path if not foreign(e)]


def imported_from(module: Any, checkout: Path) -> None:
    """Refuse to synthesize with a module that did not come from the checkout."""
    origin = Path(str(module.__file__)).resolve()
    if checkout not in origin.parents:
        raise SystemExit(f"{module.__name__} was imported from {origin}, not from the checkout {checkout}")


def build_literal_stack(app: Any, literals: list[dict[str, Any]], account: str, region: str) -> None:
    """One execution per literal, with arguments every released version accepts."""
    import aws_cdk as cdk
    from cdk_appintegrations import DataIntegrationAssociationExecution, ExecutionConfiguration

    stack = cdk.Stack(app, LITERAL_STACK, env=cdk.Environment(account=account, region=region))
    for literal in literals:
        if literal["mode"] == "ON_DEMAND":
            configuration = ExecutionConfiguration.on_demand(start_time=ON_DEMAND_START, end_time=ON_DEMAND_END)
        else:
            configuration = ExecutionConfiguration.scheduled(
                schedule_expression=SCHEDULE_EXPRESSION, object=SCHEDULED_OBJECT, first_execution_from=ON_DEMAND_START
            )
        DataIntegrationAssociationExecution(
            stack,
            literal["construct_id"],
            data_integration_identifier=literal["data_integration"],
            data_integration_association_identifier=literal["association"],
            execution_configuration=configuration,
            rerun_token=literal.get("rerun_token"),
        )


def main(argv: list[str] | None = None) -> int:
    """Synthesize both stacks of ``--checkout`` into ``--outdir``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkout", type=Path, required=True, help="a tree of the repository at some commit")
    parser.add_argument("--outdir", type=Path, required=True)
    parser.add_argument("--version", help="the __version__ the checkout's package must have")
    parser.add_argument(
        "--literals", required=True, help="JSON list: construct_id, data_integration, association, mode, rerun_token"
    )
    parser.add_argument("--account", required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    isolate(checkout)

    import aws_cdk as cdk
    import cdk_appintegrations

    import app as example_app

    imported_from(cdk_appintegrations, checkout)
    imported_from(example_app, checkout)
    version = str(cdk_appintegrations.__version__)
    if args.version is not None and version != args.version:
        raise SystemExit(f"the checkout's cdk_appintegrations.__version__ is {version!r}, not {args.version!r}")
    context = json.loads((checkout / "cdk.json").read_text(encoding="utf-8"))["context"]
    app = cdk.App(outdir=str(args.outdir), context=context)
    example_app.AppIntegrationsExampleStack(app, EXAMPLE_STACK)
    build_literal_stack(app, json.loads(args.literals), args.account, args.region)
    app.synth()
    print(json.dumps({"version": version, "outdir": str(args.outdir)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
