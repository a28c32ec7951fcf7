// A Docker daemon for the test: reuse one that already answers, or start our own with private paths.
//
// Our own daemon keeps everything (images, containers, volumes, its socket) under /tmp/course-docker*,
// so it disturbs nothing else on the machine and the cleanup can delete it all. It keeps Docker's default
// iptables handling: without it, containers on a compose network cannot reach each other.

import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { run, sleep, waitFor, log } from './exec.ts';

const SOCKET = '/tmp/course-docker.sock';
const DATA_ROOT = '/tmp/course-docker';
const EXEC_ROOT = '/tmp/course-docker-exec';
const PIDFILE = '/tmp/course-docker.pid';
const DAEMON_LOG = '/tmp/course-docker.log';

export interface Daemon {
  /** Environment for docker / docker-compose: DOCKER_HOST points at the daemon. */
  env: NodeJS.ProcessEnv;
  /** The docker CLI to use (the one that matches the daemon). */
  docker: string;
  /** True when this run started the daemon (and so must stop it). */
  ours: boolean;
  stop(): Promise<void>;
}

/**
 * The docker client matching Debian's dockerd (engine 20.10) is /usr/bin/docker; DOCKER_CLI overrides it
 * (e.g. on a machine where the engine and CLI come from docker.com).
 */
function dockerCli(): string {
  if (process.env.DOCKER_CLI) return process.env.DOCKER_CLI;
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

async function answers(docker: string, host: string): Promise<string | undefined> {
  const env = { ...process.env, DOCKER_HOST: host };
  const r = await run(docker, ['version', '--format', '{{.Server.Version}}'], { env, allowFail: true, timeoutMs: 15_000 });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Mount points at or below one of `roots` (deepest first), from /proc/self/mounts. */
function mountsUnder(roots: string[]): string[] {
  let table = '';
  try {
    table = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return []; // not Linux, or no /proc: nothing we could unmount anyway
  }
  const points = table.split('\n').map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '));
  return points.filter((p) => roots.some((r) => p === r || p.startsWith(`${r}/`))).sort((a, b) => b.length - a.length);
}

export async function startDaemon(): Promise<Daemon> {
  const docker = dockerCli();
  const noop = async (): Promise<void> => {};

  // 1. Someone already gave us a working daemon: use it, and leave it running afterwards.
  const given = process.env.DOCKER_HOST;
  if (given) {
    const version = await answers(docker, given);
    if (version) {
      log(`using the daemon at DOCKER_HOST=${given} (engine ${version}); it will be left running`);
      return { env: { ...process.env }, docker, ours: false, stop: noop };
    }
    log(`DOCKER_HOST=${given} does not answer; starting a private daemon instead`);
  }
  const host = `unix://${SOCKET}`;
  const env = { ...process.env, DOCKER_HOST: host };

  // 2. A daemon on our private socket that we did not start (e.g. a parallel run): share it, don't stop it.
  const existing = await answers(docker, host);
  if (existing) {
    log(`a daemon already answers on ${SOCKET} (engine ${existing}); using it and leaving it running`);
    return { env, docker, ours: false, stop: noop };
  }
  if (existsSync(PIDFILE)) {
    const old = Number(readFileSync(PIDFILE, 'utf8').trim());
    if (Number.isInteger(old) && old > 0 && alive(old)) {
      throw new Error(`${PIDFILE} names a running process (${old}) whose daemon does not answer; stop it first`);
    }
    rmSync(PIDFILE, { force: true }); // left over from a run that was killed: dockerd would refuse to start
  }

  // 3. Start our own.
  const dockerd = process.env.DOCKERD ?? (existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : 'dockerd');
  const args = ['--host', host, '--data-root', DATA_ROOT, '--exec-root', EXEC_ROOT, '--pidfile', PIDFILE];
  // dockerd creates the docker0 bridge and leaves it behind when it stops; remove it then if we caused it.
  const hadBridge = existsSync('/sys/class/net/docker0');
  log(`starting ${dockerd} ${args.join(' ')}`);
  const out = openSync(DAEMON_LOG, 'w');
  // Its own process group: a Ctrl-C in the terminal reaches the test (which then cleans up in order), not dockerd.
  const child = spawn(dockerd, args, { stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  let exited = false;
  child.on('exit', () => (exited = true));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${dockerd}`);

  const stop = async (): Promise<void> => {
    if (!exited && alive(pid)) {
      log(`stopping dockerd (pid ${pid})`);
      const t0 = Date.now();
      process.kill(pid, 'SIGTERM'); // dockerd stops its containers and its containerd, then exits
      const deadline = Date.now() + 30_000;
      while (!exited && alive(pid) && Date.now() < deadline) await sleep(250);
      if (!exited && alive(pid)) {
        log('dockerd did not stop within 30 s; sending SIGKILL');
        process.kill(pid, 'SIGKILL');
        await sleep(1000);
      }
      log(`dockerd exited after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    // A dockerd that ran containers can leave its network namespace mounted under the exec root, which
    // then cannot be deleted (EBUSY). Unmount whatever is still mounted under our own paths, and nothing else.
    for (const mount of mountsUnder([DATA_ROOT, EXEC_ROOT])) await run('umount', [mount], { allowFail: true }).catch(() => undefined);
    if (!hadBridge && existsSync('/sys/class/net/docker0')) await run('ip', ['link', 'delete', 'docker0'], { allowFail: true }).catch(() => undefined);
    for (const dir of [DATA_ROOT, EXEC_ROOT, PIDFILE, SOCKET, DAEMON_LOG]) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (err) {
        log(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    log(`dockerd stopped; removed ${DATA_ROOT}, ${EXEC_ROOT} and its socket, pidfile and log`);
  };

  try {
    const version = await waitFor(
      'dockerd to answer',
      async () => {
        if (exited) throw new Error('dockerd exited');
        return answers(docker, host);
      },
      60_000,
    );
    log(`dockerd ${version} is up (pid ${pid})`);
  } catch (err) {
    const tail = existsSync(DAEMON_LOG) ? readFileSync(DAEMON_LOG, 'utf8').split('\n').slice(-15).join('\n') : '';
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- dockerd log (last lines) ---\n${tail}`);
  }
  return { env, docker, ours: true, stop };
}
