// @ts-nocheck
import { parseArgs } from 'node:util';
import { startSandbox } from './index.js';

// `npm run sandbox -- --scenario test/scenarios/demo.yaml`: both servers on 127.0.0.1, one JSON line when
// ready, until SIGINT/SIGTERM.
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'test/scenarios/demo.yaml' },
    'aws-port': { type: 'string', default: '0' },
    'gitlab-port': { type: 'string', default: '0' },
  },
});
const sandbox = await startSandbox({
  scenario: values.scenario as string,
  awsPort: Number(values['aws-port']),
  gitlabPort: Number(values['gitlab-port']),
});
console.log(
  JSON.stringify({
    awsEndpoint: sandbox.awsEndpoint,
    gitlabUrl: sandbox.gitlabUrl,
    gitlabToken: sandbox.gitlabToken,
  }),
);
const stop = () => {
  void sandbox.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
