"""provider.secrets, with the official client, against the Secret Manager fake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from provider import secrets
from provider.emulator.secretmanager import SecretManagerFake
from provider.secrets import SecretManagerError, SecretStore, parse_secret_name, parse_version_name

REPO = Path(__file__).resolve().parents[1]
SECRET = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY"
LATEST = f"{SECRET}/versions/latest"
PAYLOAD = "sk-live-3f9c1b7e5d2a4c68"  # distinctive, to look for in error texts


@pytest.fixture(scope="module")
def server() -> Iterator[SecretManagerFake]:
    with SecretManagerFake() as fake:
        yield fake


@pytest.fixture
def fake(server: SecretManagerFake, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretManagerFake]:
    server.reset()
    monkeypatch.setenv("SECRETMANAGER_EMULATOR_HOST", server.address)
    yield server


@pytest.fixture
def store() -> Iterator[SecretStore]:
    s = SecretStore(backoff=(0.01, 0.01, 0.01))  # keep retry tests fast
    yield s
    s.close()


def assert_no_payload(err: BaseException, payload: str = PAYLOAD) -> None:
    texts = [str(err), repr(err), getattr(err, "message", ""), "".join(traceback.format_exception(err))]
    assert not any(payload in t for t in texts), texts


# ----- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        (SECRET, ("sourcegraph-secrets", "SPARKPOST_API_KEY")),
        ("projects/123456789/secrets/a", ("123456789", "a")),
        ("projects/abcdef/secrets/" + "x" * 255, ("abcdef", "x" * 255)),
    ],
)
def test_parse_secret_name_ok(name: str, expected: tuple[str, str]) -> None:
    assert parse_secret_name(name) == expected


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", "expected projects/PROJECT/secrets/SECRET"),
        ("SPARKPOST_API_KEY", "expected projects/PROJECT/secrets/SECRET"),
        (LATEST, "this is a version name"),
        ("projects/Sourcegraph/secrets/s", "neither a project ID"),
        ("projects/abc/secrets/s", "neither a project ID"),  # too short
        ("projects/proj-ect-/secrets/s", "neither a project ID"),
        ("projects/sourcegraph-secrets/secrets/a.b", "secret ID 'a.b'"),
        ("projects/sourcegraph-secrets/secrets/" + "x" * 256, "1 to 255"),
        ("projects/sourcegraph-secrets/secrets/", "secret ID ''"),
    ],
)
def test_parse_secret_name_errors(name: str, fragment: str) -> None:
    with pytest.raises(SecretManagerError, match=fragment) as info:
        parse_secret_name(name)
    assert info.value.secret_name == name


@pytest.mark.parametrize(
    "name, expected",
    [
        (LATEST, ("sourcegraph-secrets", "SPARKPOST_API_KEY", "latest")),
        (f"{SECRET}/versions/12", ("sourcegraph-secrets", "SPARKPOST_API_KEY", "12")),
    ],
)
def test_parse_version_name_ok(name: str, expected: tuple[str, str, str]) -> None:
    assert parse_version_name(name) == expected


@pytest.mark.parametrize(
    "name, fragment",
    [
        (SECRET, "append /versions/latest"),
        (f"{SECRET}/versions/0", "positive integer or latest"),
        (f"{SECRET}/versions/LATEST", "positive integer or latest"),
        (f"{SECRET}/versions/-1", "positive integer or latest"),
        (f"{SECRET}/version/1", "expected projects/PROJECT/secrets/SECRET/versions/VERSION"),
        ("projects/x/secrets/s/versions/1", "neither a project ID"),
    ],
)
def test_parse_version_name_errors(name: str, fragment: str) -> None:
    with pytest.raises(SecretManagerError, match=fragment):
        parse_version_name(name)


def test_bad_names_fail_before_any_call(fake: SecretManagerFake, store: SecretStore) -> None:
    with pytest.raises(SecretManagerError):
        store.read(SECRET)
    with pytest.raises(SecretManagerError):
        store.write(LATEST, PAYLOAD)
    with pytest.raises(SecretManagerError):
        store.destroy("nope")
    assert fake.calls() == []


# ----- reading -------------------------------------------------------------------------------


def test_read_latest_and_numbered(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, "first")
    fake.add_version(SECRET, "second\n")
    assert store.read(LATEST) == "second\n"  # exactly as stored
    assert store.read(f"{SECRET}/versions/1") == "first"


def test_read_destroyed_latest_is_a_clear_error(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, PAYLOAD)
    fake.add_version(SECRET, PAYLOAD + "-2")
    fake.set_state(f"{SECRET}/versions/2", "DESTROYED")
    with pytest.raises(SecretManagerError) as info:
        store.read(LATEST)
    err = info.value
    assert err.code == "FAILED_PRECONDITION" and err.secret_name == LATEST
    assert LATEST in err.message and "DESTROYED" in err.message
    assert "`latest` means the newest version even when it is disabled or destroyed" in err.message
    assert store.read(f"{SECRET}/versions/1") == PAYLOAD
    assert_no_payload(err)


def test_read_missing_secret(fake: SecretManagerFake, store: SecretStore) -> None:
    with pytest.raises(SecretManagerError) as info:
        store.read(LATEST)
    err = info.value
    assert err.code == "NOT_FOUND"
    assert f"the secret '{SECRET}' does not exist" in err.message
    assert "gcloud secrets create SPARKPOST_API_KEY --project=sourcegraph-secrets" in err.message


def test_read_permission_denied_names_permission(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, PAYLOAD)
    fake.fail_next("AccessSecretVersion", grpc.StatusCode.PERMISSION_DENIED)
    with pytest.raises(SecretManagerError) as info:
        store.read(LATEST)
    err = info.value
    assert err.permission == "secretmanager.versions.access"
    assert "'secretmanager.versions.access'" in err.message and LATEST in err.message
    assert "roles/secretmanager.secretAccessor" in err.message
    assert_no_payload(err)


def test_read_checks_the_checksum(fake: SecretManagerFake, monkeypatch: pytest.MonkeyPatch, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, PAYLOAD)
    monkeypatch.setattr(secrets, "_crc32c", lambda data: 0)  # as if the bytes changed on the way
    with pytest.raises(SecretManagerError, match="corrupted") as info:
        store.read(LATEST)
    assert_no_payload(info.value)


def test_read_non_utf8(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, b"\xff\xfe" + PAYLOAD.encode())
    with pytest.raises(SecretManagerError, match="UTF-8") as info:
        store.read(LATEST)
    assert_no_payload(info.value)


def test_read_more_than_a_version_can_hold_is_refused(fake: SecretManagerFake, store: SecretStore,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A Secret Manager (or a fake) answering more than 64 KiB: not used as a key."""
    from provider.emulator.secretmanager import store as fake_store

    monkeypatch.setattr(fake_store, "MAX_PAYLOAD", 1 << 20)  # the fake misbehaves
    fake.create_secret(SECRET)
    fake.add_version(SECRET, PAYLOAD * 20_000)
    with pytest.raises(SecretManagerError, match="more than a secret version can hold") as info:
        store.read(LATEST)
    assert info.value.code == "OUT_OF_RANGE"
    assert_no_payload(info.value)


