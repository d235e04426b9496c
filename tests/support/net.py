"""Ports and waiting, for tests that run real servers in threads or processes."""

from __future__ import annotations

import socket
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Callable, TypeVar

T = TypeVar("T")

# How often a test HTTP server looks for shutdown (the library's 0.5 s slows every teardown).
POLL_SECONDS = 0.01


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], T], timeout: float = 10.0, every: float = 0.02) -> T:
    """Poll `condition` until it holds or the deadline passes; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    return condition()


def serve_http(handler: type, port: int = 0) -> ThreadingHTTPServer:
    """A real HTTP server on 127.0.0.1 (a free port unless one is given), answering from
    daemon threads; `stop_http` ends it at once."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
    ).start()
    return server


def stop_http(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def at_once(call: Callable[[int], T], times: int) -> list[T]:
    """`call(n)` for n in range(times), in threads released together (as racing
    instances or double clicks arrive); the results, in that order."""
    start, results = threading.Barrier(times), [None] * times

    def one(n: int) -> None:
        start.wait(timeout=30)
        results[n] = call(n)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
