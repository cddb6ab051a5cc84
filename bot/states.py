"""Every dialog's StatesGroup, one place to see all conversations the bot can hold."""

from aiogram.fsm.state import State, StatesGroup  # noqa: F401 - used by the groups below
