"""The nginx configuration of make run-production, rendered from deploy/'s template."""

import subprocess

import pytest

from deploy import nginx


def test_every_rasa_instance_is_an_upstream_server():
    site = nginx.site(5005, ["127.0.0.1:5011", "127.0.0.1:5012"])
    assert "server 127.0.0.1:5011; server 127.0.0.1:5012;" in site
    assert "listen 5005;" in site
    # nginx's own variables are not placeholders and survive.
    assert "$host" in site and "${" not in site


def test_whatsapp_webhooks_go_to_the_gateway():
    site = nginx.site(5005, ["127.0.0.1:5011"], gateway="127.0.0.1:5017")
    assert "server 127.0.0.1:5017;" in site
    assert "location /webhooks/whatsapp/ {\n        proxy_pass http://whatsapp_gateway;" in site


def test_a_placeholder_without_value_is_an_error():
    with pytest.raises(KeyError, match="NGINX_PORT"):
        nginx.fill("listen ${NGINX_PORT};", {})


def test_no_instances_is_an_error():
    with pytest.raises(ValueError):
        nginx.site(5005, [])


def test_nginx_accepts_the_rendered_file(tmp_path, nginx_program):
    (tmp_path / "nginx.conf").write_text(nginx.main_config(tmp_path, 5005, ["127.0.0.1:5011"]))
    result = subprocess.run(
        [nginx_program, "-t", "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
