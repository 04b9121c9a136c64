#!/usr/bin/env python3
"""Adopt the subaccounts the old sync script made into Terraform, without replacing anything.

It lists the account's subaccounts (with their sending domains, and their keys where the key
may list them), matches them to Cloud instances by name (`cloud-CUSTOMER` by default, as the
managed-smtp module names them), and writes:

  imports.tf               one `import {}` block per adopted subaccount (and custom domain),
                           at the instance module's addresses;
  the instances file       the same instances, with `adopt_existing_key = true` on adopted ones,
                           so the module makes no new key and reads the one the script stored.

It is a dry run unless --write is given: it prints what it would adopt and what it could not
match (subaccounts with no instance, instances with no subaccount, names used twice).

Credentials as for the provider: SPARKPOST_API_KEY (or --api-key-secret, a Secret Manager
version), SPARKPOST_BASE_URL or --region.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from provider.sparkpost.models import ApiKey, SendingDomain, Subaccount

DEFAULT_NAME_FORMAT = "cloud-{customer}"
DEFAULT_MODULE_ADDRESS = 'module.managed_smtp["{customer}"]'


@dataclass
class Adoption:
    customer: str
    subaccount: "Subaccount"
    domain: str | None = None
    keys: "list[ApiKey]" = field(default_factory=list)


@dataclass
class Report:
    adopted: list[Adoption] = field(default_factory=list)
    no_subaccount: list[str] = field(default_factory=list)  # instances: apply will create them
    ambiguous: dict[str, list[int]] = field(default_factory=dict)
    unmatched: "list[Subaccount]" = field(default_factory=list)  # subaccounts with no instance
    domain_missing: dict[str, str] = field(default_factory=dict)
    keys_listed: bool = True


def _hcl_string(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid HCL string literal


def _hcl_key(customer: str) -> str:
    """A customer key as it goes between the quotes of the module address: a `"` or `\\` (JSON
    escapes are HCL's) or a `${` / `%{` (doubled, else a template) in a tfvars key made the
    written imports.tf unparsable, and with it every plan of the configuration."""
    return json.dumps(customer, ensure_ascii=False)[1:-1].replace("${", "$${").replace("%{", "%%{")


def match(instances: dict[str, dict[str, Any]], subaccounts: "list[Subaccount]",
          domains: "list[SendingDomain]", keys: "list[ApiKey] | None", name_format: str) -> Report:
    report = Report(keys_listed=keys is not None)
    by_name: "dict[str, list[Subaccount]]" = {}
    for s in subaccounts:
        if s.status == "terminated":
            continue  # final: nothing to adopt
        by_name.setdefault(s.name, []).append(s)
    wanted = {name_format.format(customer=c): c for c in instances}
    for name, customer in sorted(wanted.items(), key=lambda kv: kv[1]):
        found = by_name.get(name, [])
        if not found:
            report.no_subaccount.append(customer)
            continue
        if len(found) > 1:
            report.ambiguous[customer] = sorted(s.id for s in found)
            continue
        sub = found[0]
        adoption = Adoption(customer, sub)
        want_domain = instances[customer].get("sending_domain")
        if want_domain:
            owned = {d.domain for d in domains if d.subaccount_id == sub.id}
            if want_domain in owned:
                adoption.domain = want_domain
            else:
                report.domain_missing[customer] = want_domain
        adoption.keys = [k for k in (keys or []) if k.subaccount_id == sub.id]
        report.adopted.append(adoption)
    for name, subs in sorted(by_name.items()):
        if name not in wanted:
            report.unmatched.extend(subs)
    return report


def render_imports(report: Report, module_address: str) -> str:
    lines = [
        "# Written by scripts/import-existing: adopts subaccounts made by the old sync script.",
        "# Run `terraform plan` to review (only imports, nothing created, changed or destroyed),",
        "# then `terraform apply`. This file can be deleted once the imports are applied.",
        "",
    ]
    for a in report.adopted:
        addr = module_address.format(customer=_hcl_key(a.customer))
        lines += [
            "import {",
            f"  to = {addr}.sparkpost_subaccount.this",
            f"  id = {_hcl_string(str(a.subaccount.id))}",
            "}",
            "",
        ]
        if a.domain:
            domain_id = f"{a.subaccount.id}/{a.domain}"
            lines += [
                "import {",
                f"  to = {addr}.sparkpost_sending_domain.custom[0]",
                f"  id = {_hcl_string(domain_id)}",
                "}",
                "",
            ]
    return "\n".join(lines)


def describe_blocks(imports: str) -> str:
    """How many import blocks a rendered imports.tf holds, by resource type."""
    targets = [line.split("=", 1)[1] for line in imports.splitlines() if line.strip().startswith("to = ")]
    subs = sum(".sparkpost_subaccount." in t for t in targets)
    domains = sum(".sparkpost_sending_domain." in t for t in targets)
    return f"{len(targets)} import blocks: {subs} subaccounts, {domains} sending domains"


def adopted_instances(instances: dict[str, dict[str, Any]], report: Report) -> dict[str, dict[str, Any]]:
    out = {c: dict(v) for c, v in instances.items()}
    for a in report.adopted:
        out[a.customer]["adopt_existing_key"] = True
        if a.subaccount.ip_pool:  # keep the pool it has: the import changes nothing
            out[a.customer]["ip_pool"] = a.subaccount.ip_pool
    return out


def print_report(report: Report, name_format: str) -> None:
    print(f"Adopt {len(report.adopted)} subaccount(s):")
    for a in report.adopted:
        extra = f", domain {a.domain}" if a.domain else ""
        keys = f", keys {', '.join((k.short_key or '?') + '…' for k in a.keys)}" if a.keys else ""
        print(f"  {a.customer:<30} subaccount {a.subaccount.id} {a.subaccount.name!r}{extra}{keys}")
    if report.no_subaccount:
        print(f"\nNo subaccount named {name_format!r} for {len(report.no_subaccount)} instance(s) "
              "(terraform apply will create them):")
        for c in report.no_subaccount:
            print(f"  {c}")
    if report.ambiguous:
        print("\nNot adopted, several subaccounts share the name (adopt by hand with terraform import):")
        for c, ids in report.ambiguous.items():
            print(f"  {c:<30} subaccounts {', '.join(map(str, ids))}")
    if report.domain_missing:
        print("\nCustom sending domain not found under the subaccount (apply will create it):")
        for c, d in report.domain_missing.items():
            print(f"  {c:<30} {d}")
    if report.unmatched:
        print(f"\nSubaccounts matching no instance ({len(report.unmatched)}), left alone:")
        for s in report.unmatched:
            print(f"  {s.id:>6} {s.name!r} ({s.status})")
    suspended = [a for a in report.adopted if a.subaccount.status != "active"]
    if suspended:
        print("\nAdopted subaccounts that are not active (the module manages them as active: the apply "
              "after the imports will reactivate them):")
        for a in suspended:
            print(f"  {a.customer:<30} subaccount {a.subaccount.id} is {a.subaccount.status}")
    if not report.keys_listed:
        print("\n(Keys not listed: SparkPost refused its API-keys API to this key (no api_keys/manage "
              "grant, or no API-keys API on the account). Adopted instances keep the key the old script "
              "stored in Secret Manager.)")


def _client(args: argparse.Namespace) -> Any:
    from provider.sparkpost.client import SparkPostClient

    key = os.environ.get("SPARKPOST_API_KEY")
    if args.api_key_secret:
        from provider.secrets import SecretManagerError, SecretStore

        try:
            key = SecretStore().read(args.api_key_secret).strip()
        except SecretManagerError as err:
            raise SystemExit(f"import-existing: cannot read the API key: {err.message}") from None
    if not key:
        raise SystemExit("import-existing: set SPARKPOST_API_KEY or --api-key-secret")
    base_url = args.base_url or os.environ.get("SPARKPOST_BASE_URL")
    try:
        return SparkPostClient(key, region=args.region, base_url=base_url)
    except ValueError as err:  # a malformed base URL, or SPARKPOST_REGION=EU; never holds the key
        raise SystemExit(f"import-existing: {err}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="import-existing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", required=True, type=Path,
                        help='tfvars JSON with {"instances": {CUSTOMER: {"project": ..., "sending_domain": ...}}}')
    parser.add_argument("--out", type=Path, default=None, help="directory for imports.tf (default: the instances file's)")
    parser.add_argument("--name-format", default=DEFAULT_NAME_FORMAT, help="subaccount name per customer (default: %(default)s)")
    parser.add_argument("--module-address", default=DEFAULT_MODULE_ADDRESS, help="module address per customer (default: %(default)s)")
    parser.add_argument("--api-key-secret", help="Secret Manager version holding the API key")
    parser.add_argument("--base-url", help="API endpoint (default: SPARKPOST_BASE_URL or the region's)")
    parser.add_argument("--region", choices=["us", "eu"], default=os.environ.get("SPARKPOST_REGION", "us"))
    parser.add_argument("--write", action="store_true", help="write the files (default: dry run)")
    args = parser.parse_args(argv)

    if "{customer}" not in args.name_format or "{customer}" not in args.module_address:
        parser.error("--name-format and --module-address must contain {customer}")
    for flag, template in (("--name-format", args.name_format), ("--module-address", args.module_address)):
        # Tried before any API call: "{customer}{x}" or a lone "{" failed only after the listing.
        try:
            template.format(customer="c")
        except (KeyError, IndexError, ValueError, AttributeError) as err:
            parser.error(f"{flag} {template!r} is not a template with only {{customer}} in it "
                         f"({type(err).__name__}: {err}); write a literal brace as {{{{ or }}}}")
    try:
        doc = json.loads(args.instances.read_text())
        if not isinstance(doc, dict) or "instances" not in doc:
            raise ValueError('expected a JSON object with "instances" in it')
        instances = doc["instances"]
        if not isinstance(instances, dict) or not all(isinstance(v, dict) for v in instances.values()):
            raise ValueError("instances must map customer slugs to objects")
    except (OSError, ValueError, KeyError) as err:
        parser.error(f"cannot read instances from {args.instances}: {err}")

    from provider.sparkpost.errors import Forbidden, SparkPostError

    client = _client(args)
    try:
        print("Listing subaccounts…", flush=True)
        subaccounts = client.list_subaccounts()
        print(f"  {len(subaccounts)} subaccounts. Listing sending domains…", flush=True)
        domains = client.list_sending_domains()
        print(f"  {len(domains)} sending domains. Listing API keys…", flush=True)
        try:
            keys: "list[ApiKey] | None" = client.list_api_keys()
        except Forbidden:
            keys = None
    except SparkPostError as err:
        print(f"import-existing: {err}", file=sys.stderr)
        return 1

    report = match(instances, subaccounts, domains, keys, args.name_format)
    print()
    print_report(report, args.name_format)

    out_dir = args.out or args.instances.parent
    imports_path = out_dir / "imports.tf"
    imports = render_imports(report, args.module_address)
    if not args.write:
        # Counted from the very text --write would write, so the figure cannot drift from it.
        print(f"\nDry run: nothing written. With --write: {imports_path} ({describe_blocks(imports)}) "
              f"and {args.instances} (adopt_existing_key on adopted instances).")
        return 0
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        imports_path.write_text(imports)
        shutil.copy2(args.instances, args.instances.with_suffix(args.instances.suffix + ".bak"))
        doc["instances"] = adopted_instances(instances, report)
        tmp = args.instances.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, args.instances)
    except OSError as err:
        print(f"import-existing: cannot write the files: {err}", file=sys.stderr)
        return 1
    print(f"\nWrote {imports_path} and {args.instances} (backup: {args.instances}.bak).")
    print("Next: terraform plan (expect only imports), then terraform apply.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
