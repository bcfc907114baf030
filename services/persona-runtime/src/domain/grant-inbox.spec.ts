import { describe, expect, it } from 'vitest';
import type { hypervisor } from '@duet/contracts';
import { GrantInbox, GrantWaitCancelled } from './grant-inbox';

const grant = (tick: number) => ({ grant: { tick } }) as unknown as hypervisor.ExchangeTickResponse;

describe('GrantInbox', () => {
  it('hands a runner the grant of the tick it waits for, whether it came before or after the wait', async () => {
    const sut = new GrantInbox();
    sut.deliver('run', 0, 0, grant(0));
    await expect(sut.take('run', 0, 0)).resolves.toEqual(grant(0));
    const waiting = sut.take('run', 0, 1);
    sut.deliver('run', 0, 1, grant(1));
    await expect(waiting).resolves.toEqual(grant(1));
  });

  it('drops a grant of a tick already taken (a re-simulated tick sent again)', async () => {
    const sut = new GrantInbox();
    sut.deliver('run', 2, 0, grant(0));
    await sut.take('run', 2, 0);
    sut.deliver('run', 2, 0, { grant: { tick: 0, again: true } } as unknown as hypervisor.ExchangeTickResponse);
    const waiting = sut.take('run', 2, 1);
    sut.deliver('run', 2, 1, grant(1));
    await expect(waiting).resolves.toEqual(grant(1));
  });

  it("calls off a shard's wait when the shard moves away", async () => {
    const sut = new GrantInbox();
    const waiting = sut.take('run', 3, 5);
    sut.cancel('run', 3);
    await expect(waiting).rejects.toBeInstanceOf(GrantWaitCancelled);
  });
});
