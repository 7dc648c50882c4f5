"""Signature policy (containers-policy.json(5)) on PullImage, against a real cricd and the
fixtures registry: reject, insecureAcceptAnything, scopes, per-namespace policies,
sigstoreSigned with cosign attachments pushed to the registry and keys made here, and
signedBy with GPG signatures made here with gpg and served from a file:// lookaside."""
import base64
import hashlib
import json
import os
import shutil
import subprocess

import grpc
import pytest

import cric
from cric import pb

pytestmark = pytest.mark.usefixtures("registry")

SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def pull(d, ref, namespace=None, timeout=60):
    req = pb.PullImageRequest(image=pb.ImageSpec(image=ref))
    if namespace:
        req.sandbox_config.metadata.namespace = namespace
        req.sandbox_config.metadata.name = "p"
        req.sandbox_config.metadata.uid = "u"
    return d.image.PullImage(req, timeout=timeout).image_ref


def image_count(d):
    return len(d.image.ListImages(pb.ListImagesRequest()).images)


def layer_dirs(d):
    """What the layer store holds on disk (nothing may be stored for a rejected pull)."""
    found = []
    for top, dirs, files in os.walk(os.path.join(d.root, "storage")):
        found += [os.path.join(top, n) for n in files if top != os.path.join(d.root, "storage") or n !=
                  "storage-driver"]  # the driver the store records at start
    return found


def make_daemon_with(make_daemon, tmp_path, registry, policy, registries_d=None, extra_args=(), registries=None):
    conf = tmp_path / "registries.conf"
    conf.write_text(registries or '[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps(policy))
    rd = tmp_path / "registries.d"
    rd.mkdir(exist_ok=True)
    for name, text in (registries_d or {}).items():
        (rd / name).write_text(text)
    args = ["--registries-conf", str(conf), "--signature-policy", str(pol), "--registries-d", str(rd)]
    return make_daemon(extra_args=args + list(extra_args)).start(), pol


def push_copy(registry, repo):
    """busybox under a repository of its own: its manifest digest and its reference."""
    facts = registry.images["busybox"]
    registry.client().push_image(facts, repo=repo, tags=["latest"])
    return facts.manifest_digest, "%s/%s:latest" % (registry.host, repo)


def payload(digest, reference, kind):
    return json.dumps({"critical": {"type": kind, "image": {"docker-manifest-digest": digest},
                                    "identity": {"docker-reference": reference}},
                       "optional": {"creator": "cric tests"}}).encode()


def rejected(e, *words):
    assert e.code() == grpc.StatusCode.UNKNOWN, e
    assert e.details().startswith("SignatureValidationFailed: Source image rejected"), e.details()
    for w in words:
        assert w in e.details(), (w, e.details())


# ---- plain rules --------------------------------------------------------------


def test_reject_stores_nothing(make_daemon, tmp_path, registry):
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, {"default": [{"type": "reject"}]})
    ref = registry.reference("busybox")
    e = cric.rpc_error(pull, d, ref)
    rejected(e, str(pol), "default", "reject", ref)
    assert image_count(d) == 0
    assert layer_dirs(d) == []


def test_scopes_most_specific_wins(make_daemon, tmp_path, registry):
    host = registry.host
    policy = {"default": [{"type": "reject"}],
              "transports": {"docker": {
                  host: [{"type": "insecureAcceptAnything"}],
                  host + "/busybox": [{"type": "reject"}],
                  host + "/busybox:1.35": [{"type": "insecureAcceptAnything"}]}}}
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, policy)
    e = cric.rpc_error(pull, d, registry.reference("busybox", "latest"))
    rejected(e, 'transports.docker "%s/busybox"' % host)
    assert pull(d, registry.reference("busybox", "1.35"))  # the tag scope wins over the repository
    others = [n for n in registry.images if n not in ("busybox",) and registry.images[n].config_digest]
    assert others
    assert pull(d, registry.reference(others[0]))  # the host scope accepts the rest


