// After a browser run, each test file's wall time per engine (and form), slowest first: from the
// moment its page started loading to the moment its session finished, the figure CI's budget is
// made of (a test's own `duration` leaves out page loads and the time between tests), and the
// slowest tests by their own duration.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reporter, TestSession, TestSuiteResult } from '@web/test-runner';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The slowest tests listed per engine and form. */
const SLOWEST_TESTS = 8;

function collectTests(suite: TestSuiteResult | undefined, add: (name: string, ms: number) => void, path: string[] = []): void {
  if (!suite) return;
  for (const test of suite.tests) add([...path, test.name].join(' › '), test.duration ?? 0);
  for (const child of suite.suites) collectTests(child, add, [...path, child.name]);
}

export function durationsReporter(): Reporter {
  const began = new Map<string, number>();
  const took = new Map<string, { key: string; file: string; ms: number }>();
  const tests: { key: string; name: string; ms: number }[] = [];
  return {
    start({ sessions, startTime }) {
      // Sessions already loading when the run starts count from its start.
      for (const session of sessions.all()) if (session.status !== 'SCHEDULED') began.set(session.id, startTime);
      sessions.on('session-status-updated', (session: TestSession) => {
        if (session.status === 'INITIALIZING') began.set(session.id, Date.now());
        if (session.status === 'FINISHED') {
          const key = `${session.browser.name}${session.group.name === 'default' ? '' : ` (${session.group.name})`}`;
          const file = relative(root, session.testFile).replace('test/browser/', '');
          took.set(session.id, { key, file, ms: Date.now() - (began.get(session.id) ?? startTime) });
          collectTests(session.testResults, (name, ms) => tests.push({ key, name: `${file} › ${name}`, ms }));
        }
      });
    },
    onTestRunFinished() {
      const byKey = new Map<string, { file: string; ms: number }[]>();
      for (const { key, file, ms } of took.values()) byKey.set(key, [...(byKey.get(key) ?? []), { file, ms }]);
      const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
      const lines = [...byKey].map(([key, files]) => {
        const total = files.reduce((sum, { ms }) => sum + ms, 0);
        const slowest = files.sort((a, b) => b.ms - a.ms).map(({ file, ms }) => `${file} ${seconds(ms)}`);
        const slowTests = tests
          .filter((test) => test.key === key)
          .sort((a, b) => b.ms - a.ms)
          .slice(0, SLOWEST_TESTS)
          .map(({ name, ms }) => `  ${seconds(ms)} ${name}`);
        return [`time in ${key}: ${seconds(total)} over ${files.length} files; ${slowest.join(', ')}`, ...slowTests].join('\n');
      });
      console.log(`\n${lines.join('\n')}`);
    },
  };
}
