// The simulator's GloriaMundo API declared as a custom provider (runwatch.customProviders), as a user would write
// it from the API's documentation: the unit tests compare it with the built-in adapter, the extension test puts
// it into the settings, and the README shows it as the worked example.

/** GloriaMundo's documented API, as a user would declare it (the README's worked example). */
export function gloriaMundoDeclaration(baseUrl: string): Record<string, unknown> {
  return {
    id: 'gloria',
    displayName: 'Gloria (declared)',
    baseUrl,
    auth: { header: 'Authorization', scheme: 'Bearer' },
    accountNoun: 'workflow',
    start: { path: '/workflows/${accountId}/execute', body: { input: '${input.input}' }, label: 'Run workflow' },
    status: { path: '/runs/${runId}/status' },
    fields: {
      id: '/run_id',
      status: '/status',
      progress: { current: '/progress/current_step', total: '/progress/total_steps', percent: '/progress/percentage', stage: '/progress/current_step_name' },
      error: '/error',
      result: '/result',
      startedAt: '/started_at',
      finishedAt: '/completed_at',
    },
    cadence: { intervalSeconds: 2, steadyPolls: 5, backoffFactor: 1.5, maxIntervalSeconds: 10 },
    budget: { requests: 60, perSeconds: 60 },
    inputs: [{ name: 'input', label: 'Input (JSON object)', type: 'json' }],
  };
}

