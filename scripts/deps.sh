#!/usr/bin/env bash
# Installs the Debian packages cric needs to build, run and test, when any is missing.
# Usage: scripts/deps.sh [build|test]   (test also installs what the test suite uses)
set -euo pipefail

# What building cricd, cricctl, cric-monitor and cric-pause needs (protoc-c generates the
# C code of the CRI; -static links need libc.a from build-essential), then what running
# them needs: the OCI runtimes and the CNI plugins (portmap and bridge's ipMasq run
# iptables). The unit tests' cmocka is not here: meson builds them only when it is found.
build_pkgs=(
        build-essential meson ninja-build pkg-config
        libgrpc-dev protobuf-c-compiler libprotobuf-c-dev libjson-c-dev
        libcurl4-openssl-dev libarchive-dev zlib1g-dev libzstd-dev libsqlite3-dev libssl-dev libsystemd-dev libyaml-dev libgpgme-dev libseccomp-dev
        crun runc containernetworking-plugins iptables gpg
)
# What only the tests use: cmocka, clang (fuzzing, a second compiler), protoc (the Python
# CRI classes), Python with grpcio and pytest, the fixture registry and its tools,
# iproute2 (the network tests look into pod namespaces with ip and nsenter), the
# Prometheus client's parser (test_prometheus.py reads what /metrics serves); man, groff
# and systemd-analyze check the installed man pages and cricd.service (test_install.py);
# btrfs-progs makes the loop-mounted btrfs of the btrfs driver's tests (cricd itself
# drives btrfs through the kernel's ioctls and needs none of it).
test_pkgs=(
        clang clang-format libclang-rt-14-dev libcmocka-dev protobuf-compiler
        python3 python3-grpcio python3-protobuf python3-pytest
        docker-registry skopeo busybox-static apache2-utils openssl zstd
        python3-jwt python3-cryptography iproute2 python3-kubernetes
        man-db groff-base systemd python3-prometheus-client btrfs-progs
)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then
        want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
                missing+=("$p")
        fi
done
if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages: ${missing[*]}; run as root to install them" >&2
        exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
