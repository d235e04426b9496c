"""deploy/ cannot be run here (no Docker), so its consistency with the code is checked:
every variable our services get is read by something, ports agree, and each health
check asks a route that really exists."""

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sanic import Sanic

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
OURS = ("rasa1", "rasa2", "actions", "console", "whatsapp-gateway")
# Several Sanic apps in one process (see tests/support/whatsapp.py).
Sanic.test_mode = True


def endpoint_variables() -> set:
    text = (ROOT / "endpoints.production.yml").read_text()
    return set(re.findall(r"\$\{(\w+)\}", re.sub(r"#.*", "", text)))


def read_variables() -> set:
    settings = (ROOT / "line" / "core" / "settings.py").read_text()
    return set(re.findall(r'_(?:env|int|bool|float)\(\s*"(\w+)"', settings)) | endpoint_variables()


def url_of(value: str):
    """Compose fills ${...} (secrets) at start; any value will do to read the URL."""
    return urlsplit(re.sub(r"\$\{[^}]*\}", "secret", value))


def health_url(service: str) -> str:
    test = " ".join(SERVICES[service]["healthcheck"]["test"])
    return re.search(r"http://localhost:\d+/[\w/]*", test).group(0)


def command(service: str) -> str:
    return " ".join(SERVICES[service]["command"])


def option(service: str, name: str) -> str:
    return re.search(rf"{name} (\S+)", command(service)).group(1)


@pytest.fixture(scope="module")
def routes():
    """The paths each of our servers really serves, from the apps themselves."""
    import rasa.server
    import rasa_sdk.endpoint

    from console.app import create_app
    from line.whatsapp.gateway import Gateway

    def paths(app):
        return {"/" + route.path for route in app.router.routes}

    gateway = {route.resource.canonical for route in Gateway().app().router.routes()}
    return {
        "rasa": paths(rasa.server.create_app(auth_token="x")),
        "actions": paths(rasa_sdk.endpoint.create_app("actions")),
        "console": paths(create_app()),
        "gateway": gateway,
    }


@pytest.mark.parametrize("service", OURS)
def test_every_variable_set_for_our_services_is_read(service):
    unread = set(SERVICES[service]["environment"]) - read_variables()
    assert not unread, f"{service} sets variables nothing reads: {sorted(unread)}"


def test_endpoints_need_nothing_compose_does_not_set():
    assert endpoint_variables() <= set(SERVICES["rasa1"]["environment"])


@pytest.mark.parametrize("service", OURS + ("nginx", "postgres", "redis", "rabbitmq"))
def test_every_service_has_a_health_check(service):
    assert SERVICES[service]["healthcheck"]["test"]


@pytest.mark.parametrize(
    "service, kind",
    [
        ("rasa1", "rasa"),
        ("rasa2", "rasa"),
        ("actions", "actions"),
        ("console", "console"),
        ("whatsapp-gateway", "gateway"),
    ],
)
def test_health_checks_ask_real_routes_on_the_served_port(service, kind, routes):
    url = urlsplit(health_url(service))
    assert url.path in routes[kind]
    port = {
        "console": SERVICES[service]["environment"].get("CONSOLE_PORT"),
        "gateway": SERVICES[service]["environment"].get("WHATSAPP_GATEWAY_PORT"),
    }.get(kind) or option(service, "--port")
    assert str(url.port) == port


def test_rasa_health_check_needs_no_token():
    """/status needs the auth token; the health check must not."""
    assert urlsplit(health_url("rasa1")).path in ("/", "/version")


def test_nginx_balances_over_both_rasa_instances():
    nginx = SERVICES["nginx"]
    servers = re.findall(r"server (\w+):(\d+);", nginx["environment"]["RASA_SERVERS"])
    assert servers == [("rasa1", option("rasa1", "--port")), ("rasa2", option("rasa2", "--port"))]
    listen = nginx["environment"]["NGINX_PORT"]
    assert f"5005:{listen}" in nginx["ports"]
    assert urlsplit(health_url("nginx")).port == int(listen)
    template = (ROOT / "deploy" / "nginx.conf.template").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", template)) == {
        "NGINX_PORT",
        "RASA_SERVERS",
        "WHATSAPP_GATEWAY_SERVERS",
    }


