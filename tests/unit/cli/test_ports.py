"""The port check `lore dev` and `lore serve` make before starting anything."""

from __future__ import annotations

import socket

from entrypoints.cli.ports import port_problem


def test_a_free_port_has_no_problem() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    assert port_problem("127.0.0.1", port) is None


def test_a_listening_port_is_in_use_even_for_the_wildcard_address() -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        assert port_problem("127.0.0.1", port) == (
            f"port {port} on 127.0.0.1 is already in use; pass --port or stop the other server"
        )


def test_an_address_of_another_machine_cannot_be_listened_on() -> None:
    # 192.0.2.0/24 is reserved for documentation: never a local address
    assert port_problem("192.0.2.1", 8000) == "cannot listen on 192.0.2.1:8000: no usable address"


def test_a_port_out_of_range_is_reported_not_wrapped_around() -> None:
    assert port_problem("127.0.0.1", 70000) == "port 70000 is not a TCP port (0 to 65535)"


def test_a_name_is_checked_on_every_address_it_resolves_to() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    assert port_problem("localhost", port) is None
