"""Operation descriptions come from the handler's docstring, else from the use case it injects."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka
from litestar import get

from application.knowledge.collections import CollectionGate
from entrypoints.http.openapi_contract import describe, security_for


def test_the_use_case_docstring_opens_the_description_once() -> None:
    @get("/probe", description="**Access:** public.", sync_to_thread=False)
    def probe(gate: FromDishka[CollectionGate]) -> None:
        return None

    describe(probe)
    describe(probe)  # handlers are shared by every app built in a process
    assert probe.description == "Loads a collection together with the caller's standing in it.\n\n**Access:** public."


def test_the_handler_docstring_wins_over_the_use_case() -> None:
    @get("/probe", sync_to_thread=False)
    def probe(gate: FromDishka[CollectionGate]) -> None:
        """What the HTTP operation adds."""

    describe(probe)
    assert probe.description == "What the HTTP operation adds."


def test_a_handler_without_docstrings_keeps_its_description() -> None:
    @get("/probe", sync_to_thread=False)
    def probe(limit: int) -> None:
        return None

    describe(probe)
    assert probe.description is None


def test_session_only_operations_refuse_the_api_key_scheme() -> None:
    assert security_for(interactive=True) == [{"accessToken": []}]
    assert security_for(interactive=False) == [{"accessToken": []}, {"apiKey": []}]
