// A misspelt key deep inside a runner profile: reported at its own line, with the key it meant.
// expect: test/dsl-misuse/profile-option-typo.dag.ts:11: DAG 'profile_option_typo' has an unknown option 'profiles.cluster.imagePulPolicy'. Did you mean 'imagePullPolicy'? [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('profile_option_typo', {
  schedule: null,
  startDate: '2024-01-01',
  profiles: {
    local: { kind: 'bash' },
    cluster: { kind: 'kubernetes', image: 'tasks:latest', namespace: 'jobs',
      imagePulPolicy: 'Always' },
  },
} as never, (d) => {
  d.empty('only');
});
