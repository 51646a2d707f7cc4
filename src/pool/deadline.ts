export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long `recovery` says to wait, or Infinity once `deadline` passes first (the fetch goes on, single-flight, for later checkouts). */
export async function beforeDeadline(recovery: Promise<number>, deadline: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(Infinity), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([recovery, late]);
  } finally {
    clearTimeout(timer);
  }
}
