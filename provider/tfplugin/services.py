"""go-plugin's side services, registered beside the Provider service.

GRPCController.Shutdown is how Terraform asks the plugin to exit; GRPCStdio and GRPCBroker
streams are opened by go-plugin on every launch and simply held open until shutdown; the
health service answers go-plugin's ping.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

import grpc

from .proto import grpc_broker_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc
from .proto import grpc_stdio_pb2_grpc, tfplugin6_pb2_grpc

_SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}, hand-encoded


class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def Shutdown(self, request: Any, context: Any) -> Any:
        self.stop.set()
        return grpc_controller_pb2.Empty()


class Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """We write logs to stderr directly, which go-plugin reads; the stream stays empty."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def StreamStdio(self, request: Any, context: Any) -> Iterator[Any]:
        while context.is_active() and not self.stop.wait(1.0):
            pass
        return iter(())


class Broker(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    """No sub-plugins are brokered; hold the stream open like go-plugin does."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def StartStream(self, request_iterator: Any, context: Any) -> Iterator[Any]:
        while context.is_active() and not self.stop.wait(1.0):
            pass
        return iter(())


def _health_check(request: bytes, context: Any) -> bytes:
    return _SERVING


def register(server: Any, provider_servicer: Any, stop: threading.Event) -> None:
    tfplugin6_pb2_grpc.add_ProviderServicer_to_server(provider_servicer, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(stop), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(Stdio(stop), server)
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(Broker(stop), server)
    health = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {"Check": grpc.unary_unary_rpc_method_handler(_health_check, lambda b: b, lambda b: b)},
    )
    server.add_generic_rpc_handlers((health,))
