"""A message POSTed on a connection the server had already closed is sent again, once; one the server may
have received (a timeout) never is, so nothing is posted twice."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from msrest.universal_http.requests import ClientRetryPolicy
from requests.adapters import HTTPAdapter

from bot.connector_cost import make_retry_policy_cheap

ANSWER = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\":\"1\"}\n"


@contextmanager
def server(behaviours: list[str]) -> Iterator[tuple[str, list[bytes]]]:
    """Answers one connection per behaviour: 'close' reads the request and hangs up without a byte,
    'answer' answers 201, 'silent' reads and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received: list[bytes] = []
    held: list[socket.socket] = []

    def serve() -> None:
        for behaviour in behaviours:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            received.append(connection.recv(65536))
            if behaviour == "answer":
                connection.sendall(ANSWER)
            if behaviour == "silent":
                held.append(connection)
            else:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v3/conversations/c/activities", received
    finally:
        listener.close()
        for connection in held:
            connection.close()


def session() -> requests.Session:
    make_retry_policy_cheap()
    retry = ClientRetryPolicy()()
    retry.backoff_factor = 0  # no sleeping in a unit test
    built = requests.Session()
    built.mount("http://", HTTPAdapter(max_retries=retry))
    return built


def test_a_post_the_server_hung_up_on_unanswered_is_sent_again() -> None:
    with server(["close", "answer"]) as (url, received):
        response = session().post(url, json={"type": "message", "text": "hello"}, timeout=5)
    assert response.status_code == 201
    assert len(received) == 2 and all(b"POST /v3/conversations/c/activities" in r for r in received)


def test_a_post_that_timed_out_is_not_sent_again() -> None:
    with server(["silent", "answer"]) as (url, received), pytest.raises(requests.exceptions.ReadTimeout):
        session().post(url, json={"type": "message", "text": "hello"}, timeout=0.5)
    assert len(received) == 1
