"""Messages the bot sends on its own to someone other than the sender: notifications."""

import logging
from collections.abc import Callable, Collection
from functools import partial

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BotCommandScopeChat
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from locales import pick_language
from models import Order, OrderItem, Review, Role, User
from screens.admin_users import new_role_screen
from screens.base import Screen
from screens.menus import command_menu
from screens.orders import (
    customer_notice_screen,
    seller_cancelled_screen,
    seller_notice_screen,
)
from screens.payments import (
    banned_buyer_paid_screen,
    manual_refund_screen,
    support_request_screen,
)
from screens.reviews import admin_notice_screen
from screens.reviews import seller_notice_screen as review_notice_screen
from services.orders import OrderService
from services.reviews import ReviewService
from services.users import UserService

log = logging.getLogger(__name__)


async def notify(
    bot: Bot, session: AsyncSession, i18n: I18n, to: User, render: Callable[[str], Screen]
) -> bool:
    """One message to `to`, rendered in their language (`render(locale)` runs with it
    set). Never raises: what caused the notice has already happened. A user who blocked
    the bot is marked inactive, so broadcasts skip them until they write again."""
    with i18n.use_locale(to.language):
        screen = render(to.language)
    try:
        await bot.send_message(to.telegram_id, screen.text, reply_markup=screen.markup)
        return True
    except TelegramForbiddenError:
        log.info("User %s blocked the bot; not notified", to.telegram_id)
        await UserService(session).mark_unreachable(to)
    except TelegramAPIError as exc:
        log.warning("Could not notify user %s: %s", to.telegram_id, exc)
    return False


# -- what each kind of event tells whom ------------------------------------------------------


# A seller's notice of an order: (the order, their lines, their role, their language).
SellerScreen = Callable[[Order, list[OrderItem], Role, str], Screen]


async def tell_sellers(
    bot: Bot,
    i18n: I18n,
    service: OrderService,
    order: Order,
    screen: SellerScreen,
    *,
    besides: Collection[int] = (),
    lines: Collection[int] | None = None,
) -> None:
    """Each seller of the order (`OrderService.sellers`: admins for lines nobody else
    hears of) gets `screen` of their lines, in their language. Not the order's customer
    (a seller of their own goods hears as its customer), nor those `besides` (who did
    it); `lines`: only these line ids (a seller with none of them hears nothing)."""
    for seller, items in await service.sellers(order):
        if lines is not None:
            items = [i for i in items if i.id in lines]
        if seller.id in besides or seller.id == order.user_id or not items:
            continue

        def render(locale: str, items=items, role=seller.role) -> Screen:
            return screen(order, items, role, locale)

        await notify(bot, service.session, i18n, seller, render)


async def notify_sellers(
    bot: Bot,
    i18n: I18n,
    service: OrderService,
    order: Order,
    paid: bool = False,
    after_all: bool = False,
) -> None:
    """Each seller with products in the order gets their lines, in their language: when
    it is placed, and again when it is paid (`after_all`: after it had run out of time,
    which they heard)."""
    screen = partial(seller_notice_screen, paid=paid, after_all=after_all)
    await tell_sellers(bot, i18n, service, order, screen)


async def notify_sellers_cancelled(
    bot: Bot, i18n: I18n, service: OrderService, order: Order, actor: User, *, returned=False
) -> None:
    """The sellers told of the order when it was placed hear it is cancelled, and by whom
    (not the one who cancelled it): a cash-on-delivery order's may be packing it; a
    prepaid one's read that it was cancelled unpaid; `returned`: shipped, its parcel came
    back unpaid."""
    by_customer = actor.id == order.user_id
    screen = partial(seller_cancelled_screen, by_customer=by_customer, returned=returned)
    await tell_sellers(bot, i18n, service, order, screen, besides={actor.id})


