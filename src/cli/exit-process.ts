/** How long an exit waits for file operations still in the thread pool to return (ms). */
export const EXIT_GRACE_MS = 200;

/** File system requests still running in libuv's thread pool (reads, writes, opens). */
function pendingFileOperations(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('FSReq')).length;
}

/**
 * Ends the process with `code`, even when a file operation is stuck in the kernel.
 *
 * Node's exit joins the thread pool, so one thread blocked for good (opening a FIFO that no
 * process opens, reading one nobody writes, a hung network file system) makes `process.exit` wait
 * forever. Operations that are merely slow get {@link EXIT_GRACE_MS} to return; if any are still
 * running then, the process ends itself with SIGKILL, after one line saying why.
 */
export async function exitProcess(code: number, log: (line: string) => void): Promise<never> {
  const deadline = Date.now() + EXIT_GRACE_MS;
  while (pendingFileOperations() > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const stuck = pendingFileOperations();
  if (stuck > 0) {
    log(
      `${stuck} file operation${stuck === 1 ? ' is' : 's are'} blocked in the kernel (a FIFO without a peer, a hung file system); ending with SIGKILL`,
    );
    process.kill(process.pid, 'SIGKILL');
  }
  process.exit(code);
}
