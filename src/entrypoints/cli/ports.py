"""Is the HTTP port free? Asked before the stores start, so a taken port fails in one line.

uvicorn only finds out once it binds, after the stores are up and "Lore is up" is printed.
"""

from __future__ import annotations

import errno
import socket


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None if it can.

    Binds the way asyncio's create_server does (uvicorn's path): every address
    ``host`` resolves to, with SO_REUSEADDR, skipping a family the machine lacks.
    """
    if not 0 <= port <= 65535:
        return f"port {port} is not a TCP port (0 to 65535)"
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}"
    bound = 0
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            # uvicorn sets it too: connections of a stopped server in TIME_WAIT do not block the port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL:
                    continue  # e.g. "localhost" resolving to ::1 on a machine without IPv6
                if exc.errno == errno.EADDRINUSE:
                    return f"port {port} on {host} is already in use; pass --port or stop the other server"
                return f"cannot listen on {host}:{port}: {exc.strerror}"
            bound += 1
    return None if bound else f"cannot listen on {host}:{port}: no usable address"