def test_policy_file_is_read_at_each_pull(make_daemon, tmp_path, registry):
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, {"default": [{"type": "insecureAcceptAnything"}]})
    ref = registry.reference("busybox")
    assert pull(d, ref)
    d.image.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)))
    pol.write_text(json.dumps({"default": [{"type": "reject"}]}))
    rejected(cric.rpc_error(pull, d, ref))


def test_per_namespace_policy(make_daemon, tmp_path, registry):
    pdir = tmp_path / "policies"
    pdir.mkdir()
    (pdir / "locked.json").write_text(json.dumps({"default": [{"type": "reject"}]}))
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, {"default": [{"type": "insecureAcceptAnything"}]},
                              extra_args=["--signature-policy-dir", str(pdir)])
    ref = registry.reference("busybox")
    rejected(cric.rpc_error(pull, d, ref, namespace="locked"), str(pdir / "locked.json"))
    assert image_count(d) == 0
    assert pull(d, ref, namespace="open")  # no open.json: the global policy
    # a namespace that could name another file is never used as a path
    d.image.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)))
    assert pull(d, ref, namespace="../policies/locked")


def test_broken_or_missing_policy_fails_clearly(make_daemon, tmp_path, registry):
    d, pol = make_daemon_with(make_daemon, tmp_path, registry,
                              {"default": [{"type": "insecureAcceptAnything", "keyPath": "/x"}]})
    e = cric.rpc_error(pull, d, registry.reference("busybox"))
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    assert str(pol) in e.details() and '"keyPath"' in e.details(), e.details()
    os.unlink(pol)
    e = cric.rpc_error(pull, d, registry.reference("busybox"))
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e
    assert str(pol) in e.details(), e.details()
    assert image_count(d) == 0


def test_broken_policy_fails_mirror_and_primary_alike(make_daemon, tmp_path, mirror_registries):
    """One read of the policy serves every source of a pull: the mirror fails on it,
    then the primary with the same message, naming file and field."""
    primary, mirror = mirror_registries.primary, mirror_registries.mirror
    conf = ('[[registry]]\nprefix = "%s"\nlocation = "%s"\ninsecure = true\n'
            '[[registry.mirror]]\nlocation = "%s"\ninsecure = true\n' % (primary.host, primary.host, mirror.host))
    d, pol = make_daemon_with(make_daemon, tmp_path, primary,
                              {"default": [{"type": "insecureAcceptAnything", "keyPath": "/x"}]}, registries=conf)
    e = cric.rpc_error(pull, d, primary.reference("busybox"))
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    assert str(pol) in e.details() and '"keyPath"' in e.details(), e.details()
    failed = [line for line in d.read_log().splitlines() if "pull busybox from %s/" % mirror.host in line]
    assert failed and str(pol) in failed[-1] and '"keyPath"' in failed[-1], failed
    assert image_count(d) == 0


# ---- sigstoreSigned -----------------------------------------------------------


def ec_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, pem


def cosign_sign(key, data):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def push_attachment(registry, repo, digest, signed):
    """cosign's layout: the manifest tagged sha256-<hex>.sig, one layer per signature."""
    c = registry.client()
    config = b"{}"
    c.push_blob(repo, config, "sha256:" + hashlib.sha256(config).hexdigest())
    layers = []
    for data, sig in signed:
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        c.push_blob(repo, data, d)
        layers.append({"mediaType": SIMPLESIGNING, "digest": d, "size": len(data),
                       "annotations": {"dev.cosignproject.cosign/signature": sig}})
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                           "size": len(config)},
                "layers": layers}
    c.put_manifest(repo, digest.replace(":", "-") + ".sig", json.dumps(manifest).encode(), OCI_MANIFEST)


ATTACHMENTS = "docker:\n  %s:\n    use-sigstore-attachments: true\n"


