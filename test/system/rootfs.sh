#!/usr/bin/env bash
# Builds (once) the Debian bookworm root filesystem the system test boots under systemd-nspawn,
# and prints its path. Cached outside the repository, keyed by a hash of this script (the package
# list and the build steps), so a changed list builds a new tree; a finished tree is marked with a
# .complete file, so an interrupted build is never used.
#
#   test/system/rootfs.sh [CACHE_DIR]     default /var/cache/edge-agent-test
#
# Needs root and mmdebstrap (apt-get install -y mmdebstrap). About 3.5 minutes cold.
set -euo pipefail

# systemd 252 as on Raspberry Pi OS bookworm; mosquitto runs inside the container (it has a private
# network); udev for udevadm, which install.sh calls; procps for the test's diagnostics.
PACKAGES=systemd,systemd-sysv,dbus,udev,mosquitto,mosquitto-clients,procps,libstdc++6

cache="${1:-${EDGE_AGENT_ROOTFS_CACHE:-/var/cache/edge-agent-test}}"
key="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
root="$cache/rootfs-bookworm-$key"
if [ -e "$root/.complete" ]; then
  echo "$root"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "rootfs.sh: mmdebstrap is missing (apt-get install -y mmdebstrap)" >&2; exit 69; }
mkdir -p "$cache"
# Older trees of this cache (another key) are no use any more.
find "$cache" -mindepth 1 -maxdepth 1 -name 'rootfs-bookworm-*' ! -name "rootfs-bookworm-$key" -exec rm -rf {} +
rm -rf "$root.tmp"
echo "rootfs.sh: building $root (mmdebstrap bookworm, a few minutes)" >&2
mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
  --customize-hook='echo edge-agent-test >"$1/etc/hostname"' \
  --customize-hook='printf "127.0.0.1 localhost edge-agent-test\n::1 localhost\n" >"$1/etc/hosts"' \
  --customize-hook='chroot "$1" systemctl mask systemd-networkd-wait-online.service getty@tty1.service console-getty.service >/dev/null 2>&1 || true' \
  bookworm "$root.tmp" >&2
touch "$root.tmp/.complete"
mv "$root.tmp" "$root"
echo "$root"
