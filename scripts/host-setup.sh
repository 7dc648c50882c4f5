#!/usr/bin/env bash
# Host preparation that running containers needs on some machines. Idempotent.
#  - crun 1.8 refuses every container in a hybrid cgroup layout where an enabled v1
#    controller is left in the v2 tree (hierarchy 0 in /proc/cgroups; seen with
#    hugetlb): mount such a controller as a v1 hierarchy of its own.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 0
mountpoint -q /sys/fs/cgroup/memory 2>/dev/null || exit 0 # not a v1/hybrid host
awk 'NR > 1 && $2 == 0 && $4 == 1 {print $1}' /proc/cgroups | while read -r ctl; do
        case $ctl in net_cls | net_prio | perf_event) continue ;; esac # crun ignores these
        mountpoint -q "/sys/fs/cgroup/$ctl" && continue
        mkdir -p "/sys/fs/cgroup/$ctl"
        mount -t cgroup -o "$ctl" cgroup "/sys/fs/cgroup/$ctl" ||
                echo "host-setup: cannot mount the $ctl cgroup v1 hierarchy" >&2
done
