// Loaded with `-r` into a service process when BENCH_PROFILE_DIR is set: the first SIGWINCH starts
// a V8 CPU profile, the second writes it to BENCH_PROFILE_FILE (a signal whose default is to do
// nothing, and one Nest's shutdown hooks leave alone), so that a profile covers the
// measured run only, not the boot, the migrations or the setup.
const { Session } = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');

const out = process.env.BENCH_PROFILE_FILE;
if (out) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGWINCH', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable');
      session.post('Profiler.setSamplingInterval', { interval: 1000 });
      session.post('Profiler.start');
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify(result.profile));
    });
  });
}