async def notify_customer(
    bot: Bot, i18n: I18n, service: OrderService, order: Order, actor: User
) -> None:
    """The customer learns that staff changed the order's status; not when they made the
    change themselves (staff buying in their own shop): their card already says it."""
    customer = await service.customer(order)
    if customer.id == actor.id:
        return
    await notify(
        bot, service.session, i18n, customer, lambda _locale: customer_notice_screen(order)
    )


async def _notify_admins(
    bot: Bot, session: AsyncSession, i18n: I18n, screen: Callable[[], Screen]
) -> None:
    for admin in await UserService(session).admins():
        await notify(bot, session, i18n, admin, lambda _locale: screen())


async def notify_admins_refund(
    bot: Bot, session: AsyncSession, i18n: I18n, order_id: int, charge_id: str
) -> None:
    """A late payment that could not be returned automatically: admins refund it by hand."""
    await _notify_admins(bot, session, i18n, lambda: manual_refund_screen(order_id, charge_id))


async def notify_admins_support(
    bot: Bot, session: AsyncSession, i18n: I18n, customer: User, name: str, text: str
) -> None:
    """A customer's /paysupport message, for the shop's admins to answer."""
    tg_id, username = customer.telegram_id, customer.username
    await _notify_admins(
        bot, session, i18n, lambda: support_request_screen(tg_id, name, username, text)
    )


async def notify_admins_banned_paid(
    bot: Bot, session: AsyncSession, i18n: I18n, order_id: int, buyer: str
) -> None:
    """A banned customer's payment was recorded: admins decide whether to ship or refund."""
    await _notify_admins(bot, session, i18n, lambda: banned_buyer_paid_screen(order_id, buyer))


async def refresh_menu(bot: Bot, i18n: I18n, user: User, *, flood: bool = False) -> None:
    """The user's chat gets the command menu of their role (a seller's has /seller, an
    admin's the panel's commands) in the language they chose in the bot; a customer
    reading the language Telegram gave them needs none of their own (their language's
    menu fits, and a later release's commands reach them). Best effort: a menu Telegram
    won't take now changes nothing else (`flood`: Telegram asking to wait is raised, for
    a caller setting many)."""
    if user.telegram_id is None:  # a web-only account has no chat
        return
    scope = BotCommandScopeChat(chat_id=user.telegram_id)
    own = user.role is not Role.customer or user.language != pick_language(
        user.language_code, i18n.default_locale
    )
    try:
        if own:
            commands = command_menu(
                user.role, lambda text: i18n.gettext(text, locale=user.language)
            )
            await bot.set_my_commands(commands, scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramAPIError as exc:
        if flood and isinstance(exc, TelegramRetryAfter):  # the caller stops its round
            raise
        log.info("The command menu of %s was not set: %s", user.telegram_id, exc)


async def notify_new_role(
    bot: Bot, session: AsyncSession, i18n: I18n, actor_id: int | None, target: User
) -> None:
    """The user learns their new role, in their language (not the admin who changed
    their own, nor a banned user, who can use no role: the admin is told so); their
    command menu follows it either way."""
    await refresh_menu(bot, i18n, target)
    if target.id == actor_id or target.is_banned or target.telegram_id is None:
        return
    await notify(bot, session, i18n, target, lambda _locale: new_role_screen(target.role))


async def notify_review(
    bot: Bot, session: AsyncSession, i18n: I18n, review: Review, created: bool
) -> None:
    """A new review goes to the seller (with Reply) and the admins (with Hide / Delete);
    an edited one to the admins again, so a changed text is moderated too. An admin who
    sells the product gets one notice with both."""
    reviews = ReviewService(session)
    seller, admins = await reviews.audience(review)
    item = await reviews.item(review.id)
    replier = seller.id if created and seller is not None else None  # who gets Reply
    if seller is not None and replier not in {None, *(a.id for a in admins)}:
        await notify(bot, session, i18n, seller, lambda locale: review_notice_screen(item, locale))
    for admin in admins:

        def render(locale: str, sells: bool = admin.id == replier) -> Screen:
            return admin_notice_screen(item, created, locale, seller=sells)

        await notify(bot, session, i18n, admin, render)
