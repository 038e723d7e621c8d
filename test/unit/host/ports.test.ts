/** Port checks on 127.0.0.1. */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { choosePort, freePort, isPortFree } from '../../../src/host/ports.ts';

describe('ports', () => {
  it('sees a listening port as taken and chooses another one instead', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      expect(await isPortFree(taken)).toBe(false);
      const chosen = await choosePort(taken);
      expect(chosen).not.toBe(taken);
      expect(await isPortFree(chosen)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps a free preferred port, and picks any free port for 0', async () => {
    const port = await freePort();
    expect(await choosePort(port)).toBe(port);
    expect(await choosePort(0)).toBeGreaterThan(0);
  });
});
