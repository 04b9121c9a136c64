"""Import IDs class: every malformed import ID of every resource is refused with an error that
says which form is expected, before any API call (issue 13 item 3).

Most cases are `import {}` blocks, all in one `terraform plan -json`. Terraform gives an
import's error no source range, so an error is matched to its case by what it says: the
resource type in its summary ("Invalid import ID for sparkpost_api_key") and the refused ID,
quoted (escaped, shortened when long) at the start of its detail. Four cases go through
`terraform import` on the command line, the way the issue's `terraform import sparkpost_api_key.k
..` did. Terraform NFC-normalises every string, IDs included, so the issue's Kelvin sign (U+212A,
canonically "K") never reaches the provider; lookalikes without a canonical decomposition (the
long s, the dotless i, Cyrillic letters) do, and are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.e2e.sparkpost_world import PROVIDER_BLOCK, SparkPostWorld

from provider.resources.import_ids import shown

from .corpus import ALLOWED_AT_PLAN, ConfigCase, Outcome, run_plan

RESOURCE = {
    "sparkpost_subaccount": 'resource "sparkpost_subaccount" "CASE" {\n  name = "imported"\n}\n',
    "sparkpost_api_key": 'resource "sparkpost_api_key" "CASE" {\n  label = "imported"\n  grants = ["smtp/inject"]\n}\n',
    "sparkpost_sending_domain": 'resource "sparkpost_sending_domain" "CASE" {\n  domain = "mail.example.com"\n}\n',
    "sparkpost_ip_pool": 'resource "sparkpost_ip_pool" "CASE" {\n  name = "imported"\n}\n',
    "sparkpost_webhook": ('resource "sparkpost_webhook" "CASE" {\n  name = "imported"\n  target = "https://hooks.example.com/x"\n'
                          '  events = ["bounce"]\n}\n'),
}
# What the error must show: the form the resource expects.
FORM = {
    "sparkpost_subaccount": "SUBACCOUNT_ID",
    "sparkpost_api_key": "SUBACCOUNT_ID/KEY_ID",
    "sparkpost_sending_domain": "SUBACCOUNT_ID/DOMAIN",
    "sparkpost_ip_pool": "POOL_ID",
    "sparkpost_webhook": "SUBACCOUNT_ID:WEBHOOK_ID",
}


def hcl_string(s: str) -> str:
    """An HCL string literal holding exactly s (JSON escapes, template sequences doubled)."""
    return json.dumps(s, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


@dataclass(frozen=True)
class ImportCase:
    type: str
    import_id: str
    why: str

    @property
    def id(self) -> str:
        return f"{self.type.removeprefix('sparkpost_')}-{self.why}"

    def config(self) -> ConfigCase:
        hcl = RESOURCE[self.type] + f"import {{\n  to = {self.type}.CASE\n  id = {hcl_string(self.import_id)}\n}}\n"
        return ConfigCase(self.id, hcl, "id", FORM[self.type], phase="plan")


I = ImportCase
SUBACCOUNT_IDS = [
    ("..", "dot-dot"), (".", "dot"), ("abc", "word"), ("-1", "negative"), ("0", "zero"), ("1.5", "fraction"),
    ("1e3", "exponent"), ("12a", "trailing-letter"), ("0x10", "hex"), ("+12", "plus-sign"), ("1_000", "underscore"),
    ("12 ", "trailing-space"), ("1 2", "inner-space"), ("12\n", "newline"), ("\u0661\u0662", "arabic-indic-digits"),
    ("\uff11\uff12", "fullwidth-digits"), ("99999999999999999999", "too-big"), ("12/34", "slash"), ("NaN", "nan"),
    ("12\u200b", "zero-width-space"),
]
KEY_IDS = [
    ("..", "dot-dot"), (".", "dot"), ("/", "slash-only"), ("a/b/c", "three-parts"), ("12/", "no-key-id"),
    ("/abc", "no-subaccount"), ("0/abc", "subaccount-zero"), ("-1/abc", "subaccount-negative"),
    ("abc def", "space"), ("abc\n", "newline"), ("%2e%2e", "percent-encoded-dots"), ("abc?x=1", "query"),
    ("abc#x", "fragment"), ("12/..", "subaccount-dot-dot"), ("x" * 300, "too-long"),
    ("\u0967\u0968/abc", "devanagari-subaccount"), ("abc\x00", "nul"), ("ab\u202ec", "bidi-override"),
    ("../api-keys", "path-traversal"), ("1.5/abc", "subaccount-fraction"),
]
DOMAIN_IDS = [
    ("..", "dot-dot"), ("not a domain", "spaces"), ("12/", "no-domain"), ("/mail.example.com", "no-subaccount"),
    ("007/mail.example.com", "subaccount-leading-zeros"), ("abc/mail.example.com", "subaccount-word"),
    ("1/2/mail.example.com", "three-parts"), ("\u017fend.example.com", "long-s"),
    ("10.0.0.1", "ip-address"), ("-bad.example.com", "leading-dash-label"), ("mail..example.com", "empty-label"),
    ("x" * 250 + ".com", "too-long"), ("localhost", "single-label"), ("mail.example.com\n", "newline"),
    ("m\u0430il.example.com", "cyrillic-a"), ("mail.example.com/x", "trailing-path"),
    ("\u0661/mail.example.com", "arabic-indic-subaccount"), ("mail.exa mple.com", "inner-space"),
    ("mail.example.com?x", "query"), ("mail_x.example.com", "underscore"),
]
POOL_IDS = [
    ("..", "dot-dot"), (" pool", "leading-space"), ("pool ", "trailing-space"), ("my pool", "inner-space"),
    ("p\u0430ol", "cyrillic-a"), ("x" * 21, "too-long"), ("pool-1", "dash"), ("pool\n", "newline"),
    ("../ip-pools", "path-traversal"), ("pool%2f", "percent"), ("\uff50ool", "fullwidth-p"), ("pool\u200b", "zero-width-space"),
]
WEBHOOK_IDS = [
    ("..", "dot-dot"), (" abc", "leading-space"), ("abc ", "trailing-space"), ("1:2:abc", "three-parts"),
    ("12:", "no-webhook-id"), (":abc", "no-subaccount"), ("-1:abc", "subaccount-negative"),
    ("007:abc", "subaccount-leading-zeros"), ("99999999999:abc", "subaccount-too-big"), ("abc/def", "slash"),
    ("abc?x", "query"), ("\u0661:abc", "arabic-indic-subaccount"), ("x" * 65, "too-long"), ("ab\u200bc", "zero-width-space"),
    ("../webhooks", "path-traversal"),
]
CASES = ([I("sparkpost_subaccount", i, w) for i, w in SUBACCOUNT_IDS]
         + [I("sparkpost_api_key", i, w) for i, w in KEY_IDS]
         + [I("sparkpost_sending_domain", i, w) for i, w in DOMAIN_IDS]
         + [I("sparkpost_ip_pool", i, w) for i, w in POOL_IDS]
         + [I("sparkpost_webhook", i, w) for i, w in WEBHOOK_IDS])


class Batch:
    """Runs every import case in one plan, on first use; hands out each case's errors."""

    def __init__(self, world: SparkPostWorld, cases: list[ImportCase]) -> None:
        ids = [(c.type, c.import_id) for c in cases]
        assert len(set(ids)) == len(ids), "two cases import the same ID into the same type"
        self.world = world
        self.cases = cases
        self.results: dict[str, Outcome] = {}

    def outcome(self, case: ImportCase) -> Outcome:
        if not self.results:
            batch = run_plan(self.world, [c.config() for c in self.cases], "plan")
            for c in self.cases:
                self.results[c.id] = Outcome([], batch.outcomes[c.id].text, list(batch.problems))
            unowned = []
            for e in batch.unranged + [e for o in batch.outcomes.values() for e in o.errors]:
                owners = [c for c in self.cases if f"for {c.type}" in e.get("summary", "")
                          and e.get("detail", "").startswith(shown(c.import_id) + ":")]
                if len(owners) == 1:
                    self.results[owners[0].id].errors.append(e)
                else:
                    unowned.append(f"{e.get('summary')}: {e.get('detail')}")
            if unowned:
                for o in self.results.values():
                    o.problems.append(f"errors no single case owns: {unowned}")
        return self.results[case.id]


