"""The SparkPost REST client: SparkPost's endpoints as typed methods over ``http.py``.

Resources call these methods, get typed models (``models.py``) and catch typed exceptions
(``errors.py``); they never see a URL, a header or SparkPost's JSON. Request bodies are built
here from typed arguments.

Importing this module imports ``requests`` (through ``http.py``); the plugin layer therefore
imports it lazily (``provider.sparkpost.SparkPostClient`` resolves on first use).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, Sequence

from .deliverability import CHECK_METRICS, SubaccountCounts
from .http import DEFAULT_USER_AGENT, MAX_KEY_CHARS, REGION_BASE_URLS, SparkPostHttp, StatusOnly
from .urls import segment
from .errors import (
    BadRequest,
    DkimRejected,
    InvalidResponse,
    SparkPostError,
    Unprocessable,
    WebhookTestFailed,
)
from .models import (
    Account,
    ApiKey,
    CreatedApiKey,
    CreatedSubaccount,
    DkimKey,
    InitialKey,
    CreatedWebhook,
    IpPool,
    SendingDomain,
    Webhook,
    WebhookAuth,
    Subaccount,
    Verification,
    Where,
    parse_list,
)

__all__ = ["SparkPostClient", "REGION_BASE_URLS", "DEFAULT_USER_AGENT"]

log = logging.getLogger("provider.sparkpost")

# Subaccount lists are fetched 100 at a time (the documented maximum).
SUBACCOUNT_PAGE_SIZE = 100
# The Metrics API answers at most `limit` rows (1..10000, metrics.apib) and has no cursor;
# subaccount ids go in batches small enough to keep the URL short.
METRICS_LIMIT = 10_000
METRICS_ID_BATCH = 200
DATA_PRIVACY_KINDS = ("rtbf", "opt-out")
# A key's verdict (check_key): 401 refused, 403 accepted without the account grant.
_KEY_VERDICTS = frozenset({401, 403})
DATA_PRIVACY_MAX_RECIPIENTS = 1000  # data-privacy.apib: "Array of email addresses (max 1000)"


class SparkPostClient(SparkPostHttp):
    """SparkPost's API for one configured provider: thread-safe, one per provider (timeouts,
    retries and cancellation are ``SparkPostHttp``'s)."""

    # -- subaccounts ---------------------------------------------------------------------
    def create_subaccount(
        self,
        name: str,
        *,
        ip_pool: str | None = None,
        initial_key: InitialKey | None = None,
        idempotency_check: Callable[[], dict[str, Any] | None] | None = None,
    ) -> CreatedSubaccount:
        """POST /subaccounts; with ``initial_key``, the subaccount's first key is made with it.

        ``setup_api_key`` is always sent (SparkPost defaults it to true); the ``key_*`` fields
        only with it. Not retried on 5xx/read timeouts (a duplicate subaccount cannot be
        deleted) unless ``idempotency_check`` is given; see ``retry.py``. The check returns
        ``{"subaccount_id": ID}`` for a subaccount the lost request made, or None.
        """
        body: dict[str, Any] = {"name": name, "setup_api_key": initial_key is not None}
        if ip_pool is not None:
            body["ip_pool"] = ip_pool
        if initial_key is not None:
            body["key_label"] = initial_key.label
            body["key_grants"] = list(initial_key.grants)
            if initial_key.valid_ips is not None:
                body["key_valid_ips"] = list(initial_key.valid_ips)
        return self._one("POST", "/subaccounts", CreatedSubaccount.parse, json=body,
                         idempotency_check=idempotency_check)

    def get_subaccount(self, id: int) -> Subaccount:
        path = f"/subaccounts/{segment(_int_id(id), 'subaccount id')}"
        sub = self._one("GET", path, Subaccount.parse)
        self._same_id(sub.id, id, path)
        return sub

    def iter_subaccounts(self, *, per_page: int = SUBACCOUNT_PAGE_SIZE,
                         name: str | None = None) -> Iterator[Subaccount]:
        """Every subaccount, page by page (``cursor=initial`` switches on pagination).

        ``name`` is SparkPost's filter: a substring match that "may return false positives", so
        callers wanting one name still compare names themselves.
        """
        for page_path, page in self.iter_pages("/subaccounts",
                                               params={"cursor": "initial", "per_page": per_page,
                                                       "name": name}):
            try:
                yield from parse_list(page, Where("GET", page_path), Subaccount.parse)
            except InvalidResponse as err:
                raise err.redact(self._api_key) from None

    def list_subaccounts(self, *, name: str | None = None) -> list[Subaccount]:
        return list(self.iter_subaccounts(name=name))

    def update_subaccount(self, id: int, *, name: str | None = None, status: str | None = None,
                          ip_pool: str | None = None) -> None:
        """PUT /subaccounts/{id} with only the given fields; ``ip_pool=""`` unassigns the pool."""
        body = {k: v for k, v in (("name", name), ("status", status), ("ip_pool", ip_pool))
                if v is not None}
        self._call("PUT", f"/subaccounts/{segment(_int_id(id), 'subaccount id')}", json=body,
                   expect=(dict,))

    # -- API keys ------------------------------------------------------------------------
    # SparkPost never documented /api-keys (reference section 3). What this client assumes,
    # from SparkPost's own web app and community clients:
    #   * paths: POST/GET /api-keys, GET/PUT/DELETE /api-keys/{id}; ``?grant=`` filters lists;
    #   * ``X-MSYS-SUBACCOUNT`` scopes every call to a subaccount's keys, and a key created with
    #     it belongs to that subaccount permanently;
    #   * the create response has no ``id``: it is the last path segment of
    #     ``results.link.href`` (``/api/v1/api-keys/<id>``); if that is missing we list the keys
    #     and match on ``short_key`` + ``label``;
    #   * PUT's response shape is unknown (any JSON object is accepted);
    #     DELETE answers 204 or an empty 200.
    # Keep these details here; resources see only the methods below.
    def create_api_key(
        self,
        label: str,
        grants: list[str],
        valid_ips: list[str] | None = None,
        *,
        subaccount: int | None = None,
        idempotency_check: Callable[[], dict[str, Any] | None] | None = None,
    ) -> CreatedApiKey:
        """POST /api-keys. The result's ``id`` is None only if SparkPost returned no usable link
        and no unique list match."""
        body: dict[str, Any] = {"label": label, "grants": list(grants)}
        if valid_ips is not None:
            body["valid_ips"] = list(valid_ips)
        created = self._one("POST", "/api-keys", CreatedApiKey.parse, json=body,
                            subaccount=subaccount, idempotency_check=idempotency_check)
        if created.id:
            return created
        key_id = self._find_api_key_id(created.short_key, created.label or label, subaccount)
        return replace(created, id=key_id)

    def _find_api_key_id(self, short_key: str | None, label: str,
                         subaccount: int | None) -> str | None:
        if not short_key:
            return None
        matches = [k for k in self.list_api_keys(subaccount=subaccount)
                   if k.short_key == short_key and k.label == label]
        if len(matches) == 1 and matches[0].id:
            return matches[0].id
        log.warning("SparkPost POST /api-keys: no link.href in the response and %d keys match "
                    "the new key's short_key and label; its id is unknown", len(matches))
        return None

    def get_api_key(self, id: str, *, subaccount: int | None = None) -> ApiKey:
        # Not checked against ``id`` as the other objects are: this API is undocumented, and
        # what its ``id`` field holds is not known for sure.
        return self._one("GET", f"/api-keys/{segment(id, 'API key id')}", ApiKey.parse,
                         subaccount=subaccount)

    def list_api_keys(self, *, subaccount: int | None = None,
                      grant: str | None = None) -> list[ApiKey]:
        return self._many("/api-keys", ApiKey.parse, params={"grant": grant},
                          subaccount=subaccount)

    def update_api_key(self, id: str, *, label: str, grants: list[str],
                       valid_ips: list[str] | None = None,
                       subaccount: int | None = None) -> None:
        """PUT /api-keys/{id}. SparkPost reportedly wants ``label`` and ``grants`` every time;
        ``valid_ips=[]`` clears the list (left out, SparkPost keeps it)."""
        body: dict[str, Any] = {"label": label, "grants": list(grants)}
        if valid_ips is not None:
            body["valid_ips"] = list(valid_ips)
        self._call("PUT", f"/api-keys/{segment(id, 'API key id')}", json=body,
                   subaccount=subaccount, expect=(dict, list), lenient=True)

    def delete_api_key(self, id: str, *, subaccount: int | None = None) -> None:
        self._call("DELETE", f"/api-keys/{segment(id, 'API key id')}", subaccount=subaccount,
                   lenient=True)

    # -- sending domains -----------------------------------------------------------------
    def create_sending_domain(
        self,
        domain: str,
        *,
        subaccount: int | None = None,
        tracking_domain: str | None = None,
        shared_with_subaccounts: bool = False,
        dkim: DkimKey | None = None,
        generate_dkim_length: int | None = None,
        idempotency_check: Callable[[], dict[str, Any] | None] | None = None,
    ) -> None:
        """POST /sending-domains, with the user's DKIM key (``dkim``) or asking SparkPost to
        generate one of ``generate_dkim_length`` bits. Raises ``DkimRejected`` when SparkPost
        refuses the key."""
        segment(domain, "domain")  # same validation as the other domain calls
        body: dict[str, Any] = {"domain": domain}
        if tracking_domain:
            body["tracking_domain"] = tracking_domain
        if shared_with_subaccounts:
            body["shared_with_subaccounts"] = True
        if dkim is not None:
            body["dkim"] = _dkim_body(dkim)
        elif generate_dkim_length is not None:
            body["generate_dkim"] = True
            body["dkim_key_length"] = generate_dkim_length
        with _dkim_refusals(dkim is not None):
            self._call("POST", "/sending-domains", json=body, subaccount=subaccount,
                       expect=(dict,), idempotency_check=idempotency_check)

    def get_sending_domain(self, domain: str, *, subaccount: int | None = None) -> SendingDomain:
        """GET /sending-domains/{domain}; SparkPost omits ``domain`` from this object."""
        return self._one("GET", f"/sending-domains/{segment(domain, 'domain')}",
                         SendingDomain.parse, subaccount=subaccount)

    def list_sending_domains(self, *, subaccount: int | None = None,
                             **filters: str | bool) -> list[SendingDomain]:
        """GET /sending-domains; filters such as ``ownership_verified=True`` become query params."""
        return self._many("/sending-domains", SendingDomain.parse, params=filters,
                          subaccount=subaccount)

    def update_sending_domain(
        self,
        domain: str,
        *,
        subaccount: int | None = None,
        tracking_domain: str | None = None,
        shared_with_subaccounts: bool | None = None,
        dkim: DkimKey | None = None,
        is_default_bounce_domain: bool | None = None,
    ) -> None:
        """PUT /sending-domains/{domain} with the given fields only (``tracking_domain=""``
        unlinks). Raises ``DkimRejected`` when SparkPost refuses a new DKIM key."""
        body: dict[str, Any] = {}
        if tracking_domain is not None:
            body["tracking_domain"] = tracking_domain
        if shared_with_subaccounts is not None:
            body["shared_with_subaccounts"] = shared_with_subaccounts
        if dkim is not None:
            body["dkim"] = _dkim_body(dkim)
        if is_default_bounce_domain is not None:
            body["is_default_bounce_domain"] = is_default_bounce_domain
        with _dkim_refusals(dkim is not None):
            self._call("PUT", f"/sending-domains/{segment(domain, 'domain')}", json=body,
                       subaccount=subaccount, expect=(dict,))

    def delete_sending_domain(self, domain: str, *, subaccount: int | None = None) -> None:
        self._call("DELETE", f"/sending-domains/{segment(domain, 'domain')}",
                   subaccount=subaccount)

    def verify_sending_domain(self, domain: str, *, subaccount: int | None = None,
                              dkim_verify: bool = False,
                              cname_verify: bool = False) -> Verification:
        """POST .../verify: the new status, and DNS's complaint per record.

        DKIM and CNAME checks only read DNS, so this POST is safe to retry on 5xx/timeouts
        (mailbox verifications, which send email, are deliberately not offered here).
        """
        body = {"dkim_verify": bool(dkim_verify), "cname_verify": bool(cname_verify)}
        return self._one("POST", f"/sending-domains/{segment(domain, 'domain')}/verify",
                         Verification.parse, json=body, subaccount=subaccount, idempotent=True)

    def _same_id(self, got: int | str, asked: int | str, path: str) -> None:
        """An object read by its id must be that object: an answer for another one (a proxy's
        cache, a server bug) would move the resource in state onto an object it never managed,
        which a later destroy would terminate."""
        if str(got).lower() != str(asked).lower():  # ids are compared as SparkPost may spell them
            raise InvalidResponse(
                f"the field 'results.id' is {str(got)[:80]!r}: the answer is for another object "
                f"than the one asked for ({str(asked)!r})", method="GET",
                path=path).redact(self._api_key)

    # -- account and lookups -------------------------------------------------------------
    def get_account(self) -> Account:
        return self._one("GET", "/account", Account.parse)

    def check_key(self, key: str) -> bool:
        """Whether SparkPost accepts ``key``, another key than the client's (a subaccount's send
        key): one ``GET /account`` made with it. 401 (revoked, deleted or unknown) is False; 403
        (a key without the account grant, such as an SMTP-only send key) or 200 is True. 429,
        5xx and connection faults are retried as for any read."""
        key = key.strip() if isinstance(key, str) else ""
        if not key or len(key) > MAX_KEY_CHARS or any(ch.isspace() or ord(ch) < 32 for ch in key):
            return False  # no SparkPost key looks like this: it could not authenticate
        answer = self._call("GET", "/account", expect=(dict,), auth_key=key, statuses=_KEY_VERDICTS)
        return not (isinstance(answer, StatusOnly) and answer.status == 401)

    # -- IP pools (ip-pools.apib; the ip_pools/view|manage grants, primary account only) -----
    def get_ip_pool(self, pool_id: str) -> IpPool:
        path = f"/ip-pools/{segment(pool_id, 'IP pool id')}"
        pool = self._one("GET", path, IpPool.parse)
        self._same_id(pool.id, pool_id, path)
        return pool

    def list_ip_pools(self) -> list[IpPool]:
        """GET /ip-pools: every pool, ``default`` included (ip-pools.apib, "List IP Pools")."""
        return self._many("/ip-pools", IpPool.parse)

    def create_ip_pool(self, name: str, *, signing_domain: str | None = None,
                       fbl_signing_domain: str | None = None,
                       auto_warmup_overflow_pool: str | None = None,
                       idempotency_check: Callable[[], dict[str, Any] | None] | None = None) -> str:
        """POST /ip-pools -> the new pool's id, which SparkPost derives from the name. Not
        retried on 5xx/read timeouts (a second POST would answer "already exists") unless
        ``idempotency_check`` is given: it returns ``{"id": ID}`` for the pool the lost
        request made, or None."""
        body = {"name": name, **_present(signing_domain=signing_domain,
                                         fbl_signing_domain=fbl_signing_domain,
                                         auto_warmup_overflow_pool=auto_warmup_overflow_pool)}
        result = self._call("POST", "/ip-pools", json=body, expect=(dict,),
                            idempotency_check=idempotency_check)
        pool_id = result.get("id")
        if not isinstance(pool_id, str) or not pool_id:
            raise InvalidResponse("the field 'results.id' is missing, expected a string",
                                  method="POST", path="/ip-pools").redact(self._api_key)
        return pool_id

    def update_ip_pool(self, pool_id: str, *, name: str, signing_domain: str | None,
                       fbl_signing_domain: str | None,
                       auto_warmup_overflow_pool: str | None) -> None:
        """PUT /ip-pools/{id}: ``name`` is required there; None sends "" (removes the value)."""
        body = {"name": name, "signing_domain": signing_domain or "",
                "fbl_signing_domain": fbl_signing_domain or "",
                "auto_warmup_overflow_pool": auto_warmup_overflow_pool or ""}
        self._call("PUT", f"/ip-pools/{segment(pool_id, 'IP pool id')}", json=body,
                   expect=(dict,))

    def delete_ip_pool(self, pool_id: str) -> None:
        self._call("DELETE", f"/ip-pools/{segment(pool_id, 'IP pool id')}")

    # -- webhooks (webhooks.apib; the webhooks/view|modify grants) ---------------------------
    # ``subaccount`` is the event source as X-MSYS-SUBACCOUNT gives it: None = the primary
    # account and every subaccount, 0 = the primary account only, n = subaccount n.
    def create_webhook(self, *, name: str, target: str, events: Sequence[str], active: bool,
                       custom_headers: Mapping[str, str] | None = None,
                       exception_subaccounts: Sequence[int] | None = None,
                       auth: WebhookAuth | None = None, subaccount: int | None = None,
                       idempotency_check: Callable[[], dict[str, Any] | None] | None = None) -> str:
        """POST /webhooks -> the id. SparkPost first POSTs a test batch to ``target`` and refuses
        the webhook (``WebhookTestFailed``) unless the target answers 200. Not retried on
        5xx/read timeouts (names need not be unique: a second POST makes a second webhook)
        unless ``idempotency_check`` is given (``create_once.create_webhook``); it returns
        ``{"id": ID}`` for a webhook the lost request made, or None."""
        body: dict[str, Any] = {"name": name, "target": target, "events": list(events),
                                "active": bool(active)}
        if custom_headers:
            body["custom_headers"] = dict(custom_headers)
        if exception_subaccounts:
            body["exception_subaccounts"] = list(exception_subaccounts)
        body.update(_webhook_auth_body(auth or WebhookAuth("none")))
        with _webhook_test_failures():
            return self._one("POST", "/webhooks", CreatedWebhook.parse, json=body,
                             subaccount=subaccount, idempotency_check=idempotency_check).id

    def get_webhook(self, webhook_id: str, *, subaccount: int | None = None) -> Webhook:
        path = f"/webhooks/{segment(webhook_id, 'webhook id')}"
        hook = self._one("GET", path, Webhook.parse, subaccount=subaccount)
        if hook.id is not None:
            self._same_id(hook.id, webhook_id, path)
        return hook

    def list_webhooks(self, *, subaccount: int | None = None) -> list[Webhook]:
        return self._many("/webhooks", Webhook.parse, subaccount=subaccount)

    def update_webhook(self, webhook_id: str, *, subaccount: int | None = None,
                       name: str | None = None, target: str | None = None,
                       events: Sequence[str] | None = None, active: bool | None = None,
                       custom_headers: Mapping[str, str] | None = None,
                       exception_subaccounts: Sequence[int] | None = None,
                       auth: WebhookAuth | None = None) -> None:
        """PUT /webhooks/{id} with the given fields only; a new ``target`` gets a test batch
        first (``WebhookTestFailed`` unless it answers 200)."""
        body: dict[str, Any] = _present(name=name, target=target, active=active)
        if events is not None:
            body["events"] = list(events)
        if custom_headers is not None:
            body["custom_headers"] = dict(custom_headers)
        if exception_subaccounts is not None:
            body["exception_subaccounts"] = list(exception_subaccounts)
        if auth is not None:
            body.update(_webhook_auth_body(auth))
        with _webhook_test_failures():
            self._call("PUT", f"/webhooks/{segment(webhook_id, 'webhook id')}", json=body,
                       subaccount=subaccount, expect=(dict,))

    def delete_webhook(self, webhook_id: str, *, subaccount: int | None = None) -> None:
        self._call("DELETE", f"/webhooks/{segment(webhook_id, 'webhook id')}",
                   subaccount=subaccount)

    # -- metrics (read-only: the operator key's metrics/view grant) ------------------------
    def deliverability_by_subaccount(
        self,
        *,
        start: datetime,
        end: datetime | None = None,
        subaccounts: Sequence[int] | None = None,
    ) -> list[SubaccountCounts]:
        """GET /metrics/deliverability/subaccount over ``[start, end)`` (UTC), one row per
        subaccount with traffic (0 = the primary account).

        The endpoint has no cursor: it returns at most ``limit`` (<= 10000) rows. So ids are
        asked for in batches of ``METRICS_ID_BATCH`` (which also keeps URLs short), and when an
        unfiltered query comes back full, the subaccount list (cursor-paginated) supplies the
        ids to batch over. 429s are retried by the usual policy (``retry.py``).
        """
        params: dict[str, Any] = {"from": _metrics_time(start), "metrics": list(CHECK_METRICS),
                                  "timezone": "UTC", "limit": METRICS_LIMIT}
        if end is not None:
            params["to"] = _metrics_time(end)
        path = "/metrics/deliverability/subaccount"
        if subaccounts is None:
            rows = self._call("GET", path, params=params, expect=(list,))
            if len(rows) < METRICS_LIMIT:
                return [SubaccountCounts.from_api(r, path=path) for r in rows]
            ids = [0, *(s.id for s in self.iter_subaccounts())]
        else:
            ids = sorted({_int_id(i) for i in subaccounts})
        out: list[SubaccountCounts] = []
        for i in range(0, len(ids), METRICS_ID_BATCH):
            batch = ids[i:i + METRICS_ID_BATCH]
            rows = self._call("GET", path, params={**params, "subaccounts": batch}, expect=(list,))
            out.extend(SubaccountCounts.from_api(r, path=path) for r in rows)
        return out

    # -- data privacy (an action: the data_privacy/manage grant) ---------------------------
    def data_privacy_request(self, kind: str, recipients: Sequence[str], *,
                             subaccount: int | None = None,
                             include_subaccounts: bool = False) -> str:
        """POST /data-privacy/{rtbf,opt-out}-request for at most 1000 recipients; returns
        SparkPost's message ("Request saved."). Repeating a request is harmless, so it is
        retried like an idempotent call."""
        if kind not in DATA_PRIVACY_KINDS:
            raise ValueError(f"kind must be one of {', '.join(DATA_PRIVACY_KINDS)}, got {kind!r}")
        if not recipients or len(recipients) > DATA_PRIVACY_MAX_RECIPIENTS:
            raise ValueError(f"between 1 and {DATA_PRIVACY_MAX_RECIPIENTS} recipients per request")
        body: dict[str, Any] = {"recipients": list(recipients)}
        if subaccount is None:
            body["include_subaccounts"] = bool(include_subaccounts)
        result = self._call("POST", f"/data-privacy/{kind}-request", json=body,
                            subaccount=subaccount, expect=(dict,), idempotent=True)
        message = result.get("message")
        return message if isinstance(message, str) else "Request saved."


