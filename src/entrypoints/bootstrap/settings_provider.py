"""The settings as a dishka provider: on its own so a container may have them without the database stack."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from entrypoints.bootstrap.settings import Settings


class SettingsProvider(Provider):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings

    @provide(scope=Scope.APP)
    def settings(self) -> Settings:
        return self._settings
