"""DatasetService: what `vega dataset build` calls: find the sources, read the logged
turns asked for, and build, off the event loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread

from vega.dataset.build import BuildOptions, Report, build_dataset
from vega.dataset.loaders import Loader
from vega.dataset.sources import file_sources, turns_source
from vega.dataset.turns import TurnFilter, TurnLog
from vega.errors import BadInput
from vega.plugins import Registry
from vega.security.keys import Principal


@dataclass(frozen=True, slots=True)
class BuildRequest:
    paths: tuple[Path, ...] = ()
    options: BuildOptions = field(default_factory=BuildOptions)
    logs: TurnFilter | None = None  # None: no logged turns


class DatasetService:
    """Builds datasets from files (``loaders``) and, given a ``TurnLog``, logged turns."""

    def __init__(self, *, loaders: Registry[Loader], turns: TurnLog | None = None) -> None:
        self._loaders = loaders
        self._turns = turns

    async def build(self, request: BuildRequest, principal: Principal | None = None) -> Report:
        """Everything is checked (options, paths, kinds of file) before anything is read."""
        if not request.paths and request.logs is None:
            raise BadInput(
                "Nothing to read: name files or folders, or use logged turns (--from-logs)."
            )
        targets = request.options.targets()
        sources = file_sources(request.paths, self._loaders, exclude=list(targets.values()))
        if request.logs is not None:
            if self._turns is None or principal is None:
                raise TypeError("logged turns need a TurnLog and the principal whose they are")
            turns = await self._turns.find(principal, request.logs)
            sources.append(turns_source(turns))
        return await anyio.to_thread.run_sync(build_dataset, sources, request.options)
