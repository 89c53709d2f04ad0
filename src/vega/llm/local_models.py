"""Model files on this machine: what `vega models add` checks and records, and how
the in-process backends find them again (the ``models`` table).

A registered model is a name for a path: a Hugging Face folder (``transformers``,
optionally with a PEFT LoRA adapter folder on top) or a ``.gguf`` file
(``llamacpp``). Base models are not copied (each host has its own files, as it has its
Ollama models); paths are stored absolute. An adapter is small and is what training
produces: with VEGA_STORAGE=s3 its two files are put in the bucket
(``adapters/<id>/``) when it is registered, and any host that serves the model fetches
them once into ``<data dir>/cache/adapters/<id>/``. Everything here reads only file
names, JSON and a few magic bytes: no model library is imported.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import shutil
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session

from vega.blobs import BlobStore
from vega.errors import BackendUnavailable, BadInput, Conflict, NotFound
from vega.llm.base import ModelInfo
from vega.llm.model_names import LATEST, RAG_PREFIX
from vega.private import private_dir
from vega.store import models as repo
from vega.store.db import Database
from vega.store.tables import RegisteredModel, new_id

log = logging.getLogger(__name__)

TRANSFORMERS = "transformers"
LLAMACPP = "llamacpp"
KINDS = (TRANSFORMERS, LLAMACPP)
# What each in-process backend imports when it loads a model, and the extra that installs it.
LIBRARIES = {TRANSFORMERS: ("torch", "transformers", "peft"), LLAMACPP: ("llama_cpp", "gguf")}
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
GGUF_MAGIC = b"GGUF"
# (backend, model path, adapter path or blob folder): the weights an entry stands for
Files = tuple[str, str, str | None]
BLOB = "blob:"  # an adapter kept in the blob store: "blob:adapters/<id>/"
# Ollama-style names: they travel in /v1/models and /api/tags and come back as `model`.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A model an in-process backend can load: registered, or VEGA_MODEL given as a path."""

    name: str
    backend: str
    path: Path
    adapter: Path | None = None
    details: dict[str, Any] = field(default_factory=dict)
    created: datetime | None = None
    adapter_blob: str | None = None  # the adapter's folder in the blob store, if it is there

    @property
    def files(self) -> Files:
        """What identifies the weights: two entries with the same files are the same model."""
        adapter = self.adapter_blob or (str(self.adapter) if self.adapter else None)
        return (self.backend, str(self.path), adapter)

    def info(self) -> ModelInfo:
        # Paths stay out of the model lists: API clients need names, not the server's disk layout.
        details = {k: v for k, v in self.details.items() if k in ("format", "family", "size")}
        if self.adapter is not None or self.adapter_blob is not None:
            details["adapter"] = True
        if self.created is not None:
            details["created"] = self.created
        return ModelInfo(name=self.name, backend=self.backend, details=details)

    def plain(self) -> dict[str, Any]:
        """Every field as JSON-ready values, for `vega models list --json`."""
        return {
            "name": self.name,
            "backend": self.backend,
            "path": str(self.path),
            "adapter": self.adapter_blob or (str(self.adapter) if self.adapter else None),
            "created": self.created.isoformat() if self.created else None,
            "details": self.details,
        }