def test_sigstore_signed(make_daemon, tmp_path, registry):
    digest, ref = push_copy(registry, "signed/sigstore")
    name = ref.rsplit(":", 1)[0]
    key, pem = ec_key()
    (tmp_path / "cosign.pub").write_bytes(pem)
    data = payload(digest, name, "cosign container image signature")
    push_attachment(registry, "signed/sigstore", digest, [(data, cosign_sign(key, data))])
    policy = {"default": [{"type": "reject"}],
              "transports": {"docker": {name: [{"type": "sigstoreSigned", "keyPath": str(tmp_path / "cosign.pub"),
                                                "signedIdentity": {"type": "matchRepository"}}]}}}
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, policy,
                              registries_d={"cric.yaml": ATTACHMENTS % registry.host})
    assert pull(d, ref) == registry.images["busybox"].config_digest.split(":")[1]


def test_sigstore_rejections(make_daemon, tmp_path, registry):
    digest, ref = push_copy(registry, "signed/sigstore-bad")
    name = ref.rsplit(":", 1)[0]
    key, pem = ec_key()
    other, other_pem = ec_key()
    (tmp_path / "cosign.pub").write_bytes(pem)
    policy = {"default": [{"type": "sigstoreSigned", "keyData": base64.b64encode(pem).decode()}]}
    # no attachment at all
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, policy,
                              registries_d={"cric.yaml": ATTACHMENTS % registry.host})
    rejected(cric.rpc_error(pull, d, ref), "A signature was required, but no signature exists", "sigstoreSigned")
    # signed by another key
    data = payload(digest, ref, "cosign container image signature")
    push_attachment(registry, "signed/sigstore-bad", digest, [(data, cosign_sign(other, data))])
    rejected(cric.rpc_error(pull, d, ref), "not valid for any")
    # the right key, but for another image's identity (matchRepoDigestOrExact wants this tag)
    data = payload(digest, name + ":other", "cosign container image signature")
    push_attachment(registry, "signed/sigstore-bad", digest, [(data, cosign_sign(key, data))])
    rejected(cric.rpc_error(pull, d, ref), "which the policy does not accept")
    # the right key and identity, but another manifest
    data = payload("sha256:" + "0" * 64, ref, "cosign container image signature")
    push_attachment(registry, "signed/sigstore-bad", digest, [(data, cosign_sign(key, data))])
    rejected(cric.rpc_error(pull, d, ref), "is for manifest sha256:000")
    assert image_count(d) == 0 and layer_dirs(d) == []
    # one good signature among bad ones is enough
    good = payload(digest, ref, "cosign container image signature")
    push_attachment(registry, "signed/sigstore-bad", digest,
                    [(data, cosign_sign(key, data)), (good, cosign_sign(key, good))])
    assert pull(d, ref)


def test_sigstore_needs_attachments_enabled(make_daemon, tmp_path, registry):
    digest, ref = push_copy(registry, "signed/sigstore-off")
    key, pem = ec_key()
    data = payload(digest, ref, "cosign container image signature")
    push_attachment(registry, "signed/sigstore-off", digest, [(data, cosign_sign(key, data))])
    policy = {"default": [{"type": "sigstoreSigned", "keyData": base64.b64encode(pem).decode()}]}
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, policy)  # no registries.d: attachments not read
    rejected(cric.rpc_error(pull, d, ref), "no signature exists")


# ---- signedBy (GPG, lookaside) ------------------------------------------------


class Gpg:
    """A throw-away GnuPG home with one signing key; its agent is stopped at the end."""

    def __init__(self, home, uid):
        self.home = str(home)
        os.makedirs(self.home, mode=0o700)
        self.run("--quick-gen-key", "--passphrase", "", uid, "ed25519", "sign", "never")

    def run(self, *args, input=None):
        return subprocess.run(["gpg", "--homedir", self.home, "--batch", "--yes", "--pinentry-mode", "loopback"]
                              + list(args), input=input, check=True, capture_output=True, timeout=60).stdout

    def export(self, path):
        with open(path, "wb") as f:
            f.write(self.run("--export"))

    def sign(self, data):
        return self.run("--sign", "--output", "-", input=data)

    def close(self):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "all"], capture_output=True, timeout=30)


