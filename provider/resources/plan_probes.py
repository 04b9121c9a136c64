"""Plan-time checks of what SparkPost itself does not check or may not offer (issue 14).

Two things SparkPost leaves to the caller, each checked at plan with one read, only when the
resource is created or the value changes:

* **An IP pool that does not exist.** SparkPost validates a subaccount's `ip_pool` only for
  length and characters: "Minimal validation is done against the value set in the IP pool ID
  key/field. If a mismatch error occurs, all attempted messages from that subaccount will be
  rejected." (SparkPost/support-docs content/docs/user-guide/subaccounts.md). So a typo
  applies cleanly and the tenant's mail is rejected. Where the provider's key may list IP pools
  (`GET /api/v1/ip-pools/{id}`, grant `ip_pools/view`), an unknown pool is an error at plan;
  where it may not (the usual operator key: metrics/view, subaccount/manage,
  sending_domains/manage), plan warns loudly instead.
* **The API-keys API.** SparkPost documents no API-keys endpoint (there is no api-keys
  reference among its API docs; the API index says "Create and manage your API Keys in the
  app", the subaccount guide "Additional subaccount API keys must be created using the app").
  Some accounts can use `/api/v1/api-keys`, others cannot. Before a `sparkpost_api_key` is
  created, one `GET /api/v1/api-keys/<an id that does not exist>` tells: 404 means the API
  answers; 403 means this key, on this account, may not manage keys (no `api_keys/manage`, or
  no API-keys API: SparkPost answers both with 403), and plan stops with what to do instead,
  before anything (like the module's subaccount) is created.

Both checks are skipped when the provider configuration is known only at apply; any other
failure of the probe is left to apply, which reports it in full.
"""

from __future__ import annotations

from typing import Any

from ..tfplugin.diagnostics import Diagnostics, PathStep

# A key id no account has: the probe only wants to know whether the endpoint answers.
PROBE_KEY_ID = "00000000-0000-4000-8000-000000000000"

API_KEYS_UNAVAILABLE_SUMMARY = "SparkPost does not let this provider manage API keys"
API_KEYS_UNAVAILABLE_DETAIL = (
    "SparkPost answered 403 to its API-keys API (/api/v1/api-keys). Either the provider's API key "
    "lacks the api_keys/manage grant, or this SparkPost account does not have the API-keys API: "
    "SparkPost documents creating and managing API keys only in its app (\"Create and manage your "
    "API Keys in the app\"; \"Additional subaccount API keys must be created using the app\"), and "
    "only some accounts may manage them through the API.\n\n"
    "What to do instead:\n"
    "  * let SparkPost make the subaccount's key when it creates the subaccount, which works with "
    "any key that may create subaccounts: sparkpost_subaccount.initial_api_key (in the "
    "managed-smtp module: key_via_api_key_resource = false, the default);\n"
    "  * or create the key in the SparkPost app and store it yourself;\n"
    "  * or, if SparkPost support enables the API-keys API for the account, use a provider key "
    "that holds api_keys/manage."
)


def _client(meta: Any) -> Any | None:
    """The configured client, or None when the configuration is known only at apply."""
    # Duck-typed: the provider module (ProviderData) imports the resources, not the reverse.
    return getattr(meta, "client", None)


def check_api_keys_api(meta: Any, subaccount: int | None, diags: Diagnostics,
                       path: list[PathStep] | None = None) -> None:
    """Stop the plan when SparkPost refuses its API-keys API to this key (see module doc)."""
    from ..sparkpost.errors import Forbidden, SparkPostError

    client = _client(meta)
    if client is None:
        return
    try:
        client.get_api_key(PROBE_KEY_ID, subaccount=subaccount)
    except Forbidden:
        diags.error(API_KEYS_UNAVAILABLE_SUMMARY, API_KEYS_UNAVAILABLE_DETAIL, path)
    except SparkPostError:
        pass  # 404 is the expected answer; anything else is for apply to report


def check_ip_pool(meta: Any, pool: str, diags: Diagnostics, path: list[PathStep]) -> None:
    """An error when the key may read IP pools and `pool` is not one; else a loud warning."""
    from ..sparkpost.errors import Forbidden, NotFound, SparkPostError

    why_unchecked = "the provider configuration is known only at apply"
    client = _client(meta)
    if client is not None:
        try:
            client.get_ip_pool(pool)
        except NotFound:
            diags.error(
                f'IP pool "{pool}" does not exist',
                f'This SparkPost account has no IP pool with the id "{pool}" (GET /api/v1/ip-pools/{pool} '
                "answered 404). SparkPost itself would accept the id and then reject every message the "
                "subaccount sends, so the provider refuses it. Use a pool's id (not its name; ids are "
                "listed by GET /api/v1/ip-pools and in the app), or leave ip_pool out.",
                path,
            )
            return
        except Forbidden:
            why_unchecked = ("the provider's API key may not read IP pools (it lacks the ip_pools/view "
                             "grant; the usual operator key holds only metrics/view, subaccount/manage "
                             "and sending_domains/manage)")
        except SparkPostError as err:
            why_unchecked = f"reading the IP pool failed: {err}"
        else:
            return
    diags.warning(
        f'ip_pool "{pool}" is not checked: a wrong pool rejects all of the subaccount\'s mail',
        f'SparkPost accepts any ip_pool of up to 20 letters, digits or underscores without checking that '
        f'the pool exists ("Minimal validation is done against the value set in the IP pool ID"), and '
        f"if it does not, every message the subaccount sends is rejected. The provider could not check "
        f'"{pool}" because {why_unchecked}. Check the pool id in the SparkPost app (Configuration, IP '
        "Pools) before applying, or run with a key that holds ip_pools/view to have it checked at plan.",
        path,
    )
