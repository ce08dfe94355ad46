#!/usr/bin/env bash
# Install edge-agent as a hardened systemd service, or remove it. Idempotent: run it again after
# an upgrade. See README "Install on a Raspberry Pi".
#
#   sudo systemd/install.sh [--board raspberry-pi|beaglebone-black|udoo-neo | --config FILE] [--no-start]
#   sudo systemd/install.sh --uninstall [--purge]
#   systemd/install.sh --root DIR ...      install into DIR as if it were / (tests, image builds)
#
# What it does: copies the built agent to /opt/edge-agent (production dependencies only), creates
# the system user edge-agent in the i2c and gpio groups (systemd-sysusers), puts the board's
# configuration at /etc/edge-agent/agent.json unless one is there already, creates the state
# directory /var/lib/edge-agent, installs udev rules for /dev/i2c-* and /dev/gpiochip*, and installs
# and enables the unit. With --root nothing outside DIR is touched: users are written to
# DIR/etc/passwd by systemd-sysusers --root, the unit is enabled with systemctl --root, and
# nothing is started.
set -euo pipefail

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 64
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(dirname "$here")"
root=""
board=""
config=""
uninstall=false
purge=false
start=true

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --board) board="${2:?--board needs a name}"; shift 2 ;;
    --config) config="${2:?--config needs a file}"; shift 2 ;;
    --source) source_dir="${2:?--source needs a directory}"; shift 2 ;;
    --uninstall) uninstall=true; shift ;;
    --purge) purge=true; shift ;;
    --no-start) start=false; shift ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage ;;
  esac
done

if [ -n "$root" ]; then
  mkdir -p "$root"
  root="$(cd "$root" && pwd)"
  start=false
