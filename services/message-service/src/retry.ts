const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work`, and again after each delay while it fails with an error `isTransient` accepts.
 * Retrying here, inside a conversation's turn, keeps its messages in order through a short
 * database outage; giving the command back to the broker would let the next one overtake it.
 */
export async function retryTransient<T>(
  work: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  delaysMs: readonly number[] = [100, 250, 500, 1000, 2000],
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isTransient(error)) throw error;
      await sleep(delay);
    }
  }
}
