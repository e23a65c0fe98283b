import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The seeds' certificate flow (Kubernetes in Action §5.4.2): `openssl genrsa` and a self-signed
 * `openssl req -new -x509 … -subj /CN=<cn>` (no SAN). Writes `tls.key` and `tls.cert` into `dir`.
 */
export function opensslSeedsPair(dir: string, cn: string): { certFile: string; keyFile: string } {
  const keyFile = join(dir, 'tls.key');
  const certFile = join(dir, 'tls.cert');
  execFileSync('openssl', ['genrsa', '-out', keyFile, '2048'], { stdio: 'ignore' });
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-x509',
      '-key',
      keyFile,
      '-out',
      certFile,
      '-days',
      '360',
      '-subj',
      `/CN=${cn}`,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}
