"""A non-JavaScript WebSocket client for the negotiation tests (Debian's python3-websockets).

Usage: ws_probe.py URL FRAMES [SUBPROTOCOL ...]
  Offers the given subprotocols (none if absent); offers permessage-deflate unless the
  environment says NO_DEFLATE=1. SEND=<text> sends that text frame once the connection is open. Reads FRAMES frames, then closes normally, and prints one JSON
  object: the answered subprotocol and extensions, and each frame (text as is, binary as base64).
"""
import asyncio
import base64
import json
import os
import sys

import websockets


async def main() -> None:
    url, count, offered = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    compression = None if os.environ.get("NO_DEFLATE") == "1" else "deflate"
    async with websockets.connect(
        url, subprotocols=offered or None, compression=compression, open_timeout=20
    ) as ws:
        frames = []
        if os.environ.get("SEND"):
            await ws.send(os.environ["SEND"])
        for _ in range(count):
            frame = await asyncio.wait_for(ws.recv(), 20)
            if isinstance(frame, bytes):
                frames.append({"binary": base64.b64encode(frame).decode()})
            else:
                frames.append({"text": frame})
        print(
            json.dumps(
                {
                    "subprotocol": ws.subprotocol,
                    "protocolHeader": ws.response_headers.get("Sec-WebSocket-Protocol"),
                    "extensions": ws.response_headers.get("Sec-WebSocket-Extensions"),
                    "offeredExtensions": ws.request_headers.get("Sec-WebSocket-Extensions"),
                    "frames": frames,
                }
            )
        )


asyncio.run(main())
