"""The SparkPost provider: its configuration block, the data every resource gets once it is
configured (the SparkPost client and the Secret Manager store), and its resources and data
sources. A new resource is its module and one line in `RESOURCES` or `DATA_SOURCES`."""

from __future__ import annotations

import ipaddress
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from .resources.api_key import ApiKey
from .resources.data_ip_pool import IpPoolData
from .resources.data_sending_domain import SendingDomainData
from .resources.data_subaccount import SubaccountData
from .resources.data_subaccounts import SubaccountsData
from .resources.ip_pool import IpPool
from .resources.sending_domain import SendingDomain
from .resources.subaccount import Subaccount
from .resources.webhook import Webhook
from .resources.validators import secret_version_name
from .secrets import SecretStore
from .tfplugin.diagnostics import Diagnostics
from .tfplugin.resource import Configured, DataSource, Provider, Resource
from .tfplugin.schema import Attribute, Block, Schema
from .tfplugin.validators import number_between, one_of, whole_number
from .tfplugin.values import Unknown

if TYPE_CHECKING:
    from .sparkpost.client import SparkPostClient

RESOURCES: list[type[Resource]] = [Subaccount, ApiKey, SendingDomain, IpPool, Webhook]
DATA_SOURCES: list[type[DataSource]] = [SubaccountData, SubaccountsData, SendingDomainData, IpPoolData]

DEFAULT_MAX_RETRIES = 8
DEFAULT_RETRY_TIMEOUT = 300
DEFAULT_REQUEST_TIMEOUT = 30


@dataclass
class ProviderData:
    """What a configured provider hands to every resource (`ctx.meta`)."""

    client: "SparkPostClient | None"  # None while the configuration is known only at apply
    region: str = "us"
    secrets: SecretStore = field(default_factory=SecretStore)
    # Set when the provider block depends on values known only after apply.
    unknown_reason: str | None = None


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always the loopback
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host(url: str) -> str | None:
    """The URL's host without a trailing dot; None when the URL cannot be parsed."""
    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return None


def _local(url: str) -> bool:
    return _is_loopback(_host(url) or "")


def _base_url_check(v: str) -> str | None:
    if not v.startswith(("https://", "http://")):
        return "must start with https:// (or http:// for a local emulator)."
    if v.startswith("http://"):
        # Every request carries the API key in its Authorization header: over plain HTTP anyone
        # on the path reads it. Only a loopback endpoint (a local emulator) may be http://.
        host = _host(v)
        if host is None:
            return None  # malformed: the client's own check says what is wrong
        if not _is_loopback(host):
            return (f"http:// to {host or 'a remote host'} would send the API key unencrypted: use https:// "
                    "(http:// is only for a local emulator on localhost, 127.0.0.0/8 or [::1]).")
    return None


PROVIDER_SCHEMA = Schema(
    block=Block(
        description=(
            "The SparkPost provider manages subaccounts, API keys and sending domains through "
            "SparkPost's REST API. Give it an API key directly (`api_key` or `SPARKPOST_API_KEY`) "
            "or the name of a Google Secret Manager secret version holding one (`api_key_secret`)."
        ),
        attributes=[
            Attribute(
                "api_key", "string", optional=True, sensitive=True,
                description=(
                    "A SparkPost API key. Defaults to the `SPARKPOST_API_KEY` environment variable. "
                    "Conflicts with `api_key_secret`."
                ),
            ),
            Attribute(
                "api_key_secret", "string", optional=True, validators=[secret_version_name],
                description=(
                    "A Google Secret Manager secret version holding the API key, such as "
                    "`projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY/versions/latest`. Read once "
                    "at configuration with Application Default Credentials (needs "
                    "`secretmanager.versions.access`). Conflicts with `api_key`."
                ),
            ),
            Attribute(
                "region", "string", optional=True, validators=[one_of("us", "eu")],
                description=(
                    "The SparkPost region of the account: `us` (api.sparkpost.com, the default) or `eu` "
                    "(api.eu.sparkpost.com). Defaults to `SPARKPOST_REGION`. Also decides the bounce CNAME "
                    "target of sending domains. A `base_url` (or `SPARKPOST_BASE_URL`) overrides its endpoint; "
                    "the variable overriding a configured region is warned about, unless it names a local "
                    "emulator."
                ),
            ),
            Attribute(
                "base_url", "string", optional=True,
                validators=[_base_url_check],
                description=(
                    "API endpoint overriding the region's, e.g. an Enterprise tenant "
                    "(`https://TENANT.api.e.sparkpost.com`) or a local emulator. Defaults to `SPARKPOST_BASE_URL`. "
                    "`http://` is refused except to a loopback host (`localhost`, 127.0.0.0/8, `[::1]`): every "
                    "request carries the API key."
                ),
            ),
            Attribute(
                "max_retries", "number", optional=True, validators=[whole_number, number_between(0, 100)],
                description=(
                    f"Retries of a request rate limited (429) or failed by the server or network: a whole "
                    f"number. Default {DEFAULT_MAX_RETRIES}. A `Retry-After` longer than 60 s is capped at 60 s "
                    "(with a warning in the log); an endpoint that refuses connections gets 2 retries within "
                    "5 s, then fails."
                ),
            ),
            Attribute(
                "retry_timeout", "number", optional=True, validators=[number_between(0, 3600)],
                description=f"Seconds one request may spend retrying before it fails. Default {DEFAULT_RETRY_TIMEOUT}.",
            ),
            Attribute(
                "request_timeout", "number", optional=True, validators=[number_between(1, 600)],
                description=(
                    f"Seconds one HTTP exchange may take in all: connecting, sending, the headers and the whole "
                    f"body (a server trickling bytes is cut off). A request that runs out of time is retried once, "
                    f"if it is safe to repeat. Default {DEFAULT_REQUEST_TIMEOUT}."
                ),
            ),
            Attribute(
                "skip_credentials_validation", "bool", optional=True,
                description=(
                    "Skip the one API call that checks the key once the provider is configured (it runs "
                    "beside the plan's first reads, and every operation that needs the provider waits for "
                    "it). Without it, a wrong key or an unreachable endpoint fails with one clear error "
                    "instead of one per resource."
                ),
            ),
        ],
    )
)


