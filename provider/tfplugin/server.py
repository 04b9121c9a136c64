"""The gRPC servicer: each Terraform RPC turned into calls on a Provider and its resources.

This layer owns protobuf and msgpack; resources get plain values. Any exception in resource code
becomes an error diagnostic (the traceback only when TF_LOG is DEBUG or TRACE), never a gRPC
failure, and every text that leaves passes through the secret scrubber.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import traceback
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterator

from google.protobuf.message_factory import GetMessageClass

from . import diagnostics as diag_mod
from . import logs, plan, values
from .diagnostics import Diagnostics, ResourceError
from .proto import tfplugin6_pb2 as pb
from .background import ConfigureCheck
from .resource import Configured, Context, DataSource, PlanContext, Provider, Resource
from .checks import check_config, register_sensitive
from .schema import to_proto as schema_to_proto

if TYPE_CHECKING:
    import grpc

log = logging.getLogger("provider.tfplugin")


# ---------------------------------------------------------------- value helpers


def _decode(dv: Any, ty: values.CtyType) -> Any:
    if dv is None:
        return None
    if dv.msgpack:
        return values.decode_msgpack(dv.msgpack, ty)
    if dv.json:
        return values.decode_json(dv.json, ty)
    return None


def _encode(value: Any, ty: values.CtyType) -> Any:
    return pb.DynamicValue(msgpack=values.encode_msgpack(value, ty))


def _private_in(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _private_out(private: dict[str, Any]) -> bytes:
    return json.dumps(private, sort_keys=True).encode() if private else b""


def _exception_diag(diags: Diagnostics, what: str, exc: BaseException) -> None:
    if isinstance(exc, ResourceError):
        diags.error(exc.summary, exc.detail, exc.path)
        return
    log.error("%s: unexpected %s", what, type(exc).__name__, exc_info=exc)
    detail = f"{type(exc).__name__}: {exc}"
    if logs.debug_enabled():
        detail += "\n\n" + "".join(traceback.format_exception(exc))
    else:
        detail += "\n\nRun with TF_LOG=debug for the full traceback."
    diags.error(f"Unexpected error while {what}", detail)  # scrubbed on the way out


def _after_configure_check(unchanged: Callable[[Any], Any], *, first: bool = False) -> Callable[[Any], Any]:
    """For an RPC that needs the configured provider: wait for the configuration's background
    check (`resource.Configured`, `background.ConfigureCheck`) and, if it failed, answer with its
    errors alone, in the response `unchanged(request)` (the one that changes nothing in state).

    An RPC that only reads runs beside the check, so that their API calls overlap, and its outcome
    is discarded if the check failed. With `first`, the RPC's work waits for the check: apply
    changes things, and must not with a configuration that failed its check."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def handler(self: "ProviderServicer", request: Any, context: Any) -> Any:
            check = self.configure_check
            if check is None:
                return method(self, request, context)
            found = check.join() if first else None
            if found is None or not found.has_errors:
                response = method(self, request, context)
                if found is None:
                    found = check.join()
            if found.has_errors:
                response = unchanged(request)
            response.diagnostics.extend(self._diags(found))
            return response

        return handler

    return wrap


# ---------------------------------------------------------------- the servicer


