"""The Bot API's calls about the bot itself rather than a chat: getMe, the webhook (the
playground never has one), the command menus, and chat actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.rules import BadRequest


def _menu_key(params: dict) -> tuple[str, str]:
    """Where a command menu applies: its scope ("" the default, "chat:<id>" one chat,
    or the scope's type) and its language ("" all)."""
    scope = params.get("scope") or {}
    kind = scope.get("type", "default") if isinstance(scope, dict) else "default"
    if kind == "chat":
        chat_id = scope.get("chat_id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise BadRequest("chat not found")
        where = f"chat:{chat_id}"
    else:
        where = "" if kind == "default" else str(kind)
    return where, str(params.get("language_code") or "")


class BotSettingsMethods:
    me: dict[str, Any]
    commands: dict[tuple[str, str], list[Any]]  # by (scope, language): `_menu_key`
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
        key = _menu_key(params)
        self.commands[key] = commands
        self._menus_changed(key)
        return True

    def _m_getmycommands(self, params: dict) -> list:
        return self.commands.get(_menu_key(params), [])

    def _m_deletemycommands(self, params: dict) -> bool:
        key = _menu_key(params)
        self.commands.pop(key, None)
        self._menus_changed(key)
        return True

    def menu_for(self, chat_id: int, language: str) -> list[Any]:
        """The menu a private chat shows, as Telegram picks it: the chat's own (in the
        user's language, then any), then all private chats', then the default's."""
        for where in (f"chat:{chat_id}", "all_private_chats", ""):
            for lang in (language, ""):
                if (where, lang) in self.commands:
                    return self.commands[(where, lang)]
        return []

    def _menus_changed(self, key: tuple[str, str]) -> None:
        where = key[0]
        chats = [int(where[5:])] if where.startswith("chat:") else list(self.chats)
        for chat_id in chats:
            if chat_id in self.chats:
                self.emit(chat_id, {"type": "commands"})
