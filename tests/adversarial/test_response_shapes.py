"""Response-shape class (issue 13 item 6): a SparkPost answer of the wrong shape, for every
object the provider reads, through the real terraform binary.

Each case serves one wrong-shaped success response (a field of the wrong type, a missing one,
a wrong list entry) and runs the plan or import that reads it. It passes when terraform fails
with an error that names the request's method and path and the field (`results[1].name`),
with no traceback and no "Unexpected error", even under TF_LOG=debug, and without the body.
"""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.harness import Terraform

KEY = "b7" * 20
SUB = {"id": 7, "name": "cloud-acme", "status": "active", "compliance_status": "active"}
DOMAIN = {"subaccount_id": 7, "tracking_domain": None, "shared_with_subaccounts": False,
          "is_default_bounce_domain": False, "status": {"ownership_verified": False, "dkim_status": "valid"},
          "dkim": {"selector": "scph0125", "public": "MIGf", "signing_domain": "mail.example.com"}}
APIKEY = {"id": "k-1", "label": "smtp", "grants": ["smtp/inject"], "short_key": "0123"}

PROVIDER = ('terraform {\n  required_providers {\n    sparkpost = { source = "sourcegraph/sparkpost" }\n  }\n}\n'
            'provider "sparkpost" {\n  skip_credentials_validation = true\n  max_retries = 0\n}\n')
DATA_SUBS = 'data "sparkpost_subaccounts" "all" {}\n'
DATA_SUB_ID = 'data "sparkpost_subaccount" "one" {\n  id = "7"\n}\n'
DATA_SUB_NAME = 'data "sparkpost_subaccount" "one" {\n  name = "cloud-acme"\n}\n'
DATA_DOMAIN = 'data "sparkpost_sending_domain" "d" {\n  domain = "mail.example.com"\n}\n'
RES_SUB = 'resource "sparkpost_subaccount" "s" {\n  name = "cloud-acme"\n}\n'
RES_KEY = 'resource "sparkpost_api_key" "k" {\n  label = "smtp"\n  grants = ["smtp/inject"]\n}\n'
RES_DOMAIN = 'resource "sparkpost_sending_domain" "d" {\n  domain = "mail.example.com"\n}\n'

PLAN = ("plan", "-no-color", "-input=false")


@dataclass(frozen=True)
class ShapeCase:
    id: str
    hcl: str
    command: tuple[str, ...]
    path: str  # the API path the error must name
    results: Any  # the `results` served there
    field: str  # the field the error must name


def _imp(address: str, import_id: str) -> tuple[str, ...]:
    return ("import", "-no-color", "-input=false", address, import_id)


SUBS = "/subaccounts"
ONE = "/subaccounts/7"
DOM = "/sending-domains/mail.example.com"
KEYP = "/api-keys/k-1"

