import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import btrfs_fs  # noqa: E402
import cric  # noqa: E402
import cricctl_util  # noqa: E402
from fixtures.conftest_registry import *  # noqa: E402,F401,F403

_daemons = []


@pytest.fixture(scope="session", autouse=True)
def storage_under_test():
    """CRIC_TEST_STORAGE_DRIVER=btrfs: every daemon's root goes on one loop-mounted btrfs
    (made here, removed at the end), where cricd picks the btrfs driver by itself; the
    storage tests then run against that driver."""
    if os.environ.get("CRIC_TEST_STORAGE_DRIVER", "") != "btrfs":
        yield None
        return
    why = btrfs_fs.available()
    if why:
        raise RuntimeError("CRIC_TEST_STORAGE_DRIVER=btrfs: " + why)
    fs = btrfs_fs.LoopBtrfs("4G")
    os.environ["CRIC_TEST_STORAGE_DIR"] = fs.mnt
    try:
        yield fs
    finally:
        del os.environ["CRIC_TEST_STORAGE_DIR"]
        fs.close()


def _interrupt(signum, frame):
    """`timeout` and CI end a run with SIGTERM, which would end Python at once: as an
    interrupt, pytest still runs the teardowns, which remove the daemons' pods (the
    daemons, in process groups of their own, did not get the signal)."""
    raise KeyboardInterrupt("SIGTERM")


signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(scope="module")
def daemon():
    """A private cricd per test module."""
    d = cric.Daemon().start()
    _daemons.append(d)
    yield d
    _daemons.remove(d)
    reports = d.cleanup()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


@pytest.fixture(scope="module")
def registry_daemon(registry, tmp_path_factory):
    """A private cricd per test module that pulls from the fixture registry (plain HTTP)."""
    d = cricctl_util.start_registry_daemon(registry, tmp_path_factory.mktemp("registry-daemon"))
    _daemons.append(d)
    yield d
    _daemons.remove(d)
    reports = d.cleanup()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


@pytest.fixture
def clean(registry_daemon):
    """registry_daemon without containers and pods when a test starts and when it ends
    (cricctl rm/rmp -a -f)."""
    def remove_all():
        cricctl_util.ctl(registry_daemon, "rm", "-a", "-f")
        cricctl_util.ctl(registry_daemon, "rmp", "-a", "-f")
    remove_all()
    yield registry_daemon
    remove_all()


@pytest.fixture
def make_daemon():
    """Factory for daemons with their own config; stopped and removed after the test."""
    made = []

    def make(**kw):
        d = cric.Daemon(**kw)
        made.append(d)
        _daemons.append(d)
        return d
    yield make
    reports, leaks = [], []
    for d in made:  # every one, even when an earlier one left things behind
        _daemons.remove(d)
        try:
            reports += d.cleanup()
        except AssertionError as e:
            leaks.append(str(e))
    assert not leaks, "\n".join(leaks)
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Shows the logs of the daemons in use when a test fails."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _daemons:
        for d in _daemons:
            rep.sections.append(("cricd log (%s)" % d.dir, d.read_log()[-20000:]))
