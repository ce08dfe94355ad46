/**
 * What actually keeps this process from a device node or a sysfs file, in words an operator can act
 * on. The error code already tells the mechanisms apart:
 * - EACCES: the file's owner, group and mode (so: which group, and is this process in it?);
 * - EPERM on opening a device node: the device cgroup, which systemd programs from the unit's
 *   DevicePolicy=/DeviceAllow= (file modes never give EPERM on open; access(2) does not even ask
 *   the cgroup, which is why the device is opened, not access()ed, to check it);
 * - EROFS: a read-only mount, which for /sys under the unit is ProtectKernelTunables=yes.
 * Facts are read best effort: a hint must never throw.
 */
import { readFileSync, statSync } from 'node:fs';

export interface AccessFacts {
  path: string;
  owner: string;
  group: string;
  /** Octal, e.g. "0660". */
  mode: string;
  /** This process: its user and every group it is in. */
  user: string;
  groups: string[];
  /** Is this process in the file's group? */
  inGroup: boolean;
}

function names(file: string): Map<number, string> {
  const map = new Map<number, string>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && /^\d+$/.test(id)) map.set(Number(id), name);
    }
  } catch {
    // no names, numbers then
  }
  return map;
}

/** The owner, group and mode of `path` and who this process is; undefined when unreadable. */
export function accessFacts(path: string): AccessFacts | undefined {
  try {
    const stat = statSync(path);
    const users = names('/etc/passwd');
    const groupNames = names('/etc/group');
    const group = (gid: number): string => groupNames.get(gid) ?? String(gid);
    const uid = process.getuid?.() ?? -1;
    const gids = [...new Set([process.getgid?.() ?? -1, ...(process.getgroups?.() ?? [])])];
    return {
      path,
      owner: users.get(stat.uid) ?? String(stat.uid),
      group: group(stat.gid),
      mode: `0${(stat.mode & 0o777).toString(8)}`,
      user: users.get(uid) ?? String(uid),
      groups: gids.map(group),
      inGroup: gids.includes(stat.gid),
    };
  } catch {
    return undefined;
  }
}

/** "(owner root:i2c, mode 0660; this process: edge-agent in edge-agent,i2c,gpio)". */
export function describeFacts(facts: AccessFacts): string {
  return `(owner ${facts.owner}:${facts.group}, mode ${facts.mode}; this process: ${facts.user} in ${facts.groups.join(',')})`;
}

/**
 * Why file modes refuse `facts.path`, and the fix: the process is not in the file's group, or the
 * group lacks the permission (`need` is what the group must be given, "rw" or "w"), or the file
 * still belongs to root because the udev rule that hands it over has not run.
 */
export function modeDenial(facts: AccessFacts, wantGroup: string, rule: string, need: 'rw' | 'w'): string {
  const where = describeFacts(facts);
  if (facts.group !== wantGroup) {
    return `${facts.path} is not in group ${wantGroup} ${where}: ${rule} has not run or does not match (sudo udevadm trigger --action=add, or reboot; systemd/install.sh installs it as /etc/udev/rules.d/60-edge-agent.rules)`;
  }
  if (!facts.inGroup) {
    return `${facts.path} belongs to group ${wantGroup}, which this process is not in ${where}: add the user to it (sudo usermod -aG ${wantGroup} USER, then log in again; the unit's SupplementaryGroups= lists it for the service)`;
  }
  return `${facts.path} belongs to group ${wantGroup}, but its mode gives the group no ${need === 'rw' ? 'read and write' : 'write'} permission ${where}: ${rule} sets it (sudo udevadm trigger --action=add, or reboot)`;
}
