"""Where the console reads and writes: a serial line, or standard streams.

A serial port opened by pyserial is in raw mode: nothing echoes what is
typed and nothing edits the line, so ``SerialTerminal`` does both itself
(echo, backspace, Ctrl-C to drop the line, Ctrl-D to leave). Standard
input is either a terminal with its own line discipline (an SSH session)
or a pipe (a script, a test); ``StreamTerminal`` reads lines from it.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import os
import sys
import termios
from collections.abc import Iterator
from typing import TextIO

import serial

DEFAULT_BAUD = 115200
# The longest line the console reads; anything longer is cut.
LINE_MAX = 256
BACKSPACE = {b"\x7f", b"\x08"}
ENTER = {b"\r", b"\n"}
CTRL_C = b"\x03"
CTRL_D = b"\x04"


class Terminal:
    def write(self, text: str) -> None:
        raise NotImplementedError

    def readline(self, prompt: str, secret: bool = False) -> str | None:
        """One line without its end; None when the other side has gone."""
        raise NotImplementedError

    @contextlib.contextmanager
    def handed_over(self) -> Iterator[tuple[int, int]]:
        """File descriptors (input, output) for a child process such as a shell."""
        raise NotImplementedError

    def say(self, text: str = "") -> None:
        self.write(text + "\n")


class StreamTerminal(Terminal):
    def __init__(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout):
        self.stdin = stdin
        self.stdout = stdout

    def write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def readline(self, prompt: str, secret: bool = False) -> str | None:
        if secret and self.stdin.isatty():
            try:
                return getpass.getpass(prompt, stream=self.stdout)
            except EOFError:
                return None
        self.write(prompt)
        line = self.stdin.readline()
        if not line:
            return None
        return line.rstrip("\r\n")[:LINE_MAX]

    @contextlib.contextmanager
    def handed_over(self) -> Iterator[tuple[int, int]]:
        yield self.stdin.fileno(), self.stdout.fileno()


class SerialTerminal(Terminal):
    def __init__(self, port: serial.Serial):
        self.port = port

    @classmethod
    def open(cls, device: str, baud: int = DEFAULT_BAUD) -> SerialTerminal:
        return cls(serial.Serial(device, baudrate=baud, timeout=None))

    def write(self, text: str) -> None:
        self.port.write(text.replace("\n", "\r\n").encode("utf-8", "replace"))
        self.port.flush()

    def readline(self, prompt: str, secret: bool = False) -> str | None:
        self.write(prompt)
        line = bytearray()
        while True:
            byte = self.port.read(1)
            if not byte:
                return None
            if byte in ENTER:
                self.write("\n")
                return line.decode("utf-8", "replace")
            if byte == CTRL_D and not line:
                return None
            if byte == CTRL_C:
                self.write("^C\n")
                return ""
            if byte in BACKSPACE:
                if line:
                    line.pop()
                    if not secret:
                        self.port.write(b"\b \b")
                continue
            if byte[0] < 0x20 or len(line) >= LINE_MAX:
                continue  # other control characters and overlong lines
            line += byte
            if not secret:
                self.port.write(byte)

    @contextlib.contextmanager
    def handed_over(self) -> Iterator[tuple[int, int]]:
        # A shell wants the line discipline back: echo, line editing, signals.
        fd = self.port.fileno()
        raw = termios.tcgetattr(fd)
        cooked = list(raw)
        cooked[0] |= termios.ICRNL
        cooked[1] |= termios.OPOST | termios.ONLCR
        cooked[3] |= termios.ICANON | termios.ECHO | termios.ECHOE | termios.ISIG
        termios.tcsetattr(fd, termios.TCSADRAIN, cooked)
        # pyserial opens the port non-blocking; a shell wants blocking reads.
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        try:
            yield fd, fd
        finally:
            fcntl.fcntl(fd, fcntl.F_SETFL, flags)
            termios.tcsetattr(fd, termios.TCSADRAIN, raw)
            termios.tcflush(fd, termios.TCIFLUSH)


def closed_quietly(terminal: Terminal) -> None:
    if isinstance(terminal, SerialTerminal):
        with contextlib.suppress(OSError):
            terminal.port.close()
