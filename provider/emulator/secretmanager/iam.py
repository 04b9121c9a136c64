"""The IAM permission each Secret Manager method checks, for Google-like PERMISSION_DENIED texts
(an injected failure, or a project outside the fake's allowed list)."""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "ListSecrets": "secretmanager.secrets.list",
    "CreateSecret": "secretmanager.secrets.create",
    "GetSecret": "secretmanager.secrets.get",
    "DeleteSecret": "secretmanager.secrets.delete",
    "AddSecretVersion": "secretmanager.versions.add",
    "ListSecretVersions": "secretmanager.versions.list",
    "GetSecretVersion": "secretmanager.versions.get",
    "AccessSecretVersion": "secretmanager.versions.access",
    "DisableSecretVersion": "secretmanager.versions.disable",
    "EnableSecretVersion": "secretmanager.versions.enable",
    "DestroySecretVersion": "secretmanager.versions.destroy",
}


def denied(method: str, resource: str) -> str:
    permission = PERMISSIONS.get(method, "secretmanager.secrets.get")
    return f"Permission '{permission}' denied on resource '{resource}' (or it may not exist)."
