#!/usr/bin/env python3
"""latency_proxy.py -- adds a fixed delay to every reply of the lab, for benches/account_latency.sh.

TCP: listens on 127.0.0.1:LISTEN and forwards to 127.0.0.1:TARGET; every chunk the server
sends reaches the client DELAY later (chunks keep their order and are not serialised, so the
proxy adds latency, not a bandwidth limit). UDP (DNS): every answer is held back DELAY too.
Loopback only.

Usage: latency_proxy.py DELAY_MS tcp:LISTEN:TARGET... udp:LISTEN:TARGET...
"""
import asyncio
import sys

HOST = "127.0.0.1"


async def tcp_proxy(listen, target, delay):
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(HOST, target)
        except OSError:
            client_writer.close()
            return
        loop = asyncio.get_running_loop()

        async def upstream():
            # Client to server: no delay (the delay is on the replies).
            try:
                while data := await client_reader.read(65536):
                    server_writer.write(data)
                    await server_writer.drain()
            except OSError:
                pass
            finally:
                try:
                    server_writer.write_eof()
                except OSError:
                    pass

        async def downstream():
            try:
                while data := await server_reader.read(65536):
                    loop.call_later(delay, client_writer.write, data)
            except OSError:
                pass
            finally:
                loop.call_later(delay + 0.001, client_writer.close)

        await asyncio.gather(upstream(), downstream())

    server = await asyncio.start_server(handle, HOST, listen)
    await server.serve_forever()


class DnsRelay(asyncio.DatagramProtocol):
    def __init__(self, target, delay):
        self.target, self.delay = target, delay

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, client):
        loop = asyncio.get_running_loop()
        front = self

        class Upstream(asyncio.DatagramProtocol):
            def connection_made(self, transport):
                self.transport = transport
                transport.sendto(data)

            def datagram_received(self, reply, _addr):
                loop.call_later(front.delay, front.transport.sendto, reply, client)
                self.transport.close()

        loop.create_task(
            loop.create_datagram_endpoint(Upstream, remote_addr=(HOST, self.target))
        )


async def main():
    delay = int(sys.argv[1]) / 1000.0
    tasks = []
    loop = asyncio.get_running_loop()
    for spec in sys.argv[2:]:
        kind, listen, target = spec.split(":")
        if kind == "tcp":
            tasks.append(tcp_proxy(int(listen), int(target), delay))
        else:
            await loop.create_datagram_endpoint(
                lambda t=int(target): DnsRelay(t, delay), local_addr=(HOST, int(listen))
            )
    print("ready", flush=True)
    await asyncio.gather(*tasks, asyncio.Event().wait())


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