@pytest.fixture(scope="module")
def batch(shared_world: SparkPostWorld) -> Batch:
    return Batch(shared_world, CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_import_block(case: ImportCase, batch: Batch) -> None:
    outcome = batch.outcome(case)
    said = [f"{e.get('summary')}: {e.get('detail')}" for e in outcome.errors]
    assert any(s.startswith(f"Invalid import ID for {case.type}:") and FORM[case.type] in s for s in said), (
        case.import_id, said, outcome.problems)
    assert not any("unexpected" in s.lower() or "Traceback" in s for s in said), said
    assert not outcome.problems, "\n".join(outcome.problems)


CLI_CASES = [("sparkpost_api_key", "..", "dot-dot"), ("sparkpost_subaccount", "..", "dot-dot"),
             ("sparkpost_sending_domain", "..", "dot-dot"),
             ("sparkpost_sending_domain", "ma\u0131l.example.com", "dotless-i"),
             ("sparkpost_ip_pool", " pool", "leading-space"), ("sparkpost_webhook", " abc", "leading-space")]


@pytest.mark.parametrize("type_name,import_id", [c[:2] for c in CLI_CASES],
                         ids=[f"cli-{t.removeprefix('sparkpost_')}-{w}" for t, _, w in CLI_CASES])
def test_terraform_import_command(type_name: str, import_id: str, sp: SparkPostWorld) -> None:
    sp.tf.write(PROVIDER_BLOCK, "versions.tf")
    sp.tf.write(RESOURCE[type_name].replace("CASE", "k"))
    sp.tf.init()
    sp.emulator.reset_request_log()
    result = sp.tf.run("import", "-no-color", "-input=false", f"{type_name}.k", import_id, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Invalid import ID" in out and FORM[type_name] in out, out
    assert "Unexpected" not in out and "Traceback" not in out and "ValueError" not in out, out
    calls = {r: n for r, n in sp.by_route().items() if r not in ALLOWED_AT_PLAN}
    assert calls == {}, calls
