import pytest

from boxoffice.config import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_use_a_sqlite_file_under_var():
    settings = Settings.from_environ({})
    assert settings.database_url.url == DEFAULT_DATABASE_URL
    assert settings.database_url.engine == "sqlite"
    assert str(settings.database_url.sqlite_path) == "var/boxoffice.sqlite3"


def test_postgresql_url_is_accepted():
    settings = Settings.from_environ(
        {"BOXOFFICE_DATABASE_URL": "postgresql://box:pw@db.example:5432/boxoffice"}
    )
    assert settings.database_url.engine == "postgres"


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
    settings = Settings.from_environ({"BOXOFFICE_DATABASE_URL": "postgresql://box:s3cret@db:5432/boxoffice"})
    assert "s3cret" not in str(settings.database_url)
