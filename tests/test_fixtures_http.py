"""The loopback servers other tests rely on behave as their docstrings say."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures_http import CallbackReceiver, FileServer


def test_receiver_records_and_fails_on_demand(callback_receiver: CallbackReceiver) -> None:
    callback_receiver.fail_next(2, status=503)
    with httpx.Client() as client:
        statuses = [
            client.post(callback_receiver.url("/cb/t1?x=1"), json={"task_id": "t1"}).status_code
            for _ in range(3)
        ]
        client.put(callback_receiver.url("/cb/t2"), content=b"raw")
    assert statuses == [503, 503, 200]
    received = callback_receiver.wait_for(4, timeout=2)
    assert [r.status for r in received] == [503, 503, 200, 200]
    first = received[0]
    assert (first.method, first.path, first.query) == ("POST", "/cb/t1", {"x": ["1"]})
    assert first.json == {"task_id": "t1"}
    assert first.headers["content-type"] == "application/json"
    assert (received[3].method, received[3].body) == ("PUT", b"raw")


def test_receiver_always_fail_and_reset(callback_receiver: CallbackReceiver) -> None:
    callback_receiver.always_fail(500)
    with httpx.Client() as client:
        assert client.post(callback_receiver.url("/a"), json={}).status_code == 500
        assert client.post(callback_receiver.url("/a"), json={}).status_code == 500
        callback_receiver.reset()
        assert callback_receiver.requests == []
        assert client.post(callback_receiver.url("/a"), json={}).status_code == 200


@pytest.mark.timeout(30)  # a hang guard: wait_for must give up, however long it takes
def test_receiver_wait_for_times_out(callback_receiver: CallbackReceiver) -> None:
    with pytest.raises(AssertionError, match="expected 1"):
        callback_receiver.wait_for(1, timeout=0.2)


def test_slow_receiver(callback_receiver: CallbackReceiver) -> None:
    callback_receiver.respond_after(5)
    with httpx.Client() as client, pytest.raises(httpx.ReadTimeout):
        client.post(callback_receiver.url("/slow"), json={}, timeout=0.3)
    assert len(callback_receiver.wait_for(1)) == 1


def test_file_server_ranges(file_server: FileServer) -> None:
    url = file_server.add_file("dir/a.bin", bytes(range(100)))
    with httpx.Client() as client:
        assert client.get(url, headers={"Range": "bytes=10-19"}).content == bytes(range(10, 20))
        suffix = client.get(url, headers={"Range": "bytes=-5"})
        assert (suffix.status_code, suffix.headers["content-range"]) == (206, "bytes 95-99/100")
        tail = client.get(url, headers={"Range": "bytes=90-"})
        assert tail.content == bytes(range(90, 100))
        unsatisfiable = client.get(url, headers={"Range": "bytes=100-"})
        assert (unsatisfiable.status_code, unsatisfiable.headers["content-range"]) == (
            416,
            "bytes */100",
        )
        assert client.get(url, headers={"Range": "bytes=0-1,5-6"}).status_code == 200
        stale = client.get(url, headers={"Range": "bytes=0-1", "If-Range": '"old"'})
        assert stale.status_code == 200
        assert client.get(file_server.url("/../etc/passwd")).status_code == 404
    assert file_server.requests_for("/dir/a.bin") == 6
    file_server.wait_finished()
    assert file_server.bytes_sent_for("/dir/a.bin") == 10 + 5 + 10 + 100 + 100
