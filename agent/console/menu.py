"""The recovery console's menu: one numbered line per thing it can do.

Each choice asks for what it needs, one line at a time, shows the outcome
in a sentence, and comes back to the menu. A refused input is shown with
its field and rule, like everywhere else, and changes nothing. Dangerous
choices ask first; a factory reset asks twice.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from agent.accounts.roles import CONSOLE
from agent.cli.network import print_status
from agent.console import actions
from agent.console.terminal import Terminal
from agent.db.offline import Database
from agent.errors import PbxError
from agent.network.config import DHCP, STATIC
from agent.network.service import NetworkService
from agent.settings import Settings

log = logging.getLogger("edgepbx.console")

ERASE_WORD = "ERASE"
SHELL_ATTEMPTS = 3
# A wrong shell password costs this long, so guessing over a serial line is slow.
WRONG_PASSWORD_DELAY_S = 1.0


def status_lines(report: dict) -> list[str]:
    """The status screen: what ``actions.status`` found, one line a fact,
    every address of every interface on a line of its own. The same lines
    as ``edgepbx console --status`` prints."""
    lines = [
        f"host name    {report['hostname']}",
        f"firmware     {report['firmware']}",
        f"database     {report['database']}",
        f"agent        {report['agent']}",
        # The agent listens on one address: its URL is the one to type.
        f"web admin    {report['web_admin']}, {report['web_admin_url']}",
        f"SIP          {report['sip']} (port {report['sip_port']})",
    ]
    for iface in report["interfaces"]:
        state = "up" if iface["up"] else "down"
        for address in iface["addresses"] or ["no address"]:
            lines.append(f"{iface['name']:<12} {state:<5} {address}")
    lines.append(f"gateway      {report['gateway'] or '-'}")
    return lines


class Leave(Exception):
    """The person left (quit, or the line closed)."""


@dataclass(frozen=True)
class Choice:
    key: str
    title: str
    run: Callable[[], None]


class Console:
    def __init__(self, terminal: Terminal, settings: Settings, db: Database) -> None:
        self.terminal = terminal
        self.settings = settings
        self.db = db
        self.shell_attempts_left = SHELL_ATTEMPTS
        self.choices = [
            Choice("1", "status and addresses", self.show_status),
            Choice("2", "network settings (DHCP or static)", self.network),
            Choice("3", "reset the web admin password", self.reset_admin_password),
            Choice("4", "reset the firewall (let the web admin in)", self.firewall),
            Choice("5", "roll back the firmware", self.rollback),
            Choice("6", "ping", self.ping),
            Choice("7", "show a log", self.logs),
            Choice("8", "capture packets to a file", self.capture),
            Choice("9", "shell (password)", self.shell),
            Choice("10", "reboot", self.reboot),
            Choice("11", "power off", self.power_off),
            Choice("12", "factory reset (erases all data)", self.factory_reset),
        ]

    # -- the loop --------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.terminal.say(text)

    def ask(self, prompt: str, default: str | None = None, secret=False) -> str:
        shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
        answer = self.terminal.readline(shown, secret=secret)
        if answer is None:
            raise Leave
        answer = answer.strip()
        return answer or (default or "")

    def run(self) -> None:
        self.say(f"edgepbx recovery console on {socket.gethostname()}")
        if not self.db.online and not self.db.setting_up:
            self.say(f"the database cannot be opened: {self.db.problem}")
        try:
            while True:
                self.say()
                # On a first boot the agent makes the data while the menu
                # is up; say so until it is there, then nothing.
                if self.db.setting_up and not self.db.retry():
                    self.say("the appliance is still setting up; the menu works")
                for choice in self.choices:
                    self.say(f"{choice.key:>3}  {choice.title}")
                self.say("  q  quit")
                key = self.ask("choose")
                if key in {"q", "quit", "exit"}:
                    return
                chosen = next((c for c in self.choices if c.key == key), None)
                if chosen is None:
                    if key:
                        self.say(f"no choice {key}")
                    continue
                self.perform(chosen)
        except Leave:
            return

    def perform(self, choice: Choice) -> None:
        # The agent may have made the database since the console started,
        # or someone restored it: use it as soon as it opens.
        self.db.retry()
        try:
            choice.run()
        except PbxError as exc:
            self.say(f"refused: {exc}")
        except OSError as exc:
            self.say(f"failed: {exc}")
        finally:
            self.db.flush_audit()

    def yes(self, question: str) -> bool:
        return self.ask(f"{question} (yes/no)", "no").lower() in {"y", "yes"}

    # -- choices ---------------------------------------------------------------

    def show_status(self) -> None:
        for line in status_lines(actions.status(self.settings, self.db)):
            self.say(line)

    def network(self) -> None:
        service = NetworkService(self.settings, CONSOLE)
        print_status(service.status(), self.say)
        current = service.with_changes({})
        interface = self.ask("interface", current.get("interface"))
        mode = self.ask("dhcp or static", current.get("mode") or DHCP).lower()
        changes: dict = {"interface": interface, "mode": mode}
        if mode == STATIC:
            changes["address"] = self.ask("address/prefix", current.get("address"))
            gateway = self.ask("gateway (- for none)", current.get("gateway") or "-")
            changes["gateway"] = "" if gateway == "-" else gateway
            dns = self.ask(
                "name servers (- for none)", " ".join(current.get("dns") or []) or "-"
            )
            changes["dns"] = [] if dns == "-" else dns
        result = service.apply(service.with_changes(changes))
        seconds = result["confirm_within_s"]
        self.say(f"applied; undone in {seconds:.0f} s unless kept")
        if self.yes("keep these settings"):
            service.confirm()
            self.say("network settings kept")
        else:
            service.revert()
            self.say("previous network settings back")

    def reset_admin_password(self) -> None:
        actions.require_accounts(self.db)
        if not self.yes("reset the web admin password and end its sessions"):
            self.say("password kept")
            return
        password = actions.reset_admin_password(self.db)
        self.say("account admin: password reset, every session ended")
        self.say(f"one-time password: {password}")
        self.say("it must be changed at the next sign-in")

    def firewall(self) -> None:
        actions.reset_firewall(self.settings)
        self.say("firewall reset: every service open, bans kept")

    def rollback(self) -> None:
        if not self.yes("roll back the firmware and reboot"):
            return
        slot = actions.rollback_firmware(self.settings)
        self.say(f"rebooting into slot {slot}")

    def ping(self) -> None:
        target = self.ask("host or address")
        status = actions.ping(target, self.terminal.write)
        self.say("answered" if status == 0 else "no answer")

    def logs(self) -> None:
        sources = actions.log_sources(self.settings)
        if not sources:
            self.say("no logs yet")
            return
        for number, name in enumerate(sources, 1):
            self.say(f"{number:>3}  {name}")
        picked = self.ask("which", "1")
        chosen = int(picked) if picked.isascii() and picked.isdigit() else 0
        if not 1 <= chosen <= len(sources):
            self.say(f"no log {picked}")
            return
        for line in actions.tail_log(self.settings, sources[chosen - 1]):
            self.terminal.write(line if line.endswith("\n") else line + "\n")

    def capture(self) -> None:
        names = [i.name for i in actions.live.interfaces()]
        self.say(f"interfaces: {', '.join(names)}")
        interface = self.ask("interface", names[0] if names else "any")
        seconds = self.ask("for how many seconds", "30")
        packets = self.ask("at most how many packets", "1000")
        if not (seconds + packets).isascii() or not (
            seconds.isdigit() and packets.isdigit()
        ):
            self.say("refused: seconds and packets are whole numbers")
            return
        self.say("capturing...")
        path, summary = actions.capture(
            self.settings, interface, int(seconds), int(packets)
        )
        self.say(f"{summary}; saved to {path}")

    def shell(self) -> None:
        if self.shell_attempts_left <= 0:
            self.say("refused: too many wrong passwords; reconnect to try again")
            return
        password = self.ask("shell password", secret=True)
        if not actions.shell_password_right(self.settings, password):
            self.shell_attempts_left -= 1
            time.sleep(WRONG_PASSWORD_DELAY_S)
            log.warning("console: wrong shell password")
            self.say("refused: the password is not right")
            return
        self.shell_attempts_left = SHELL_ATTEMPTS
        self.say("shell: exit returns to this menu")
        with self.terminal.handed_over() as (stdin, stdout):
            actions.run_shell(stdin, stdout)

    def reboot(self) -> None:
        if self.yes("reboot now"):
            self.say("rebooting")
            actions.reboot()

    def power_off(self) -> None:
        if self.yes("power off now"):
            self.say("powering off")
            actions.power_off()

    def factory_reset(self) -> None:
        self.say("A factory reset erases every setting, extension, voicemail,")
        self.say("recording, backup and key on this appliance, then reboots.")
        if self.ask(f"type {ERASE_WORD} to go on") != ERASE_WORD:
            self.say("nothing erased")
            return
        name = socket.gethostname()
        if self.ask(f"type this appliance's host name ({name}) to confirm") != name:
            self.say("nothing erased")
            return
        self.db.close()
        removed = actions.factory_reset(self.settings)
        self.say(f"erased {removed} entries of {self.settings.data_dir}; rebooting")
        actions.reboot()
        raise Leave
