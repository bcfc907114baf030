// One HTTP probe of a service's health endpoint, for `stack up` and the service supervisor.
import { trustingFetch } from '@duet/service-kit';

/** Whether GET <url> answers 2xx within `timeoutMs`; an https:// url verified with the CA in caFile. */
export async function answersOk(url: string, timeoutMs: number, caFile?: string): Promise<boolean> {
  try {
    const response = await trustingFetch(caFile)(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