class SparkPostProvider(Provider):
    name = "sparkpost"
    schema = PROVIDER_SCHEMA
    resources = RESOURCES
    data_sources = DATA_SOURCES

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        if config.get("api_key") is not None and config.get("api_key_secret") is not None:
            diags.error(
                "Conflicting credentials",
                "Set either api_key or api_key_secret, not both.",
                ["api_key_secret"],
            )

    def configure(self, config: dict[str, Any], diags: Diagnostics, cancelled: threading.Event) -> Configured | None:
        data = configure(config, diags, cancelled, SecretStore())
        if data is None:
            return None
        # The key's check runs beside what follows ConfigureProvider instead of before it: one
        # round trip fewer on every command's critical path. Every RPC that needs the provider
        # waits for it and fails with its error (tfplugin.background.ConfigureCheck).
        return Configured(data, credentials_check(config, data))


def _setting(config: dict[str, Any], name: str, env: str | None = None) -> Any:
    value = config.get(name)
    if value is None and env:
        value = os.environ.get(env) or None
    return value


def configure(
    config: dict[str, Any], diags: Diagnostics, cancelled: threading.Event, secrets: SecretStore
) -> ProviderData | None:
    """The provider's data from its configuration block, or None after an error diagnostic."""
    unknown = [n for n in ("api_key", "api_key_secret", "region", "base_url") if isinstance(config.get(n), Unknown)]
    if unknown:
        # Terraform configures providers during plan even when their arguments come from
        # resources not created yet; API calls then wait for apply.
        return ProviderData(client=None, secrets=secrets,
                            unknown_reason=f"the provider's {', '.join(unknown)} will be known only after apply")

    region = _setting(config, "region", "SPARKPOST_REGION") or "us"
    if region not in ("us", "eu"):
        diags.error("Invalid SparkPost region", f"SPARKPOST_REGION must be us or eu; got {region!r}.", ["region"])
        return None
    base_url = _setting(config, "base_url", "SPARKPOST_BASE_URL")
    problem = _base_url_check(base_url.strip()) if isinstance(base_url, str) and config.get("base_url") is None else None
    if problem:  # SPARKPOST_BASE_URL; the attribute's own validator has already judged base_url
        diags.error("Invalid SparkPost base URL", f"SPARKPOST_BASE_URL={base_url!r}: {problem}", ["base_url"])
        return None
    env_url = os.environ.get("SPARKPOST_BASE_URL")
    if config.get("region") is not None and config.get("base_url") is None and env_url and not _local(env_url):
        # The configured region still sets DNS values and SMTP hosts, while every API call goes
        # where the variable says: a leftover variable made an "eu" configuration talk to
        # another endpoint, and its key failed there as "for the other region". A local
        # emulator (the demo, the tests) is plainly meant: no warning.
        diags.warning(
            "SPARKPOST_BASE_URL overrides region for API calls",
            f"region = {region!r} is configured, but the SPARKPOST_BASE_URL environment variable "
            f"({env_url!r}) names the endpoint every API call goes to. Unset the variable to use "
            f"{region}'s endpoint, or set base_url in the provider block to say this is meant.",
            ["region"],
        )
    if isinstance(base_url, str) and base_url:
        from .sparkpost.urls import normalise_base_url

        try:
            normalise_base_url(base_url)
        except ValueError as err:  # checked here so that the error points at base_url, not api_key
            origin = "" if config.get("base_url") is not None else "From SPARKPOST_BASE_URL: "
            diags.error("Invalid SparkPost base URL", f"{origin}{err}", ["base_url"])
            return None

    api_key = config.get("api_key")
    source = "api_key"  # the attribute credential errors point at
    secret = config.get("api_key_secret")
    if api_key is None and secret is not None:
        source = "api_key_secret"
        from .secrets import SecretManagerError

        try:
            api_key = secrets.read(secret).strip()
        except SecretManagerError as err:
            diags.error("Cannot read the SparkPost API key from Secret Manager", err.message, ["api_key_secret"])
            return None
    if isinstance(api_key, str) and not api_key.strip():
        # Said apart from a missing key: "Set api_key (or SPARKPOST_API_KEY)" misled an operator
        # whose variable was set but overridden by `api_key = var.x` defaulting to "".
        if source == "api_key_secret":
            detail = f"The Secret Manager version {secret} holds an empty value (or only whitespace)."
        else:
            detail = "api_key is set to an empty string."
            if os.environ.get("SPARKPOST_API_KEY"):
                detail += (" It overrides the SPARKPOST_API_KEY environment variable, which is set: leave api_key "
                           "out, or set it to null, to use the variable.")
        diags.error("Empty SparkPost API key", detail, [source])
        return None
    if api_key is None:
        api_key = os.environ.get("SPARKPOST_API_KEY") or None
    if not api_key:
        diags.error(
            "Missing SparkPost API key",
            "Set api_key (or the SPARKPOST_API_KEY environment variable), or api_key_secret naming a "
            "Secret Manager version that holds the key.",
            ["api_key"],
        )
        return None

    from .sparkpost.client import SparkPostClient
    from .tfplugin.redact import register

    try:
        client = SparkPostClient(
            api_key,
            region=region,
            base_url=base_url,
            timeout=float(config.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT),
            retry_deadline=float(config["retry_timeout"] if config.get("retry_timeout") is not None else DEFAULT_RETRY_TIMEOUT),
            max_retries=int(config["max_retries"] if config.get("max_retries") is not None else DEFAULT_MAX_RETRIES),
            cancel_event=cancelled,
        )
    except ValueError as err:  # its text never holds the key
        diags.error("Invalid SparkPost provider configuration", str(err), [source])
        return None
    register(api_key)  # after the client's checks: a 64 KiB "key" is refused, not indexed

    return ProviderData(client=client, region=region, secrets=secrets)


