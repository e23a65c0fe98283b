/** `portico dns`: not built yet (see the open issues). */
export function run(_args: string[]): Promise<number> {
  console.error('portico dns: not implemented yet');
  return Promise.resolve(1);
}
