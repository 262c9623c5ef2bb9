"""Setting up is idempotent: with unchanged lock files a second run installs nothing."""

import subprocess
import sys

import pytest

from launcher import envsetup


def test_second_setup_runs_no_command(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"no command expected, got {args[0]}")

    monkeypatch.setattr(subprocess, "run", refuse)
    envsetup.ensure_app(dev=True)
    envsetup.ensure_bot()


def test_stamp_changes_with_any_lock_file():
    assert envsetup._stamp(["app.lock"]) != envsetup._stamp(["app.lock", "dev.lock"])


def test_lock_files_pin_every_package_exactly():
    for name in ("app.lock", "dev.lock", "bot.lock"):
        for line in (envsetup.REQUIREMENTS / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                assert "==" in line, f"{name}: {line}"


def test_help_needs_no_environment():
    result = subprocess.run(
        ["/usr/bin/env", "-i", "PATH=/usr/bin:/bin", sys.executable, str(envsetup.ROOT / "saphan"), "--help"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0 and "run" in result.stdout and "test" in result.stdout


COMMANDS = ["run", "train", "shell", "test", "bench", "setup", "eval", "telegram", "purge", "operator", "rotate-key"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = subprocess.run([sys.executable, str(envsetup.ROOT / "saphan"), command, "--help"], capture_output=True)
    assert result.returncode == 0


def test_test_command_passes_options_through_to_pytest():
    from launcher.cli import build_parser

    args, unknown = build_parser().parse_known_args(["test", "-q", "-k", "language", "tests/core"])
    assert args.command == "test" and set(unknown + args.pytest_args) == {"-q", "-k", "language", "tests/core"}


def test_a_python_3_10_is_found_for_the_bot():
    found = envsetup.find_bot_base_python()
    version = subprocess.run([*found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    assert version.stdout.strip() == "(3, 10)"


def test_a_missing_python_3_10_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SAPHAN_BOT_PYTHON", raising=False)
    with pytest.raises(envsetup.SetupError, match="pyenv install 3.10"):
        envsetup.find_bot_base_python()
