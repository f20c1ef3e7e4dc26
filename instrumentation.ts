/**
 * Runs once when the server starts: loads and validates the configuration and opens the database,
 * so a bad config or an unwritable data directory stops the start with a clear message.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startPanel } = await import("./server/start");
  await startPanel();
}