def test_whatsapp_webhooks_reach_the_gateway_which_nudges_the_instances_directly():
    """Through nginx the nudge would come back to the gateway, so it names the instances."""
    gateway = SERVICES["whatsapp-gateway"]["environment"]
    servers = SERVICES["nginx"]["environment"]["WHATSAPP_GATEWAY_SERVERS"]
    assert servers == f"server whatsapp-gateway:{gateway['WHATSAPP_GATEWAY_PORT']};"
    nudged = [urlsplit(url) for url in gateway["WHATSAPP_RASA_URLS"].split(",")]
    assert [(url.hostname, str(url.port)) for url in nudged] == [
        ("rasa1", option("rasa1", "--port")),
        ("rasa2", option("rasa2", "--port")),
    ]
    assert gateway["WHATSAPP_GATEWAY_HOST"] == "0.0.0.0"
    assert "WHATSAPP_INBOX_TOKEN" in SERVICES["rasa1"]["environment"]


def test_urls_between_services_name_real_services_and_ports():
    env = SERVICES["rasa1"]["environment"]
    action = urlsplit(env["ACTION_ENDPOINT_URL"])
    assert (action.hostname, str(action.port)) == ("actions", option("actions", "--port"))
    rasa = urlsplit(env["RASA_URL"])
    nginx_port = SERVICES["nginx"]["environment"]["NGINX_PORT"]
    assert (rasa.hostname, str(rasa.port)) == ("nginx", nginx_port)
    for name in ("DIRECTORY_DB_URL", "TRACKER_DB_URL"):
        db = url_of(env[name])
        assert (db.hostname, db.port, db.path) == (
            "postgres",
            5432,
            "/" + SERVICES["postgres"]["environment"]["POSTGRES_DB"],
        )
    assert env["REDIS_HOST"] in SERVICES and env["RABBITMQ_HOST"] in SERVICES
    assert env["RABBITMQ_USER"] == SERVICES["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"]


def test_rasa_api_is_guarded_by_the_token():
    assert "--auth-token" in command("rasa1") and "--auth-token" in command("rasa2")


def test_the_model_is_mounted_not_built():
    assert "../models:/app/models:ro" in SERVICES["rasa1"]["volumes"]
    assert "rasa train" not in (ROOT / "deploy" / "Dockerfile").read_text()


def test_make_run_production_has_a_default_for_every_endpoint_variable():
    makefile = (ROOT / "Makefile").read_text()
    defaults = set(re.findall(r"^run-production: export (\w+) \?=", makefile, re.M))
    # A secret gets its default in the recipe: a new one each run, unless it is set.
    recipe = makefile[makefile.index("\nrun-production: setup") :]
    defaults |= set(re.findall(r'export (\w+)="\$\$\{\1:-', recipe))
    assert "ACTION_SERVER_TOKEN" in defaults
    assert endpoint_variables() <= defaults


def test_both_rasa_instances_share_the_tracker_journal():
    """Turns journaled while PostgreSQL was down go back in the order they happened only
    if both instances write one file (stores/journal.py): a named volume at its path."""
    from line.core.settings import PROJECT_ROOT, Settings

    journal = "/app/" + str(Settings().tracker_journal.relative_to(PROJECT_ROOT))
    for service in ("rasa1", "rasa2"):
        assert any(
            journal.startswith(target + "/") and source in COMPOSE["volumes"]
            for source, target, *_ in (v.split(":") for v in SERVICES[service]["volumes"])
        )


def test_every_line_process_shares_one_ticket_spool_that_survives_restarts():
    """A ticket kept while PostgreSQL is down must outlive the container that kept it, and
    be written back once by whichever process retries first (line/handoff/spool.py)."""
    line_services = [
        name for name, service in SERVICES.items() if service.get("image") == "linea-migrantes"
    ]
    assert {"rasa1", "rasa2", "actions", "console", "whatsapp-gateway"} <= set(line_services)
    for name in line_services:
        spool = SERVICES[name]["environment"]["LINE_TICKET_SPOOL"]
        assert any(
            spool.startswith(target + "/") and source in COMPOSE["volumes"]
            for source, target, *_ in (v.split(":") for v in SERVICES[name]["volumes"])
        )


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", makefile, re.M).group(1)
    targets = phony.replace("\\\n", " ").split()
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert {"db", "lint", "test-fast", "browser-deps"} <= set(targets)
    assert [t for t in targets if not re.search(rf"\bmake {re.escape(t)}\b", shown)] == []
