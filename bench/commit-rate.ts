/**
 * Throughput from a run's commits: the txs of every commit after the first, over the time from
 * the first commit to the last. A fixed window would instead count one block more or less
 * depending on where its edges fall between commits. Undefined with fewer than two commits.
 */
export function commitRate(commits: ReadonlyArray<{ atMs: number; txs: number }>): number | undefined {
  if (commits.length < 2) return undefined;
  const txs = commits.slice(1).reduce((n, c) => n + c.txs, 0);
  return (txs * 1000) / (commits.at(-1)!.atMs - commits[0]!.atMs);
}
