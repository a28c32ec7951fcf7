// Module hook for tests/perf/lighthouse.ts (registered before Lighthouse is imported; changes nothing on disk).
// Lighthouse 12.2.3 (the last release for Node 20) bundles a trace engine that predates Chromium 13x's traces:
// some PipelineReporter events have no `chrome_frame_reporter`, and ScreenshotsHandler.finalize() throws on them.
// Lighthouse then reports the audits that depend on it (LCP element, render-blocking resources, layout shifts)
// as errors. The metrics and the score do not depend on it; the diagnostics do. One optional chain fixes it.
const TARGET = '/@paulirish/trace_engine/models/trace/handlers/ScreenshotsHandler.js';
const FROM = '.chrome_frame_reporter.frame_sequence';
const TO = '.chrome_frame_reporter?.frame_sequence';

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith(TARGET) || result.source == null) return result;
  const source = String(result.source);
  // If a future trace engine changed this line, leave it alone (the diagnostics may error, the score still holds).
  return source.includes(FROM) ? { ...result, source: source.replace(FROM, TO), shortCircuit: true } : result;
}
