import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { SseClient } from '../../../src/feed/sse-client';
import { waitFor } from './helpers';

/**
 * Issue 16.1: a consumer that stops reading is dropped after SSE_SLOW_CLIENT_MS instead of
 * keeping its backlog in the process. Real sockets: an HTTP server hands its response to an
 * SseClient; the test's socket reads the headers, then never reads again.
 */
describe('SseClient: slow consumers', () => {
  let server: Server;
  let responses: ServerResponse[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      responses.push(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  /** Connects, reads the first bytes, then pauses for good. */
  const stalledConsumer = async (): Promise<ServerResponse> => {
    const before = responses.length;
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    sockets.push(socket);
    socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.pause();
    await waitFor(() => responses.length > before, 'the server to answer');
    return responses[responses.length - 1];
  };

  it('a consumer that has not drained within SSE_SLOW_CLIENT_MS is dropped', async () => {
    const slow = new SseClient(1, await stalledConsumer(), 0, 1024 * 1024 * 1024, 300);
    const frame = `data: ${'x'.repeat(64 * 1024)}\n\n`;
    // Write until the kernel's buffers are full and a backlog stays in the process.
    for (let i = 0; i < 4000 && slow.backlogBytes < 2 * 1024 * 1024 && !slow.closed; i++) {
      slow.write(frame);
      if (i % 8 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    expect(slow.backlogBytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(slow.closed).toBe(false);
    await waitFor(() => slow.closed, 'the slow consumer to be dropped', 10_000);
  });

  it('drained() resolves once the socket has taken everything, so catch-up holds one page at most', async () => {
    responses = [];
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    sockets.push(socket);
    socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => responses.length > 0, 'the server to answer');
    let received = 0;
    socket.on('data', (c: Buffer) => (received += c.length));
    const reader = new SseClient(2, responses[0], 0, 1024 * 1024 * 1024, 60_000);
    const page = `data: ${'y'.repeat(256 * 1024)}\n\n`;
    for (let i = 0; i < 40; i++) {
      reader.write(page);
      await reader.drained();
      // After drained(), nothing waits in the process's buffers.
      expect(reader.backlogBytes).toBe(0);
    }
    await waitFor(() => received >= 40 * page.length, 'the reader to get every page', 10_000);
    expect(reader.closed).toBe(false);
    reader.end();
  });
});
