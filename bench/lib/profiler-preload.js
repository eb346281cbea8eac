'use strict';
/**
 * Preloaded (`node -r`) into a process the bench profiles: SIGUSR2 starts the V8 CPU profiler,
 * the next SIGUSR2 stops it and writes the profile to BENCH_PROFILE_OUT. Only the window the
 * bench chooses is profiled (steady load, not start-up or seeding).
 */
const inspector = require('node:inspector');
const fs = require('node:fs');

const session = new inspector.Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
    return;
  }
  session.post('Profiler.stop', (err, result) => {
    running = false;
    const out = process.env.BENCH_PROFILE_OUT;
    if (!err && out) fs.writeFileSync(out, JSON.stringify(result.profile));
  });
});
