import { execFileSync } from 'node:child_process';

/**
 * Fails the run early, with the fix, when the e2e suite cannot start its own Redis servers.
 */
export default function globalSetup(): void {
  if (process.env.REDIS_URL) return;
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch (cause) {
    throw new Error(
      'redis-server was not found on PATH. The e2e tests start their own Redis servers on free ports.\n' +
        'Install it (Debian/Ubuntu: `apt-get install -y redis-server`, macOS: `brew install redis`) ' +
        'or set REDIS_URL to an existing server you may write to.',
      { cause },
    );
  }
}
