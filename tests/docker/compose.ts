// Driving one Compose project (the learners' docker/queue/compose.yaml) from the test.
//
// CI here has Compose v1 (`docker-compose`); learners mostly have v2 (`docker compose`). The compose file
// is written for both, and this wrapper uses whichever is installed (COMPOSE overrides, e.g.
// COMPOSE="docker compose"). Every call names the file and a project name unique to this run, so a
// learner's own `docker compose up` of the same file on the same daemon is never touched.

import { existsSync } from 'node:fs';
import { run } from './exec.ts';
import type { RunResult } from './exec.ts';

export class ComposeProject {
  private readonly cmd: string;
  private readonly prefix: string[];

  constructor(
    readonly file: string,
    readonly project: string,
    readonly env: NodeJS.ProcessEnv,
    readonly docker: string,
  ) {
    const chosen = process.env.COMPOSE ?? (existsSync('/usr/bin/docker-compose') ? '/usr/bin/docker-compose' : '');
    const words = chosen ? chosen.split(' ') : [docker, 'compose'];
    this.cmd = words[0] ?? 'docker-compose';
    this.prefix = words.slice(1);
  }

  get description(): string {
    return [this.cmd, ...this.prefix].join(' ');
  }

  compose(args: string[], allowFail = false): Promise<RunResult> {
    return this.composeWith([], args, allowFail);
  }

  /** The same, with more compose files merged over the learners' one (`-f ours -f extra ...`). */
  composeWith(extraFiles: string[], args: string[], allowFail = false): Promise<RunResult> {
    const files = [this.file, ...extraFiles].flatMap((f) => ['-f', f]);
    const full = [...this.prefix, ...files, '-p', this.project, ...args];
    return run(this.cmd, full, { env: this.env, allowFail, timeoutMs: 300_000 });
  }

  /** The container id of a service (empty if it has none). */
  async containerId(service: string): Promise<string> {
    const r = await this.compose(['ps', '-q', service]);
    return r.stdout.trim().split('\n')[0] ?? '';
  }

  /** `docker inspect` state of a service's container: running/exited, the exit code, and its healthcheck's verdict. */
  async state(service: string): Promise<{ status: string; exitCode: number; health: string }> {
    const id = await this.containerId(service);
    if (!id) return { status: 'missing', exitCode: -1, health: 'none' };
    const format = '{{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}';
    const r = await this.docker_(['inspect', '--format', format, id]);
    const [status = '', code = '-1', health = 'none'] = r.stdout.trim().split(' ');
    return { status, exitCode: Number(code), health };
  }

  /** Run the docker CLI against the same daemon. */
  docker_(args: string[], allowFail = false): Promise<RunResult> {
    return run(this.docker, args, { env: this.env, allowFail, timeoutMs: 120_000 });
  }

  /** The last lines each service printed, for a failure report. */
  async logs(lines = 25): Promise<string> {
    const r = await this.compose(['logs', '--no-color', `--tail=${lines}`], true);
    return r.stdout + r.stderr;
  }
}
