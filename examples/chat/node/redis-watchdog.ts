// redis-server for `npm run example:chat -- --bus redis`, on a leash. redis-server cannot know that the runner
// that started it is gone, so after a runner killed with kill -9 it would keep the bus port for nobody (and
// the next run would refuse to start). The runner starts this small process instead, with an IPC channel as
// it does for everything else: when that channel closes (the runner is gone, however it died), we stop
// redis-server and exit. Otherwise we stay out of the way: its output is ours, its exit is ours.
//
//   node --import tsx examples/chat/node/redis-watchdog.ts <redis-server arguments>   (started by run.ts)

import { spawn } from 'node:child_process';

const redis = spawn('redis-server', process.argv.slice(2), { stdio: ['ignore', 'inherit', 'inherit'] });
redis.on('error', (err) => {
  console.error(`redis-server could not be started: ${err.message}`);
  process.exit(1);
});
redis.on('exit', (code, signal) => {
  if (signal !== null) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal); // end as it ended, so the runner reports the same
    return;
  }
  process.exit(code ?? 1);
});

function stop(signal: NodeJS.Signals): void {
  if (redis.exitCode === null && redis.signalCode === null) redis.kill(signal);
  setTimeout(() => redis.kill('SIGKILL'), 5_000).unref();
}

// The runner signals our whole process group, redis-server included; pass a signal on only if it did not.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => setTimeout(() => stop(signal === 'SIGHUP' ? 'SIGTERM' : signal), 500).unref());
}
process.on('disconnect', () => {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  stop('SIGTERM');
});
