"""The unit tier's AppIntegrations: a real boto3 client whose calls are answered from a script, in process.

Built on botocore's ``Stubber`` rather than a hand-written fake, so that the code under
test holds a real client with the provider's own configuration: its parameters are
validated against the service model and can be checked exactly (``expected_params``),
and a service error is the ``ClientError`` botocore makes (code, message, HTTP status,
request id). The emulator (:mod:`testkit.emulator`) answers the same API over HTTP
on 127.0.0.1 and is the integration tier's; a unit test opens no socket.

What ``Stubber`` cannot script is a call that gets no answer at all: a connect timeout, a
refused connection, a read timeout, missing credentials. :meth:`add_unanswered` queues
one in the same order as the answers. That call is let through to botocore's HTTP layer,
where the error is raised as botocore's sender raises it, with the request's own URL, and
nothing is sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from appintegrations_cr.appintegrations import CLIENT_CONFIG
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError
from botocore.stub import Stubber

from testkit.account import REGION
from testkit.clock import FakeClock

if TYPE_CHECKING:
    from mypy_boto3_appintegrations import AppIntegrationsServiceClient as AppIntegrationsClient

#: Builds the error a call fails with from the URL it was sent to.
NetworkError = Callable[[str], Exception]


def connect_timeout(url: str) -> Exception:
    """No connection within the connect timeout: what a subnet without a route to the endpoint gives."""
    return ConnectTimeoutError(endpoint_url=url)


def connection_failed(cause: str) -> NetworkError:
    """A connection that failed at once (refused, or a name that does not resolve), as botocore words it."""
    return lambda url: EndpointConnectionError(endpoint_url=url, error=OSError(cause))


@dataclass(frozen=True)
class _NoAnswer:
    error: NetworkError


class AppIntegrationsStub(Stubber):
    """A ``Stubber`` over a real AppIntegrations client (the provider's config) that also scripts network failures.

    Every call, answered or failed, counts in :attr:`calls` and passes ``call_s`` on
    ``clock``: a connect timeout takes its whole timeout, and a test of the deadline
    needs time to pass while the code under test waits for the service.
    """

    client: AppIntegrationsClient
    _queue: deque[dict[str, Any]]  # Stubber's script, which botocore-stubs leaves out

    def __init__(
        self,
        client: AppIntegrationsClient | None = None,
        *,
        region: str = REGION,
        clock: FakeClock | None = None,
        call_s: float = 0.0,
    ) -> None:
        if client is None:
            client = boto3.client("appintegrations", region_name=region, config=CLIENT_CONFIG)
        super().__init__(client)
        self.clock = clock
        self.call_s = call_s
        self.calls: list[str] = []
        self._failing: _NoAnswer | None = None

    def activate(self) -> None:
        super().activate()
        self.client.meta.events.register("before-send.appintegrations", self._send, unique_id="stub_no_answer")

    def deactivate(self) -> None:
        super().deactivate()
        self.client.meta.events.unregister("before-send.appintegrations", unique_id="stub_no_answer")

    def add_unanswered(self, method: str, error: NetworkError, times: int = 1) -> None:
        """The next ``times`` calls, of ``method``, get no answer: ``error(url)`` is raised where botocore sends."""
        operation = self.client.meta.method_to_api_mapping[method]
        for _ in range(times):
            self._queue.append({"operation_name": operation, "response": _NoAnswer(error), "expected_params": None})

    def add_client_errors(self, method: str, code: str, status: int, times: int = 1, message: str = "m") -> None:
        """``times`` answers with service error ``code``; the n-th call of the test gets request id ``req-<n>``."""
        for _ in range(times):
            call = len(self.calls) + len(self._queue) + 1
            self.add_client_error(method, code, message, status, response_meta={"RequestId": f"req-{call}"})

    def reset(self) -> None:
        """Forget the script and the calls: one stub, and its client, serve every example of a property."""
        self._queue.clear()
        self.calls.clear()
        self._failing = None

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        self.calls.append(model.name)
        if self.clock is not None:
            self.clock.advance(self.call_s)
        response = super()._get_response_handler(model, params, context, **kwargs)  # type: ignore[misc]
        if isinstance(response, _NoAnswer):
            self._failing = response
            return None  # on to the HTTP layer, where _send raises it
        return response

    def _send(self, request: Any, **_kwargs: Any) -> None:
        failing, self._failing = self._failing, None
        if failing is None:
            raise AssertionError(f"the stub let {request.method} {request.url} through to the network")
        raise failing.error(request.url)
