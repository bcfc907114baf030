// One HTTP probe of a service's health endpoint, for `stack up` and the service supervisor.

/** Whether GET <url> answers 2xx within `timeoutMs`. */
export async function answersOk(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
