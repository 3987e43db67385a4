"""What request handlers share: settings, backends and the (optional) local runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from mp4_small_analyser.analysis.judging import ProfileLibrary, builtin_library
from mp4_small_analyser.service.runtime import Runtime
from mp4_small_analyser.settings import Settings
from mp4_small_analyser.stores.backends import Backends


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    backends: Backends
    runtime: Runtime | None = None
    profiles: ProfileLibrary = field(default_factory=builtin_library)
    """The built-ins and the PROFILES_DIR folder."""

    def notify_workers(self) -> None:
        if self.runtime is not None:
            self.runtime.notify()


def get_context(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.context
    return context


Context = Annotated[ServiceContext, Depends(get_context)]
