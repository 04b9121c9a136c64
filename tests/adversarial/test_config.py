"""Configuration class: invalid configurations of the provider block, every resource and every
data source. Each is stopped at validate or plan with an error that names the attribute and
points at it, before any API call (see corpus.py for how a batch runs and what is checked)."""

from __future__ import annotations

import pytest

from tests.e2e.sparkpost_world import SparkPostWorld

from .corpus import Batches, ConfigCase, check, provider_case

C = ConfigCase
P = provider_case

SUB = 'resource "sparkpost_subaccount" "CASE" {\n  name = "ok"\n%s}\n'
KEY = 'resource "sparkpost_api_key" "CASE" {\n  label  = "ok"\n  grants = ["smtp/inject"]\n%s}\n'
DOMAIN = 'resource "sparkpost_sending_domain" "CASE" {\n  domain = "mail.example.com"\n%s}\n'
IKEY = '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n  }\n'

CASES: list[ConfigCase] = [
    # provider block
    P("provider-region-unknown", '  region = "ap"\n', "region", "must be one of"),
    P("provider-api-key-empty", '  api_key = ""\n', "api_key", "api_key is set to an empty string", phase="plan"),
    P("provider-base-url-ftp", '  base_url = "ftp://x"\n', "base_url", "https://"),
    P("provider-base-url-http-remote", '  base_url = "http://api.sparkpost.com/api/v1"\n', "base_url",
      "would send the API key unencrypted"),
    P("provider-base-url-userinfo", '  base_url = "https://user:pw@api.sparkpost.com"\n', "base_url",
      "must not contain credentials", phase="plan"),
    P("provider-base-url-query", '  base_url = "https://api.sparkpost.com/api/v1?x=1"\n', "base_url",
      "must not contain a query", phase="plan"),
    P("provider-base-url-http-private-ip", '  base_url = "http://10.0.0.7:8025"\n', "base_url", "use https://"),
    P("provider-key-and-secret", '  api_key = "k"\n  api_key_secret = "projects/my-project/secrets/k/versions/1"\n',
      "api_key_secret", "either api_key or api_key_secret"),
    P("provider-secret-no-version", '  api_key_secret = "projects/my-project/secrets/k"\n', "api_key_secret", "versions"),
    P("provider-secret-bare-name", '  api_key_secret = "SPARKPOST_API_KEY"\n', "api_key_secret",
      "projects/PROJECT/secrets/SECRET/versions/VERSION"),
    P("provider-max-retries-negative", "  max_retries = -1\n", "max_retries", "between"),
    P("provider-retry-timeout-huge", "  retry_timeout = 99999\n", "retry_timeout", "between"),
    P("provider-request-timeout-zero", "  request_timeout = 0\n", "request_timeout", "between"),
    P("provider-max-retries-string", '  max_retries = "many"\n', "max_retries", "number"),
    # sparkpost_subaccount
    C("subaccount-name-too-long", 'resource "sparkpost_subaccount" "CASE" {\n  name = "%s"\n}\n' % ("n" * 65), "name", "at most 64"),
    C("subaccount-name-blank", 'resource "sparkpost_subaccount" "CASE" {\n  name = "   "\n}\n', "name", "empty"),
    C("subaccount-name-missing", 'resource "sparkpost_subaccount" "CASE" {\n}\n', "name", "required"),
    C("subaccount-status-terminated", SUB % '  status = "terminated"\n', "status", "must be one of"),
    C("subaccount-on-destroy-unknown", SUB % '  on_destroy = "delete"\n', "on_destroy", "must be one of"),
    C("subaccount-ip-pool-dash", SUB % '  ip_pool = "pool-with-dash"\n', "ip_pool", "letters, digits or underscores"),
    C("subaccount-ip-pool-long", SUB % '  ip_pool = "a_pool_name_far_too_long_for_sparkpost"\n', "ip_pool",
      "letters, digits or underscores"),
    C("subaccount-deletion-protection-string", SUB % '  deletion_protection = "maybe"\n', "deletion_protection", "bool"),
    C("subaccount-initial-key-grant-not-subaccount",
      SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject", "metrics/view"]\n  }\n',
      "initial_api_key.grants", "metrics/view"),
    C("subaccount-initial-key-ip-bad-octet",
      SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n    valid_ips = ["10.0.0.300"]\n  }\n',
      "initial_api_key.valid_ips", "IPv4"),
    C("subaccount-initial-key-ip-v6",
      SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n    valid_ips = ["2001:db8::1"]\n  }\n',
      "initial_api_key.valid_ips", "IPv6"),
    C("subaccount-initial-key-no-label", SUB % '  initial_api_key = {\n    grants = ["smtp/inject"]\n  }\n',
      "initial_api_key.label", "label"),
    C("subaccount-secret-manager-no-version-project",
      SUB % (IKEY + '  initial_api_key_secret_manager = { secret = "projects/p/secrets/s" }\n'),
      "initial_api_key_secret_manager.secret", "project"),
    C("subaccount-secret-manager-bad-secret-name",
      SUB % (IKEY + '  initial_api_key_secret_manager = { secret = "projects/my-project/secrets/bad name" }\n'),
      "initial_api_key_secret_manager.secret", "secret"),
    # sparkpost_api_key
    C("api-key-grants-missing", 'resource "sparkpost_api_key" "CASE" {\n  label = "ok"\n}\n', "grants", "required"),
    C("api-key-label-empty", 'resource "sparkpost_api_key" "CASE" {\n  label = ""\n  grants = ["smtp/inject"]\n}\n',
      "label", "empty"),
    C("api-key-label-too-long",
      'resource "sparkpost_api_key" "CASE" {\n  label = "%s"\n  grants = ["smtp/inject"]\n}\n' % ("l" * 1025), "label", "1024"),
    C("api-key-ip-prefix-40", KEY % '  valid_ips = ["203.0.113.0/40"]\n', "valid_ips", "IPv4"),
    C("api-key-ip-v6-loopback", KEY % '  valid_ips = ["::1"]\n', "valid_ips", "IPv6"),
    C("api-key-ip-hostname", KEY % '  valid_ips = ["example.com"]\n', "valid_ips", "IPv4"),
    C("api-key-subaccount-zero", KEY % "  subaccount_id = 0\n", "subaccount_id", "subaccount id"),
    C("api-key-subaccount-fraction", KEY % "  subaccount_id = 1.5\n", "subaccount_id", "subaccount id"),
    # subaccount_id is a string (sparkpost_subaccount.id's type): written as SparkPost writes ids
    C("api-key-subaccount-leading-zero", KEY % '  subaccount_id = "07"\n', "subaccount_id", "without sign or leading zeros"),
    C("api-key-subaccount-space", KEY % '  subaccount_id = " 7"\n', "subaccount_id", "subaccount id"),
    C("api-key-subaccount-too-big", KEY % '  subaccount_id = "2147483648"\n', "subaccount_id", "1 to 2147483647"),
    C("api-key-subaccount-word", KEY % '  subaccount_id = "acme"\n', "subaccount_id", "subaccount id"),
    C("api-key-primary-grant-on-subaccount",
      'resource "sparkpost_api_key" "CASE" {\n  label = "ok"\n  grants = ["metrics/view"]\n  subaccount_id = 3\n}\n',
      "grants", "primary-account keys only"),
    C("api-key-grants-empty", 'resource "sparkpost_api_key" "CASE" {\n  label = "ok"\n  grants = []\n}\n', "grants",
      "at least one grant"),
    C("api-key-secret-manager-bare", KEY % '  secret_manager = { secret = "my-secret" }\n', "secret_manager.secret",
      "projects/PROJECT/secrets/SECRET"),
    # sparkpost_ip_pool and sparkpost_webhook
    C("ip-pool-name-no-letter", 'resource "sparkpost_ip_pool" "CASE" {\n  name = "!!!"\n}\n', "name", "letter or digit"),
    C("ip-pool-name-default", 'resource "sparkpost_ip_pool" "CASE" {\n  name = "Default"\n}\n', "name", "reserves"),
    C("webhook-events-empty",
      'resource "sparkpost_webhook" "CASE" {\n  name = "w"\n  target = "https://hooks.example.com/x"\n  events = []\n}\n',
      "events", "at least one event type"),
    # sparkpost_sending_domain
    C("domain-spaces", 'resource "sparkpost_sending_domain" "CASE" {\n  domain = "not a domain"\n}\n', "domain", "host name"),
    C("domain-single-label", 'resource "sparkpost_sending_domain" "CASE" {\n  domain = "localhost"\n}\n', "domain", "domain"),
    C("domain-ip-address", 'resource "sparkpost_sending_domain" "CASE" {\n  domain = "10.1.2.3"\n}\n', "domain", "IP"),
    C("domain-label-dashes", 'resource "sparkpost_sending_domain" "CASE" {\n  domain = "-bad-.example.com"\n}\n', "domain",
      "host name"),
    C("domain-dkim-length-512", DOMAIN % "  dkim_key_length = 512\n", "dkim_key_length", "between 1024 and 4096"),
    C("domain-dkim-length-8192", DOMAIN % "  dkim_key_length = 8192\n", "dkim_key_length", "between 1024 and 4096"),
    C("domain-subaccount-negative", DOMAIN % "  subaccount_id = -4\n", "subaccount_id", "subaccount"),
    C("domain-shared-with-subaccount", DOMAIN % "  subaccount_id = 4\n  shared_with_subaccounts = true\n",
      "shared_with_subaccounts", "subaccount_id"),
    C("domain-tracking-domain-spaces", DOMAIN % '  tracking_domain = "bad domain"\n', "tracking_domain", "host name"),
    C("domain-verify-timeout-word", DOMAIN % '  verify = { timeout = "forever" }\n', "verify.timeout", "duration"),
    # data sources
    C("data-subaccount-id-word", 'data "sparkpost_subaccount" "CASE" {\n  id = "abc"\n}\n', "id", "must be a subaccount id"),
    C("data-subaccount-id-too-big", 'data "sparkpost_subaccount" "CASE" {\n  id = "9999999999"\n}\n', "id", "from 1 to 2147483647"),
    C("data-subaccount-id-zero", 'data "sparkpost_subaccount" "CASE" {\n  id = "0"\n}\n', "id", "from 1 to 2147483647"),
    C("data-subaccount-neither", 'data "sparkpost_subaccount" "CASE" {\n}\n', "id", "exactly one of id or name"),
    C("data-subaccount-both", 'data "sparkpost_subaccount" "CASE" {\n  id = "1"\n  name = "a"\n}\n', "name",
      "exactly one of id or name"),
    C("data-subaccounts-status", 'data "sparkpost_subaccounts" "CASE" {\n  status = "gone"\n}\n', "status", "must be one of"),
    C("data-subaccounts-name-contains-newline", 'data "sparkpost_subaccounts" "CASE" {\n  name_contains = "cloud-\\n"\n}\n',
      "name_contains", "U+000A"),
    C("data-subaccounts-name-contains-zero-width",
      'data "sparkpost_subaccounts" "CASE" {\n  name_contains = "cloud\\u200b"\n}\n', "name_contains", "U+200B"),
    C("data-sending-domain-spaces", 'data "sparkpost_sending_domain" "CASE" {\n  domain = "no spaces.example"\n}\n',
      "domain", "host name"),
    # null where a value is needed (issue 13 item 1): a literal null at validate, ...
    C("null-subaccount-name", 'resource "sparkpost_subaccount" "CASE" {\n  name = null\n}\n', "name", "may not be null"),
    C("null-subaccount-initial-key-label",
      SUB % '  initial_api_key = {\n    label = null\n    grants = ["smtp/inject"]\n  }\n',
      "initial_api_key.label", "may not be null"),
    C("null-subaccount-initial-key-grants", SUB % '  initial_api_key = {\n    label = "k"\n    grants = null\n  }\n',
      "initial_api_key.grants", "may not be null"),
    C("null-subaccount-initial-key-grant-element",
      SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject", null]\n  }\n',
      "initial_api_key.grants", "may not be null"),
    C("null-subaccount-initial-key-ip-element",
      SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n    valid_ips = [null]\n  }\n',
      "initial_api_key.valid_ips", "may not be null"),
    C("null-subaccount-secret-manager-secret", SUB % (IKEY + '  initial_api_key_secret_manager = { secret = null }\n'),
      "initial_api_key_secret_manager.secret", "may not be null"),
    C("null-api-key-label", 'resource "sparkpost_api_key" "CASE" {\n  label = null\n  grants = ["smtp/inject"]\n}\n',
      "label", "may not be null"),
    C("null-api-key-grants", 'resource "sparkpost_api_key" "CASE" {\n  label = "ok"\n  grants = null\n}\n',
      "grants", "may not be null"),
    C("null-api-key-grant-element", 'resource "sparkpost_api_key" "CASE" {\n  label = "ok"\n  grants = [null]\n}\n',
      "grants", "may not be null"),
    C("null-api-key-ip-element", KEY % '  valid_ips = ["10.0.0.1", null]\n', "valid_ips", "may not be null"),
    C("null-api-key-secret-manager-secret", KEY % '  secret_manager = { secret = null }\n', "secret_manager.secret",
      "may not be null"),
    C("null-domain", 'resource "sparkpost_sending_domain" "CASE" {\n  domain = null\n}\n', "domain", "may not be null"),
    C("null-domain-dkim-selector",
      DOMAIN % '  dkim = {\n    selector = null\n    public_key = "MIIB"\n    private_key = "MIIE"\n  }\n',
      "dkim.selector", "may not be null"),
    C("null-domain-dkim-private-key",
      # null private_key means "describes the current key" (generated config); a new domain needs it
      DOMAIN % '  dkim = {\n    selector = "s1"\n    public_key = "MIIB"\n    private_key = null\n  }\n',
      "dkim.private_key", "needs the private half", phase="plan"),
    C("null-data-sending-domain", 'data "sparkpost_sending_domain" "CASE" {\n  domain = null\n}\n', "domain",
      "may not be null"),
    # ... and a variable that is null, known only at plan (validate sees it unknown)
    C("null-var-subaccount-name",
      'variable "CASE_name" {\n  type = string\n  default = null\n}\n'
      'resource "sparkpost_subaccount" "CASE" {\n  name = var.CASE_name\n}\n', "name", "may not be null", phase="plan"),
    C("null-var-subaccount-secret-manager-secret",
      'variable "CASE_secret" {\n  type = string\n  default = null\n}\n'
      + SUB % (IKEY + '  initial_api_key_secret_manager = { secret = var.CASE_secret }\n'),
      "initial_api_key_secret_manager.secret", "may not be null", phase="plan"),
    C("null-var-api-key-grants",
      'variable "CASE_grants" {\n  type = set(string)\n  default = null\n}\n'
      'resource "sparkpost_api_key" "CASE" {\n  label = "ok"\n  grants = var.CASE_grants\n}\n',
      "grants", "may not be null", phase="plan"),
    C("null-var-api-key-grant-element",
      'variable "CASE_grant" {\n  type = string\n  default = null\n}\n'
      'resource "sparkpost_api_key" "CASE" {\n  label = "ok"\n  grants = ["smtp/inject", var.CASE_grant]\n}\n',
      "grants", "may not be null", phase="plan"),
    C("null-var-domain",
      'variable "CASE_domain" {\n  type = string\n  default = null\n}\n'
      'resource "sparkpost_sending_domain" "CASE" {\n  domain = var.CASE_domain\n}\n', "domain", "may not be null",
      phase="plan"),
    C("null-var-data-sending-domain",
      'variable "CASE_domain" {\n  type = string\n  default = null\n}\n'
      'data "sparkpost_sending_domain" "CASE" {\n  domain = var.CASE_domain\n}\n', "domain", "may not be null",
      phase="plan"),
    # text validation (issue 13 item 3): names and labels are printable text, ...
    *[C(f"subaccount-name-{why}", 'resource "sparkpost_subaccount" "CASE" {\n  name = "%s"\n}\n' % text, "name", named)
      for why, text, named in [
          ("nul", "cloud\\u0000acme", "U+0000"), ("newline", "cloud\\nacme", "U+000A"), ("tab", "cloud\\tacme", "U+0009"),
          ("escape", "cloud\\u001b[31macme", "U+001B"), ("del", "cloud\\u007facme", "U+007F"),
          ("zero-width-space", "cloud\\u200bacme", "U+200B ZERO WIDTH SPACE"),
          ("zero-width-joiner", "cloud\\u200dacme", "U+200D"), ("rtl-override", "cloud-\\u202eemca", "U+202E"),
          ("bom", "\\ufeffcloud-acme", "U+FEFF"), ("soft-hyphen", "cloud\\u00adacme", "U+00AD"),
          ("c1-control", "cloud\\u0085acme", "U+0085"), ("private-use", "cloud\\ue000acme", "U+E000"),
      ]],
    C("subaccount-initial-key-label-newline",
      SUB % '  initial_api_key = {\n    label = "smtp\\nkey"\n    grants = ["smtp/inject"]\n  }\n',
      "initial_api_key.label", "U+000A"),
    C("api-key-label-zero-width", 'resource "sparkpost_api_key" "CASE" {\n  label = "smtp\\u200b"\n  grants = ["smtp/inject"]\n}\n',
      "label", "U+200B"),
    C("api-key-label-nul", 'resource "sparkpost_api_key" "CASE" {\n  label = "a\\u0000"\n  grants = ["smtp/inject"]\n}\n',
      "label", "U+0000"),
    # (audit 2) IP pool and webhook names too: "pool\u200b" was a pool whose id is "pool_", shown
    # as "pool".
    C("ip-pool-name-zero-width", 'resource "sparkpost_ip_pool" "CASE" {\n  name = "pool\\u200b"\n}\n', "name", "U+200B"),
    C("ip-pool-name-newline", 'resource "sparkpost_ip_pool" "CASE" {\n  name = "my\\npool"\n}\n', "name", "U+000A"),
    C("webhook-name-rtl-override",
      'resource "sparkpost_webhook" "CASE" {\n  name = "alerts\\u202e"\n  target = "https://hooks.example.com/x"\n'
      '  events = ["bounce"]\n}\n', "name", "U+202E"),
    # (audit 2) a webhook target is ASCII without spaces or control characters: Python's URL parser
    # strips surrounding spaces and drops tabs and newlines, so these passed, and a Cyrillic host
    # is another host (its punycode) than the one it looks like.
    *[C(f"webhook-target-{why}",
        'resource "sparkpost_webhook" "CASE" {\n  name = "w"\n  target = "%s"\n  events = ["bounce"]\n}\n' % text,
        "target", named)
      for why, text, named in [
          ("trailing-space", "https://hooks.example.com/x ", "U+0020"),
          ("leading-space", " https://hooks.example.com/x", "U+0020"),
          ("tab-in-host", "https://hooks.exa\\tmple.com/x", "U+0009"),
          ("newline", "https://hooks.example.com/x\\n", "U+000A"),
          ("cyrillic-host", "https://h\\u043eoks.example.com/x", "U+043E"),
          ("zero-width", "https://hooks.example.com/\\u200bx", "U+200B"),
      ]],
    C("webhook-auth-username-zero-width",
      'resource "sparkpost_webhook" "CASE" {\n  name = "w"\n  target = "https://hooks.example.com/x"\n'
      '  events = ["bounce"]\n  auth_type = "basic"\n  auth_username = "ops\\u200b"\n}\n', "auth_username", "U+200B"),
    # (audit 2) an API key grant that no SparkPost grant could ever be: an error at validate, not
    # the unknown-grant warning followed by SparkPost's 400 at apply.
    *[C(f"api-key-grant-{why}", KEY.replace('["smtp/inject"]', '["%s"]' % text) % "", "grants", named)
      for why, text, named in [
          ("trailing-space", "smtp/inject ", 'Did you mean "smtp/inject"'),
          ("capitals", "SMTP/inject", "lowercase ASCII"),
          ("cyrillic-e", "smtp/inj\\u0435ct", "u0435"),
          ("zero-width", "smtp/\\u200binject", "u200b"),
      ]],
    C("data-subaccount-name-newline", 'data "sparkpost_subaccount" "CASE" {\n  name = "cloud\\nacme"\n}\n', "name", "U+000A"),
    # ... domain labels are ASCII (no lookalikes; punycode A-labels are the way to write IDNs), ...
    *[C(f"domain-{why}", 'resource "sparkpost_sending_domain" "CASE" {\n  domain = "%s"\n}\n' % text, "domain", named)
      for why, text, named in [
          ("cyrillic-a", "m\\u0430il.example.com", "U+0430 CYRILLIC SMALL LETTER A"),
          ("fullwidth-letters", "\\uff4dail.example.com", "U+FF4D"),
          ("dotless-i", "ma\\u0131l.example.com", "U+0131"),
          ("long-s", "\\u017fend.example.com", "U+017F"),
          ("ideographic-full-stop", "mail\\u3002example.com", "U+3002"),
          ("unicode-label", "b\\u00fccher.example", "U+00FC"),
          ("zero-width-in-label", "mail\\u200b.example.com", "U+200B"),
      ]],
    # The Kelvin sign (U+212A) has a canonical decomposition to "K", and Terraform's strings are
    # NFC-normalised (cty), so from a configuration or a variable it reaches the provider as "K"
    # and names mail.kelvin.example, which is what Terraform shows; it reaches the provider
    # unnormalised only in an import ID (test_import_ids.py). The lookalikes above have no
    # canonical decomposition and do reach it: the long s and dotless i matched [a-z] under
    # re.IGNORECASE without re.ASCII.
    C("subaccount-name-zero-width-variable", 'variable "CASE_n" {\n  type = string\n}\n'
      'resource "sparkpost_subaccount" "CASE" {\n  name = var.CASE_n\n}\n', "name", "U+200B",
      phase="plan", vars={"CASE_n": "cloud-\u200bacme"}),
    # ... and numbers that count are whole.
    P("provider-max-retries-fraction", "  max_retries = 1.5\n", "max_retries", "whole number"),
    P("provider-max-retries-tiny-fraction", "  max_retries = 2.000001\n", "max_retries", "whole number"),
]


@pytest.fixture(scope="module")
def batches(shared_world: SparkPostWorld) -> Batches:
    return Batches(shared_world, CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_config(case: ConfigCase, batches: Batches) -> None:
    check(case, batches.outcome(case))
