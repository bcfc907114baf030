#!/usr/bin/env node
// Decoding one shard's demand of the tick exchange (ExchangeTickRequest, 25,000 handsets): the
// generated protobuf decoder against service-kit's columnar decoder, which hypervisor-core uses for
// the demands it reads from Kafka. Prints milliseconds per message for each.
// Usage: npm run build && node bench/exchange-codec.bench.js [--handsets 25000] [--runs 200]
const { join } = require('node:path');
const { benchFlags } = require('./support');
const { performance } = require('node:perf_hooks');
const { hypervisor } = require(join(__dirname, '..', 'packages', 'contracts', 'dist'));
const { decodeExchangeTickRequest } = require(join(__dirname, '..', 'packages', 'service-kit', 'dist'));

const values = benchFlags({ handsets: '25000', runs: '200' });
const n = Number(values.handsets);
const runs = Number(values.runs);
const column = (value) => Array.from({ length: n }, (_, i) => value(i));
const bytes = hypervisor.ExchangeTickRequest.encode({
  demand: {
    runId: 'bench',
    shard: 1,
    tick: 5,
    persona: 1,
    handsetIds: column((i) => i * 4 + 1),
    cpuMhz: column((i) => (i * 7) % 1200),
    memoryMb: column((i) => (i * 3) % 512),
    radioKbps: column((i) => i % 300),
    screenOn: column((i) => i % 3 === 0),
    app: column((i) => i % 9),
    worldRequest: column(() => 0),
    policyRevision: column(() => 2),
    policyApplied: column(() => true),
  },
  flowRequests: { handsetIds: [1, 5], kind: [1, 2] },
}).finish();
console.log(`one demand of ${n.toLocaleString('en-US')} handsets: ${bytes.length.toLocaleString('en-US')} bytes`);
for (const [name, decode] of [
  ['generated (ts-proto)', (message) => hypervisor.ExchangeTickRequest.decode(message)],
  ['columnar (service-kit)', decodeExchangeTickRequest],
]) {
  for (let i = 0; i < 20; i++) decode(bytes);
  const started = performance.now();
  for (let i = 0; i < runs; i++) decode(bytes);
  console.log(`${name.padEnd(24)} ${((performance.now() - started) / runs).toFixed(3)} ms per message`);
}
