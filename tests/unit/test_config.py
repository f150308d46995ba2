import pytest
from cryptography.fernet import Fernet

from boxoffice.config import DEFAULT_DATABASE_URL, Settings, SettingsError

PRODUCTION_SECRETS = {
    "BOXOFFICE_SECRET_KEY": "k" * 40,
    "BOXOFFICE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


def test_defaults_use_a_sqlite_file_under_var():
    settings = Settings.from_environ({})
    assert settings.database_url.url == DEFAULT_DATABASE_URL
    assert settings.database_url.engine == "sqlite"
    assert str(settings.database_url.sqlite_path) == "var/boxoffice.sqlite3"


def test_postgresql_url_is_accepted():
    settings = Settings.from_environ(
        {"BOXOFFICE_DATABASE_URL": "postgresql://box:pw@db.example:5432/boxoffice", **PRODUCTION_SECRETS}
    )
    assert settings.database_url.engine == "postgres"


@pytest.mark.parametrize("missing", sorted(PRODUCTION_SECRETS))
def test_postgresql_needs_its_secrets_set(missing):
    environ = {"BOXOFFICE_DATABASE_URL": "postgresql://box@db:5432/boxoffice", **PRODUCTION_SECRETS}
    del environ[missing]
    with pytest.raises(SettingsError, match=missing):
        Settings.from_environ(environ)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://localhost/box",
        "not a url",
        "sqlite:///",
        "sqlite://relative",
        "postgresql://host-only",
        "postgresql://localhost:port/box",
    ],
)
def test_bad_database_url_is_refused_naming_the_variable(url):
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({"BOXOFFICE_DATABASE_URL": url})
    assert raised.value.variable == "BOXOFFICE_DATABASE_URL"
    assert str(raised.value).startswith("BOXOFFICE_DATABASE_URL: ")


@pytest.mark.parametrize("value", ["0", "-3", "eight", ""])
def test_pool_size_must_be_a_positive_whole_number(value):
    with pytest.raises(SettingsError, match="BOXOFFICE_DATABASE_POOL_SIZE"):
        Settings.from_environ({"BOXOFFICE_DATABASE_POOL_SIZE": value})


def test_debug_reads_yes_and_no_but_refuses_anything_else():
    assert Settings.from_environ({"BOXOFFICE_DEBUG": "yes"}).debug is True
    assert Settings.from_environ({"BOXOFFICE_DEBUG": "0"}).debug is False
    with pytest.raises(SettingsError, match="BOXOFFICE_DEBUG"):
        Settings.from_environ({"BOXOFFICE_DEBUG": "maybe"})


def test_database_password_never_appears_when_the_url_is_shown():
    settings = Settings.from_environ(
        {"BOXOFFICE_DATABASE_URL": "postgresql://box:s3cret@db:5432/boxoffice", **PRODUCTION_SECRETS}
    )
    assert "s3cret" not in str(settings.database_url)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOXOFFICE_BASE_URL", "http://tickets.example.org"),
        ("BOXOFFICE_BASE_URL", "tickets.example.org"),
        ("BOXOFFICE_SECRET_KEY", "short"),
        ("BOXOFFICE_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("BOXOFFICE_STAFF_ALLOWED_NETWORKS", "10.0.0.0/8, the office"),
        ("BOXOFFICE_METRICS_ALLOWED_NETWORKS", "the monitoring server"),
        ("BOXOFFICE_LOCKOUT_THRESHOLD", "0"),
        ("BOXOFFICE_LOG_FORMAT", "xml"),
    ],
)
def test_unusable_security_settings_are_refused_by_name(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ({variable: value})


def test_cookies_are_secure_unless_serving_plain_localhost():
    assert not Settings.from_environ({"BOXOFFICE_BASE_URL": "http://localhost:8000"}).secure_cookies
    assert Settings.from_environ({"BOXOFFICE_BASE_URL": "https://tickets.example.org"}).secure_cookies


def test_the_staff_allow_list_admits_only_its_networks():
    settings = Settings.from_environ({"BOXOFFICE_STAFF_ALLOWED_NETWORKS": "192.0.2.0/24, 2001:db8::/32"})
    assert settings.staff_network_allows("192.0.2.17")
    assert settings.staff_network_allows("2001:db8::1")
    assert not settings.staff_network_allows("198.51.100.4")
    assert not settings.staff_network_allows("not an address")
    assert Settings.from_environ({}).staff_network_allows("198.51.100.4")


def test_metrics_are_read_from_this_machine_only_unless_networks_are_named():
    assert Settings.from_environ({}).metrics_network_allows("127.0.0.1")
    assert Settings.from_environ({}).metrics_network_allows("::1")
    assert not Settings.from_environ({}).metrics_network_allows("198.51.100.4")
    monitoring = Settings.from_environ({"BOXOFFICE_METRICS_ALLOWED_NETWORKS": "198.51.100.0/24"})
    assert monitoring.metrics_network_allows("198.51.100.4")
    assert not monitoring.metrics_network_allows("127.0.0.1")


def test_the_log_format_is_text_or_json():
    assert Settings.from_environ({}).log_format == "text"
    assert Settings.from_environ({"BOXOFFICE_LOG_FORMAT": " JSON "}).log_format == "json"