@pytest.fixture
def gpg_keys(tmp_path):
    if not shutil.which("gpg"):
        pytest.skip("gpg is not installed")
    keys = [Gpg(tmp_path / "gnupg-a", "cric test a <a@example.com>"),
            Gpg(tmp_path / "gnupg-b", "cric test b <b@example.com>")]
    yield keys
    for k in keys:
        k.close()


def gpg_children(pid):
    """Processes of gnupg whose parent is cricd (an agent gpgme left running, a zombie)."""
    found = []
    for n in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % n) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid == pid and comm.startswith(("gpg", "dirmngr", "keyboxd")):
            found.append((n, comm))
    return found


def put_lookaside(root, repo, digest, sigs):
    d = root / ("%s@%s" % (repo, digest.replace(":", "=")))
    d.mkdir(parents=True, exist_ok=True)
    for old in d.iterdir():
        old.unlink()
    for i, s in enumerate(sigs):
        (d / ("signature-%d" % (i + 1))).write_bytes(s)


def test_signed_by_gpg(make_daemon, tmp_path, registry, gpg_keys):
    a, b = gpg_keys
    digest, ref = push_copy(registry, "signed/gpg")
    a.export(tmp_path / "a.gpg")
    store = tmp_path / "sigstore"
    policy = {"default": [{"type": "reject"}],
              "transports": {"docker": {registry.host: [{"type": "signedBy", "keyType": "GPGKeys",
                                                         "keyPath": str(tmp_path / "a.gpg")}]}}}
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, policy,
                              registries_d={"default.yaml": "default-docker:\n  lookaside: file://%s\n" % store})
    rejected(cric.rpc_error(pull, d, ref), "no signature exists", "signedBy")
    # signed by a key the policy does not trust
    put_lookaside(store, "signed/gpg", digest, [b.sign(payload(digest, ref, "atomic container signature"))])
    rejected(cric.rpc_error(pull, d, ref), "GPG signature")
    assert image_count(d) == 0 and layer_dirs(d) == []
    # the trusted key, second in the list
    put_lookaside(store, "signed/gpg", digest, [b.sign(payload(digest, ref, "atomic container signature")),
                                                a.sign(payload(digest, ref, "atomic container signature"))])
    assert pull(d, ref) == registry.images["busybox"].config_digest.split(":")[1]
    # the keyrings cricd made are gone, and so is every process gpgme started
    assert not [n for n in os.listdir(os.path.join(d.runroot, "tmp")) if n.startswith("gpg-")]
    cric.wait_for(lambda: gpg_children(d.proc.pid) == [], timeout=10,
                  what="the processes gpgme started to be reaped")


def test_signed_by_gpg_identity(make_daemon, tmp_path, registry, gpg_keys):
    a, _ = gpg_keys
    digest, ref = push_copy(registry, "signed/gpg-id")
    a.export(tmp_path / "a.gpg")
    store = tmp_path / "sigstore"
    key = base64.b64encode((tmp_path / "a.gpg").read_bytes()).decode()
    policy = {"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": key,
                           "signedIdentity": {"type": "remapIdentity", "prefix": registry.host + "/signed",
                                              "signedPrefix": "quay.example.com/upstream"}}]}
    d, pol = make_daemon_with(make_daemon, tmp_path, registry, policy,
                              registries_d={"a.yaml": "docker:\n  %s/signed:\n    lookaside: file://%s\n"
                                            % (registry.host, store)})
    put_lookaside(store, "signed/gpg-id", digest,
                  [a.sign(payload(digest, ref, "atomic container signature"))])
    rejected(cric.rpc_error(pull, d, ref), "which the policy does not accept")
    put_lookaside(store, "signed/gpg-id", digest,
                  [a.sign(payload(digest, "quay.example.com/upstream/gpg-id:latest", "atomic container signature"))])
    assert pull(d, ref)
