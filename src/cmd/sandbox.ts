/** `portico sandbox`: not built yet (see the open issues). */
export function run(_args: string[]): Promise<number> {
  console.error('portico sandbox: not implemented yet');
  return Promise.resolve(1);
}
