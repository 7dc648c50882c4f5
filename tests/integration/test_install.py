"""`meson install` into a scratch DESTDIR: every file in its place, the installed
cric.conf loads back as the defaults, the installed cricd finds its helpers, the man
pages render without warnings and name every flag and command, the bash completion
completes every cricctl command, and cricd.service passes systemd-analyze verify."""
import json
import os
import re
import shutil
import subprocess

import pytest

import cric


def introspect(what):
    r = subprocess.run(["meson", "introspect", what, cric.BUILD], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The DESTDIR of a `meson install` of the test build, and the install paths by name."""
    dest = str(tmp_path_factory.mktemp("destdir"))
    r = subprocess.run(["meson", "install", "-C", cric.BUILD, "--no-rebuild", "--destdir", dest, "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, "meson install failed:\n%s%s" % (r.stdout, r.stderr)
    opts = {o["name"]: o["value"] for o in introspect("--buildoptions")}
    prefix = opts["prefix"]

    def under(d):
        return os.path.join(prefix, d) if not os.path.isabs(d) else d
    paths = {
        "cricd": os.path.join(under(opts["bindir"]), "cricd"),
        "cricctl": os.path.join(under(opts["bindir"]), "cricctl"),
        "cric-monitor": os.path.join(under(opts["libexecdir"]), "cric", "cric-monitor"),
        "cric-pause": os.path.join(under(opts["libexecdir"]), "cric", "cric-pause"),
        "cric-pull": os.path.join(under(opts["libexecdir"]), "cric", "cric-pull"),
        "cric.conf": os.path.join(under(opts["sysconfdir"]), "cric", "cric.conf"),
        "cricd.8": os.path.join(under(opts["mandir"]), "man8", "cricd.8"),
        "cricctl.1": os.path.join(under(opts["mandir"]), "man1", "cricctl.1"),
        "cric.conf.5": os.path.join(under(opts["mandir"]), "man5", "cric.conf.5"),
        "completion": os.path.join(under(opts["datadir"]), "bash-completion", "completions", "cricctl"),
    }
    units = [p for p in introspect("--installed").values() if p.endswith("/cricd.service")]
    assert len(units) == 1, "cricd.service is not installed: %s" % units
    paths["cricd.service"] = units[0]
    yield dest, {k: dest + v for k, v in paths.items()}, prefix
    shutil.rmtree(dest, ignore_errors=True)


def test_every_file_is_installed(installed):
    _, paths, _ = installed
    missing = [k for k, p in paths.items() if not os.path.isfile(p)]
    assert not missing, "not installed: %s" % ", ".join("%s (%s)" % (k, paths[k]) for k in missing)
    for k in ("cricd", "cricctl", "cric-monitor", "cric-pause", "cric-pull"):
        assert os.access(paths[k], os.X_OK), k


def test_installed_conf_is_the_defaults(installed):
    _, paths, _ = installed
    defaults = subprocess.run([cric.CRICD, "config", "--default"], capture_output=True, text=True, check=True).stdout
    with open(paths["cric.conf"]) as f:
        assert f.read() == defaults
    r = subprocess.run([paths["cricd"], "--config", paths["cric.conf"], "--config-dir", "/nonexistent/cric.conf.d",
                        "config"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == defaults


class InstalledDaemon(cric.Daemon):
    def __init__(self, cricd, **kw):
        super().__init__(**kw)
        self.cricd = cricd

    def args(self):
        return [self.cricd] + super().args()[1:]


def test_installed_cricd_finds_its_helpers(installed):
    """The installed cricd starts only when it finds cric-monitor: here in
    ../libexec/cric from itself, with the build dir nowhere on its $PATH; it finds
    cric-pull there too (it would say so and pull inside itself otherwise)."""
    _, paths, _ = installed
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    d = InstalledDaemon(paths["cricd"], env=env)
    try:
        d.start()
        assert d.runtime.Version(cric.pb.VersionRequest(), timeout=5).runtime_name
        assert "no cric-pull" not in d.read_log()
    finally:
        reports = d.cleanup()
    assert not reports


def man_warnings(page):
    r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page],
                       capture_output=True, text=True, env=dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80"))
    return r.returncode, r.stderr


@pytest.mark.parametrize("page", ["cricd.8", "cricctl.1", "cric.conf.5"])
def test_man_page_renders_without_warnings(installed, page):
    if not shutil.which("man") or not shutil.which("groff"):
        pytest.skip("man or groff is not installed (scripts/deps.sh test installs man-db and groff-base)")
    rc, err = man_warnings(installed[1][page])
    assert rc == 0 and not err.strip(), "man %s: %s" % (page, err)


def plain(page):
    """The page's text as man renders it (no formatting)."""
    r = subprocess.run(["man", "-l", "-Tutf8", page], capture_output=True, text=True,
                       env=dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="200", MAN_KEEP_FORMATTING="0"))
    return re.sub(r".\x08", "", r.stdout).replace("\u2010", "-").replace("\u2212", "-")


