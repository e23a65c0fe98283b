/** Portico's own version, and the Kubernetes version its API server reports (kubectl picks its minor from it). */
export const version = '0.1.0';
export const kubernetesVersion = { major: '1', minor: '32', gitVersion: 'v1.32.0' } as const;