def credentials_check(config: dict[str, Any], data: ProviderData) -> Callable[[Diagnostics], None] | None:
    """The check of the configured key (`check_credentials`), to run once the provider is
    configured; None when there is nothing to check (skip_credentials_validation, or a
    configuration known only at apply)."""
    client = data.client
    if client is None or config.get("skip_credentials_validation"):
        return None
    # The attributes its errors point at: where the key and the endpoint came from.
    source = "api_key_secret" if config.get("api_key") is None and config.get("api_key_secret") is not None else "api_key"
    endpoint_path = ["base_url"] if config.get("base_url") is not None else None
    return lambda diags: check_credentials(client, source, diags, endpoint_path)


def check_credentials(client: "SparkPostClient", source: str, diags: Diagnostics, endpoint_path: list[str] | None) -> None:
    """One cheap call: a 401 means the key is wrong; no HTTP answer at all (refused, DNS, TLS,
    timeout) means the endpoint is unusable, said once rather than at every resource;
    any other answer means the key is usable. Bounded by the client's timeouts and retry
    budget, and ended by its cancel event (StopProvider), which is no error: the RPCs that
    follow fail with their own "cancelled" errors."""
    from .sparkpost.errors import SparkPostError, TransportError, Unauthorized

    try:
        client.get_account()
    except TransportError as err:
        diags.error(
            "Cannot reach SparkPost",
            f"{err}\n\nThe provider talks to {client.base_url} (from base_url, SPARKPOST_BASE_URL or "
            "region). Check that address, the network and any HTTPS proxy; set "
            "skip_credentials_validation only to configure the provider without reaching it.",
            endpoint_path,
        )
    except Unauthorized as err:
        diags.error(
            "SparkPost rejected the API key",
            f"{err}\n\nThe key is wrong, revoked, belongs to the other region (region = "
            f"\"{client.region}\"), or is used from an IP address outside its allowed list.",
            [source],
        )
    except SparkPostError:
        pass  # a 403 (no account/view grant) still proves the key is valid
