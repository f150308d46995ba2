import subprocess
import sys


def test_a_bad_setting_stops_the_command_with_the_variable_named():
    result = subprocess.run(
        [sys.executable, "-m", "boxoffice.cli", "migrate"],
        env={"BOXOFFICE_DATABASE_URL": "mysql://nowhere/box", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "BOXOFFICE_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
