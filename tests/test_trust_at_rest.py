"""No secret at rest in the SQLite files as they are on disk (review finding #11).

The database, its `-wal` and its `-shm` are read byte for byte while the service runs,
with no checkpoint first: a WAL frame holding an old page image is on disk as surely as
the database. The API key and the signing secret must never be there, nor the file URL's
password and signed-URL token once its task is done; the callback URL is kept whole in
the record (deliveries and re-deliveries need it: docs/service.md, What is redacted), so
its token is the one secret expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures_http import CallbackReceiver, FileServer
from tests.fixtures_service import ServiceProcess

API_KEY = "at-rest-api-key-7f3a"
SIGNING_SECRET = "at-rest-signing-secret-91c2"
FILE_SECRETS = ["at-rest-pa55", "at-rest-amz-sig", "at-rest-token"]
CALLBACK_TOKEN = "at-rest-callback-token"


def files_on_disk(db: Path) -> dict[str, bytes]:
    found = {}
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            found[path.name] = path.read_bytes()
    return found


@pytest.fixture
def keyed(tmp_path: Path) -> ServiceProcess:
    env = {"API_KEY": API_KEY, "CALLBACK_SIGNING_SECRET": SIGNING_SECRET, "WORKERS": "1"}
    service = ServiceProcess(tmp_path / "rest.db", tmp_path / "rest.log", env).start()
    yield service  # type: ignore[misc]
    service.stop()


def test_no_secret_is_in_the_database_or_its_wal_as_they_are(
    keyed: ServiceProcess,
    served_files: FileServer,
    service_clip: Path,
    callback_receiver: CallbackReceiver,
) -> None:
    scheme, rest = served_files.publish(service_clip, "at-rest.mp4").split("://", 1)
    file_url = (
        f"{scheme}://reader:{FILE_SECRETS[0]}@{rest}"
        f"?X-Amz-Signature={FILE_SECRETS[1]}&token={FILE_SECRETS[2]}"
    )
    callback = callback_receiver.url(f"/hook?token={CALLBACK_TOKEN}")
    key = {"x-api-key": API_KEY}
    with keyed.client(headers=key) as client:
        answer = client.post(
            "/mp4_small_analyser", json={"files_url": [file_url], "callback_url": callback}
        )
        assert answer.status_code == 202, answer.text
        keyed.wait_for_deliveries(answer.json()["batch_id"])
        assert client.post("/console/login", data={"key": API_KEY}).status_code == 303
    callback_receiver.wait_for(1)
    on_disk = files_on_disk(keyed.db)
    assert f"{keyed.db.name}-wal" in on_disk, "the service runs in WAL mode"
    for name, data in on_disk.items():
        for secret in (API_KEY, SIGNING_SECRET, *FILE_SECRETS):
            assert secret.encode() not in data, f"{secret} in {name}"
    assert any(CALLBACK_TOKEN.encode() in data for data in on_disk.values()), (
        "the callback URL is kept whole, for its deliveries"
    )
