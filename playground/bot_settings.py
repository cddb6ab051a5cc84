"""The Bot API's calls about the bot itself rather than a chat: getMe, the webhook (the
playground never has one), the command menus, and chat actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.rules import BadRequest


class BotSettingsMethods:
    me: dict[str, Any]
    commands: dict[str, list[Any]]
    chats: dict[int, Any]
    _chat: Callable[[dict[str, Any]], Any]
    emit: Callable[[int, dict[str, Any]], None]

    def _m_getme(self, params: dict) -> dict:
        return self.me

    def _m_deletewebhook(self, params: dict) -> bool:
        return True

    def _m_getwebhookinfo(self, params: dict) -> dict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _m_sendchataction(self, params: dict) -> bool:
        self._chat(params)
        return True

    def _m_setmycommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise BadRequest("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise BadRequest("BOT_COMMAND_INVALID")
        self.commands[params.get("language_code") or ""] = commands
        for chat_id in self.chats:
            self.emit(chat_id, {"type": "commands"})
        return True

    def _m_getmycommands(self, params: dict) -> list:
        return self.commands.get(params.get("language_code") or "", [])

    def _m_deletemycommands(self, params: dict) -> bool:
        self.commands.pop(params.get("language_code") or "", None)
        return True
