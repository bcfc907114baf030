// What every gRPC server of Duet does with what arrives before its handlers: requests that do not
// decode are refused as INVALID_ARGUMENT (grpc-js answers a deserializer's throw with INTERNAL, as
// if the server were at fault), and outcomes are named by their gRPC status for metrics.
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { MAX_HEADER_BYTES } from './http-limits';

/** google.rpc.Code names by number, as metrics label outcomes (`code="INVALID_ARGUMENT"`). */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
export type GrpcStatusName = (typeof GRPC_STATUS_NAMES)[number];

const INVALID_ARGUMENT = 3;
const UNKNOWN = 2;

/** The status name of a code; UNKNOWN for anything that is not one (a PostgreSQL SQLSTATE, a string). */
export function grpcStatusName(code: unknown): GrpcStatusName {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < GRPC_STATUS_NAMES.length
    ? GRPC_STATUS_NAMES[code]
    : GRPC_STATUS_NAMES[UNKNOWN];
}

/** What a request that did not decode is handed to the handler as; the guard refuses it. */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

interface MethodDefinition {
  requestDeserialize?: (bytes: Buffer) => unknown;
}

/**
 * Makes every method of a proto-loader package definition hand a MalformedRequest to its handler
 * instead of throwing when the bytes are not its request message (garbage, a field cut short).
 * Pass it as the Nest gRPC option `onLoadPackageDefinition`.
 */
export function acceptMalformedRequests(definition: Record<string, unknown>): void {
  for (const service of Object.values(definition)) {
    if (service === null || typeof service !== 'object' || 'format' in service) continue; // message and enum types
    for (const method of Object.values(service as Record<string, MethodDefinition>)) {
      const deserialize = method.requestDeserialize;
      if (typeof deserialize !== 'function') continue;
      method.requestDeserialize = (bytes) => {
        try {
          checkWireFormat(bytes);
          return deserialize(bytes);
        } catch (error) {
          return new MalformedRequest(error instanceof Error ? error.message : String(error));
        }
      };
    }
  }
}

/**
 * Throws unless `bytes` are a sequence of whole protobuf fields. protobufjs reads a string or bytes
 * field that announces more bytes than follow as what there is ("ab" of a 32-byte run id): a
 * message cut short would be taken for a shorter one. A message cut anywhere leaves its last
 * top-level field short, so the top level is enough; nested messages are protobufjs's to read.
 */
export function checkWireFormat(bytes: Uint8Array): void {
  let at = 0;
  const varint = (what: string): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (at >= bytes.length) throw new Error(`${what} at byte ${at} is cut short`);
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error(`${what} ending at byte ${at} is longer than 10 bytes`);
  };
  const skip = (length: number, field: number) => {
    if (at + length > bytes.length) throw new Error(`field ${field} announces ${length} bytes at byte ${at}, ${bytes.length - at} follow`);
    at += length;
  };
  while (at < bytes.length) {
    const tag = varint('a field tag');
    const field = Math.floor(tag / 8);
    if (field === 0) throw new Error(`field number 0 at byte ${at}`);
    switch (tag % 8) {
      case 0:
        varint(`field ${field}`);
        break;
      case 1:
        skip(8, field);
        break;
      case 2:
        skip(varint(`the length of field ${field}`), field);
        break;
      case 5:
        skip(4, field);
        break;
      default:
        throw new Error(`field ${field} has wire type ${tag % 8}, which proto3 messages do not use`);
    }
  }
}

/**
 * INVALID_ARGUMENT for a request that did not decode (see acceptMalformedRequests), or whose
 * metadata is over MAX_HEADER_BYTES, the limit HTTP requests' headers have (431 there).
 */
@Injectable()
export class WellFormedRequestGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'rpc') return true;
    const metadataBytes = bytesOf(context.switchToRpc().getContext<{ getMap?(): Record<string, unknown> }>());
    if (metadataBytes > MAX_HEADER_BYTES) {
      throw new RpcException({ code: INVALID_ARGUMENT, message: `metadata: holds ${metadataBytes} bytes; at most ${MAX_HEADER_BYTES} [max-bytes]` });
    }
    const request: unknown = context.switchToRpc().getData();
    if (!(request instanceof MalformedRequest)) return true;
    throw new RpcException({ code: INVALID_ARGUMENT, message: `the request is not a valid protobuf message of this method: ${request.reason.slice(0, 200)}` });
  }
}

function bytesOf(metadata: { getMap?(): Record<string, unknown> } | undefined): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(metadata?.getMap?.() ?? {}))
    bytes += key.length + (typeof value === 'string' ? Buffer.byteLength(value) : (value as Buffer).length);
  return bytes;
}
