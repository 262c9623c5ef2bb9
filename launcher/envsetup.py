"""Create and update Saphan's two Python environments inside the repository.

The launcher runs this module with the machine's Python before any dependency is installed,
so it uses the standard library only (and, for that reason, reads `SAPHAN_BOT_PYTHON` itself
rather than through `saphan.settings`). Each environment carries a stamp: the hash of the lock
files it was built from. A second run with unchanged lock files only compares the stamp and
changes nothing.

- `.venv/app`: the machine's current Python (3.11 or newer) with `requirements/app.lock`,
  plus `requirements/dev.lock` for tests and benchmarks.
- `.venv/bot`: Python 3.10 with `requirements/bot.lock` (Rasa 3.6 runs only on Python < 3.11).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements"
BOT_PYTHON_HELP = """\
Saphan's bot needs Python 3.10 (Rasa 3.6 does not run on newer versions), and none was found.
Install it, then run this command again:
  - with pyenv:   pyenv install 3.10.13
  - on Debian/Ubuntu with the deadsnakes PPA:   sudo apt install python3.10 python3.10-venv
  - or point Saphan at one you have:   export SAPHAN_BOT_PYTHON=/path/to/python3.10
"""


class SetupError(RuntimeError):
    """An environment could not be created; the message says what to do."""


def app_python() -> Path:
    """Return the app environment's interpreter."""
    return VENV_DIR / "app" / "bin" / "python"


def bot_python() -> Path:
    """Return the bot environment's interpreter."""
    return VENV_DIR / "bot" / "bin" / "python"


def _stamp(lock_names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in lock_names:
        digest.update(name.encode())
        digest.update((REQUIREMENTS / name).read_bytes())
    return digest.hexdigest()


def _say(message: str) -> None:
    print(f"saphan: {message}", file=sys.stderr, flush=True)


def _run(cmd: list[str], **kwargs) -> None:
    result = subprocess.run(cmd, **kwargs)
    if result.returncode != 0:
        raise SetupError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}")


def _ensure(
    venv: Path, base_python: list[str], lock_names: list[str], editable: bool, also_good: tuple[str, ...] = ()
) -> None:
    """Build `venv` from the lock files unless its stamp shows it is current.

    `also_good` are stamps of larger installs that include everything asked for.
    """
    stamp_file = venv / ".saphan-stamp"
    wanted = _stamp(lock_names)
    if stamp_file.exists() and stamp_file.read_text() in (wanted, *also_good):
        return
    if not (venv / "bin" / "python").exists():
        _say(f"creating {venv.relative_to(ROOT)} …")
        _run([*base_python, "-m", "venv", str(venv)])
    _say(f"installing {', '.join(lock_names)} into {venv.relative_to(ROOT)} (first run takes minutes) …")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    requirement_args = [arg for name in lock_names for arg in ("-r", str(REQUIREMENTS / name))]
    _run([*pip, "install", "--quiet", *requirement_args])
    if editable:
        _run([*pip, "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", str(ROOT)])
    stamp_file.write_text(wanted)


def find_bot_base_python() -> list[str]:
    """Find a Python 3.10 interpreter to build the bot environment with.

    Looks at `SAPHAN_BOT_PYTHON`, then pyenv's 3.10 versions (also without `pyenv` on the
    PATH), then `python3.10` on the PATH.

    Raises:
        SetupError: no Python 3.10 exists on this machine.
    """
    candidates: list[list[str]] = []
    if os.environ.get("SAPHAN_BOT_PYTHON"):
        candidates.append([os.environ["SAPHAN_BOT_PYTHON"]])
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True)
        versions = sorted(v.strip() for v in listed.stdout.split() if v.strip().startswith("3.10."))
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += [[f"{root}/versions/{v}/bin/python3.10"] for v in reversed(versions)]
    candidates += [[str(p)] for p in sorted(Path.home().glob(".pyenv/versions/3.10.*/bin/python3.10"), reverse=True)]
    if shutil.which("python3.10"):
        candidates.append([shutil.which("python3.10")])
    for candidate in candidates:
        probe = subprocess.run(
            [*candidate, "-c", "import sys, venv; print(sys.version_info[:2] == (3, 10))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    raise SetupError(BOT_PYTHON_HELP)


def ensure_app(dev: bool = False) -> None:
    """Create or update the app environment (with test tools when `dev`)."""
    if sys.version_info < (3, 11):
        raise SetupError(f"the app needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    with_dev = ["app.lock", "dev.lock"]
    if dev:
        _ensure(VENV_DIR / "app", [sys.executable], with_dev, editable=True)
    else:
        _ensure(VENV_DIR / "app", [sys.executable], ["app.lock"], editable=True, also_good=(_stamp(with_dev),))


def ensure_bot() -> None:
    """Create or update the bot environment on Python 3.10."""
    venv = VENV_DIR / "bot"
    stamp_file = venv / ".saphan-stamp"
    if stamp_file.exists() and stamp_file.read_text() == _stamp(["bot.lock"]):
        return
    base = [str(bot_python())] if bot_python().exists() else find_bot_base_python()
    _ensure(venv, base, ["bot.lock"], editable=False)


def ensure_browser() -> None:
    """Make sure Debian's Chromium is installed for the browser tests.

    Raises:
        SetupError: Chromium is missing and this user cannot install it.
    """
    if Path("/usr/bin/chromium").exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SetupError(
            "the browser tests need Debian's Chromium: run `sudo apt-get install chromium` "
            "and try again"
        )
    _say("installing Debian's chromium for the browser tests …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    _run(
        ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-core"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