def library_missing(kind: str) -> str | None:
    """Why ``kind`` cannot load models in this environment, or None when it can.

    Looks for the packages without importing them (importing torch takes seconds).
    """
    missing = [name for name in LIBRARIES.get(kind, ()) if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return f"the {kind} backend needs {', '.join(missing)}: pip install 'vega[{kind}]'" + (
        " (builds llama.cpp from source, a few minutes)" if kind == LLAMACPP else ""
    )


def infer_backend(path: Path) -> str:
    if path.is_file() and path.suffix.lower() == ".gguf":
        return LLAMACPP
    if path.is_dir():
        return TRANSFORMERS
    raise BadInput(
        f"{path}: not a model folder (Hugging Face format) or a .gguf file; "
        "pass --backend if Vega guessed wrong"
    )


def recheck(model: LocalModel, *, backend: str) -> None:
    """Check a model's files again just before loading them: registered files may have
    moved or changed since. ``BackendUnavailable`` (the server is fine, the model is not)."""
    try:
        inspect_model(model.path, adapter=model.adapter, backend=backend)
    except BadInput as exc:
        # The reason names the server's files (and quotes parsers): for the log, not clients.
        log.warning("cannot load %s: %s", model.name, exc.message)
        raise BackendUnavailable(
            f"Cannot load '{model.name}': its files are missing or changed since it was "
            "registered; the server log says which (`vega models add` checks them).",
            backend=backend,
        ) from None


def inspect_model(
    path: Path, *, adapter: Path | None, backend: str | None
) -> tuple[str, dict[str, Any]]:
    """Check the files of a model (and adapter); return its backend and details.

    Raises ``BadInput`` naming the first problem. Used at registration and again
    before loading, since files can move after they were registered.
    """
    if not path.exists():
        raise BadInput(f"{path}: no such file or folder")
    kind = backend or infer_backend(path)
    if kind not in KINDS:
        raise BadInput(
            f"Unknown backend '{kind}' for a local model. Available: {', '.join(KINDS)}."
        )
    if kind == LLAMACPP:
        if adapter is not None:
            raise BadInput(
                "llamacpp models take no --adapter: merge it into the base "
                "(`vega train export --merge`) and convert the result to GGUF"
            )
        return kind, _gguf_details(path)
    details = _transformers_details(path)
    if adapter is not None:
        details["size"] += check_adapter(adapter)
    return kind, details


def _gguf_details(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise BadInput(f"{path}: the llamacpp backend loads a .gguf file, not a folder")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise BadInput(f"{path}: not a GGUF file")
    return {"format": "gguf", "size": path.stat().st_size}


def _transformers_details(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise BadInput(f"{folder}: the transformers backend loads a model folder, not a file")
    config = _read_json(folder / "config.json", what="model folder (Hugging Face format)")
    weights = sorted(folder.glob("*.safetensors"))
    if not weights:
        # Pickled .bin weights can run code when they are loaded: Vega loads safetensors only.
        raise BadInput(
            f"{folder} has no .safetensors weights (pickled .bin weights are not loaded)"
        )
    if not any((folder / n).is_file() for n in ("tokenizer.json", "tokenizer_config.json")):
        raise BadInput(f"{folder} has no tokenizer (tokenizer.json)")
    return {
        "format": "safetensors",
        "family": str(config.get("model_type") or "unknown"),
        "size": sum(p.stat().st_size for p in weights),
    }


def configured_context(model: LocalModel) -> int | None:
    """The context length a model's files declare, before it is loaded: a Hugging Face
    folder's ``max_position_embeddings``; None for a GGUF file (its header is read by the
    engine, with the engine's library, when it loads)."""
    if model.backend != TRANSFORMERS:
        return None
    try:
        config = _read_json(model.path / "config.json", what="model folder")
    except BadInput:
        return None
    length = config.get("max_position_embeddings")
    return (
        length if isinstance(length, int) and not isinstance(length, bool) and length > 0 else None
    )


def check_adapter(folder: Path) -> int:
    """The adapter's size in bytes, once its files are checked (``BadInput`` if they are not right)."""
    if not folder.is_dir():
        raise BadInput(f"adapter {folder}: no such folder")
    config = _read_json(folder / ADAPTER_FILES[0], what="LoRA adapter folder")
    weights = folder / ADAPTER_FILES[1]
    if not weights.is_file():
        raise BadInput(
            f"{folder} has no {ADAPTER_FILES[1]} (pickled adapter_model.bin is not loaded)"
        )
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise BadInput(f"{folder}: a {config.get('peft_type')} adapter; Vega serves LoRA adapters")
    return weights.stat().st_size


def _read_json(path: Path, *, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise BadInput(f"{path.parent} has no {path.name}: not a {what}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a JSON object")
    return data


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise BadInput(
            f"Model name '{name}': use letters, digits and . _ - : / (at most 100, starting "
            "with a letter or digit)"
        )
    if name.startswith(RAG_PREFIX):
        raise BadInput(f"Model names starting with '{RAG_PREFIX}' are the collections'")
    return name


def _checked(
    path: Path, adapter: Path | None, backend: str | None
) -> tuple[Path, Path | None, str, dict[str, Any]]:
    """Absolute paths, the backend, and the details of a model about to be registered."""
    path = path.expanduser().resolve()
    adapter = adapter.expanduser().resolve() if adapter is not None else None
    kind, details = inspect_model(path, adapter=adapter, backend=backend)
    return path, adapter, kind, details


def _model(row: RegisteredModel) -> LocalModel:
    blob = row.adapter.removeprefix(BLOB) if row.adapter and row.adapter.startswith(BLOB) else None
    return LocalModel(
        name=row.name,
        backend=row.backend,
        path=Path(row.path),
        adapter=Path(row.adapter) if row.adapter and blob is None else None,
        details=dict(row.details or {}),
        created=row.created,
        adapter_blob=blob,
    )


class RegisteredModels:
    """The registered models: add, list, remove, look up. The CLI and the backends share
    the runtime's one (``vega.plugins.BuildContext``)."""

    def __init__(
        self,
        db: Database,
        *,
        owns_db: bool = False,
        blobs: BlobStore | None = None,
        cache: Path | None = None,
    ) -> None:
        self._db = db
        self._owns_db = owns_db  # a database opened for it alone (tests, scripts): closed with it
        # Adapters go to the blob store when it is shared (s3); local ones stay where they are.
        self._blobs = blobs if blobs is not None and blobs.name != "local" else None
        self._cache = cache

    async def add(
        self, name: str, path: Path, *, adapter: Path | None = None, backend: str | None = None
    ) -> LocalModel:
        check_name(name)
        # Reading the files is disk work: off the event loop, as the database's is.
        path, adapter, kind, details = await anyio.to_thread.run_sync(
            _checked, path, adapter, backend
        )
        stored = str(adapter) if adapter else None
        if adapter is not None and self._blobs is not None:
            stored = await anyio.to_thread.run_sync(self._put_adapter, adapter)

        def write(session: Session) -> LocalModel:
            if repo.by_name(session, name=name) is not None:
                raise Conflict(
                    f"A model named '{name}' is registered already: `vega models rm {name}` first"
                )
            row = repo.add(
                session, name=name, backend=kind, path=str(path), adapter=stored, details=details
            )
            session.flush()
            return _model(row)

        try:
            return await self._db.write(write)
        except BaseException:
            await self._forget_adapter(stored)
            raise

    def _put_adapter(self, folder: Path) -> str:
        """The adapter's files into the blob store; its ``blob:`` reference."""
        assert self._blobs is not None
        prefix = f"adapters/{new_id()}/"
        try:
            for name in ADAPTER_FILES:
                self._blobs.put_file(prefix + name, folder / name)
        except BaseException:
            self._blobs.delete_prefix(prefix)
            raise
        return BLOB + prefix

    async def _forget_adapter(self, stored: str | None) -> None:
        if stored and stored.startswith(BLOB) and self._blobs is not None:
            await anyio.to_thread.run_sync(self._blobs.delete_prefix, stored.removeprefix(BLOB))

    def _fetch_adapter(self, prefix: str) -> Path:
        """The adapter's files from the blob store, once per host, into the cache."""
        if self._blobs is None or self._cache is None:
            raise BackendUnavailable(
                f"The adapter is kept in object storage ({prefix}), but VEGA_STORAGE is not s3 "
                "here: set the same VEGA_STORAGE and VEGA_S3_* settings on every host."
            )
        folder = self._cache / "adapters" / prefix.split("/")[1]
        if all((folder / name).is_file() for name in ADAPTER_FILES):
            return folder
        part = private_dir(folder.with_name(f"{folder.name}.part-{new_id()}"))
        try:
            for name in ADAPTER_FILES:
                with (part / name).open("wb") as out:
                    for block in self._blobs.read(prefix + name):
                        out.write(block)
            with suppress(OSError):  # another process of this host fetched it first
                part.rename(folder)  # whole, or not at all
        finally:
            shutil.rmtree(part, ignore_errors=True)
        return folder

    async def list_models(self, *, backend: str | None = None) -> list[LocalModel]:
        rows = await self._db.run(lambda s: repo.list_all(s, backend=backend))
        return [_model(row) for row in rows]

    async def get(self, name: str) -> LocalModel | None:
        """By name; ``name:latest`` finds ``name`` as Ollama clients expect."""
        names = list(dict.fromkeys((name, name.removesuffix(LATEST))))

        def find(session: Session) -> RegisteredModel | None:
            for candidate in names:
                row = repo.by_name(session, name=candidate)
                if row is not None:
                    return row
            return None

        row = await self._db.run(find)
        if row is None:
            return None
        model = _model(row)
        if model.adapter_blob is not None:
            local = await anyio.to_thread.run_sync(self._fetch_adapter, model.adapter_blob)
            model = replace(model, adapter=local)
        return model

    async def remove(self, name: str) -> None:
        def drop(session: Session) -> tuple[bool, str | None]:
            row = repo.by_name(session, name=name)
            adapter = row.adapter if row is not None else None
            return repo.remove(session, name=name), adapter

        removed, adapter = await self._db.write(drop)
        if not removed:
            raise NotFound(f"No model named '{name}' is registered (`vega models list`)")
        await self._forget_adapter(adapter)

    def close(self) -> None:
        if self._owns_db:
            self._db.dispose()
