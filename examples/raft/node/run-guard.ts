// Loaded into every Raft node the runner (run.ts) and the chaos command (chaos.ts) start, before server.ts:
//   node --import tsx --import ./examples/raft/node/run-guard.ts examples/raft/node/server.ts
// They start each node with an IPC channel. When the process that started it dies, even by kill -9, the
// channel closes; then this stops the node with SIGTERM (its own clean shutdown, if it has one), so no node is
// left holding its port after its runner is gone. A node started any other way (by hand, in Docker) has no
// channel, and this does nothing.

if (typeof process.send === 'function') {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

export {};