# ----- writing -------------------------------------------------------------------------------


def test_write_to_existing_secret(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, "old")
    name = store.write(SECRET, PAYLOAD)
    assert name == f"{SECRET}/versions/2"
    [_, new] = fake.versions(SECRET)
    assert (new.text, new.state, new.client_checksum) == (PAYLOAD, "ENABLED", True)
    assert store.read(LATEST) == PAYLOAD
    assert [m for m, _ in fake.calls()].count("CreateSecret") == 0


def test_write_missing_secret_without_create(fake: SecretManagerFake, store: SecretStore) -> None:
    with pytest.raises(SecretManagerError) as info:
        store.write(SECRET, PAYLOAD)
    err = info.value
    assert err.code == "NOT_FOUND" and err.secret_name == SECRET
    assert f"secret '{SECRET}' does not exist" in err.message
    assert "create_secret = true" in err.message
    assert "gcloud secrets create SPARKPOST_API_KEY --project=sourcegraph-secrets --replication-policy=automatic" in err.message
    assert fake.secrets() == []
    assert_no_payload(err)


def test_write_with_create(fake: SecretManagerFake, store: SecretStore) -> None:
    assert store.write(SECRET, PAYLOAD, create=True) == f"{SECRET}/versions/1"
    assert fake.secrets() == [SECRET]
    assert [v.text for v in fake.versions(SECRET)] == [PAYLOAD]
    assert [m for m, _ in fake.calls()] == ["AddSecretVersion", "CreateSecret", "AddSecretVersion"]
    # An existing secret is not re-created (that would need secretmanager.secrets.create).
    assert store.write(SECRET, "again", create=True) == f"{SECRET}/versions/2"
    assert [m for m, _ in fake.calls()].count("CreateSecret") == 1


