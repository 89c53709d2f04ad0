"""Extension points: one registry per kind, filled through the ``vega.plugins`` entry points.

A plugin package declares ``[project.entry-points."vega.plugins"] name = "pkg:register"``
where ``register(plugins: Plugins) -> None`` adds its factories. Vega's built-ins
come in through the same door (``vega.llm.builtin:register`` for backends,
``vega.rag.builtin:register`` for embedders and document readers,
``vega.dataset.builtin:register`` for dataset loaders).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Generic, TypeVar

from vega.errors import ConfigError

if TYPE_CHECKING:
    from vega.dataset.loaders import Loader
    from vega.llm.base import Backend
    from vega.rag.embed import Embedder
    from vega.rag.readers.base import Extractor
    from vega.settings import Settings

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


BackendFactory = Callable[["Settings"], "Backend"]
EmbedderFactory = Callable[["Settings"], "Embedder"]


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
