"""The deploy files, checked offline (issue 16, item 6): the Dockerfile with hadolint,
compose.yaml with docker-compose, the systemd units with systemd-analyze (and their
exposure score), the Kubernetes base and overlay rendered by kubectl and validated
against the Kubernetes schemas, the alert rules with promtool, and every metric the
dashboard and the alerts query is one Vega exports.

hadolint and kubernetes-validate come with the dev extra; docker-compose, promtool,
kubectl and systemd-analyze are Debian's (.ci/run installs the missing ones when
CI=true, where a missing tool fails; elsewhere it skips, saying which package).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from vega.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TOOLS_DEBIAN = {
    "docker-compose": "docker-compose",
    "promtool": "prometheus",
    "kubectl": "kubectl",
    "systemd-analyze": "systemd",
}


def tool(name: str) -> str:
    found = shutil.which(
        name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    if found:
        return found
    package = TOOLS_DEBIAN.get(name, name)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is missing on CI: .ci/run should have installed {package}")
    pytest.skip(f"{name} is not installed (apt-get install {package}; .ci/run does on CI)")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd)


# --- Dockerfile ------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint_and_runs_as_a_non_root_user() -> None:
    result = run(tool("hadolint"), str(DEPLOY / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, flags=re.M)
    assert stages == ["ui", "builder", "runtime"], stages
    runtime = text.split("AS runtime", 1)[1]
    assert "USER 10001:10001" in runtime and "HEALTHCHECK" in runtime and "/livez" in runtime
    # No compiler and no Node in the image that runs: only the builder stages have them.
    assert "apt-get" not in runtime and "npm" not in runtime
    assert "download.pytorch.org/whl/cpu" in text  # never a CUDA torch


# --- compose.yaml -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "services"),
    [
        ("prod", {"api", "worker", "postgres", "redis", "minio", "minio-bucket"}),
        ("dev", {"api-dev", "postgres", "redis", "minio", "minio-bucket"}),
    ],
)
def test_compose_config_is_valid_for_each_profile(
    profile: str, services: set[str], tmp_path: Path
) -> None:
    compose = tool("docker-compose")
    folder = tmp_path / "deploy"
    folder.mkdir()
    shutil.copy(DEPLOY / "compose.yaml", folder)
    shutil.copy(DEPLOY / "vega.env.example", folder / "vega.env")
    result = run(
        compose,
        "--env-file",
        "vega.env",
        "-f",
        "compose.yaml",
        "--profile",
        profile,
        "config",
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    # (docker-compose 1.x lists every service in `config`; each names its profiles.)
    chosen = {name for name, svc in config["services"].items() if profile in svc["profiles"]}
    assert chosen == services
    api = config["services"]["api" if profile == "prod" else "api-dev"]
    assert api["read_only"] is True and api["cap_drop"] == ["ALL"]
    assert api["environment"]["VEGA_REDIS_URL"] == "redis://redis:6379/0"
    assert api["environment"]["VEGA_STORAGE"] == "s3"
    assert api["environment"]["VEGA_S3_ENDPOINT"] == "http://minio:9000"


def test_compose_keeps_no_secret_of_its_own() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert "POSTGRES_PASSWORD:?" in text  # required from the env file, never defaulted
    assert "MINIO_PASSWORD:?" in text
    assert "VEGA_API_KEY" not in text


# --- systemd ----------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["vega.service", "vega-worker.service"])
def test_systemd_units_verify_and_are_hardened(unit: str, tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    # verify checks that ExecStart exists: point it at this checkout's vega.
    text = (DEPLOY / "systemd" / unit).read_text()
    local = tmp_path / unit
    local.write_text(text.replace("/opt/vega/bin/vega", str(Path(sys.executable).parent / "vega")))
    verified = run(analyze, "verify", str(local))
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr
    security = run(analyze, "security", "--offline=true", str(local))
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert score, security.stdout[-2000:] + security.stderr
    assert float(score.group(1)) <= 2.0, security.stdout[-3000:]
    for setting in (
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "ReadWritePaths=/var/lib/vega",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    ):
        assert setting in text, setting


# --- Kubernetes ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["base", "overlays/production"])
def test_kustomize_renders_resources_that_pass_the_kubernetes_schemas(
    target: str, tmp_path: Path
) -> None:
    rendered = run(tool("kubectl"), "kustomize", str(DEPLOY / "k8s" / target))
    assert rendered.returncode == 0, rendered.stderr
    manifest = tmp_path / "all.yaml"
    manifest.write_text(rendered.stdout)
    validated = run(tool("kubernetes-validate"), "--strict", str(manifest))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    kinds = {d["kind"] for d in docs}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
    } <= kinds
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["resources"]["requests"]
        if deployment["metadata"]["name"] == "vega-api":
            (api,) = pod["containers"]
            assert api["livenessProbe"]["httpGet"]["path"] == "/livez"
            assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    if target != "base":
        assert all(
            d["metadata"].get("namespace") == "vega" for d in docs if d["kind"] != "Namespace"
        )


# --- Prometheus and Grafana -----------------------------------------------------------


def exported_metrics() -> set[str]:
    """Every series name Vega can export (a histogram's _bucket/_count/_sum, a counter's
    _total), and the figures read at scrape time."""
    names = {"vega_jobs"}
    for family in Metrics().registry.collect():
        if family.type == "histogram":
            names |= {f"{family.name}_bucket", f"{family.name}_count", f"{family.name}_sum"}
        elif family.type == "counter":
            names.add(f"{family.name}_total")
        else:
            names.add(family.name)
    return names


def metrics_in(expr: str) -> set[str]:
    return set(re.findall(r"\bvega_[a-z0-9_]+", expr))


def test_the_alert_rules_pass_promtool_and_query_real_metrics() -> None:
    result = run(tool("promtool"), "check", "rules", str(DEPLOY / "prometheus" / "alerts.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    assert {"VegaHigh5xxRate", "VegaBreakerOpen", "VegaJobBacklog", "VegaSlowRequests"} <= set(
        alerts
    )
    known = exported_metrics()
    for name, expr in alerts.items():
        used = metrics_in(expr)
        assert used and used <= known, (name, used - known)


def test_every_dashboard_query_names_a_metric_vega_exports() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "vega.json").read_text())
    known = exported_metrics()
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 10
    for expr in exprs:
        used = metrics_in(expr)
        assert used and used <= known, (expr, used - known)
    # And every family Vega exports is on the dashboard somewhere.
    shown = set().union(*(metrics_in(e) for e in exprs))
    families = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in known}
    assert families <= {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in shown}, families - {
        re.sub(r"_(bucket|count|sum|total)$", "", n) for n in shown
    }
