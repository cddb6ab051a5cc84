"""Reviews seen by customers and sellers: the list, the review dialog, seller replies.

Moderation (admins) lives in handlers/review_moderation.py.
"""

import logging
from collections.abc import Callable, Iterable

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.filters import TextInput
from handlers.states import ReplyStates, ReviewStates
from jobs.notify import notify
from keyboards.callback_data import (
    CategoryCb,
    ReviewGradeCb,
    ReviewReplyCb,
    ReviewsCb,
    ReviewStartCb,
    ReviewStep,
    ReviewStepCb,
)
from keyboards.common import home_kb
from keyboards.formatting import fits, quote, rating, stars
from keyboards.review_moderation import moderation_kb
from keyboards.reviews import (
    comment_kb,
    preview_kb,
    product_gone_kb,
    published_kb,
    replied_kb,
    reply_prompt_kb,
    review_list_kb,
    seller_notice_kb,
    stars_kb,
)
from models import Product, Review, User
from screens.base import Screen, show
from screens.catalog import product_screen
from services.catalog import CatalogService
from services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from services.reviews import (
    COMMENT_MAX,
    REPLY_MAX,
    ProductUnavailable,
    ReviewItem,
    ReviewPage,
    ReviewService,
    check_grade,
    clean_comment,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 5
NAME_LIMIT = 64  # author names in lists
PRODUCT_LIMIT = 100
# Longest comment / reply shown in a list before "…"; tighter limits are tried while a
# page would exceed Telegram's 4096 characters (long texts, emoji count double).
LIST_LIMITS = (600, 300, 120, 40)
_DIALOG_STATES = frozenset(s.state for s in (*ReviewStates.__states__, *ReplyStates.__states__))


# -- rendering (shared with the moderation screens) ------------------------------------


def product_title(name: str) -> str:
    return quote(name, PRODUCT_LIMIT)


def rating_line(rating_sum: int, rating_count: int, locale: str) -> str:
    """'★★★★☆ 4.3 (12)': the average to one decimal, in the reader's number format."""
    if not rating_count:
        return _("No reviews yet.")
    return f"{rating(rating_sum, rating_count, locale)} ({rating_count})"


def review_block(item: ReviewItem, locale: str, limit: int | None = None) -> str:
    review = item.review
    day = format_date(review.created_at, "medium", locale=locale)
    lines = [f"{stars(review.grade)} <b>{quote(item.author or '?', NAME_LIMIT)}</b> · {day}"]
    if review.comment:
        lines.append(quote(review.comment, limit or COMMENT_MAX))
    if review.seller_reply:
        reply = quote(review.seller_reply, limit or REPLY_MAX)
        lines.append("↩️ <i>" + _("Seller's reply:") + "</i> " + reply)
    return "\n".join(lines)


def fit_list(head: str, items: Iterable, render: Callable[[object, int], str]) -> str:
    """The head and the rendered items, with texts cut shorter until the page fits."""
    items = list(items)
    for limit in LIST_LIMITS:
        text = "\n\n".join([head, *(render(item, limit) for item in items)])
        if fits(text):
            break
    return text  # at the last limit a page is far below 4096 whatever the texts hold


def review_list_screen(
    product: Product, page: ReviewPage, own: Review | None, user: User, locale: str
) -> Screen:
    head = "<b>{title}</b>\n{rating}".format(
        title=_("Reviews of «{name}»").format(name=product_title(product.name)),
        rating=rating_line(product.rating_sum, product.rating_count, locale),
    )
    if not page.items:
        head += "\n\n" + _("Nobody has reviewed it yet. Be the first!")
    text = fit_list(head, page.items, lambda item, limit: review_block(item, locale, limit))
    is_seller = product.seller_id == user.id
    reply_to = []
    if is_seller:
        for item in page.items:
            label = _("Edit reply: {name}") if item.review.seller_reply else _("Reply: {name}")
            reply_to.append((item.review.id, label.format(name=(item.author or "?")[:24])))
    markup = review_list_kb(
        product.id, page.page, page.pages, not is_seller, own is not None, reply_to
    )
    return Screen(text, markup)


def _title(product: Product) -> str:
    return "<b>" + _("Your review of «{name}»").format(name=product_title(product.name)) + "</b>"


def grade_screen(product: Product, own: Review | None) -> Screen:
    text = _title(product) + "\n\n" + _("Step 1 of 3: how many stars do you give it?")
    if own is not None:
        text += "\n\n" + _(
            "You have already reviewed it ({stars}). Your new grade and comment will replace "
            "the old ones."
        ).format(stars=stars(own.grade))
    return Screen(text, stars_kb())


def comment_screen(product: Product, grade: int) -> Screen:
    text = "\n\n".join(
        [
            _title(product),
            stars(grade),
            _("Step 2 of 3: write a comment (up to {max} characters), or press Skip.").format(
                max=COMMENT_MAX
            ),
        ]
    )
    return Screen(text, comment_kb())


def preview_screen(product: Product, grade: int, comment: str | None) -> Screen:
    body = quote(comment) if comment else "<i>" + _("No comment") + "</i>"
    text = "\n\n".join(
        [
            _title(product),
            _("Step 3 of 3: check your review."),
            f"{stars(grade)}\n{body}",
            _("Publish it?"),
        ]
    )
    return Screen(text, preview_kb())


# -- the review list -------------------------------------------------------------------


async def on_reviews_list(
    query: CallbackQuery,
    callback_data: ReviewsCb,
    session: AsyncSession,
    user: User,
    locale: str,
    state: FSMContext,
    raw_state: str | None,
) -> None:
    if raw_state in _DIALOG_STATES:  # left a review or reply dialog through a link
        await state.clear()
    service = ReviewService(session)
    product, page = await service.page(callback_data.product_id, callback_data.page, PAGE_SIZE)
    own = await service.own(user.id, product.id) if product.seller_id != user.id else None
    await show(query, review_list_screen(product, page, own, user, locale))


# -- the review dialog -----------------------------------------------------------------


async def _end_product_gone(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    text = _("This product is no longer available, so your review was not saved.")
    await show(event, Screen(text, product_gone_kb()))


async def _dialog_product(
    event: Message | CallbackQuery, session: AsyncSession, state: FSMContext
) -> tuple[Product | None, dict]:
    """The product of the dialog, or None after ending the dialog when it was hidden."""
    data = await state.get_data()
    try:
        return await ReviewService(session).product(data["product_id"]), data
    except ProductUnavailable:
        await _end_product_gone(event, state)
        return None, data


async def on_review_start(
    query: CallbackQuery,
    callback_data: ReviewStartCb,
    session: AsyncSession,
    user: User,
    state: FSMContext,
) -> None:
    product, own = await ReviewService(session).begin(user, callback_data.product_id)
    await state.set_state(ReviewStates.grade)
    await state.set_data({"product_id": product.id})
    await show(query, grade_screen(product, own))


async def on_grade_pick(
    query: CallbackQuery,
    callback_data: ReviewGradeCb,
    session: AsyncSession,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        grade = check_grade(callback_data.grade)
    except InvalidInput as exc:
        callback_answer.text = _(exc.message)
        callback_answer.show_alert = True
        return
    product, _data = await _dialog_product(query, session, state)
    if product is None:
        return
    await state.update_data(grade=grade)
    await state.set_state(ReviewStates.comment)
    await show(query, comment_screen(product, grade))


async def on_back_to_stars(
    query: CallbackQuery, session: AsyncSession, user: User, state: FSMContext
) -> None:
    product, _data = await _dialog_product(query, session, state)
    if product is None:
        return
    await state.set_state(ReviewStates.grade)
    await show(query, grade_screen(product, await ReviewService(session).own(user.id, product.id)))


async def on_back_to_comment(query: CallbackQuery, session: AsyncSession, state: FSMContext):
    product, data = await _dialog_product(query, session, state)
    if product is None:
        return
    await state.set_state(ReviewStates.comment)
    await show(query, comment_screen(product, data["grade"]))


async def on_comment_input(
    message: Message, text: str, session: AsyncSession, state: FSMContext
) -> None:
    product, data = await _dialog_product(message, session, state)
    if product is None:
        return
    try:
        comment = clean_comment(text)
    except InvalidInput as exc:
        await message.answer(_(exc.message).format(**exc.params))
        await show(message, comment_screen(product, data["grade"]))
        return
    # The comment waits in the dialog data until Publish (it is the only non-id there).
    await state.update_data(comment=comment)
    await state.set_state(ReviewStates.preview)
    await show(message, preview_screen(product, data["grade"], comment))


async def on_comment_other(message: Message, session: AsyncSession, state: FSMContext) -> None:
    product, data = await _dialog_product(message, session, state)
    if product is None:
        return
    await message.answer(
        _(
            "Please send the comment as a text message (up to {max} characters), or press Skip."
        ).format(max=COMMENT_MAX)
    )
    await show(message, comment_screen(product, data["grade"]))


async def on_comment_skip(query: CallbackQuery, session: AsyncSession, state: FSMContext):
    product, data = await _dialog_product(query, session, state)
    if product is None:
        return
    await state.update_data(comment=None)
    await state.set_state(ReviewStates.preview)
    await show(query, preview_screen(product, data["grade"], None))


async def on_grade_other(
    message: Message, session: AsyncSession, user: User, state: FSMContext
) -> None:
    product, _data = await _dialog_product(message, session, state)
    if product is None:
        return
    await message.answer(_("Please choose from 1 to 5 stars with the buttons."))
    await show(
        message, grade_screen(product, await ReviewService(session).own(user.id, product.id))
    )


async def on_preview_other(message: Message, session: AsyncSession, state: FSMContext) -> None:
    product, data = await _dialog_product(message, session, state)
    if product is None:
        return
    await message.answer(_("Please use the buttons: Publish, Edit or Cancel."))
    await show(message, preview_screen(product, data["grade"], data.get("comment")))


async def on_review_leave(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    settings: Settings,
    locale: str,
    bot: Bot,
) -> None:
    """Back from the first step: the product card again (the catalog draws it)."""
    product_id = (await state.get_data()).get("product_id", 0)
    await state.clear()
    card = await CatalogService(session).product_card(product_id, user.telegram_id)
    if card is None:
        await _end_product_gone(query, state)
        return
    screen = product_screen(
        card,
        locale=locale,
        currency=settings.currency,
        back=CategoryCb(id=card.product.category_id),
        bot_username=(await bot.me()).username or "",
        viewer_role=user.role,
    )
    await show(query, screen)


async def on_review_publish(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    service = ReviewService(session)
    try:
        review, created = await service.submit(
            user, data["product_id"], data["grade"], data.get("comment")
        )
    except ProductUnavailable:
        await _end_product_gone(query, state)
        return
    await state.clear()
    callback_answer.text = _("Thank you for your review!")
    text = _("Your review is published.") if created else _("Your review is updated.")
    await show(query, Screen(text, published_kb(review.product_id)))
    await notify_about_review(service, bot, i18n, review, created)


# -- notifications ---------------------------------------------------------------------


def notice_text(headline: str, item: ReviewItem, locale: str) -> str:
    """A review in a notification; `headline` has an {id} and a {name} (the product)."""
    title = headline.format(id=item.review.id, name=product_title(item.product_name))
    # A 1000-character comment and reply of emoji would pass 4096 UTF-16 units.
    return fit_list(f"<b>{title}</b>", [item], lambda it, limit: review_block(it, locale, limit))


async def notify_about_review(
    service: ReviewService, bot: Bot, i18n: I18n, review: Review, created: bool
) -> None:
    """A new review goes to the seller (with Reply) and the admins (with Hide / Delete);
    an edited one to the admins again, so a changed text is moderated too."""
    seller, admins = await service.audience(review)
    item = await service.item(review.id)

    def for_seller(locale: str) -> Screen:
        text = notice_text(_("New review of «{name}»"), item, locale)
        return Screen(text, seller_notice_kb(review.id, review.product_id))

    def for_admin(locale: str) -> Screen:
        if created:
            headline = _("New review #{id} of «{name}»")
        else:
            headline = _("Edited review #{id} of «{name}»")
        text = notice_text(headline, item, locale)
        return Screen(text, moderation_kb(review, page=0))

    if created and seller is not None:
        await notify(bot, service.session, i18n, seller, for_seller)
    for admin in admins:
        await notify(bot, service.session, i18n, admin, for_admin)


# -- seller replies --------------------------------------------------------------------


def reply_prompt_screen(item: ReviewItem, locale: str) -> Screen:
    review = item.review
    lines = [
        "<b>"
        + _("Reply to a review of «{name}»").format(name=product_title(item.product_name))
        + "</b>",
        review_block(ReviewItem(review, item.author, item.product_name), locale, 500),
        _("Send your reply (up to {max} characters).").format(max=REPLY_MAX),
    ]
    if review.seller_reply:
        lines.append(_("It will replace your current reply."))
    return Screen("\n\n".join(lines), reply_prompt_kb(review.product_id))


async def on_reply_start(
    query: CallbackQuery,
    callback_data: ReviewReplyCb,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    locale: str,
) -> None:
    item = await ReviewService(session).reply_target(user, callback_data.review_id)
    await state.set_state(ReplyStates.text)
    await state.set_data({"review_id": item.review.id})
    await show(query, reply_prompt_screen(item, locale))


async def _reply_gone(message: Message, state: FSMContext, exc: DomainError) -> None:
    """The review was deleted (or its product changed hands) while the seller typed."""
    await state.clear()
    await message.answer(_(exc.message), reply_markup=home_kb())


async def on_reply_input(
    message: Message,
    text: str,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    locale: str,
    bot: Bot,
    i18n: I18n,
) -> None:
    service = ReviewService(session)
    review_id = (await state.get_data())["review_id"]
    try:
        review, first = await service.reply(user, review_id, text)
    except InvalidInput as exc:
        await message.answer(_(exc.message).format(**exc.params))
        await on_reply_other(message, session, user, state, locale, explain=False)
        return
    except (NotFound, NotAllowed) as exc:
        await _reply_gone(message, state, exc)
        return
    await state.clear()
    await message.answer(
        _("Your reply is published under the review."),
        reply_markup=replied_kb(review.id, review.product_id),
    )
    author = await service.author(review) if first else None
    if author is not None:
        item = await service.item(review.id)

        def for_author(locale: str) -> Screen:
            text = notice_text(_("The seller replied to your review of «{name}»"), item, locale)
            return Screen(text, published_kb(review.product_id))

        await notify(bot, service.session, i18n, author, for_author)


async def on_reply_other(
    message: Message,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    locale: str,
    explain: bool = True,
) -> None:
    review_id = (await state.get_data())["review_id"]
    try:
        item = await ReviewService(session).reply_target(user, review_id)
    except (NotFound, NotAllowed) as exc:
        await _reply_gone(message, state, exc)
        return
    if explain:
        await message.answer(
            _("Please send the reply as a text message (up to {max} characters).").format(
                max=REPLY_MAX
            )
        )
    await show(message, reply_prompt_screen(item, locale))


def build_router() -> Router:
    router = Router(name=__name__)
    cb, msg = router.callback_query, router.message
    cb.register(on_reviews_list, ReviewsCb.filter(), StateFilter("*"))
    cb.register(on_review_start, ReviewStartCb.filter(), StateFilter("*"))
    cb.register(on_reply_start, ReviewReplyCb.filter(), StateFilter("*"))
    # The dialog's buttons work only in their step: a stale one falls to "out of date".
    cb.register(on_grade_pick, ReviewGradeCb.filter(), StateFilter(ReviewStates.grade))
    step = ReviewStepCb.filter
    cb.register(on_review_leave, step(F.step == ReviewStep.leave), StateFilter(ReviewStates.grade))
    cb.register(
        on_back_to_stars,
        step(F.step == ReviewStep.stars),
        StateFilter(ReviewStates.comment, ReviewStates.preview),
    )
    cb.register(
        on_back_to_comment, step(F.step == ReviewStep.comment), StateFilter(ReviewStates.preview)
    )
    cb.register(on_comment_skip, step(F.step == ReviewStep.skip), StateFilter(ReviewStates.comment))
    cb.register(
        on_review_publish, step(F.step == ReviewStep.publish), StateFilter(ReviewStates.preview)
    )
    msg.register(on_comment_input, StateFilter(ReviewStates.comment), TextInput())
    msg.register(on_comment_other, StateFilter(ReviewStates.comment))
    msg.register(on_grade_other, StateFilter(ReviewStates.grade))
    msg.register(on_preview_other, StateFilter(ReviewStates.preview))
    msg.register(on_reply_input, StateFilter(ReplyStates.text), TextInput())
    msg.register(on_reply_other, StateFilter(ReplyStates.text))
    return router