def test_write_with_create_uses_automatic_replication(fake: SecretManagerFake, store: SecretStore) -> None:
    store.write(SECRET, PAYLOAD, create=True)
    from google.cloud import secretmanager_v1 as smv

    client = store._client(SECRET)
    assert "automatic" in client.get_secret(name=SECRET).replication
    assert isinstance(client, smv.SecretManagerServiceClient)


def test_write_returns_the_callers_project_form(store: SecretStore) -> None:
    with SecretManagerFake(project_numbers={"sourcegraph-secrets": "1234"}) as fake:
        os.environ["SECRETMANAGER_EMULATOR_HOST"] = fake.address
        try:
            name = store.write(SECRET, PAYLOAD, create=True)
            assert name == f"{SECRET}/versions/1"  # not projects/1234/...
            assert fake.versions("projects/1234/secrets/SPARKPOST_API_KEY")[0].text == PAYLOAD
        finally:
            del os.environ["SECRETMANAGER_EMULATOR_HOST"]


@pytest.mark.parametrize(
    "method, create, permission",
    [
        ("AddSecretVersion", False, "secretmanager.versions.add"),
        ("CreateSecret", True, "secretmanager.secrets.create"),
    ],
)
def test_write_permission_denied_names_permission(
    fake: SecretManagerFake, method: str, create: bool, permission: str
, store: SecretStore) -> None:
    if not create:
        fake.create_secret(SECRET)
    fake.fail_next(method, grpc.StatusCode.PERMISSION_DENIED)
    with pytest.raises(SecretManagerError) as info:
        store.write(SECRET, PAYLOAD, create=create)
    err = info.value
    assert err.permission == permission and err.code == "PERMISSION_DENIED"
    assert f"'{permission}'" in err.message and SECRET in err.message
    assert_no_payload(err)


