/** `portico proxy`: not built yet (see the open issues). */
export function run(_args: string[]): Promise<number> {
  console.error('portico proxy: not implemented yet');
  return Promise.resolve(1);
}
