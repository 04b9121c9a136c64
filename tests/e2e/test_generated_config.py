"""`terraform plan -generate-config-out` for every resource type: the generated configuration
validates, and the plan it gives imports without any change; after the apply the plan is empty.

Objects are made outside Terraform the ways operators meet them: a subaccount with a pool, keys
of the primary account and of a subaccount (with an IP allow-list), sending domains with a key
SparkPost generated (2048 and 1024 bits), with a key brought by the user, and one of a subaccount
linked to nothing; IP pools (plain, and with signing domains and an overflow pool) and webhooks
of every scope and authentication (none, basic with a password and custom headers, OAuth2).

Terraform never writes sensitive or write-only values into generated configuration: webhook
credentials and custom headers stay what SparkPost holds, and the path the webhook docs give the
operator (add the secret before the webhook must be made again) is followed here.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any, Iterator

import pytest

from provider.provider import RESOURCES
from tests.webhook_receiver import Receiver

from .harness import changes
from .sparkpost_world import SparkPostWorld

# The resource types each test below covers; together, every resource.
MANAGED_SMTP_TYPES = {"sparkpost_subaccount", "sparkpost_api_key", "sparkpost_sending_domain"}
POOL_AND_HOOK_TYPES = {"sparkpost_ip_pool", "sparkpost_webhook"}


def test_every_resource_type_is_covered() -> None:
    assert MANAGED_SMTP_TYPES | POOL_AND_HOOK_TYPES == {cls.type_name for cls in RESOURCES}


def _import_blocks(imports: dict[str, str]) -> str:
    return "".join(f'import {{\n  to = {to}\n  id = "{iid}"\n}}\n' for to, iid in imports.items())


def _generate_then_apply(sp: SparkPostWorld, imports: dict[str, str]) -> str:
    """import {} blocks, -generate-config-out; the generated file validates, its plan is only the
    imports, the apply converges and the next plan is empty. Returns the generated file."""
    sp.write(_import_blocks(imports))
    sp.tf.init()
    result, _ = sp.tf.plan("-generate-config-out=generated.tf")
    assert result.returncode == 2, result.stdout + result.stderr
    generated = (sp.tf.workdir / "generated.tf").read_text()
    sp.tf.run("validate", "-no-color")
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {}, changes(plan)  # nothing created, updated or replaced...
    assert plan is not None
    importing = sorted(rc["address"] for rc in plan["resource_changes"] if rc["change"].get("importing"))
    assert importing == sorted(imports)  # ...only imports
    sp.tf.apply()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    return generated


def _block(generated: str, address: str) -> str:
    rtype, name = address.split(".")
    found = re.search(rf'resource "{rtype}" "{name}" \{{.*?\n\}}\n', generated, re.DOTALL)
    assert found, address
    return found.group(0)


def _rsa_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def _key_id(response: object) -> str:
    return str(response.json()["results"]["link"]["href"]).rsplit("/", 1)[-1]  # type: ignore[attr-defined]


@pytest.mark.api_keys_api  # API keys are made outside Terraform here, and imported
def test_generated_config_validates_and_plans_only_imports(sp: SparkPostWorld) -> None:
    # api keys need api_keys/manage: this world's provider uses the admin key
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.admin_key
    assert sp.api("POST", "/ip-pools", json={"name": "dedicated"}).status_code == 200
    made = sp.api("POST", "/subaccounts", json={"name": "cloud-acme", "setup_api_key": True, "key_label": "smtp",
                                                "key_grants": ["smtp/inject"], "ip_pool": "dedicated"})
    assert made.status_code == 200, made.text
    sub = int(made.json()["results"]["subaccount_id"])
    r = sp.api("POST", "/api-keys", json={"label": "ci metrics", "grants": ["metrics/view"],
                                          "valid_ips": ["203.0.113.0/24"]})
    assert r.status_code == 200, r.text
    primary_key = _key_id(r)
    r = sp.api("POST", "/api-keys", subaccount=sub, json={"label": "smtp two", "grants": ["smtp/inject"]})
    assert r.status_code == 200, r.text
    sub_key = _key_id(r)
    for body, owner in (({"domain": "gen.acme.example"}, None),
                        ({"domain": "short.acme.example", "dkim_key_length": 1024}, None),
                        ({"domain": "mail.acme.example"}, sub)):
        r = sp.api("POST", "/sending-domains", subaccount=owner, json=body)
        assert r.status_code == 200, r.text
    private, public = _rsa_pair()
    sp.extra_secrets.append(private)
    r = sp.api("POST", "/sending-domains", json={
        "domain": "own.acme.example", "dkim": {"private": private, "public": public, "selector": "mine"}})
    assert r.status_code == 200, r.text

    imports = {
        "sparkpost_subaccount.acme": str(sub),
        "sparkpost_api_key.ci": primary_key,
        "sparkpost_api_key.smtp": f"{sub}/{sub_key}",
        "sparkpost_sending_domain.gen": "gen.acme.example",
        "sparkpost_sending_domain.short": "short.acme.example",
        "sparkpost_sending_domain.mail": f"{sub}/mail.acme.example",
        "sparkpost_sending_domain.own": "own.acme.example",
    }
    assert {a.split(".")[0] for a in imports} == MANAGED_SMTP_TYPES
    sp.write("".join(f'import {{\n  to = {to}\n  id = "{iid}"\n}}\n' for to, iid in imports.items()))
    sp.tf.init()
    result, _ = sp.tf.plan("-generate-config-out=generated.tf")
    generated = (sp.tf.workdir / "generated.tf").read_text()
    assert result.returncode == 2, result.stdout + result.stderr
    assert private not in generated

    sp.tf.run("validate", "-no-color")
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {}, changes(plan)  # nothing created, updated or replaced...
    importing = sorted(rc["address"] for rc in plan["resource_changes"] if rc["change"].get("importing"))
    assert importing == sorted(imports)  # ...only imports
    sp.tf.apply()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)


    # The generated dkim blocks have no private_key: they describe the current keys. If a domain must
    # be made again (deleted outside Terraform), that cannot be done with the key described, and the
    # plan says so; the advice (remove the dkim block) works.
    assert sp.api("DELETE", "/sending-domains/gen.acme.example").status_code == 204
    stopped = sp.tf.plan_json()
    assert stopped.returncode == 1
    [error] = stopped.errors()
    assert error["summary"] == "dkim.private_key is needed" and "remove the dkim block" in error["detail"]
    block = re.search(r'resource "sparkpost_sending_domain" "gen" \{.*?\n\}\n', generated, re.DOTALL)
    assert block
    without_dkim = re.sub(r"  dkim = \{.*?\n  \}\n", "", block.group(0), flags=re.DOTALL)
    (sp.tf.workdir / "generated.tf").write_text(generated.replace(block.group(0), without_dkim))
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {"sparkpost_sending_domain.gen": ["create"]}
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0


# ---------------------------------------------------------------- IP pools and webhooks

HOOK_GRANTS = ["webhooks/view", "webhooks/modify", "subaccount/manage", "ip_pools/manage"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_generated_config_for_ip_pools_and_webhooks(sp: SparkPostWorld, receiver: Receiver) -> None:
    key = secrets.token_hex(20)
    sp.emulator.add_key(key=key, grants=HOOK_GRANTS, label="pools and webhooks")
    password, header, client_secret = (f"{what}-{secrets.token_hex(8)}" for what in ("pw", "hdr", "cs"))
    sp.extra_secrets.extend([key, password, header, client_secret])
    sp.tf.env_extra["SPARKPOST_API_KEY"] = key

    def made(method: str, path: str, body: dict[str, Any], sub: int | None = None) -> Any:
        r = sp.api(method, path, json=body, key=key, subaccount=sub)
        assert r.status_code == 200, r.text
        return r.json()["results"]

    made("POST", "/ip-pools", {"name": "Plain Pool"})
    made("POST", "/ip-pools", {"name": "Full Pool", "signing_domain": "sign.example.com",
                               "fbl_signing_domain": "fbl.example.com", "auto_warmup_overflow_pool": "plain_pool"})
    sub = made("POST", "/subaccounts", {"name": "cloud-acme", "setup_api_key": False})["subaccount_id"]
    every = made("POST", "/webhooks", {"name": "every account", "target": f"{receiver.url}/every", "active": False,
                                       "events": ["bounce"], "exception_subaccounts": [sub]})["id"]
    basic = made("POST", "/webhooks", {
        "name": "acme alerts", "target": f"{receiver.url}/acme", "events": ["bounce", "spam_complaint"],
        "auth_type": "basic", "auth_credentials": {"username": "sparkpost", "password": password},
        "custom_headers": {"x-token": header}}, sub)["id"]
    oauth = made("POST", "/webhooks", {
        "name": "primary", "target": f"{receiver.url}/primary", "events": ["delivery"], "auth_type": "oauth2",
        "auth_request_details": {"url": f"{receiver.url}/token",
                                 "body": {"client_id": "sparkpost", "client_secret": client_secret}}}, 0)["id"]
    imports = {
        "sparkpost_ip_pool.plain": "plain_pool",
        "sparkpost_ip_pool.full": "full_pool",
        "sparkpost_webhook.every": every,
        "sparkpost_webhook.acme": f"{sub}:{basic}",
        "sparkpost_webhook.primary": f"0:{oauth}",
    }
    assert {a.split(".")[0] for a in imports} == POOL_AND_HOOK_TYPES

    generated = _generate_then_apply(sp, imports)
    for secret in (password, header, client_secret):
        assert secret not in generated
    full = _block(generated, "sparkpost_ip_pool.full")
    for setting in ('"Full Pool"', '"sign.example.com"', '"fbl.example.com"', '"plain_pool"'):
        assert setting in full, full
    # Credentials and headers are not in the file; SparkPost kept them through import and apply.
    assert "custom_headers             = null # sensitive" in _block(generated, "sparkpost_webhook.acme")
    hooks = {h["id"]: h for h in made("GET", "/webhooks", {})}
    hooks.update({h["id"]: h for h in made("GET", "/webhooks", {}, sub)})
    hooks.update({h["id"]: h for h in made("GET", "/webhooks", {}, 0)})
    assert hooks[basic]["auth_credentials"] == {"username": "sparkpost", "password": password}
    assert hooks[basic]["custom_headers"] == {"x-token": header}
    assert hooks[oauth]["auth_request_details"]["body"]["client_secret"] == client_secret
    assert hooks[every]["active"] is False and hooks[every]["exception_subaccounts"] == [str(sub)]

    # The path the docs give: add the secret from Secret Manager. To an imported webhook that is
    # one in-place update, which sends it once.
    for name, value in (("RECEIVER_PW", password), ("RECEIVER_CS", client_secret)):
        sp.secret_manager.create_secret(f"projects/alerts-prod/secrets/{name}")
        sp.secret_manager.add_version(f"projects/alerts-prod/secrets/{name}", value)
    acme = _block(generated, "sparkpost_webhook.acme")
    with_password = acme.replace("auth_secret_secret_manager = null",
                                 'auth_secret_secret_manager = "projects/alerts-prod/secrets/RECEIVER_PW/versions/1"')
    generated = generated.replace(acme, with_password)
    (sp.tf.workdir / "generated.tf").write_text(generated)
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {"sparkpost_webhook.acme": ["update"]}
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0

    # Without the secret, an OAuth2 webhook that must be made again (deleted outside Terraform)
    # stops at plan, pointing at the attribute, before anything is sent; the advice works.
    assert sp.api("DELETE", f"/webhooks/{oauth}", key=key, subaccount=0).status_code == 204
    stopped = sp.tf.plan_json()
    assert stopped.returncode == 1
    [error] = stopped.errors()
    assert error["summary"] == "The OAuth2 client secret is needed"
    assert "creates the webhook" in error["detail"] and "auth_secret_secret_manager" in error["detail"]
    assert error["address"] == "sparkpost_webhook.primary"
    posts_before = len(receiver.posts)
    primary = _block(generated, "sparkpost_webhook.primary")
    generated = generated.replace(primary, primary.replace(
        "auth_secret_secret_manager = null",
        'auth_secret_secret_manager = "projects/alerts-prod/secrets/RECEIVER_CS/versions/1"'))
    (sp.tf.workdir / "generated.tf").write_text(generated)
    assert len(receiver.posts) == posts_before  # the failed plan sent nothing
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {"sparkpost_webhook.primary": ["create"]}
    sp.tf.apply()
    token = [p for p in receiver.posts[posts_before:] if p["path"] == "/token"]
    assert token and f"client_secret={client_secret}" in token[-1]["body"]
    assert sp.tf.plan()[0].returncode == 0
