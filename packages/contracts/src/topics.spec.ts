import { describe, expect, it } from 'vitest';
import * as common from './generated/duet/common/v1/enums';
import * as events from './generated/duet/events/v1/events';
import * as hypervisor from './generated/duet/hypervisor/v1/hypervisor';
import * as persona from './generated/duet/persona/v1/persona';
import * as policy from './generated/duet/policy/v1/policy';
import * as telemetry from './generated/duet/telemetry/v1/telemetry';
import { findTopic, partitionOf, TOPICS } from './topics';

const generatedModules: Record<string, unknown>[] = [common, events, hypervisor, persona, policy, telemetry];

describe('TOPICS', () => {
  it.each(TOPICS.map((topic) => [topic.name, topic] as const))('%s has a payload type that exists in the contracts', (_, topic) => {
    const lastDot = topic.payloadType.lastIndexOf('.');
    const packageName = topic.payloadType.slice(0, lastDot);
    const messageName = topic.payloadType.slice(lastDot + 1);
    const module = generatedModules.find((candidate) => candidate.protobufPackage === packageName);
    expect(module, `no generated package ${packageName}`).toBeDefined();
    expect(module?.[messageName]).toBe(topic.payload);
    const codec: events.MessageFns<unknown> = topic.payload;
    const empty = codec.create();
    expect(codec.decode(codec.encode(empty).finish())).toEqual(empty);
  });

  it('names each topic once, as duet.<subject>.v<version>', () => {
    const names = TOPICS.map((topic) => topic.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^duet\.[a-z]+(-[a-z]+)*\.v[0-9]+$/);
  });

  it('gives topics not keyed by shard one partition, so they stay ordered', () => {
    for (const topic of TOPICS) {
      expect(topic.partitions).toBeGreaterThanOrEqual(1);
      if (topic.key !== 'shard' && topic.key !== 'handset') expect(topic.partitions).toBe(1);
    }
  });

  it('sends a shard to the partition its number names, modulo the partitions', () => {
    const sut = findTopic('duet.handset-events.v1');
    expect(partitionOf(sut, 3)).toBe(3);
    expect(partitionOf(sut, sut.partitions + 3)).toBe(3);
    expect(partitionOf(findTopic('duet.run-lifecycle.v1'), 3)).toBe(0);
  });

  it('rejects an unknown topic name with the known ones', () => {
    expect(() => findTopic('duet.nothing.v1' as never)).toThrow(/known: duet\.handset-events\.v1/);
  });
});
