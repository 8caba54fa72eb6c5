"""An asyncio TFTP server for phone provisioning: read requests only.

It follows RFC 1350 (the protocol), RFC 2347 (option negotiation, OACK),
RFC 2348 (blksize), RFC 2349 (timeout, tsize) and RFC 7440 (windowsize).
Each transfer gets a socket of its own on a fresh port, its transfer
identifier (RFC 1350 section 4), so the listening socket only ever reads
requests. Files come from a ``fetch`` callable (the provisioning tree,
which renders them from the database), run in a small thread pool because
the database is blocking.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.provisioning.tree import FileMissing, NameRefused
from provisioning_server.packets import (
    MODES,
    Ack,
    Data,
    Error,
    ErrorCode,
    MalformedPacket,
    Opcode,
    OptionAck,
    Request,
    netascii,
    opcode_of,
)

log = logging.getLogger("edgepbx.tftp")

DEFAULT_BLKSIZE = 512  # RFC 1350 section 2
MIN_BLKSIZE, MAX_BLKSIZE = 8, 65464  # RFC 2348 section 2
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 1, 255  # RFC 2349 section 2
MAX_WINDOWSIZE_RFC = 65535  # RFC 7440 section 3
# Phones' files are a few kilobytes: a window of 64 blocks sends any of them
# in one go; bigger windows only make retransmissions costlier.
MAX_WINDOWSIZE = 64
# RFC 1350 leaves the timeout to implementations; tftp-hpa's server starts
# at one second. Two seconds spares a loaded box from resending in vain.
DEFAULT_TIMEOUT_S = 2
# Retransmissions of one packet (or window) before the transfer is given up:
# with the default timeout a phone that vanished holds a socket 12 s at most.
MAX_RETRIES = 5
# Per-address limit: a phone fetches its files one after another, so more
# than a few at once is a script. The global limit bounds open sockets.
MAX_TRANSFERS_PER_CLIENT = 4
MAX_TRANSFERS = 1024
# Rendering threads: the database serialises writers anyway.
FETCH_THREADS = 4
BLOCK_NUMBERS = 65536  # block numbers wrap to 0 after 65535

Fetch = Callable[[str, str], bytes]


@dataclass
class Options:
    blksize: int = DEFAULT_BLKSIZE
    timeout_s: float = DEFAULT_TIMEOUT_S
    windowsize: int = 1
    #: What goes back in the OACK; empty means no OACK (RFC 2347 section 4).
    accepted: dict[str, str] = field(default_factory=dict)


def negotiate(requested: dict[str, str], size: int) -> Options:
    """Options we honour, as RFC 2347 section 4 says: unknown or invalid ones
    are left out of the OACK, and the transfer goes on without them."""
    options = Options()
    for name, raw in requested.items():
        if not raw.isdigit():
            continue
        value = int(raw)
        if name == "blksize" and value >= MIN_BLKSIZE:
            options.blksize = min(value, MAX_BLKSIZE)  # RFC 2348: may answer less
            options.accepted[name] = str(options.blksize)
        elif name == "timeout" and MIN_TIMEOUT_S <= value <= MAX_TIMEOUT_S:
            options.timeout_s = value  # RFC 2349: echoed unchanged
            options.accepted[name] = raw
        elif name == "tsize" and value == 0:
            options.accepted[name] = str(size)  # RFC 2349 section 4
        elif name == "windowsize" and 1 <= value <= MAX_WINDOWSIZE_RFC:
            options.windowsize = min(value, MAX_WINDOWSIZE)  # RFC 7440 s. 3
            options.accepted[name] = str(options.windowsize)
    return options


class TransferFailed(Exception):
    pass


class _TransferSocket(asyncio.DatagramProtocol):
    """The socket of one transfer: packets from its peer go to a queue;
    packets from anyone else get ERROR 5 (RFC 1350 section 4)."""

    def __init__(self, peer: tuple) -> None:
        self.peer = peer
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        if addr[:2] != self.peer[:2]:
            error = Error(ErrorCode.UNKNOWN_TID, "Unknown transfer ID")
            self.transport.sendto(bytes(error), addr)
            return
        self.queue.put_nowait(data)

    def send(self, packet: object) -> None:
        self.transport.sendto(bytes(packet), self.peer)


class TftpServer:
    def __init__(self, host: str, port: int, fetch: Fetch) -> None:
        self.host = host
        self.port = port
        self.fetch = fetch
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.active: set[tuple] = set()
        self.per_client: dict[str, int] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.pool = concurrent.futures.ThreadPoolExecutor(
            FETCH_THREADS, thread_name_prefix="tftp-fetch"
        )
        self.tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        server = self

        class Listener(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple) -> None:
                server.on_request(data, addr)

        self.transport, _ = await loop.create_datagram_endpoint(
            Listener, local_addr=(self.host, self.port), family=self.family
        )
        self.port = self.transport.get_extra_info("sockname")[1]
        log.info("tftp: serving phone files on %s port %d (udp)", self.host, self.port)

    async def close(self) -> None:
        if self.transport:
            self.transport.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.pool.shutdown(wait=False, cancel_futures=True)

    # -- requests on the listening socket -------------------------------------

    def on_request(self, data: bytes, addr: tuple) -> None:
        # Step 1: only requests belong here; stray DATA or ACK are dropped.
        if opcode_of(data) not in {Opcode.RRQ, Opcode.WRQ}:
            return
        try:
            request = Request.parse(data)
        except MalformedPacket as exc:
            self._refuse(addr, ErrorCode.ILLEGAL_OPERATION, str(exc))
            return

        # Step 2: this server hands out files; it takes none.
        if request.opcode == Opcode.WRQ:
            self._refuse(addr, ErrorCode.ACCESS_VIOLATION, "Write not allowed")
            return
        if request.mode not in MODES:
            self._refuse(addr, ErrorCode.ILLEGAL_OPERATION, "Mode not supported")
            return

        # Step 3: a retransmitted request for a running transfer is absorbed;
        # limits per address and in all.
        key = addr[:2]
        if key in self.active:
            return
        client = addr[0]
        if self.per_client.get(client, 0) >= MAX_TRANSFERS_PER_CLIENT:
            self._refuse(addr, ErrorCode.NOT_DEFINED, "Too many transfers")
            return
        if len(self.active) >= MAX_TRANSFERS:
            self._refuse(addr, ErrorCode.NOT_DEFINED, "Server busy")
            return

        self.active.add(key)
        self.per_client[client] = self.per_client.get(client, 0) + 1
        task = asyncio.get_running_loop().create_task(self._transfer(request, addr))
        self.tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, key, client))

    def _refuse(self, addr: tuple, code: ErrorCode, message: str) -> None:
        self.transport.sendto(bytes(Error(code, message)), addr)

    def _done(self, task: asyncio.Task, key: tuple, client: str) -> None:
        self.tasks.discard(task)
        self.active.discard(key)
        self.per_client[client] -= 1
        if not self.per_client[client]:
            del self.per_client[client]
        if not task.cancelled() and task.exception():
            log.error("tftp: transfer to %s failed: %r", client, task.exception())

    # -- one transfer, on its own socket ----------------------------------------

    async def _transfer(self, request: Request, addr: tuple) -> None:
        loop = asyncio.get_running_loop()
        transport, sock = await loop.create_datagram_endpoint(
            lambda: _TransferSocket(addr),
            local_addr=(self.host, 0),
            family=self.family,
        )
        try:
            content = await self._content(request, addr, sock)
            if content is None:
                return
            options = negotiate(request.options, len(content))
            if options.accepted and not await self._option_ack(sock, options):
                return
            await self._send(sock, content, options)
        except TransferFailed as exc:
            log.info("tftp: %s to %s abandoned: %s", request.filename, addr[0], exc)
        finally:
            transport.close()

    async def _content(
        self, request: Request, addr: tuple, sock: _TransferSocket
    ) -> bytes | None:
        loop = asyncio.get_running_loop()
        try:
            content = await loop.run_in_executor(
                self.pool, self.fetch, request.filename, addr[0]
            )
        except NameRefused:
            sock.send(Error(ErrorCode.ACCESS_VIOLATION, "Access violation"))
            return None
        except FileMissing:
            sock.send(Error(ErrorCode.FILE_NOT_FOUND, "File not found"))
            return None
        if request.mode != "netascii":
            return content
        if not isinstance(content, bytes):
            # A firmware image mapped from disk: never copied to convert it.
            sock.send(Error(ErrorCode.ILLEGAL_OPERATION, "binary file: use octet"))
            return None
        return netascii(content)

    async def _option_ack(self, sock: _TransferSocket, options: Options) -> bool:
        """Send the OACK until ACK 0 comes; False if the client declines."""
        oack = OptionAck(options.accepted)
        for _attempt in range(MAX_RETRIES + 1):
            sock.send(oack)
            reply = await self._reply(sock, options.timeout_s)
            if reply is None:
                continue
            if opcode_of(reply) == Opcode.ERROR:
                return False  # RFC 2347: the client refused our options
            with contextlib.suppress(MalformedPacket):
                if Ack.parse(reply).block == 0:
                    return True
        raise TransferFailed("no ACK of the option acknowledgment")

    async def _send(
        self, sock: _TransferSocket, content: bytes, options: Options
    ) -> None:
        size = options.blksize
        # A file that fills its last block exactly ends with an empty one
        # (RFC 1350 section 6).
        last = len(content) // size + 1
        first_unacked = 1
        retries = 0
        while first_unacked <= last:
            window_end = min(first_unacked + options.windowsize - 1, last)
            for block in range(first_unacked, window_end + 1):
                chunk = content[(block - 1) * size : block * size]
                sock.send(Data(block % BLOCK_NUMBERS, chunk))
            acked = await self._window_ack(sock, first_unacked, window_end, options)
            if acked is None:
                retries += 1
                if retries > MAX_RETRIES:
                    raise TransferFailed(f"no ACK after {MAX_RETRIES} retries")
                continue
            retries = 0
            first_unacked = acked + 1

    async def _window_ack(
        self, sock: _TransferSocket, first: int, window_end: int, options: Options
    ) -> int | None:
        """The highest block of the window the client acknowledged, or None
        on timeout. Old and duplicate ACKs are ignored rather than answered,
        which avoids the Sorcerer's Apprentice syndrome (RFC 1123 4.2.3.1)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + options.timeout_s
        while (remaining := deadline - loop.time()) > 0:
            reply = await self._reply(sock, remaining)
            if reply is None:
                return None
            if opcode_of(reply) == Opcode.ERROR:
                raise TransferFailed("the client sent an error")
            try:
                ack = Ack.parse(reply)
            except MalformedPacket:
                continue
            base = first - 1
            acked = base + ((ack.block - base) % BLOCK_NUMBERS)
            if first <= acked <= window_end:
                return acked
        return None

    async def _reply(self, sock: _TransferSocket, timeout_s: float) -> bytes | None:
        try:
            return await asyncio.wait_for(sock.queue.get(), timeout_s)
        except TimeoutError:
            return None
