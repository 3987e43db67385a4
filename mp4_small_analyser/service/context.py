"""What request handlers share: settings, backends and the (optional) local runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from mp4_small_analyser.service.runtime import Runtime
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.backends import Backends


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    backends: Backends
    runtime: Runtime | None = None

    def notify_workers(self) -> None:
        if self.runtime is not None:
            self.runtime.notify()


def get_context(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.context
    return context


Context = Annotated[ServiceContext, Depends(get_context)]
