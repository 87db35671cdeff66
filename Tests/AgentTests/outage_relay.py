#!/usr/bin/env python3
"""A TCP relay that can cut the line, for the agent's outage tests: forwards connections from
--listen-port to --target-port (loopback). Commands on stdin, one per line:
  cut      close every relayed connection and refuse new ones (they are closed at once)
  restore  relay again
Prints `READY <port>` when listening (port 0 picks a free one) and `OK <command>` after each command.
"""
import argparse
import asyncio
import sys


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen-port", type=int, default=0)
    ap.add_argument("--target-port", type=int, required=True)
    args = ap.parse_args()
    state = {"cut": False, "conns": set()}

    async def pipe(reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except Exception:
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def handle(reader, writer):
        if state["cut"]:
            writer.close()
            return
        try:
            treader, twriter = await asyncio.open_connection("127.0.0.1", args.target_port)
        except OSError:
            writer.close()
            return
        pair = (writer, twriter)
        state["conns"].add(pair)
        await asyncio.gather(pipe(reader, twriter), pipe(treader, writer))
        state["conns"].discard(pair)

    server = await asyncio.start_server(handle, "127.0.0.1", args.listen_port)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while True:
        line = await stdin.readline()
        if not line:
            break
        cmd = line.decode().strip()
        if cmd == "cut":
            state["cut"] = True
            for a, b in list(state["conns"]):
                for w in (a, b):
                    try:
                        w.transport.abort()
                    except Exception:
                        pass
            state["conns"].clear()
        elif cmd == "restore":
            state["cut"] = False
        print(f"OK {cmd}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
