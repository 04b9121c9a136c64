"""The Secret Manager fake, driven by the official google-cloud-secret-manager client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.api_core import exceptions as gexc
from google.cloud import secretmanager_v1 as smv
from google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc import (
    SecretManagerServiceGrpcTransport,
)

from provider.emulator.secretmanager import SecretManagerFake, crc32c, parse_fail_spec

REPO = Path(__file__).resolve().parents[2]
SECRET = "projects/test-project/secrets/api-key"
AUTOMATIC = {"replication": {"automatic": {}}}


def make_client(address: str) -> smv.SecretManagerServiceClient:
    channel = grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)])
    return smv.SecretManagerServiceClient(transport=SecretManagerServiceGrpcTransport(channel=channel))


@pytest.fixture(scope="module")
def server() -> Iterator[SecretManagerFake]:
    with SecretManagerFake() as fake:
        yield fake


@pytest.fixture
def fake(server: SecretManagerFake) -> SecretManagerFake:
    server.reset()
    return server


@pytest.fixture(scope="module")
def client(server: SecretManagerFake) -> Iterator[smv.SecretManagerServiceClient]:
    c = make_client(server.address)
    yield c
    c.transport.close()


def add(client: smv.SecretManagerServiceClient, data: bytes, parent: str = SECRET, **payload: int) -> smv.SecretVersion:
    return client.add_secret_version(parent=parent, payload={"data": data, **payload})


def test_crc32c_known_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_create_add_access_latest_and_numbered(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    secret = client.create_secret(parent="projects/test-project", secret_id="api-key", secret=AUTOMATIC)
    assert secret.name == SECRET
    assert "automatic" in secret.replication
    v1 = add(client, b"one")
    v2 = add(client, b"two")
    assert (v1.name, v2.name) == (f"{SECRET}/versions/1", f"{SECRET}/versions/2")
    assert v1.state == smv.SecretVersion.State.ENABLED

    latest = client.access_secret_version(name=f"{SECRET}/versions/latest")
    assert latest.name == f"{SECRET}/versions/2"  # the alias resolves to a number
    assert latest.payload.data == b"two"
    assert "data_crc32c" in latest.payload and latest.payload.data_crc32c == crc32c(b"two")
    first = client.access_secret_version(name=f"{SECRET}/versions/1")
    assert first.payload.data == b"one" and first.payload.data_crc32c == crc32c(b"one")

    assert client.get_secret(name=SECRET).name == SECRET
    assert client.get_secret_version(name=f"{SECRET}/versions/latest").name == f"{SECRET}/versions/2"
    assert [v.payload for v in fake.versions(SECRET)] == [b"one", b"two"]
    assert fake.secrets() == [SECRET]


@pytest.mark.parametrize("action", ["destroy", "disable"])
def test_latest_is_newest_whatever_its_state(
    action: str, fake: SecretManagerFake, client: smv.SecretManagerServiceClient
) -> None:
    fake.create_secret(SECRET)
    add(client, b"good")
    add(client, b"newest")
    getattr(client, f"{action}_secret_version")(name=f"{SECRET}/versions/2")
    # No fallback to the older enabled version: the real service fails.
    with pytest.raises(gexc.FailedPrecondition, match=rf"{SECRET}/versions/2\] is in (DESTROYED|DISABLED) state"):
        client.access_secret_version(name=f"{SECRET}/versions/latest", retry=None)
    assert client.access_secret_version(name=f"{SECRET}/versions/1").payload.data == b"good"
    if action == "disable":
        client.enable_secret_version(name=f"{SECRET}/versions/2")
        assert client.access_secret_version(name=f"{SECRET}/versions/latest").payload.data == b"newest"


def test_destroy_drops_payload_and_is_final(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    fake.create_secret(SECRET)
    add(client, b"gone-soon")
    destroyed = client.destroy_secret_version(name=f"{SECRET}/versions/1")
    assert destroyed.state == smv.SecretVersion.State.DESTROYED
    assert destroyed.destroy_time is not None
    info = fake.versions(SECRET)[0]
    assert (info.state, info.payload) == ("DESTROYED", None)
    for call in (client.destroy_secret_version, client.enable_secret_version, client.disable_secret_version):
        with pytest.raises(gexc.FailedPrecondition):
            call(name=f"{SECRET}/versions/1")
    # Aliases are for reads only.
    with pytest.raises(gexc.InvalidArgument):
        client.destroy_secret_version(name=f"{SECRET}/versions/latest")


def test_list_newest_first_paged_and_filtered(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    fake.create_secret(SECRET)
    for i in range(5):
        add(client, f"v{i}".encode())
    client.disable_secret_version(name=f"{SECRET}/versions/3")
    names = [v.name.rsplit("/", 1)[1] for v in client.list_secret_versions(parent=SECRET)]
    assert names == ["5", "4", "3", "2", "1"]
    paged = client.list_secret_versions(request={"parent": SECRET, "page_size": 2})
    assert [v.name.rsplit("/", 1)[1] for v in paged] == ["5", "4", "3", "2", "1"]  # the pager follows tokens
    enabled = client.list_secret_versions(request={"parent": SECRET, "filter": "state:ENABLED"})
    assert [v.name.rsplit("/", 1)[1] for v in enabled] == ["5", "4", "2", "1"]
    assert [s.name for s in client.list_secrets(parent="projects/test-project")] == [SECRET]


def test_checksum_verified_on_add(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    fake.create_secret(SECRET)
    with pytest.raises(gexc.InvalidArgument, match="data corrupted"):
        add(client, b"payload", data_crc32c=crc32c(b"other"))
    ok = add(client, b"payload", data_crc32c=crc32c(b"payload"))
    assert ok.client_specified_payload_checksum
    assert not add(client, b"payload").client_specified_payload_checksum
    assert [v.client_checksum for v in fake.versions(SECRET)] == [True, False]


def test_not_found_names_the_resource(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    missing = "projects/test-project/secrets/missing"
    with pytest.raises(gexc.NotFound, match=rf"Secret \[{missing}\] not found"):
        client.access_secret_version(name=f"{missing}/versions/latest", retry=None)
    with pytest.raises(gexc.NotFound, match=missing):
        add(client, b"x", parent=missing)
    with pytest.raises(gexc.NotFound, match=missing):
        client.get_secret(name=missing)
    with pytest.raises(gexc.NotFound, match=missing):
        list(client.list_secret_versions(parent=missing))
    fake.create_secret(SECRET)
    with pytest.raises(gexc.NotFound, match=rf"{SECRET}\] not found or has no versions"):
        client.access_secret_version(name=f"{SECRET}/versions/latest", retry=None)
    add(client, b"x")
    with pytest.raises(gexc.NotFound, match=rf"{SECRET}/versions/7\] not found"):
        client.access_secret_version(name=f"{SECRET}/versions/7", retry=None)


def test_create_duplicate_and_without_replication(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    client.create_secret(parent="projects/test-project", secret_id="api-key", secret=AUTOMATIC)
    with pytest.raises(gexc.AlreadyExists, match=SECRET):
        client.create_secret(parent="projects/test-project", secret_id="api-key", secret=AUTOMATIC)
    with pytest.raises(gexc.InvalidArgument, match="replication"):
        client.create_secret(parent="projects/test-project", secret_id="other", secret={})


@pytest.mark.parametrize(
    "name",
    [
        "api-key",
        "projects/test-project/secrets/api-key/versions/0",
        "projects/test-project/secrets/api-key/versions/one",
        "projects/Test_Project/secrets/api-key/versions/1",
        "projects/test-project/secrets/api.key/versions/1",
        "projects/test-project/secrets//versions/1",
    ],
)
def test_bad_names_are_invalid_argument(name: str, fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    with pytest.raises(gexc.InvalidArgument, match="expected format"):
        client.access_secret_version(name=name, retry=None)


def test_bad_create_arguments(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    with pytest.raises(gexc.InvalidArgument):
        client.create_secret(parent="projects/test-project", secret_id="bad.id", secret=AUTOMATIC)
    with pytest.raises(gexc.InvalidArgument):
        client.create_secret(parent="organizations/1", secret_id="ok", secret=AUTOMATIC)
    fake.create_secret(SECRET)
    with pytest.raises(gexc.InvalidArgument, match="empty"):
        add(client, b"")
    with pytest.raises(gexc.InvalidArgument, match="65536"):
        add(client, b"x" * (64 * 1024 + 1))
    add(client, b"x" * (64 * 1024))


def test_fail_next_permission_denied_like_google(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    fake.create_secret(SECRET)
    fake.fail_next(method="AddSecretVersion", code=grpc.StatusCode.PERMISSION_DENIED, count=2)
    for _ in range(2):
        with pytest.raises(gexc.PermissionDenied) as info:
            add(client, b"x")
        assert info.value.message == (
            f"Permission 'secretmanager.versions.add' denied on resource '{SECRET}' (or it may not exist)."
        )
    add(client, b"x")  # the switch is used up
    fake.fail_next("*", "UNAVAILABLE", message="try later")
    with pytest.raises(gexc.ServiceUnavailable, match="try later"):
        client.get_secret(name=SECRET)
    fake.fail_next("AccessSecretVersion", "PERMISSION_DENIED")
    with pytest.raises(gexc.PermissionDenied, match="'secretmanager.versions.access' denied"):
        client.access_secret_version(name=f"{SECRET}/versions/1", retry=None)
    assert len(fake.versions(SECRET)) == 1  # failed calls changed nothing
    with pytest.raises(ValueError):
        fake.fail_next("NoSuchMethod", "INTERNAL")


def test_allowed_projects_and_project_numbers() -> None:
    with SecretManagerFake(projects=["allowed-proj"], project_numbers={"allowed-proj": "4242"}) as fake:
        client = make_client(fake.address)
        made = client.create_secret(parent="projects/allowed-proj", secret_id="s", secret=AUTOMATIC)
        assert made.name == "projects/4242/secrets/s"  # Google answers with the project number
        assert add(client, b"x", parent="projects/allowed-proj/secrets/s").name == "projects/4242/secrets/s/versions/1"
        assert client.access_secret_version(name="projects/4242/secrets/s/versions/1").payload.data == b"x"
        with pytest.raises(gexc.PermissionDenied, match="secretmanager.secrets.create"):
            client.create_secret(parent="projects/other-proj", secret_id="s", secret=AUTOMATIC)
        client.transport.close()


def test_concurrent_adds_get_distinct_numbers(fake: SecretManagerFake, client: smv.SecretManagerServiceClient) -> None:
    fake.create_secret(SECRET)
    names: list[str] = []

    def worker(i: int) -> None:
        names.append(add(client, f"p{i}".encode()).name)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(int(n.rsplit("/", 1)[1]) for n in names) == list(range(1, 17))


def test_state_file_persists_atomically(tmp_path: Path) -> None:
    state = tmp_path / "sm.json"
    with SecretManagerFake(state_file=state) as fake:
        fake.create_secret(SECRET)
        fake.add_version(SECRET, "kept")
        fake.add_version(SECRET, "destroyed")
        fake.set_state(f"{SECRET}/versions/2", "DESTROYED")
    json.loads(state.read_text())  # a whole JSON document
    assert [p.name for p in tmp_path.iterdir()] == ["sm.json"]  # no temporary left behind
    with SecretManagerFake(state_file=state) as again:
        assert [(v.state, v.payload) for v in again.versions(SECRET)] == [("ENABLED", b"kept"), ("DESTROYED", None)]
        client = make_client(again.address)
        assert client.access_secret_version(name=f"{SECRET}/versions/1").payload.data == b"kept"
        client.transport.close()


def test_parse_fail_spec() -> None:
    assert parse_fail_spec("AddSecretVersion:PERMISSION_DENIED") == ("AddSecretVersion", grpc.StatusCode.PERMISSION_DENIED, 1)
    assert parse_fail_spec("*:unavailable:3") == (None, grpc.StatusCode.UNAVAILABLE, 3)
    for bad in ("AddSecretVersion", "Nope:INTERNAL", "AddSecretVersion:NOPE"):
        with pytest.raises(ValueError):
            parse_fail_spec(bad)


# ----- command line -------------------------------------------------------------------------


def start_cli(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "provider.emulator.secretmanager", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on 127.0.0.1:"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line.split()[-1]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_until_signal(sig: signal.Signals) -> None:
    proc, address = start_cli()
    try:
        client = make_client(address)
        client.create_secret(parent="projects/test-project", secret_id="cli", secret=AUTOMATIC)
        add(client, b"from-cli", parent="projects/test-project/secrets/cli")
        got = client.access_secret_version(name="projects/test-project/secrets/cli/versions/latest")
        assert got.payload.data == b"from-cli"
        client.transport.close()
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert out == ""  # exactly one line was printed, the one already read


def test_cli_failure_switch_and_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc, address = start_cli(
        "--fail", "CreateSecret:PERMISSION_DENIED", "--state", str(state),
        env={"SECRETMANAGER_FAKE_FAIL": "GetSecret:NOT_FOUND:2"},
    )
    try:
        client = make_client(address)
        with pytest.raises(gexc.PermissionDenied, match="'secretmanager.secrets.create' denied on resource 'projects/test-project'"):
            client.create_secret(parent="projects/test-project", secret_id="s", secret=AUTOMATIC)
        client.create_secret(parent="projects/test-project", secret_id="s", secret=AUTOMATIC)
        for _ in range(2):
            with pytest.raises(gexc.NotFound):
                client.get_secret(name="projects/test-project/secrets/s")
        assert client.get_secret(name="projects/test-project/secrets/s").name == "projects/test-project/secrets/s"
        client.transport.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err
    assert [s["name"] for s in json.loads(state.read_text())["secrets"]] == ["projects/test-project/secrets/s"]


def test_cli_rejects_bad_fail_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "provider.emulator.secretmanager", "--fail", "Bogus"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "bad failure spec" in result.stderr