elif [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run it as root (sudo), or give --root DIR to install into a folder" >&2
  exit 77
fi

prefix="$root/opt/edge-agent"
etc="$root/etc/edge-agent"
state="$root/var/lib/edge-agent"
unit="$root/etc/systemd/system/edge-agent.service"
sysusers="$root/usr/lib/sysusers.d/edge-agent.conf"
udev="$root/etc/udev/rules.d/60-edge-agent.rules"

say() { echo "edge-agent: $*"; }

systemctl_() {
  if [ -n "$root" ]; then systemctl --root="$root" "$@"; else systemctl "$@"; fi
}

if $uninstall; then
  if [ -e "$unit" ]; then
    if [ -n "$root" ]; then systemctl_ disable edge-agent.service >/dev/null 2>&1 || true
    else systemctl disable --now edge-agent.service || true; fi
    rm -f "$unit"
    say "removed the unit"
  fi
  rm -rf "$prefix" "$sysusers" "$udev"
  [ -n "$root" ] || systemctl daemon-reload
  say "removed $prefix"
  if $purge; then
    rm -rf "$etc" "$state"
    say "purged $etc and $state"
  else
    say "kept $etc and $state (--purge removes them)"
  fi
  say "the system user edge-agent is left in place (files may still belong to its uid)"
  exit 0
fi

# --- the agent --------------------------------------------------------------------------------
if [ ! -f "$source_dir/dist/agent/cli.js" ] || [ ! -d "$source_dir/node_modules" ]; then
  echo "install.sh: $source_dir has no built agent: run 'npm ci && npm run build' there first" >&2
  exit 66
fi
node_bin="$(command -v node || true)"
if [ -z "$node_bin" ]; then
  echo "install.sh: node not found: install Node.js 20 or later first" >&2
  exit 69
fi
node_bin="$(readlink -f "$node_bin")"
node_major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: Node.js $("$node_bin" --version) is too old: edge-agent needs 20 or later" >&2
  exit 69
fi

case "$node_bin" in
  /home/*|/root/*|/run/user/*)
    message="node is at $node_bin, inside a home directory, which the service cannot see (ProtectHome=yes): install Node.js system-wide (/usr/bin or /usr/local/bin)"
    # Under --root nothing runs the unit here (an image build may install node later): a warning.
    if [ -n "$root" ]; then say "WARNING: $message"; else echo "install.sh: $message" >&2; exit 69; fi ;;
esac

# Build the new tree beside the old one and swap, so a failed copy leaves the old install intact.
mkdir -p "$(dirname "$prefix")"
rm -rf "$prefix.new"
mkdir -p "$prefix.new/dist"
cp -a "$source_dir/dist/agent" "$source_dir/dist/drivers" "$prefix.new/dist/"
cp -a "$source_dir/config" "$source_dir/systemd" "$source_dir/package.json" "$prefix.new/"
[ -f "$source_dir/package-lock.json" ] && cp -a "$source_dir/package-lock.json" "$prefix.new/"
[ -f "$source_dir/README.md" ] && cp -a "$source_dir/README.md" "$prefix.new/"
cp -a "$source_dir/node_modules" "$prefix.new/"
if command -v npm >/dev/null 2>&1; then
  # Removes the development packages (TypeScript, test tools) offline; nothing is downloaded.
  (cd "$prefix.new" && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts >/dev/null 2>&1) \
    || say "npm prune failed: development packages left in $prefix (harmless, only larger)"
fi
rm -rf "$prefix.old"
[ -d "$prefix" ] && mv "$prefix" "$prefix.old"
mv "$prefix.new" "$prefix"
rm -rf "$prefix.old"
say "installed the agent in $prefix (node $node_bin)"

# --- the user ---------------------------------------------------------------------------------
mkdir -p "$(dirname "$sysusers")"
cat >"$sysusers" <<'EOF'
# edge-agent's system user: no login, no home of its own, in the groups that own the I2C buses
# (/dev/i2c-*) and the GPIO character devices (/dev/gpiochip*).
u edge-agent - "edge-agent telemetry agent" /var/lib/edge-agent /usr/sbin/nologin
m edge-agent i2c
m edge-agent gpio
EOF
if command -v systemd-sysusers >/dev/null 2>&1; then
  if [ -n "$root" ]; then
    mkdir -p "$root/etc"
    systemd-sysusers --root="$root" "$sysusers"
  else
    systemd-sysusers "$sysusers"
  fi
elif [ -z "$root" ]; then
  getent group i2c >/dev/null || groupadd --system i2c
  getent group gpio >/dev/null || groupadd --system gpio
  id edge-agent >/dev/null 2>&1 || useradd --system --home-dir /var/lib/edge-agent --no-create-home --shell /usr/sbin/nologin --user-group edge-agent
  usermod -a -G i2c,gpio edge-agent
else
  echo "install.sh: --root needs systemd-sysusers to create the user inside $root (apt-get install systemd)" >&2
  exit 69
fi
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$root/etc/$2"; }
uid="$(uid_of edge-agent passwd)"
gid="$(uid_of edge-agent group)"
say "system user edge-agent (uid $uid) in groups i2c and gpio"

# Ownership by number: under --root the user exists only in DIR/etc/passwd. Not being root
# (a test) only means the files stay ours.
own() { chown "$1" "$2" 2>/dev/null || say "could not chown $2 to $1 (not root): left as is"; }

# --- udev: the device nodes' group and mode ------------------------------------------------------
mkdir -p "$(dirname "$udev")"
cat >"$udev" <<'EOF'
# edge-agent: the I2C buses and GPIO chips belong to the groups the service is in.
# (Raspberry Pi OS ships the same rules in 99-com.rules; BeagleBone and Udoo images may not.)
SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"
EOF
if [ -z "$root" ] && command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload || true
  udevadm trigger --subsystem-match=i2c-dev --subsystem-match=gpio || true
fi
say "udev rules for /dev/i2c-* and /dev/gpiochip* in $udev"

# --- configuration and state ----------------------------------------------------------------------
mkdir -p "$etc"
chmod 0750 "$etc"
own "0:$gid" "$etc"
if [ -e "$etc/agent.json" ]; then
  say "kept the existing $etc/agent.json"
else
  if [ -z "$config" ]; then
    if [ -z "$board" ]; then
      model="$(tr -d '\0' </proc/device-tree/model 2>/dev/null || true)"
      case "$model" in
        *"Raspberry Pi"*) board=raspberry-pi ;;
        *BeagleBone*) board=beaglebone-black ;;
        *UDOO*|*Udoo*) board=udoo-neo ;;
        *) echo "install.sh: cannot tell the board ('$model'): give --board raspberry-pi|beaglebone-black|udoo-neo or --config FILE" >&2; exit 64 ;;
      esac
    fi
    config="$source_dir/config/$board.json"
    [ -f "$config" ] || { echo "install.sh: no example configuration for board '$board' ($config)" >&2; exit 64; }
  fi
  install -m 0640 "$config" "$etc/agent.json"
  own "0:$gid" "$etc/agent.json"
  say "configuration $etc/agent.json from $config: edit it (deviceId, mqtt), then systemctl restart edge-agent"
fi
if ! "$node_bin" "$prefix/dist/agent/cli.js" check-config "$etc/agent.json" >/dev/null 2>"$etc/.check-config.log"; then
  say "WARNING: $etc/agent.json is not valid yet; the service will stop with status 78 until it is:"
  sed 's/^/  /' "$etc/.check-config.log"
fi
rm -f "$etc/.check-config.log"

mkdir -p "$state"
chmod 0750 "$state"
own "$uid:$gid" "$state"
say "state directory $state"

# --- the unit ------------------------------------------------------------------------------------
mkdir -p "$(dirname "$unit")"
sed "s#^ExecStart=/usr/bin/node #ExecStart=$node_bin #" "$here/edge-agent.service" >"$unit.tmp"
chmod 0644 "$unit.tmp"
mv "$unit.tmp" "$unit"
[ -n "$root" ] || systemctl daemon-reload
systemctl_ enable edge-agent.service >/dev/null 2>&1
say "unit $unit installed and enabled"
if $start; then
  systemctl restart edge-agent.service
  say "started: journalctl -u edge-agent -f"
else
  say "not started (--root or --no-start)"
fi
