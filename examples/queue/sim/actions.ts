// The learner's faults and settings (kill or restart a worker, crash or restart the broker, a poison job, a
// new visibility timeout), applied to the world at a moment of simulated time. A scripted action and a
// button press end up here alike, which is why a replay link reproduces what the learner did.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { crashBroker, execute, recoverBroker } from './broker.ts';
import { dropMessages, emit, schedule, seconds } from './network.ts';
import type { Action } from './script.ts';
import { PRODUCER_PAUSE_MS, type World } from './types.ts';

// #region actions
/** The learner's hand (or the scenario's): faults and settings, at a moment of simulated time. */
export function perform(world: World, action: Action): void {
  const ignored = (why: string) => emit(world, 'you', 'ignored', `${describe(action)}: nothing to do, ${why}`);
  switch (action.do) {
    case 'kill-worker': {
      const w = world.workers[action.worker - 1]!;
      if (!w.up) return ignored(`${w.name} is already down`);
      // The simulator sees everything: say whether the broker still counts this worker's job as leased to it.
      const held = w.job ? world.broker.state?.jobs[w.job.id]?.lease : undefined;
      const leased = w.job !== undefined && held?.token === w.job.token;
      const note = w.job === undefined ? '' : leased ? `: ${w.job.id} dies with it, still leased to it` : `: it was busy with ${w.job.id}`;
      emit(world, 'you', 'worker-killed', `${describe(action)}${note}`, leased ? w.job!.id : undefined);
      w.up = false;
      w.life += 1; // its timers and replies from now on belong to a dead process
      w.activity = 'down';
      delete w.job;
      delete w.outstanding;
      return dropMessages(world, w.name, `${w.name} was killed`);
    }
    case 'restart-worker': {
      const w = world.workers[action.worker - 1]!;
      if (w.up) return ignored(`${w.name} is running`);
      emit(world, 'you', 'worker-restarted', describe(action));
      w.up = true;
      w.life += 1;
      w.activity = 'idle';
      return schedule(world, world.now, { type: 'worker-poll', worker: action.worker, life: w.life });
    }
    case 'crash-broker': {
      if (!world.broker.up) return ignored('the broker is already down');
      emit(world, 'you', 'broker-crashed', `${describe(action)}: its memory is gone; the log on disk (${world.broker.log.length} commands) survives`);
      return crashBroker(world);
    }
    case 'restart-broker': {
      if (world.broker.up) return ignored('the broker is running');
      emit(world, 'you', 'broker-restarted', describe(action));
      return recoverBroker(world);
    }
    case 'poison': {
      const p = world.producer;
      if (p.poisonNext) return ignored('the next job is poison already');
      p.poisonNext = true;
      // The next job the producer has not made yet (the one in flight, if any, is made already).
      const unmade = p.outstanding === undefined ? p.next : p.next + 1;
      if (unmade <= p.total) return emit(world, 'you', 'poison', `${describe(action)}: it will fail on every attempt`);
      // Every job is made already: the producer makes one more, the poison one.
      p.total += 1;
      emit(world, 'you', 'poison', `${describe(action)}: the producer sends one more job, p-${unmade}, which will fail on every attempt`);
      if (p.outstanding !== undefined) return; // it sends p-<unmade> once the job in flight is acknowledged
      return schedule(world, world.now + PRODUCER_PAUSE_MS, { type: 'producer-send' });
    }
    case 'set-timeout': {
      if (!world.broker.up) return ignored('the broker is down');
      emit(world, 'you', 'set-timeout', describe(action));
      const config = { ...world.broker.state!.config, visibilityTimeoutMs: action.ms };
      execute(world, { type: 'configure', now: world.now, config });
      return emit(world, 'broker', 'configured', `visibility timeout now ${seconds(action.ms)} (logged; leases already granted keep their expiry)`);
    }
  }
}

function describe(action: Action): string {
  switch (action.do) {
    case 'kill-worker':
      return `kill worker-${action.worker}`;
    case 'restart-worker':
      return `restart worker-${action.worker}`;
    case 'crash-broker':
      return 'crash the broker';
    case 'restart-broker':
      return 'restart the broker';
    case 'poison':
      return 'make the next job poison';
    case 'set-timeout':
      return `set the visibility timeout to ${seconds(action.ms)}`;
  }
}

/** Throws if the action names a worker that does not exist or a timeout that is not a whole number of ms. */
export function checkAction(action: Action, workers: number): void {
  if (!Number.isSafeInteger(action.at) || action.at < 0) throw new Error(`an action's time must be a whole number of ms, not ${action.at}`);
  if ((action.do === 'kill-worker' || action.do === 'restart-worker') && !(Number.isInteger(action.worker) && action.worker >= 1 && action.worker <= workers)) {
    throw new Error(`${action.do}: there is no worker ${action.worker} (workers are 1 to ${workers})`);
  }
  if (action.do === 'set-timeout' && !(Number.isSafeInteger(action.ms) && action.ms >= 1)) {
    throw new Error(`set-timeout: the timeout must be a whole number of ms of at least 1, not ${action.ms}`);
  }
}
// #endregion actions