# No gRPC base class: the methods below (and the loop at the end for the rest) are every RPC of
# the protocol, and a relayed launch (relay.py) serves them without ever importing gRPC.
class ProviderServicer:
    def __init__(self, provider: Provider, cancelled: threading.Event) -> None:
        self.provider = provider
        self.cancelled = cancelled
        self.meta: Any = None
        self.resources: dict[str, Resource] = {r.type_name: r() for r in provider.resources}
        self.data_sources: dict[str, DataSource] = {d.type_name: d() for d in provider.data_sources}
        self._schema_response: pb.GetProviderSchema.Response | None = None
        self._lock = threading.Lock()
        # The configuration's background check, once ConfigureProvider started one.
        self.configure_check: ConfigureCheck | None = None

    # -- helpers

    def _ctx(self, diags: Diagnostics, private: dict[str, Any] | None = None) -> Context:
        return Context(meta=self.meta, diagnostics=diags, cancelled=self.cancelled, private=private or {})

    def _resource(self, type_name: str, diags: Diagnostics) -> Resource | None:
        r = self.resources.get(type_name)
        if r is None:
            diags.error("Unknown resource type", f"This provider has no resource type {type_name!r}.")
        return r

    def _data_source(self, type_name: str, diags: Diagnostics) -> DataSource | None:
        d = self.data_sources.get(type_name)
        if d is None:
            diags.error("Unknown data source", f"This provider has no data source {type_name!r}.")
        return d

    @staticmethod
    def _diags(diags: Diagnostics) -> list[Any]:
        return diag_mod.to_proto(diags, pb)

    # -- metadata and schema

    def GetMetadata(self, request: pb.GetMetadata.Request, context: grpc.ServicerContext) -> pb.GetMetadata.Response:
        return pb.GetMetadata.Response(
            server_capabilities=self._capabilities(),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.resources],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self.data_sources],
        )

    def _capabilities(self) -> Any:
        return pb.ServerCapabilities(
            plan_destroy=True,
            get_provider_schema_optional=True,
            move_resource_state=any(r.move_from for r in self.resources.values()),
        )

    def GetProviderSchema(self, request: pb.GetProviderSchema.Request, context: grpc.ServicerContext) -> pb.GetProviderSchema.Response:
        with self._lock:
            if self._schema_response is None:
                self._schema_response = pb.GetProviderSchema.Response(
                    provider=schema_to_proto(self.provider.schema),
                    resource_schemas={n: schema_to_proto(r.schema) for n, r in self.resources.items()},
                    data_source_schemas={n: schema_to_proto(d.schema) for n, d in self.data_sources.items()},
                    server_capabilities=self._capabilities(),
                )
            return self._schema_response

    # -- validation and configuration

    def _validate(self, find: Callable[[Diagnostics], Any], raw: Any, what: str) -> list[Any]:
        """Decode a configuration and run the schema's validators and the object's own checks."""
        diags = Diagnostics()
        try:
            target = find(diags)
            if target:
                config = _decode(raw, target.schema.cty_type)
                register_sensitive(target.schema, config)
                check_config(target, config, diags)
        except Exception as exc:  # every failure becomes a diagnostic
            _exception_diag(diags, f"validating {what}", exc)
        return self._diags(diags)

    def ValidateProviderConfig(self, request: pb.ValidateProviderConfig.Request, context: grpc.ServicerContext) -> pb.ValidateProviderConfig.Response:
        diags = self._validate(lambda _: self.provider, request.config, "the provider configuration")
        return pb.ValidateProviderConfig.Response(diagnostics=diags)

    def ValidateResourceConfig(self, request: pb.ValidateResourceConfig.Request, context: grpc.ServicerContext) -> pb.ValidateResourceConfig.Response:
        def find(d: Diagnostics) -> Resource | None:
            return self._resource(request.type_name, d)

        return pb.ValidateResourceConfig.Response(diagnostics=self._validate(find, request.config, request.type_name))

    def ValidateDataResourceConfig(self, request: pb.ValidateDataResourceConfig.Request, context: grpc.ServicerContext) -> pb.ValidateDataResourceConfig.Response:
        def find(d: Diagnostics) -> DataSource | None:
            return self._data_source(request.type_name, d)

        diags = self._validate(find, request.config, f"data source {request.type_name}")
        return pb.ValidateDataResourceConfig.Response(diagnostics=diags)

    def ConfigureProvider(self, request: pb.ConfigureProvider.Request, context: grpc.ServicerContext) -> pb.ConfigureProvider.Response:
        diags = Diagnostics()
        try:
            config = _decode(request.config, self.provider.schema.cty_type) or {}
            register_sensitive(self.provider.schema, config)
            if check_config(self.provider, config, diags):
                configured = self.provider.configure(config, diags, self.cancelled)
                if isinstance(configured, Configured):
                    self.meta = configured.meta
                    if configured.check is not None and not diags.has_errors:
                        self.configure_check = ConfigureCheck(configured.check, self.cancelled, _exception_diag)
                else:
                    self.meta = configured
        except Exception as exc:
            _exception_diag(diags, "configuring the provider", exc)
        return pb.ConfigureProvider.Response(diagnostics=self._diags(diags))

    # -- resources

    @_after_configure_check(lambda r: pb.ReadResource.Response(new_state=r.current_state, private=r.private))
    def ReadResource(self, request: pb.ReadResource.Request, context: grpc.ServicerContext) -> pb.ReadResource.Response:
        diags = Diagnostics()
        response = pb.ReadResource.Response(new_state=request.current_state, private=request.private)
        try:
            r = self._resource(request.type_name, diags)
            if r:
                state = _decode(request.current_state, r.schema.cty_type)
                register_sensitive(r.schema, state)
                ctx = self._ctx(diags, _private_in(request.private))
                new_state = r.read(ctx, state) if state is not None else None
                if not diags.has_errors:
                    if new_state is not None:
                        new_state = plan.finalize_applied(r.schema, new_state)
                        register_sensitive(r.schema, new_state)
                    response.new_state.CopyFrom(_encode(new_state, r.schema.cty_type))
                    response.private = _private_out(ctx.private)
        except Exception as exc:
            _exception_diag(diags, f"reading {request.type_name}", exc)
        response.diagnostics.extend(self._diags(diags))
        return response

    @_after_configure_check(lambda r: pb.PlanResourceChange.Response())
    def PlanResourceChange(self, request: pb.PlanResourceChange.Request, context: grpc.ServicerContext) -> pb.PlanResourceChange.Response:
        diags = Diagnostics()
        response = pb.PlanResourceChange.Response()
        try:
            r = self._resource(request.type_name, diags)
            if r:
                ty = r.schema.cty_type
                prior = _decode(request.prior_state, ty)
                proposed = _decode(request.proposed_new_state, ty)
                config = _decode(request.config, ty)
                for v in (prior, proposed, config):
                    register_sensitive(r.schema, v)
                private = _private_in(request.prior_private)
                if proposed is None:
                    if prior is not None:
                        r.plan_destroy(prior, diags)
                    response.planned_state.CopyFrom(_encode(None, ty))
                else:
                    planned, replace = plan.plan_change(r.schema, prior, proposed, config or {})
                    pctx = PlanContext(prior, config or {}, planned, replace, diags, private, self.meta)
                    r.modify_plan(pctx)
                    response.planned_state.CopyFrom(_encode(pctx.planned, ty))
                    response.requires_replace.extend(diag_mod.path_to_proto(p, pb) for p in pctx.requires_replace)
                response.planned_private = _private_out(private)
        except Exception as exc:
            _exception_diag(diags, f"planning {request.type_name}", exc)
        response.diagnostics.extend(self._diags(diags))
        return response

    @_after_configure_check(
        lambda r: pb.ApplyResourceChange.Response(new_state=r.prior_state, private=r.planned_private), first=True)
    def ApplyResourceChange(self, request: pb.ApplyResourceChange.Request, context: grpc.ServicerContext) -> pb.ApplyResourceChange.Response:
        diags = Diagnostics()
        # On failure Terraform keeps what we return: the prior state unless a step says better.
        response = pb.ApplyResourceChange.Response(new_state=request.prior_state, private=request.planned_private)
        r = self.resources.get(request.type_name)
        if r is None:
            self._resource(request.type_name, diags)
            response.diagnostics.extend(self._diags(diags))
            return response
        ty = r.schema.cty_type
        try:
            prior = _decode(request.prior_state, ty)
            planned = _decode(request.planned_state, ty)
            config = _decode(request.config, ty) or {}
            for v in (prior, planned, config):
                register_sensitive(r.schema, v)
            ctx = self._ctx(diags, _private_in(request.planned_private))
            if planned is None:
                if prior is not None:
                    r.delete(ctx, prior)
                new_state: dict[str, Any] | None = None
            elif prior is None:
                new_state = r.create(ctx, planned, config)
            else:
                new_state = r.update(ctx, prior, planned, config)
            if new_state is not None:
                new_state = plan.finalize_applied(r.schema, new_state)
                register_sensitive(r.schema, new_state)
            if diags.has_errors and new_state is None and prior is not None and planned is not None:
                new_state = prior
            response.new_state.CopyFrom(_encode(new_state, ty))
            response.private = _private_out(ctx.private)
        except ResourceError as exc:
            if exc.state is not None:  # something was made or changed: keep it in state
                partial = plan.finalize_applied(r.schema, exc.state)
                register_sensitive(r.schema, partial)
                response.new_state.CopyFrom(_encode(partial, ty))
            _exception_diag(diags, f"applying {request.type_name}", exc)
        except Exception as exc:
            _exception_diag(diags, f"applying {request.type_name}", exc)
        response.diagnostics.extend(self._diags(diags))
        return response

    @_after_configure_check(lambda r: pb.ImportResourceState.Response())
    def ImportResourceState(self, request: pb.ImportResourceState.Request, context: grpc.ServicerContext) -> pb.ImportResourceState.Response:
        diags = Diagnostics()
        response = pb.ImportResourceState.Response()
        try:
            r = self._resource(request.type_name, diags)
            if r:
                ctx = self._ctx(diags)
                state = r.import_state(ctx, request.id)
                if not diags.has_errors:
                    state = values.conform(json.loads(json.dumps(state, default=str)), r.schema.cty_type, lenient=True)
                    response.imported_resources.append(
                        pb.ImportResourceState.ImportedResource(
                            type_name=request.type_name,
                            state=_encode(state, r.schema.cty_type),
                            private=_private_out(ctx.private),
                        )
                    )
        except Exception as exc:
            _exception_diag(diags, f"importing {request.type_name} {request.id!r}", exc)
        response.diagnostics.extend(self._diags(diags))
        return response

    def UpgradeResourceState(self, request: pb.UpgradeResourceState.Request, context: grpc.ServicerContext) -> pb.UpgradeResourceState.Response:
        diags = Diagnostics()
        response = pb.UpgradeResourceState.Response()
        try:
            r = self._resource(request.type_name, diags)
            if r:
                ty = r.schema.cty_type
                if not request.raw_state.json:
                    if request.raw_state.flatmap:
                        diags.error(
                            "State too old to upgrade",
                            f"{request.type_name} state is in the pre-0.12 flatmap format, which this provider "
                            "cannot read. Remove it from state and import the object again.",
                        )
                    response.upgraded_state.CopyFrom(_encode(None, ty))
                else:
                    raw = json.loads(request.raw_state.json, parse_float=Decimal)
                    if request.version > r.schema.version:
                        diags.error(
                            "State written by a newer provider",
                            f"{request.type_name} state has schema version {request.version}; this provider "
                            f"knows up to {r.schema.version}. Use the provider version that wrote it.",
                        )
                    else:
                        if request.version < r.schema.version:
                            raw = r.upgrade_state(request.version, raw)
                        state = values.conform(raw, ty, lenient=True)
                        register_sensitive(r.schema, state)
                        response.upgraded_state.CopyFrom(_encode(state, ty))
        except Exception as exc:
            _exception_diag(diags, f"upgrading the state of {request.type_name}", exc)
        response.diagnostics.extend(self._diags(diags))
        return response

    def MoveResourceState(self, request: pb.MoveResourceState.Request, context: grpc.ServicerContext) -> pb.MoveResourceState.Response:
        diags = Diagnostics()
        response = pb.MoveResourceState.Response()
        try:
            r = self._resource(request.target_type_name, diags)
            if r:
                if request.source_type_name not in r.move_from:
                    diags.error(
                        "Move not supported",
                        f"{request.target_type_name} cannot take state from {request.source_type_name}.",
                    )
                else:
                    raw = json.loads(request.source_state.json or b"{}", parse_float=Decimal)
                    moved = r.move_state(request.source_type_name, request.source_schema_version, raw)
                    state = values.conform(moved, r.schema.cty_type, lenient=True)
                    response.target_state.CopyFrom(_encode(state, r.schema.cty_type))
                    response.target_private = request.source_private
        except Exception as exc:
            _exception_diag(diags, f"moving state to {request.target_type_name}", exc)
        response.diagnostics.extend(self._diags(diags))
        return response

    @_after_configure_check(lambda r: pb.ReadDataSource.Response())
    def ReadDataSource(self, request: pb.ReadDataSource.Request, context: grpc.ServicerContext) -> pb.ReadDataSource.Response:
        diags = Diagnostics()
        response = pb.ReadDataSource.Response()
        try:
            d = self._data_source(request.type_name, diags)
            if d:
                config = _decode(request.config, d.schema.cty_type) or {}
                register_sensitive(d.schema, config)  # before read: its errors may quote them
                if not check_config(d, config, diags):
                    response.diagnostics.extend(self._diags(diags))
                    return response
                state = d.read(self._ctx(diags), config)
                if not diags.has_errors:
                    state = plan.finalize_applied(d.schema, state)
                    register_sensitive(d.schema, state)
                    response.state.CopyFrom(_encode(state, d.schema.cty_type))
        except Exception as exc:
            _exception_diag(diags, f"reading data source {request.type_name}", exc)
        response.diagnostics.extend(self._diags(diags))
        return response

    # -- newer RPCs: answered, never crashed on

    def GetResourceIdentitySchemas(self, request: pb.GetResourceIdentitySchemas.Request, context: grpc.ServicerContext) -> pb.GetResourceIdentitySchemas.Response:
        return pb.GetResourceIdentitySchemas.Response()  # no resource declares an identity

    def GetFunctions(self, request: pb.GetFunctions.Request, context: grpc.ServicerContext) -> pb.GetFunctions.Response:
        return pb.GetFunctions.Response()  # the provider offers no functions

    def StopProvider(self, request: pb.StopProvider.Request, context: grpc.ServicerContext) -> pb.StopProvider.Response:
        log.info("StopProvider: cancelling in-flight work")
        self.cancelled.set()
        return pb.StopProvider.Response()


