import { spawn } from 'node:child_process';
import { startSandbox } from '../test/sandbox/index.js';

// `npm run demo`: the embedded sandbox on test/scenarios/demo.yaml, and the built CLI run against it with
// no credentials of yours. Everything stays on 127.0.0.1.
const scenario = process.env.DEMO_SCENARIO ?? 'test/scenarios/demo.yaml';
const config = process.env.DEMO_CONFIG ?? 'test/scenarios/demo.env-reaper.yaml';
const sandbox = await startSandbox({ scenario });

function cli(args: string[]): Promise<number> {
  console.log(`\n$ env-reaper ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', ...args], {
      stdio: 'inherit',
      env: {
        ...process.env,
        ...sandbox.env(),
        ENV_REAPER_LOG_LEVEL: process.env.ENV_REAPER_LOG_LEVEL ?? 'warn',
      },
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

let code = 0;
try {
  console.log(`sandbox: AWS ${sandbox.awsEndpoint}, GitLab ${sandbox.gitlabUrl} (scenario ${scenario})`);
  code = await cli(['audit', '--config', config]);
  console.log(
    `\n(exit code ${code}: 1 means some GitLab lookups failed — acme/infra is set to answer 500 in this scenario)`,
  );
  const totals = Object.entries(sandbox.world.counts())
    .map(([service, ops]) => `${service} ${Object.values(ops).reduce((a, b) => a + b, 0)}`)
    .join(', ');
  console.log(`API calls the sandbox served: ${totals}`);
} finally {
  await sandbox.close();
}
process.exit(code === 1 ? 0 : code);
