"""The secret-leak scan run after every SparkPost end-to-end test.

Every Terraform command of such a test runs with TF_LOG=trace into a log file. Afterwards the
scan collects every secret the test world knows (the operator and admin keys, every payload in
the Secret Manager fake, every DKIM private key the emulator generated or was given, and every
sensitive value in state) and looks for them in everything the test left: the trace logs
(provider stderr included), each command's stdout and stderr, and every file of the test's
directories (but the configuration files the test wrote itself). State and `show -json` output
may hold a secret only where Terraform marks the
value sensitive; those values are removed before scanning.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

MIN_SECRET_LEN = 16

SKIP_DIRS = {".terraform", "plugin-cache", "home", "tmp"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _split(value: Any, marks: Any) -> tuple[Any, list[str]]:
    """(value without its sensitive parts, the sensitive strings) given a sensitivity tree."""
    if marks is True:
        return None, list(_strings(value))
    if isinstance(value, dict) and isinstance(marks, dict):
        kept, secret = {}, []
        for k, v in value.items():
            kept[k], s = _split(v, marks.get(k))
            secret += s
        return kept, secret
    if isinstance(value, list) and isinstance(marks, list):
        kept_list, secret = [], []
        for i, v in enumerate(value):
            k, s = _split(v, marks[i] if i < len(marks) else None)
            kept_list.append(k)
            secret += s
        return kept_list, secret
    return value, []


def _marks_from_paths(paths: list[Any]) -> Any:
    """State files list sensitive attributes as paths ([{"type": "get_attr", "value": "x"}, ...])."""
    tree: dict[str, Any] = {}
    for path in paths:
        steps = path if isinstance(path, list) else path.get("path", [])  # formats differ by version
        node: Any = tree
        for i, step in enumerate(steps):
            key = step.get("value")
            last = i == len(steps) - 1
            if last:
                node[key] = True
            else:
                node = node.setdefault(key, {})
                if node is True:
                    break
    return tree


def _strip_state(doc: dict[str, Any]) -> tuple[Any, list[str]]:
    secrets: list[str] = []
    for res in doc.get("resources", []):
        for inst in res.get("instances", []):
            marks = _marks_from_paths(inst.get("sensitive_attributes", []))
            inst["attributes"], s = _split(inst.get("attributes"), marks)
            secrets += s
    return doc, secrets


def _strip_show(doc: Any) -> tuple[Any, list[str]]:
    """`terraform show -json` of state or plan: drop values marked in the *_sensitive trees."""
    secrets: list[str] = []

    def walk(node: Any) -> Any:
        nonlocal secrets
        if isinstance(node, dict):
            if "values" in node and "sensitive_values" in node:
                node["values"], s = _split(node["values"], node["sensitive_values"])
                secrets += s
            for a, m in (("before", "before_sensitive"), ("after", "after_sensitive")):
                if a in node and m in node:
                    node[a], s = _split(node[a], node[m])
                    secrets += s
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    doc = walk(doc)
    if isinstance(doc, dict):
        doc.pop("configuration", None)  # the user's own configuration, echoed (the input, not a leak)
    return doc, secrets


def _emulator_dkim_private_keys(emulator: Any) -> list[str]:
    store = getattr(emulator, "store", None)
    found: list[str] = []

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 6:
            return
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "private" and isinstance(v, str):
                    found.append(v)
                else:
                    walk(v, depth + 1)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v, depth + 1)
        elif hasattr(node, "__dict__"):
            walk(vars(node), depth + 1)

    if store is not None:
        walk(vars(store))
    return found


def _pem_body_lines(secret: str) -> list[str]:
    """A PEM key is also looked for line by line (logs may re-wrap it)."""
    if "-----BEGIN" not in secret:
        return [secret]
    return [line for line in secret.splitlines() if len(line) >= 40 and "-----" not in line]


def scan(world: Any, extra_secrets: list[str] = ()) -> list[str]:
    """Places where a secret leaked, as readable lines (empty when clean)."""
    tf = world.tf
    secrets: set[str] = {world.operator_key, world.admin_key, *extra_secrets}
    for name in world.secret_manager.secrets():
        for v in world.secret_manager.versions(name):
            if v.payload:
                secrets.add(v.payload.decode(errors="replace").strip())
    secrets.update(k.strip() for k in _emulator_dkim_private_keys(world.emulator))

    texts: list[tuple[str, str]] = []
    for path in sorted(tf.base.rglob("*")):
        if not path.is_file() or SKIP_DIRS & set(path.relative_to(tf.base).parts) or path.name == "tfplan":
            continue
        if path.suffix == ".tf":
            continue  # configuration the test wrote: the input, not something the provider emitted
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        if path.name.startswith("terraform.tfstate"):
            try:
                doc, s = _strip_state(json.loads(text))
            except ValueError:
                pass
            else:
                secrets.update(s)
                text = json.dumps(doc)
        texts.append((str(path.relative_to(tf.base)), text))
    for i, result in enumerate(tf.log):
        out = result.stdout
        if result.args[:2] == ["show", "-json"] or result.args[:1] == ["show"]:
            try:
                doc, s = _strip_show(json.loads(out))
                secrets.update(s)
                out = json.dumps(doc)
            except ValueError:
                pass
        texts.append((f"command {i} `terraform {' '.join(result.args)}` stdout", out))
        texts.append((f"command {i} `terraform {' '.join(result.args)}` stderr", result.stderr))

    needles = {line for s in secrets if len(s) >= MIN_SECRET_LEN for line in _pem_body_lines(s)}
    leaks = []
    for where, text in texts:
        for needle in needles:
            if needle in text:
                leaks.append(f"{where}: contains a secret ({needle[:4]}…, {len(needle)} chars)")
                break
    return leaks
