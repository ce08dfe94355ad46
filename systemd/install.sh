#!/usr/bin/env bash
# Install edge-agent as a hardened systemd service, or remove it. Idempotent: run it again after
# an upgrade. See README "Install on a board".
#
#   sudo systemd/install.sh [--board raspberry-pi|beaglebone-black|udoo-neo | --config FILE] [--no-start]
#   sudo systemd/install.sh --uninstall [--purge]
#   systemd/install.sh --root DIR ...      install into DIR as if it were / (tests, image builds)
#
# What it does: copies the built agent to /opt/edge-agent (production dependencies only), creates
# the system user edge-agent in the i2c and gpio groups (systemd-sysusers), puts the board's
# configuration at /etc/edge-agent/agent.json unless one is there already, creates the state
# directory /var/lib/edge-agent, installs udev rules for /dev/i2c-*, /dev/gpiochip* and the sysfs
# GPIO files, installs and enables the unit, and adds the drop-ins this board needs (in
# /etc/systemd/system/edge-agent.service.d/): gpio-sysfs.conf when the configuration drives GPIO
# pins (sysfs is read-only under ProtectKernelTunables=yes: it makes writable /sys/class/gpio and
# the directories of this board's GPIO controllers, nothing else), notify-access.conf when the
# unix-dgram addon does not load (NotifyAccess=all for the systemd-notify fallback). With --root
# nothing outside DIR is touched: users are written to DIR/etc/passwd by systemd-sysusers --root,
# the unit is enabled with systemctl --root, the GPIO controllers are read from DIR/sys, and
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
dropins="$unit.d"
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
  rm -f "$dropins/gpio-sysfs.conf" "$dropins/notify-access.conf"
  rmdir "$dropins" 2>/dev/null || true
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

# --- udev: the device nodes' group and mode, and the sysfs GPIO files -----------------------------
mkdir -p "$(dirname "$udev")"
cat >"$udev" <<'EOF'
# edge-agent: the I2C buses and GPIO chips belong to the groups the service is in.
# (Raspberry Pi OS ships equivalent rules in 99-com.rules; BeagleBone and Udoo images may not.)
SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"
# sysfs GPIO (/sys/class/gpio, what onoff drives) is made of attribute files, not device nodes, so
# GROUP= and MODE= do not reach them: commands do. export and unexport when the chips appear, and
# each exported line's active_low, direction, edge and value when the kernel creates gpioN (edge
# only exists where the line can interrupt). This runs a moment after the export, which is why
# onoff retries opening the files (raspberrypi/linux #553).
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", ACTION!="remove", RUN+="/bin/sh -c 'cd /sys/class/gpio 2>/dev/null || exit 0; chgrp gpio export unexport && chmod g+w export unexport'"
SUBSYSTEM=="gpio", KERNEL=="gpio[0-9]*", ACTION!="remove", RUN+="/bin/sh -c 'cd /sys%p || exit 0; for f in active_low direction edge value; do if [ -e $$f ]; then chgrp gpio $$f && chmod g+rw $$f; fi; done'"
EOF
if [ -z "$root" ] && command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload || true
  # --action=add: the rules above act on add events (a plain trigger sends change).
  udevadm trigger --action=add --subsystem-match=i2c-dev --subsystem-match=gpio || true
fi
say "udev rules for /dev/i2c-*, /dev/gpiochip* and /sys/class/gpio in $udev"

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

# --- the unit and its drop-ins --------------------------------------------------------------------
mkdir -p "$(dirname "$unit")"
sed "s#^ExecStart=/usr/bin/node #ExecStart=$node_bin #" "$here/edge-agent.service" >"$unit.tmp"
chmod 0644 "$unit.tmp"
mv "$unit.tmp" "$unit"
mkdir -p "$dropins"

write_dropin() { # NAME, with the text on stdin
  cat >"$dropins/$1.tmp"
  chmod 0644 "$dropins/$1.tmp"
  mv "$dropins/$1.tmp" "$dropins/$1"
}

# sd_notify in process (unix-dgram) lets the unit keep NotifyAccess=main; the systemd-notify
# fallback sends from a child, which only NotifyAccess=all accepts. Checked with the node the
# service runs, since a native addon built for another Node ABI does not load.
if dgram_error="$("$node_bin" -e 'require(process.argv[1])' "$prefix/node_modules/unix-dgram" 2>&1)"; then
  rm -f "$dropins/notify-access.conf"
  say "sd_notify in process (the unix-dgram addon loads): NotifyAccess=main"
else
  write_dropin notify-access.conf <<EOF
# Written by install.sh: the unix-dgram addon did not load with $node_bin, so the agent tells
# systemd through the systemd-notify command, a child process, which only NotifyAccess=all
# accepts. Rebuild the addon (npm rebuild unix-dgram) and run install.sh again to remove this.
[Service]
NotifyAccess=all
EOF
  why="$(printf '%s\n' "$dgram_error" | grep -m1 -E '^[A-Za-z]*Error' || true)"
  say "WARNING: the unix-dgram addon does not load (${why:-node printed no error line}): sd_notify goes through systemd-notify, so $dropins/notify-access.conf sets NotifyAccess=all"
fi

# sysfs GPIO under ProtectKernelTunables=yes (which keeps /sys read-only): writable again are only
# /sys/class/gpio (export, unexport) and the GPIO controllers' own directories, where the kernel
# puts each exported gpioN (/sys/class/gpio/gpioN is a symlink into them, and a write follows it).
# Found on this board from each chip's link; a path the kernel no longer has is skipped ("-"), and
# the agent's error then says to run install.sh again.
uses_gpio="$("$node_bin" -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const pins = (c.outputs || []).length + (c.inputs || []).length;
  process.stdout.write(pins > 0 && !(c.gpio && c.gpio.simulated === true) ? "yes" : "no");
' "$etc/agent.json" 2>/dev/null || echo no)"
if [ "$uses_gpio" = yes ]; then
  paths="-/sys/class/gpio"
  for chip in "$root"/sys/class/gpio/gpiochip*; do
    [ -e "$chip" ] || continue
    real="$(readlink -f "$chip")" # …/<controller>/gpio/gpiochipN
    controller="$(dirname "$(dirname "$real")")"
    controller="${controller#"$root"}"
    case " $paths " in *" -$controller "*) ;; *) paths="$paths -$controller" ;; esac
  done
  if [ "$paths" = "-/sys/class/gpio" ]; then
    say "WARNING: no GPIO chips under $root/sys/class/gpio: only /sys/class/gpio is made writable; run install.sh again on the board itself"
  fi
  write_dropin gpio-sysfs.conf <<EOF
# Written by install.sh for this board's GPIO controllers: the configuration drives sysfs GPIO
# pins, and ProtectKernelTunables=yes keeps /sys read-only. Run install.sh again after a kernel
# upgrade that moves the controllers.
[Service]
ReadWritePaths=$paths
EOF
  say "sysfs GPIO writable for the service: $paths ($dropins/gpio-sysfs.conf)"
else
  rm -f "$dropins/gpio-sysfs.conf"
fi
rmdir "$dropins" 2>/dev/null || true
[ -n "$root" ] || systemctl daemon-reload
systemctl_ enable edge-agent.service >/dev/null 2>&1
say "unit $unit installed and enabled"
if $start; then
  systemctl restart edge-agent.service
  say "started: journalctl -u edge-agent -f"
else
  say "not started (--root or --no-start)"
fi
