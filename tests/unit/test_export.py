"""`vega train export`: a Modelfile for Ollama, or a merged model folder.

That the merged folder answers like base + adapter is checked where both are served
(tests/integration/test_transformers_backend.py); here, what is written and refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.fakes.tiny_adapter import make_adapter
from vega.cli.train_export import export
from vega.errors import BadInput
from vega.llm.local_models import library_missing
from vega.training.export import adapter_base, export_ollama, merge

pytestmark = pytest.mark.skipif(
    library_missing("transformers") is not None, reason=f"{library_missing('transformers')}"
)


@pytest.fixture(scope="module")
def adapter(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_adapter(tiny_model, tmp_path_factory.mktemp("adapter"))


def directives(modelfile: Path) -> dict[str, str]:
    lines = modelfile.read_text(encoding="utf-8").splitlines()
    return dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))


def test_modelfile_names_the_base_and_the_adapter(
    adapter: Path, tiny_model: Path, tmp_path: Path
) -> None:
    path = export_ollama(adapter, tiny_model, tmp_path / "out")
    assert path == tmp_path / "out" / "Modelfile"
    found = directives(path)
    assert found["FROM"] == str(tiny_model.resolve())
    assert found["ADAPTER"] == str(adapter.resolve())
    assert "TEMPLATE" not in found  # the tiny tokenizer has a chat template: Ollama imports it
    assert "ollama create" in path.read_text(encoding="utf-8")


def test_the_base_defaults_to_the_one_peft_recorded(adapter: Path, tmp_path: Path) -> None:
    recorded = adapter_base(adapter)
    assert recorded is not None
    found = directives(export_ollama(adapter, None, tmp_path))
    assert found["FROM"] == str(Path(recorded).resolve())


def test_an_ollama_model_name_is_a_base_too(adapter: Path, tmp_path: Path) -> None:
    assert directives(export_ollama(adapter, "llama3.2", tmp_path))["FROM"] == "llama3.2"
    with pytest.raises(BadInput, match="no such file"):
        export_ollama(adapter, "./missing/base", tmp_path)


def test_a_base_without_chat_template_gets_the_plain_template(
    adapter: Path, tmp_path: Path
) -> None:
    base = tmp_path / "plain-base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    (base / "tokenizer_config.json").write_text(json.dumps({"eos_token": "</s>"}))
    text = export_ollama(adapter, base, tmp_path / "out").read_text(encoding="utf-8")
    assert 'TEMPLATE """### Prompt:\n{{ .Prompt }}\n\n### Response:\n"""' in text


def test_an_incomplete_adapter_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"adapter_config\.json"):
        export_ollama(tiny_model, tiny_model, tmp_path)
    half = tmp_path / "half"
    half.mkdir()
    (half / "adapter_config.json").write_text("{}")
    with pytest.raises(BadInput, match=r"adapter_model\.safetensors"):
        export_ollama(half, tiny_model, tmp_path)


def test_merge_writes_safetensors_and_never_overwrites(
    adapter: Path, tiny_model: Path, tmp_path: Path
) -> None:
    out = merge(None, adapter, tmp_path / "merged")  # the base PEFT recorded
    assert (out / "config.json").is_file() and list(out.glob("*.safetensors"))
    assert not list(out.glob("*.bin")) and not (out / "adapter_config.json").exists()
    assert (out / "tokenizer.json").is_file()
    with pytest.raises(BadInput, match="not empty"):
        merge(tiny_model, adapter, out)


def test_the_command_wants_one_kind_of_export(adapter: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(export)
    runner = CliRunner()
    for flags in ([], ["--ollama", "--merge"]):
        result = runner.invoke(app, [str(adapter), *flags])
        assert isinstance(result.exception, BadInput), result.output
    result = runner.invoke(app, [str(adapter), "--ollama", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert f"ollama create NAME -f {tmp_path / 'o' / 'Modelfile'}" in result.stdout
