"""Start and stop the dev Home Assistant process (with its whole process group)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time

REPO_ROOT = Path(__file__).resolve().parent.parent


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` yet."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class HaProcess:
    """``python -m dev.ha_run -c CONFIG --skip-pip`` in its own session.

    Its own session keeps Ctrl-C in the terminal away from it: ``script/develop``
    stops it itself, so the recorder is closed cleanly.
    """

    def __init__(self, config_dir: Path) -> None:
        """Prepare to run Home Assistant on ``config_dir``."""
        self.config_dir = config_dir
        self.output = config_dir / "home-assistant.stdout.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start Home Assistant in the background; its output goes to ``self.output``."""
        with self.output.open("ab") as output:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "dev.ha_run", "-c", str(self.config_dir), "--skip-pip"],
                cwd=REPO_ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        """The process id while started."""
        return None if self._process is None else self._process.pid

    def alive(self) -> bool:
        """Whether the process is running."""
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 60) -> int | None:
        """Stop Home Assistant and its children (SIGTERM, then SIGKILL); its exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
        # Children (e.g. ffmpeg) may outlive the main process; end the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.wait()
