"""A TCP relay between Rasa and a real service, which a test can take down.

The services on this machine are shared and must never be stopped, so an outage is
simulated here: `down()` stops listening (new connections are refused) and cuts every
live connection, as a stopped or restarting server does; `up()` listens again on the
same port.
"""

from __future__ import annotations

import socket
import threading
import time

from tests.support.net import free_port


class Proxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener = None
        self._live: set = set()
        self._guard = threading.Lock()

    def up(self) -> "Proxy":
        if self._listener:
            return self
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener:
            _close(listener)
        with self._guard:
            live, self._live = self._live, set()
        for connection in live:
            _close(connection)

    def restart(self, pause: float = 1.0) -> None:
        self.down()
        time.sleep(pause)
        self.up()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self._choose(), timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._guard:
                if listener is not self._listener:
                    _close(client), _close(server)
                    continue
                self._live.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _choose(self) -> tuple[str, int]:
        return self.target

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for connection in (source, sink):
            _close(connection)
        with self._guard:
            self._live.difference_update((source, sink))


class Balancer(Proxy):
    """A Kubernetes Service as kube-proxy makes it: each new connection goes to the next
    of several targets (the pods), and stays with it while it lasts."""

    def __init__(self, *targets: tuple[str, int]) -> None:
        super().__init__(targets[0])
        self.targets = targets
        self.connections = 0

    def _choose(self) -> tuple[str, int]:
        self.connections += 1
        return self.targets[(self.connections - 1) % len(self.targets)]


def _close(connection: socket.socket) -> None:
    """shutdown() first: it wakes a thread blocked in accept() or recv() at once."""
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