CASES = [
    ShapeCase("list-entry-missing-name", DATA_SUBS, PLAN, SUBS, [SUB, {**SUB, "name": None}], "results[1].name"),
    ShapeCase("list-entry-id-string", DATA_SUBS, PLAN, SUBS, [{**SUB, "id": "7"}], "results[0].id"),
    ShapeCase("list-entry-not-object", DATA_SUBS, PLAN, SUBS, [SUB, "cloud-acme"], "results[1]"),
    ShapeCase("list-entry-status-list", DATA_SUB_NAME, PLAN, SUBS, [{**SUB, "status": ["active"]}],
              "results[0].status"),
    ShapeCase("subaccount-status-missing", DATA_SUB_ID, PLAN, ONE, {"id": 7, "name": "x"}, "results.status"),
    ShapeCase("subaccount-options-list", DATA_SUB_ID, PLAN, ONE, {**SUB, "options": []}, "results.options"),
    ShapeCase("subaccount-deliverability-string", DATA_SUB_ID, PLAN, ONE,
              {**SUB, "options": {"deliverability": "yes"}}, "results.options.deliverability"),
    ShapeCase("subaccount-id-bool", DATA_SUB_ID, PLAN, ONE, {**SUB, "id": True}, "results.id"),
    ShapeCase("import-subaccount-name-number", RES_SUB, _imp("sparkpost_subaccount.s", "7"), ONE,
              {**SUB, "name": 7}, "results.name"),
    ShapeCase("domain-dkim-status-number", DATA_DOMAIN, PLAN, DOM,
              {**DOMAIN, "status": {"dkim_status": 1}}, "results.status.dkim_status"),
    ShapeCase("domain-status-list", DATA_DOMAIN, PLAN, DOM, {**DOMAIN, "status": []}, "results.status"),
    ShapeCase("domain-dkim-string", DATA_DOMAIN, PLAN, DOM, {**DOMAIN, "dkim": "scph0125"}, "results.dkim"),
    ShapeCase("domain-selector-number", DATA_DOMAIN, PLAN, DOM,
              {**DOMAIN, "dkim": {"selector": 125, "public": "MIGf"}}, "results.dkim.selector"),
    ShapeCase("domain-shared-string", DATA_DOMAIN, PLAN, DOM, {**DOMAIN, "shared_with_subaccounts": "no"},
              "results.shared_with_subaccounts"),
    ShapeCase("domain-subaccount-string", DATA_DOMAIN, PLAN, DOM, {**DOMAIN, "subaccount_id": "7"},
              "results.subaccount_id"),
    ShapeCase("import-domain-bounce-number", RES_DOMAIN, _imp("sparkpost_sending_domain.d", "mail.example.com"),
              DOM, {**DOMAIN, "is_default_bounce_domain": 1}, "results.is_default_bounce_domain"),
    ShapeCase("import-key-grants-string", RES_KEY, _imp("sparkpost_api_key.k", "k-1"), KEYP,
              {**APIKEY, "grants": "smtp/inject"}, "results.grants"),
    ShapeCase("import-key-grant-object", RES_KEY, _imp("sparkpost_api_key.k", "k-1"), KEYP,
              {**APIKEY, "grants": [{"name": "smtp/inject"}]}, "results.grants[0]"),
    ShapeCase("import-key-grants-missing", RES_KEY, _imp("sparkpost_api_key.k", "k-1"), KEYP,
              {"id": "k-1", "label": "smtp"}, "results.grants"),
    ShapeCase("import-key-subaccount-string", RES_KEY, _imp("sparkpost_api_key.k", "k-1"), KEYP,
              {**APIKEY, "subaccount_id": "3"}, "results.subaccount_id"),
    ShapeCase("import-key-valid-ips-string", RES_KEY, _imp("sparkpost_api_key.k", "k-1"), KEYP,
              {**APIKEY, "valid_ips": "10.0.0.0/8"}, "results.valid_ips"),
]


class ShapeServer:
    """Answers one path with the case's `results`; every other path is a 404 in SparkPost's style."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's name
                path = self.path.split("?")[0].removeprefix("/api/v1")
                if path in server.routes:
                    self._send(200, {"results": server.routes[path]})
                else:
                    self._send(404, {"errors": [{"message": "resource not found", "code": "1600"}]})

            def _send(self, status: int, doc: Any) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, terraform_bin: str,
          plugins_dir: Path) -> Iterator[tuple[ShapeServer, Terraform]]:
    server = ShapeServer()
    tf = Terraform(tmp_path_factory.mktemp("shapes"), terraform_bin, plugins_dir,
                   env_extra={"SPARKPOST_API_KEY": KEY, "SPARKPOST_BASE_URL": server.url, "TF_LOG": "debug"})
    tf.write(PROVIDER, "provider.tf")
    tf.init()
    yield server, tf
    server.httpd.shutdown()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_wrong_shape_names_method_path_and_field(world: tuple[ShapeServer, Terraform], case: ShapeCase) -> None:
    server, tf = world
    server.routes = {case.path: case.results}
    tf.write(case.hcl)
    (tf.workdir / "terraform.tfstate").unlink(missing_ok=True)
    result = tf.run(*case.command, check=False)
    out = result.stdout + result.stderr  # stderr holds the TF_LOG=debug lines too
    assert result.returncode == 1, out[-3000:]
    flat = " ".join(out.split())  # terraform wraps long diagnostics
    assert f"on GET {case.path}: the field '{case.field}'" in flat, out[-3000:]
    assert "Traceback" not in out and "Unexpected error" not in out and "panic:" not in out, out[-3000:]
    assert KEY not in out
