"""Errors and warnings for Terraform, each able to point at an attribute.

A path is a tuple of steps: a str names an attribute (or block), an int indexes a list, and
`Key("k")` selects a map element. Terraform underlines the configuration at that path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal


@dataclass(frozen=True)
class Key:
    """A map key step in an attribute path."""

    key: str


PathStep = str | int | Key
Path = tuple[PathStep, ...]


@dataclass
class Diagnostic:
    severity: Literal["error", "warning"]
    summary: str
    detail: str = ""
    path: Path | None = None


class Diagnostics(list[Diagnostic]):
    def error(self, summary: str, detail: str = "", path: Iterable[PathStep] | None = None) -> None:
        self.append(Diagnostic("error", summary, detail, tuple(path) if path is not None else None))

    def warning(self, summary: str, detail: str = "", path: Iterable[PathStep] | None = None) -> None:
        self.append(Diagnostic("warning", summary, detail, tuple(path) if path is not None else None))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self)


class ResourceError(Exception):
    """Raised by resource code to fail the current operation with one readable diagnostic."""

    def __init__(
        self,
        summary: str,
        detail: str = "",
        path: Iterable[PathStep] | None = None,
        *,
        state: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        self.path: Path | None = tuple(path) if path is not None else None
        # What exists after a half-done apply, so that Terraform records it instead of
        # forgetting an object that was really made. After a failed create Terraform marks it
        # tainted (the next plan replaces it); after a failed update it is simply kept.
        self.state = state


def path_to_proto(path: Path, pb: Any) -> Any:
    steps = []
    for step in path:
        if isinstance(step, Key):
            steps.append(pb.AttributePath.Step(element_key_string=step.key))
        elif isinstance(step, int):
            steps.append(pb.AttributePath.Step(element_key_int=step))
        else:
            steps.append(pb.AttributePath.Step(attribute_name=step))
    return pb.AttributePath(steps=steps)


def to_proto(diags: Iterable[Diagnostic], pb: Any) -> list[Any]:
    """Every diagnostic leaves through here, so this is where secrets are scrubbed."""
    from .redact import scrub

    out = []
    for d in diags:
        msg = pb.Diagnostic(
            severity=pb.Diagnostic.ERROR if d.severity == "error" else pb.Diagnostic.WARNING,
            summary=scrub(d.summary),
            detail=scrub(d.detail),
        )
        if d.path:
            msg.attribute.CopyFrom(path_to_proto(d.path, pb))
        out.append(msg)
    return out
