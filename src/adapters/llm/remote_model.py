"""What every SDK-backed chat model has in common: its provider name and model, and that it spends tokens."""

from __future__ import annotations


class RemoteChatModel:
    def __init__(self, *, name: str, model: str) -> None:
        self._name = name
        self._model = model

    @property
    def provider(self) -> str:
        return self._name

    @property
    def metered(self) -> bool:
        return True

    @property
    def model(self) -> str:
        return self._model
