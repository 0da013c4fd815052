"""Shared fixtures: the `swarmlb` binary the Python package is compared against."""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _binary() -> pathlib.Path:
    explicit = os.environ.get("SWARMLB_BIN")
    candidates = [pathlib.Path(explicit)] if explicit else [
        REPO / "target" / "release" / "swarmlb",
        REPO / "target" / "debug" / "swarmlb",
    ]
    for c in candidates:
        if c.is_file():
            return c
    # No skip: without the binary the byte-identity tests would not run, so they fail.
    raise FileNotFoundError(
        f"no swarmlb binary among {candidates}; build it (cargo build) or set SWARMLB_BIN"
    )


@pytest.fixture(scope="session")
def cli():
    """Run the swarmlb command; returns the CompletedProcess."""
    binary = _binary()

    def call(*args, cwd=None):
        return subprocess.run([str(binary), *map(str, args)], cwd=cwd,
                              capture_output=True, text=True)

    return call