def _unsupported(name: str, streaming: bool, response_cls: Any) -> Callable[..., Any]:
    def make(provider: Provider) -> Any:
        msg = response_cls()
        text = f"The {provider.name} provider does not support {name}."
        if "diagnostics" in response_cls.DESCRIPTOR.fields_by_name:
            msg.diagnostics.append(pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary="Not supported", detail=text))
        elif "diagnostic" in response_cls.DESCRIPTOR.fields_by_name:
            msg.diagnostic.append(pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary="Not supported", detail=text))
        elif "completed" in response_cls.DESCRIPTOR.fields_by_name:
            msg.completed.diagnostics.append(
                pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary="Not supported", detail=text)
            )
        elif "error" in response_cls.DESCRIPTOR.fields_by_name:
            msg.error.text = text
        return msg

    if streaming:

        def stream_handler(self: ProviderServicer, request: Any, context: Any) -> Iterator[Any]:
            yield make(self.provider)

        return stream_handler

    def handler(self: ProviderServicer, request: Any, context: Any) -> Any:
        return make(self.provider)

    return handler


# Every RPC of protocol 6.10 that the servicer does not implement gets a clear diagnostic.
for _method in pb.DESCRIPTOR.services_by_name["Provider"].methods:
    if _method.name not in ProviderServicer.__dict__:
        setattr(
            ProviderServicer,
            _method.name,
            _unsupported(_method.name, _method.server_streaming, GetMessageClass(_method.output_type)),
        )