def test_write_error_echoing_the_payload_is_withheld(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.fail_next("AddSecretVersion", grpc.StatusCode.INVALID_ARGUMENT, message=f"bad payload {PAYLOAD}")
    with pytest.raises(SecretManagerError) as info:
        store.write(SECRET, PAYLOAD)
    assert "details withheld" in info.value.message
    assert_no_payload(info.value)


@pytest.mark.parametrize("payload, fragment", [("", "empty"), ("x" * (64 * 1024 + 1), "the limit is 65536")])
def test_write_rejects_bad_payload_locally(fake: SecretManagerFake, payload: str, fragment: str, store: SecretStore) -> None:
    with pytest.raises(SecretManagerError, match=fragment) as info:
        store.write(SECRET, payload, create=True)
    if payload:
        assert_no_payload(info.value, payload)
    assert fake.calls() == []


# ----- destroying --------------------------------------------------------------------------------


def test_destroy_version_and_idempotence(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    name = store.write(SECRET, PAYLOAD)
    store.destroy(name)
    assert [(v.state, v.payload) for v in fake.versions(SECRET)] == [("DESTROYED", None)]
    store.destroy(name)  # already destroyed: fine
    store.destroy(f"{SECRET}/versions/9")  # never existed: fine
    store.destroy("projects/sourcegraph-secrets/secrets/gone/versions/1")  # no secret: fine
    with pytest.raises(SecretManagerError, match="FAILED_PRECONDITION|DESTROYED"):
        store.read(LATEST)


def test_destroy_refuses_latest_and_reports_permission(fake: SecretManagerFake, store: SecretStore) -> None:
    with pytest.raises(SecretManagerError, match="name a version number"):
        store.destroy(LATEST)
    fake.create_secret(SECRET)
    fake.add_version(SECRET, PAYLOAD)
    fake.fail_next("DestroySecretVersion", "PERMISSION_DENIED")
    with pytest.raises(SecretManagerError) as info:
        store.destroy(f"{SECRET}/versions/1")
    assert info.value.permission == "secretmanager.versions.destroy"
    # FAILED_PRECONDITION counts as success only when the version really is destroyed.
    fake.set_state(f"{SECRET}/versions/1", "DESTROYED")
    fake.fail_next("DestroySecretVersion", "FAILED_PRECONDITION", message="etag mismatch")
    store.destroy(f"{SECRET}/versions/1")  # it is destroyed, so that is success
    fake.add_version(SECRET, "two")
    fake.fail_next("DestroySecretVersion", "FAILED_PRECONDITION", message="etag mismatch")
    with pytest.raises(SecretManagerError, match="etag mismatch"):
        store.destroy(f"{SECRET}/versions/2")


# ----- transport: retries, timeouts, credentials ------------------------------------------------------


def test_unavailable_is_retried(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, PAYLOAD)
    fake.fail_next("AccessSecretVersion", grpc.StatusCode.UNAVAILABLE, count=secrets._ATTEMPTS - 1)
    assert store.read(LATEST) == PAYLOAD
    assert [m for m, _ in fake.calls()].count("AccessSecretVersion") == secrets._ATTEMPTS


def test_unavailable_gives_up_after_a_few_attempts(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.fail_next("AddSecretVersion", grpc.StatusCode.UNAVAILABLE, count=100)
    with pytest.raises(SecretManagerError) as info:
        store.write(SECRET, PAYLOAD)
    assert info.value.code == "UNAVAILABLE"
    assert f"after {secrets._ATTEMPTS} attempts" in info.value.message
    assert [m for m, _ in fake.calls()].count("AddSecretVersion") == secrets._ATTEMPTS
    assert_no_payload(info.value)
    fake.clear_failures()


def test_unreachable_emulator(monkeypatch: pytest.MonkeyPatch, store: SecretStore) -> None:
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SECRETMANAGER_EMULATOR_HOST", f"127.0.0.1:{port}")
    with pytest.raises(SecretManagerError, match=rf"unavailable \(emulator at 127.0.0.1:{port}\)") as info:
        store.read(LATEST, timeout=5)
    assert info.value.code == "UNAVAILABLE"


def test_zero_timeout(fake: SecretManagerFake, store: SecretStore) -> None:
    with pytest.raises(SecretManagerError, match="timed out after 0s") as info:
        store.read(LATEST, timeout=0)
    assert info.value.code == "DEADLINE_EXCEEDED"


def test_bad_emulator_host(monkeypatch: pytest.MonkeyPatch, store: SecretStore) -> None:
    monkeypatch.setenv("SECRETMANAGER_EMULATOR_HOST", "http://localhost:8085")
    with pytest.raises(SecretManagerError, match="must be host:port"):
        store.read(LATEST)


def test_missing_application_default_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, store: SecretStore) -> None:
    monkeypatch.delenv("SECRETMANAGER_EMULATOR_HOST", raising=False)
    # A key file that does not exist makes google.auth.default() fail at once, without probing metadata servers.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    with pytest.raises(SecretManagerError) as info:
        store.read(LATEST)
    err = info.value
    assert "gcloud auth application-default login" in err.message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in err.message
    assert err.secret_name == LATEST and err.code == "UNAUTHENTICATED"
    assert store._clients == {}  # a failure is not cached


def test_one_client_per_store_thread_safe(fake: SecretManagerFake, store: SecretStore) -> None:
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        seen.append(store._client(SECRET))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 1
    assert store._client(SECRET) is seen[0]


def test_concurrent_reads_and_writes(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    errors: list[BaseException] = []
    names: list[str] = []

    def worker(i: int) -> None:
        try:
            names.append(store.write(SECRET, f"value-{i}"))
            store.read(LATEST)
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(int(n.rsplit("/", 1)[1]) for n in names) == list(range(1, 9))


# ----- lazy import -------------------------------------------------------------------------------


def test_import_is_lazy() -> None:
    # Compare with `import provider` alone, so imports the package itself may make are not counted.
    code = (
        "import sys, json\n"
        "import provider\n"
        "before = set(sys.modules)\n"
        "import provider.secrets\n"
        "new = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in ('google', 'grpc', 'proto'))\n"
        "print(json.dumps(new))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == []


def test_error_type_signature() -> None:
    err = SecretManagerError("text", SECRET, "secretmanager.versions.access")
    assert (str(err), err.message, err.secret_name, err.permission, err.code) == (
        "text", "text", SECRET, "secretmanager.versions.access", None,
    )
    assert isinstance(err, Exception)


# ----- a new key's write, and reads that name the version ------------------------------------


def test_new_key_write_retries_transient_failures(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    # 6 failures: more than one write_secret call retries (4), fewer than the writes allowed
    fake.fail_next("AddSecretVersion", grpc.StatusCode.INTERNAL, count=1)
    fake.fail_next("AddSecretVersion", grpc.StatusCode.UNAVAILABLE, count=5)
    assert store.write_new_key(SECRET, PAYLOAD, backoff=(0.0, 0.0, 0.0)) == f"{SECRET}/versions/1"
    assert [m for m, _ in fake.calls()].count("AddSecretVersion") == 7
    assert [v.text for v in fake.versions(SECRET)] == [PAYLOAD]


def test_new_key_write_does_not_retry_a_refusal(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.fail_next("AddSecretVersion", grpc.StatusCode.PERMISSION_DENIED, count=100)
    with pytest.raises(SecretManagerError) as info:
        store.write_new_key(SECRET, PAYLOAD, backoff=(0.0, 0.0))
    assert info.value.code == "PERMISSION_DENIED"
    assert [m for m, _ in fake.calls()].count("AddSecretVersion") == 1
    assert_no_payload(info.value)
    fake.clear_failures()


def test_new_key_write_gives_up_after_its_writes(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.fail_next("AddSecretVersion", grpc.StatusCode.UNAVAILABLE, count=1000)
    with pytest.raises(SecretManagerError) as info:
        store.write_new_key(SECRET, PAYLOAD, backoff=(0.0, 0.0))
    assert info.value.code == "UNAVAILABLE"
    assert [m for m, _ in fake.calls()].count("AddSecretVersion") == 3 * secrets._ATTEMPTS
    fake.clear_failures()


def test_access_secret_names_the_version_latest_resolved_to(fake: SecretManagerFake, store: SecretStore) -> None:
    fake.create_secret(SECRET)
    fake.add_version(SECRET, "first")
    fake.add_version(SECRET, PAYLOAD)
    assert store.access(LATEST) == (f"{SECRET}/versions/2", PAYLOAD)
    assert store.access(f"{SECRET}/versions/1") == (f"{SECRET}/versions/1", "first")
