// Requests Node's HTTP parser refuses before any handler sees them (headers over its 16 KB limit, a
// malformed request line) are answered in the `{ error, issues }` shape every Duet HTTP refusal
// has, instead of Node's bare status line: a 1 MB Authorization header gets a 431 it can read.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** Request headers (HTTP) and metadata (gRPC) a Duet server reads: Node's default --max-http-header-size, which the servers keep. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Answers the HTTP parser's refusals on `server` as JSON; once per server. */
export function answerParserRefusals(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify(
      tooLarge
        ? {
            error: 'request headers too large',
            issues: [{ path: '(headers)', rule: 'max-bytes', message: `request headers hold at most ${MAX_HEADER_BYTES} bytes` }],
          }
        : { error: 'malformed HTTP request', issues: [{ path: '(request)', rule: 'http', message: 'is not an HTTP/1.1 request' }] },
    );
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
