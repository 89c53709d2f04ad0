"""Extension points: one registry per kind, filled through the ``vega.plugins`` entry points.

A plugin package declares ``[project.entry-points."vega.plugins"] name = "pkg:register"``
where ``register(plugins: Plugins) -> None`` adds its factories. Vega's built-ins
come in through the same door (``vega.llm.builtin:register`` for backends,
``vega.rag.builtin:register`` for embedders and document readers,
``vega.dataset.builtin:register`` for dataset loaders).

A backend or embedder factory is called once, by ``vega.runtime.build``, with a
``BuildContext``: the settings and the runtime's open parts (its database, its table
of registered models, its metrics), so a plugin shares them instead of opening its
own. Factories written for the older signature, which took the settings, keep
working: the context answers the settings' attributes too (with a
``DeprecationWarning``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from vega.errors import ConfigError

if TYPE_CHECKING:
    from vega.dataset.loaders import Loader
    from vega.llm.base import Backend
    from vega.llm.local_models import RegisteredModels
    from vega.metrics import Metrics
    from vega.rag.embed import Embedder
    from vega.rag.readers.base import Extractor
    from vega.settings import Settings
    from vega.store.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
ENTRY_POINT_GROUP = "vega.plugins"


class Registry(Generic[T]):
    """Named factories of one kind; unknown names get an error that lists the choices."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T, *, replace: bool = False) -> None:
        if name in self._items and not replace:
            raise ConfigError(f"{self.kind.capitalize()} '{name}' is registered twice.")
        self._items[name] = item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            choices = ", ".join(sorted(self._items)) or "none registered"
            raise ConfigError(f"Unknown {self.kind} '{name}'. Available: {choices}.") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a backend or embedder factory is given: use these, open nothing of your own."""

    settings: Settings
    db: Database
    models: RegisteredModels  # the local model files the in-process backends serve
    metrics: Metrics

    if not TYPE_CHECKING:  # for plugins only: typed code reads context.settings

        def __getattr__(self, name: str) -> Any:
            """A factory written as ``factory(settings)`` reads settings from the context."""
            if name.startswith("_"):
                raise AttributeError(name)
            warnings.warn(
                f"A plugin factory read `{name}` from its BuildContext: read "
                f"`context.settings.{name}` (factories get a BuildContext, not Settings).",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(self.settings, name)


BackendFactory = Callable[[BuildContext], "Backend"]
EmbedderFactory = Callable[[BuildContext], "Embedder"]


@dataclass
class Plugins:
    backends: Registry[BackendFactory] = field(default_factory=lambda: Registry("backend"))
    embedders: Registry[EmbedderFactory] = field(default_factory=lambda: Registry("embedder"))
    # By kind of file ("pdf", "markdown"); `vega.rag.extract.readers_from` makes a table of them.
    extractors: Registry[Extractor] = field(default_factory=lambda: Registry("extractor"))
    # By file extension, lower case, no dot ("jsonl"): what `vega dataset build` reads.
    loaders: Registry[Loader] = field(default_factory=lambda: Registry("dataset loader"))


def load_plugins() -> Plugins:
    from vega.dataset import builtin as dataset_builtin
    from vega.llm import builtin
    from vega.rag import builtin as rag_builtin

    plugins = Plugins()
    builtin.register(plugins)
    rag_builtin.register(plugins)
    dataset_builtin.register(plugins)
    ours = {f"{module.__name__}:register" for module in (builtin, rag_builtin, dataset_builtin)}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.value in ours:
            continue  # already in: works from a source checkout too
        try:
            ep.load()(plugins)
        except Exception as exc:  # one broken plugin must not stop the server
            log.error("plugin %s failed to load: %s", ep.name, exc)
    return plugins
