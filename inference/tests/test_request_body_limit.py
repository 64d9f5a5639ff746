"""Request bodies are bounded: a worker never reads more than the configured limit."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

from inference.config import Settings
from tests.conftest import HOST, ServeFactory, World, headers, running_server


def _answer(connection: socket.socket) -> tuple[int, dict[str, object]]:
    connection.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_a_declared_content_length_above_the_limit_is_413_before_the_body_is_read(
    make_settings: Callable[..., Settings], world: World
) -> None:
    with running_server(make_settings()) as port, socket.create_connection((HOST, port)) as conn:
        # 80 MiB announced, none of it sent: the answer cannot wait for the body.
        conn.sendall(
            f"POST /predict/{world.knn_model_id}/batch HTTP/1.1\r\nHost: {HOST}\r\n"
            f"X-API-Key: {world.predict_key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {80 * 1024 * 1024}\r\n\r\n".encode()
        )
        status, body = _answer(conn)

    assert status == 413
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "payload_too_large"
    assert "1048576 bytes" in error["message"]


def test_a_streamed_body_is_refused_once_it_passes_the_limit(
    make_settings: Callable[..., Settings], world: World
) -> None:
    chunk = b" " * 65536
    with (
        running_server(make_settings(max_body_bytes=256 * 1024)) as port,
        socket.create_connection((HOST, port)) as conn,
    ):
        conn.sendall(
            f"POST /predict/{world.knn_model_id}/batch HTTP/1.1\r\nHost: {HOST}\r\n"
            f"X-API-Key: {world.predict_key}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        # Chunks keep coming (up to 8 MiB) until the server answers.
        conn.settimeout(0.05)
        answered = False
        for _ in range(128):
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                answered = True
                break
            try:
                if conn.recv(1, socket.MSG_PEEK):
                    answered = True
                    break
            except TimeoutError:
                continue
        assert answered
        status, body = _answer(conn)

    assert status == 413
    error = body["error"]
    assert isinstance(error, dict)
    assert "262144 bytes" in error["message"]


def test_bodies_within_the_limit_are_served(serve: ServeFactory, world: World) -> None:
    with serve(max_body_bytes=4096) as client:
        small = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1"},
            headers=headers(world.predict_key),
        )
        large = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1", "exclude_items": ["x" * 100] * 50},
            headers=headers(world.predict_key),
        )

    assert small.status_code == 200
    assert large.status_code == 413
