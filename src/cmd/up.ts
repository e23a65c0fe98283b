/** `portico up`: not built yet (see the open issues). */
export function run(_args: string[]): Promise<number> {
  console.error('portico up: not implemented yet');
  return Promise.resolve(1);
}
