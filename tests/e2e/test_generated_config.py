"""`terraform plan -generate-config-out` for every resource type: the generated configuration
validates, and the plan it gives imports without any change; after the apply the plan is empty.

Objects are made outside Terraform the ways operators meet them: a subaccount with a pool, keys
of the primary account and of a subaccount (with an IP allow-list), sending domains with a key
SparkPost generated (2048 and 1024 bits), with a key brought by the user, and one of a subaccount
linked to nothing.
"""

from __future__ import annotations

import base64
import re

import pytest

from provider.provider import RESOURCES

from .harness import changes
from .sparkpost_world import SparkPostWorld


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
    # the resource types of managed SMTP (IP pools and webhooks, newer, are not covered here yet)
    assert {a.split(".")[0] for a in imports} == {cls.type_name for cls in RESOURCES} - {
        "sparkpost_ip_pool", "sparkpost_webhook"}
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
