"""The broadcast's screens: compose, preview, and the progress the sender keeps editing."""

from aiogram.utils.i18n import gettext as _

from keyboards.broadcast import audience_label, compose_kb, preview_kb, progress_kb
from keyboards.formatting import CAPTION_LIMIT, fits
from models import Audience
from screens.base import Screen
from services.broadcast import Progress
from services.texts import N_

# Translated where they are shown (by the sender, in the author's language).
PROGRESS_TEXT = N_(
    "📣 <b>Broadcast #{id}</b>: sending…\n\n✅ Sent: {sent}\n⚠️ Failed: {failed}\n⏳ Left: {left}"
)
DONE_TEXT = N_(
    "📣 <b>Broadcast #{id} finished.</b>\n\n✅ Sent: {sent}\n"
    "⚠️ Failed: {failed} (blocked the bot: {blocked})"
)
STOPPED_TEXT = N_(
    "📣 <b>Broadcast #{id} stopped.</b>\n\n✅ Sent: {sent}\n"
    "⚠️ Failed: {failed} (blocked the bot: {blocked})\n⏹ Not sent: {left}"
)


def compose_screen() -> Screen:
    return Screen(
        _(
            "📣 <b>New broadcast</b>\n\n"
            "Send the message for your users: text, or one photo with a caption. "
            "Formatting (bold, links…) is kept.\n"
            "You will see a preview before anything is sent."
        ),
        compose_kb(),
    )


def compose_other_screen() -> Screen:
    return Screen(
        _(
            "I can broadcast text or one photo with a caption. "
            "Stickers, videos, files and commands can't be sent. Send text or a photo."
        ),
        compose_kb(),
    )


def caption_fits(html_text: str) -> bool:
    return fits(html_text, CAPTION_LIMIT)


def compose_refused_screen(album: bool) -> Screen:
    """A photo the draft can't be: one of an album, or a caption past Telegram's limit
    for bots (Premium users can write longer ones)."""
    if album:
        text = _("An album can't be broadcast: send one photo with a caption.")
    else:
        text = _("A caption can hold {limit} characters at most: send a shorter one.").format(
            limit=CAPTION_LIMIT
        )
    return Screen("⚠️ " + text, compose_kb())


def preview_screen(broadcast_id: int, audience: Audience, recipients: int) -> Screen:
    text = _(
        "👆 This is exactly what users will get.\n\n"
        "Audience: <b>{audience}</b>\nRecipients: <b>{n}</b>\n\n"
        "Choose the audience, then press Send."
    ).format(audience=audience_label(audience), n=recipients)
    return Screen(text, preview_kb(broadcast_id, audience, recipients))


def _counters(msgid: str, broadcast_id: int, progress: Progress) -> str:
    p = progress
    return _(msgid).format(
        id=broadcast_id, sent=p.sent, failed=p.failed, blocked=p.blocked, left=p.left
    )


def progress_text(broadcast_id: int, progress: Progress) -> str:
    return _counters(PROGRESS_TEXT, broadcast_id, progress)


def progress_screen(broadcast_id: int, progress: Progress) -> Screen:
    return Screen(progress_text(broadcast_id, progress), progress_kb(broadcast_id))


def report_text(broadcast_id: int, progress: Progress, *, stopped: bool) -> str:
    """What the author is told at the end: finished, or stopped with what was not sent."""
    return _counters(STOPPED_TEXT if stopped else DONE_TEXT, broadcast_id, progress)


def stopping_screen(broadcast_id: int) -> Screen:
    return Screen(_("⏹ Stopping broadcast #{id}…").format(id=broadcast_id))