def _present(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _webhook_auth_body(auth: WebhookAuth) -> dict[str, Any]:
    if auth.type == "basic":
        creds = {"username": auth.username or ""}
        if auth.password is not None:
            creds["password"] = auth.password
        return {"auth_type": "basic", "auth_credentials": creds, "auth_request_details": {}}
    if auth.type == "oauth2":
        return {"auth_type": "oauth2", "auth_credentials": {},
                "auth_request_details": {"url": auth.token_url or "", "body": {
                    "client_id": auth.client_id or "", "client_secret": auth.client_secret or "",
                    "grant_type": "client_credentials"}}}
    return {"auth_type": "none", "auth_credentials": {}, "auth_request_details": {}}


@contextmanager
def _webhook_test_failures() -> Iterator[None]:
    """SparkPost's 400 with a ``response`` (its test batch, or the OAuth2 token request, did not
    get a 200) becomes ``WebhookTestFailed``."""
    try:
        yield
    except BadRequest as err:
        failed = WebhookTestFailed.from_error(err)
        if failed is not None:
            raise failed from err
        raise


def _metrics_time(value: datetime) -> str:
    """The Metrics API's ``YYYY-MM-DDTHH:MM``, in UTC (naive datetimes are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M")


def _int_id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"subaccount id must be a non-negative integer, got {value!r}")
    return value


def _dkim_body(key: DkimKey) -> dict[str, str]:
    return {"private": key.private, "public": key.public, "selector": key.selector}


def _is_dkim_refusal(err: SparkPostError) -> bool:
    """SparkPost's answer to a DKIM key it will not take: code 1404, or words about the key."""
    text = f"{err.message} {err.description or ''}".lower()
    return err.code == "1404" or "dkim" in text or " key" in text


@contextmanager
def _dkim_refusals(sent_dkim: bool) -> Iterator[None]:
    """A 400/422 about the DKIM key we sent becomes ``DkimRejected``."""
    try:
        yield
    except (BadRequest, Unprocessable) as err:
        if sent_dkim and _is_dkim_refusal(err):
            raise DkimRejected.from_error(err) from err
        raise
