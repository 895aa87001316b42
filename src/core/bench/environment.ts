/** Git metadata and the machine fingerprint recorded with every run. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import type { GitInfo, MachineFacts, MachineInfo } from './types';

export type { MachineFacts };

function git(args: string[], cwd: string, gitPath: string): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      // No shell: the arguments go to git as they are.
      execFile(gitPath, args, { cwd, timeout: 10_000, windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        resolve(err ? null : stdout.toString());
      });
    } catch {
      resolve(null);
    }
  });
}

/**
 * Commit, branch and dirty flag of the work tree at `cwd`. Outside a repository, or without git
 * installed, every field is null (dirty false): never an error.
 */
export async function gitInfo(cwd: string, gitPath = 'git'): Promise<GitInfo> {
  const commit = (await git(['rev-parse', '--verify', '-q', 'HEAD'], cwd, gitPath))?.trim() || null;
  if (commit === null) {
    const inside = (await git(['rev-parse', '--is-inside-work-tree'], cwd, gitPath))?.trim() === 'true';
    if (!inside) return { commit: null, branch: null, dirty: false };
  }
  const branchOut = (await git(['symbolic-ref', '--short', '-q', 'HEAD'], cwd, gitPath))?.trim();
  const status = await git(['status', '--porcelain', '--untracked-files=no'], cwd, gitPath);
  return { commit, branch: branchOut ? branchOut : null, dirty: status !== null && status.trim() !== '' };
}


/** The id is a hash of the facts, so the same machine always gets the same id. */
export function machineFromFacts(facts: MachineFacts): MachineInfo {
  const canonical = JSON.stringify([facts.os, facts.arch, facts.cpu, facts.cores, facts.memGB, facts.runtime]);
  const id = createHash('sha256').update(canonical).digest('hex').slice(0, 12);
  return { id, ...facts };
}

/** This machine: OS, architecture, CPU model, cores, memory (GB, rounded) and runtime. */
export function currentMachine(runtime = `node ${process.versions.node}`): MachineInfo {
  const cpus = os.cpus();
  return machineFromFacts({
    os: `${os.platform()} ${os.release().split('.').slice(0, 2).join('.')}`,
    arch: os.arch(),
    cpu: (cpus[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    cores: cpus.length,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    runtime,
  });
}