def cricctl_verbs():
    out = subprocess.run([cric.CRICCTL, "--help"], capture_output=True, text=True, check=True).stdout
    block = out.split("COMMANDS:\n", 1)[1].split("\n\n", 1)[0]
    verbs = []
    for line in block.splitlines():
        verbs += [v.strip() for v in re.split(r"\s{2,}", line.strip())[0].split(",")]
    return verbs


def test_man_pages_name_every_flag_and_command(installed):
    if not shutil.which("man"):
        pytest.skip("man is not installed")
    _, paths, _ = installed
    help_ = subprocess.run([cric.CRICD, "--help"], capture_output=True, text=True, check=True).stdout
    flags = re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", help_, re.M)
    assert len(flags) > 20
    text = plain(paths["cricd.8"])
    missing = [f for f in flags if f not in text]
    assert not missing, "cricd(8) lacks %s" % missing
    text = plain(paths["cricctl.1"])
    missing = [v for v in cricctl_verbs() if not re.search(r"(^|\s)%s(\s|,|$)" % re.escape(v), text, re.M)]
    assert not missing, "cricctl(1) lacks %s" % missing
    keys = re.findall(r"^(\w+) = ", open(paths["cric.conf"]).read(), re.M)
    text = " ".join(plain(paths["cric.conf.5"]).split())  # a long value may wrap right after "="
    missing = [k for k in keys if k + " = " not in text]
    assert not missing, "cric.conf(5) lacks %s" % missing


def complete(script, *words):
    """What the completion offers for cricctl words... (the last one being completed)."""
    arr = " ".join("'%s'" % w for w in ("cricctl",) + words)
    r = subprocess.run(["bash", "-c", 'source "$0"; COMP_WORDS=(%s); COMP_CWORD=%d; _cricctl; '
                        'printf "%%s\\n" "${COMPREPLY[@]}"' % (arr, len(words)), script],
                       capture_output=True, text=True, check=True)
    return [w for w in r.stdout.split("\n") if w]


def test_bash_completion(installed):
    script = installed[1]["completion"]
    subprocess.run(["bash", "-n", script], check=True)
    verbs = cricctl_verbs()
    assert "ps" in verbs and "port-forward" in verbs
    assert sorted(complete(script, "")) == sorted(verbs)
    assert complete(script, "ins") == ["inspect", "inspecti", "inspectp"]
    assert complete(script, "--runtime-e") == ["--runtime-endpoint"]
    assert complete(script, "-r", "unix:///x", "ps", "--qu") == ["--quiet"]
    assert complete(script, "ps", "-o", "") == ["json", "yaml", "table"]
    assert complete(script, "help", "runt") == ["runtime-config"]


def test_unit_passes_systemd_analyze(installed, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (scripts/deps.sh test installs systemd)")
    dest, paths, _ = installed
    text = open(paths["cricd.service"]).read()
    want = ["Type=notify", "Delegate=yes", "KillMode=process", "TasksMax=infinity", "LimitNOFILE=1048576",
            "LimitNPROC=infinity", "LimitCORE=infinity", "OOMScoreAdjust=-999", "Restart=on-failure",
            "ExecReload=/bin/kill -s HUP $MAINPID", "After=network-online.target"]
    lines = text.splitlines()
    assert [w for w in want if w not in lines] == []
    exec_start = paths["cricd"][len(dest):]
    assert "ExecStart=%s $CRICD_OPTIONS" % exec_start in lines
    # verify wants the executable where ExecStart says: point it at the DESTDIR copy.
    unit = tmp_path / "cricd.service"
    unit.write_text(text.replace("ExecStart=" + exec_start, "ExecStart=" + paths["cricd"]))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True)
    # Units the test host does not have (kubelet.service) are no fault of the file.
    errors = [ln for ln in r.stderr.splitlines() if ln.strip() and "kubelet.service" not in ln]
    assert r.returncode == 0 or not errors, r.stderr
    assert not errors, r.stderr
