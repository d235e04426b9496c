"""deploy/monitoring: the Grafana dashboard and the Prometheus alerts ask only for metrics
the code defines (line/core/metrics.py), the alerts behave as their unit tests say
(`promtool test rules`: an emergency waiting 5 minutes in operator hours, the error rate,
a queue backlog), and the scrape configuration matches the manifests."""

import json
import re
import subprocess
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from deploy.k8s import check
from line.core import metrics

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RULES = MONITORING / "prometheus-rules.yml"
RULE_TESTS = Path(__file__).resolve().parent / "prometheus_rules_test.yml"
NAME = re.compile(r"\bline_[a-z_]+")
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def defined() -> set:
    """Every metric name the code can expose."""
    names = {
        value._name for value in vars(metrics).values() if isinstance(value, MetricWrapperBase)
    }
    registry = CollectorRegistry()
    registry.register(metrics.BacklogCollector(lambda: metrics.Backlog({}, {}, 0, 0.0, False)))
    text = generate_latest(registry).decode()
    text += generate_latest(metrics.sweep_registry(metrics.SweepFigures("ok", 1.0))).decode()
    return names | {m.group(1) for m in re.finditer(r"^# TYPE (\w+)", text, re.M)}


def used(expr: str) -> set:
    found = set()
    for name in NAME.findall(expr):
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        found.add(name)
    return found


def rules() -> list:
    return [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]


def dashboard_exprs() -> list:
    board = json.loads((MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8"))
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def test_the_alerts_and_the_dashboard_ask_only_for_metrics_the_code_defines():
    known = defined()
    exprs = [rule["expr"] for rule in rules()] + dashboard_exprs()
    unknown = {name for expr in exprs for name in used(expr)} - known
    assert not unknown, f"not in line/core/metrics.py: {sorted(unknown)}"
    # Each outcome, reason and result the dashboard or alerts name is one the code gives.
    values = {v for v in vars(metrics).values() if isinstance(v, (tuple, frozenset))}
    allowed = {item for group in values for item in group if isinstance(item, str)}
    for expr in exprs:
        for label, value in re.findall(r'(\w+)!?="([^"]+)"', expr):
            if label != "namespace":
                assert value in allowed, f"{label}={value!r} in {expr}"


def test_the_asked_alerts_are_there_with_a_severity_and_words_for_people():
    by_name = {rule["alert"]: rule for rule in rules()}
    assert {
        "LineEmergencyWaiting",
        "LineErrorRate",
        "LineHandoffBacklog",
        "LineWhatsAppInboxBacklog",
    } <= set(by_name)
    for rule in by_name.values():
        assert rule["labels"]["severity"] in ("critical", "warning")
        assert rule["annotations"]["summary"]


def test_the_dashboard_takes_its_prometheus_as_a_variable():
    board = json.loads((MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8"))
    assert board["uid"] and board["timezone"] == "America/Lima"
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert len(panels) > 20
    assert all(p["datasource"]["uid"] == "${datasource}" for p in panels)
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))


def test_prometheus_scrapes_what_the_manifests_expose():
    scrape = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    assert scrape["rule_files"] == [RULES.name]
    [job] = scrape["scrape_configs"]
    kustomization = yaml.safe_load((ROOT / "deploy/k8s/base/kustomization.yaml").read_text())
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == [kustomization["namespace"]]
    port = next(
        r
        for r in job["relabel_configs"]
        if "__meta_kubernetes_pod_container_port_name" in r["source_labels"]
    )
    assert port["regex"] == check.load_config()["metrics"]["port_name"]


def test_the_rules_load_and_their_unit_tests_pass(promtool_program):
    for command in (["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]):
        result = subprocess.run(
            [promtool_program, *command], capture_output=True, text=True, cwd=RULE_TESTS.parent
        )
        assert result.returncode == 0, result.stdout + result.stderr
