import { appendFileSync } from 'node:fs';

/** TEMPORARY latency instrumentation: JOB_TRACE_FILE=path appends "<label> <key> <ms>" lines. */
const file = process.env.JOB_TRACE_FILE;
const lines: string[] = [];
export const now = (): number => performance.timeOrigin + performance.now();
export function trace(label: string, key: string | number, t = now(), extra = ''): void {
  if (!file) return;
  lines.push(`${process.pid} ${label} ${key} ${t.toFixed(3)} ${extra}`);
}
if (file) {
  const flush = (): void => {
    if (lines.length) appendFileSync(file, lines.splice(0).join('\n') + '\n');
  };
  setInterval(flush, 500).unref();
  process.on('exit', flush);
}
if (file) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { monitorEventLoopDelay } = require('node:perf_hooks') as typeof import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  setInterval(() => {
    if (h.count > 0) lines.push(`${process.pid} eld ${h.count} ${now().toFixed(3)} ${(h.percentile(50) / 1e6).toFixed(2)}/${(h.percentile(99) / 1e6).toFixed(2)}/${(h.max / 1e6).toFixed(2)}`);
    h.reset();
  }, 1000).unref();
}
const profDir = process.env.CL_CPU_PROF_DIR;
if (profDir) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const inspector = require('node:inspector') as typeof import('node:inspector');
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      if (!err) require('node:fs').writeFileSync(`${profDir}/${process.argv[1].split('/').pop()}-${process.pid}.cpuprofile`, JSON.stringify(res.profile));
    });
  });
}
