"""Reviews seen by customers and sellers: the list, the review dialog, seller replies.

Moderation (admins) lives in handlers/review_moderation.py; the screens of both in
screens/.
"""

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.filters import CommentInput, NotCommand, SameDialog
from handlers.states import DIALOG, ReplyStates, ReviewStates, begin_dialog, end_dialog
from jobs.notify import notify, notify_review
from keyboards.callback_data import (
    ProductCb,
    ReviewGradeCb,
    ReviewReplyCb,
    ReviewsCb,
    ReviewStartCb,
    ReviewStep,
    ReviewStepCb,
)
from keyboards.catalog import card_back, card_of
from models import Product, Review
from screens.base import Screen, domain_message, show, tell
from screens.catalog import product_screen
from screens.reviews import (
    comment_screen,
    grade_screen,
    preview_screen,
    product_gone_screen,
    published_screen,
    replied_screen,
    reply_gone_screen,
    reply_notice_screen,
    reply_prompt_screen,
    review_list_screen,
)
from services.access import can_sell
from services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from services.reviews import COMMENT_MAX, REPLY_MAX, ProductUnavailable, check_grade, clean_comment

PAGE_SIZE = 5
CARD_KEY = "card"  # the review dialog's data: the ProductCb of the card it began on
_DIALOG_STATES = frozenset(s.state for s in (*ReviewStates.__states__, *ReplyStates.__states__))


# -- the review list -------------------------------------------------------------------


async def on_reviews_list(
    query: CallbackQuery,
    callback_data: ReviewsCb,
    ctx: Ctx,
    state: FSMContext,
    raw_state: str | None,
) -> None:
    if raw_state in _DIALOG_STATES:  # left a review or reply dialog through a link
        await end_dialog(state)
    user, card = ctx.user, card_of(callback_data)
    try:
        product, page = await ctx.reviews.page(card.id, callback_data.page, PAGE_SIZE)
    except ProductUnavailable:
        raise SkipHandler from None  # the fallback shows where the card was opened from
    owner = product.seller_id == user.id  # can't review it, as its card says
    own = await ctx.reviews.own(user.id, product.id) if not owner else None
    screen = review_list_screen(
        product,
        page,
        own,
        owner=owner,
        replies=owner and can_sell(user),
        locale=ctx.locale,
        card=card,
    )
    await show(query, screen)


# -- the review dialog -----------------------------------------------------------------


async def _end_product_gone(event: Message | CallbackQuery, state: FSMContext) -> None:
    await end_dialog(state)
    await show(event, product_gone_screen())


async def _dialog_product(
    event: Message | CallbackQuery, ctx: Ctx, state: FSMContext
) -> tuple[Product | None, dict]:
    """The product of the dialog, or None after ending the dialog when it was hidden."""
    data = await state.get_data()
    try:
        return await ctx.reviews.product(data["product_id"]), data
    except ProductUnavailable:
        await _end_product_gone(event, state)
        return None, data


async def _own(ctx: Ctx, product: Product) -> Review | None:
    return await ctx.reviews.own(ctx.user.id, product.id)


async def on_review_start(
    query: CallbackQuery, callback_data: ReviewStartCb, ctx: Ctx, state: FSMContext
) -> None:
    card = card_of(callback_data)
    try:
        product, own = await ctx.reviews.begin(ctx.user, card.id)
    except ProductUnavailable:
        raise SkipHandler from None  # as in the list
    # The card's button (packed) is kept to go back to it with its own Back; an edited
    # review's comment, to be shown at its step and kept unless changed or removed.
    data = {"product_id": product.id, CARD_KEY: card.pack()}
    if own is not None and own.comment:
        data["comment"] = own.comment
    await begin_dialog(state, ReviewStates.grade, data, query)
    await show(query, grade_screen(product, own))


async def on_grade_pick(
    query: CallbackQuery,
    callback_data: ReviewGradeCb,
    ctx: Ctx,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        grade = check_grade(callback_data.grade)
    except InvalidInput as exc:
        callback_answer.text = domain_message(exc)
        callback_answer.show_alert = True
        return
    product, data = await _dialog_product(query, ctx, state)
    if product is None:
        return
    await state.update_data(grade=grade)
    await state.set_state(ReviewStates.comment)
    await show(query, comment_screen(product, grade, data.get("comment")))


async def on_back_to_stars(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    product, _data = await _dialog_product(query, ctx, state)
    if product is None:
        return
    await state.set_state(ReviewStates.grade)
    await show(query, grade_screen(product, await _own(ctx, product)))


async def on_back_to_comment(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    product, data = await _dialog_product(query, ctx, state)
    if product is None:
        return
    await state.set_state(ReviewStates.comment)
    await show(query, comment_screen(product, data["grade"], data.get("comment")))


async def on_comment_input(message: Message, text: str, ctx: Ctx, state: FSMContext) -> None:
    product, data = await _dialog_product(message, ctx, state)
    if product is None:
        return
    try:
        comment = clean_comment(text)
    except InvalidInput as exc:
        await message.answer(domain_message(exc))
        await show(message, comment_screen(product, data["grade"], data.get("comment")))
        return
    # The comment waits in the dialog data until Publish (it is the only non-id there).
    await state.update_data(comment=comment)
    await state.set_state(ReviewStates.preview)
    await show(message, _preview(product, data, comment))


async def on_comment_other(message: Message, ctx: Ctx, state: FSMContext) -> None:
    product, data = await _dialog_product(message, ctx, state)
    if product is None:
        return
    await message.answer(
        _(
            "Please send the comment as a text message (up to {max} characters), or use the "
            "buttons below."
        ).format(max=COMMENT_MAX)
    )
    await show(message, comment_screen(product, data["grade"], data.get("comment")))


async def on_comment_skip(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    """Skip: no comment, or Keep: the one there is (the review's, or typed before Back)."""
    product, data = await _dialog_product(query, ctx, state)
    if product is None:
        return
    await state.set_state(ReviewStates.preview)
    await show(query, _preview(product, data, data.get("comment")))


async def on_comment_remove(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    product, data = await _dialog_product(query, ctx, state)
    if product is None:
        return
    await state.update_data(comment=None)
    await state.set_state(ReviewStates.preview)
    await show(query, _preview(product, data, None))


async def on_grade_other(message: Message, ctx: Ctx, state: FSMContext) -> None:
    product, _data = await _dialog_product(message, ctx, state)
    if product is None:
        return
    await message.answer(_("Please choose from 1 to 5 stars with the buttons."))
    await show(message, grade_screen(product, await _own(ctx, product)))


async def on_preview_other(message: Message, ctx: Ctx, state: FSMContext) -> None:
    product, data = await _dialog_product(message, ctx, state)
    if product is None:
        return
    await message.answer(_("Please use the buttons: Publish, Edit or Cancel."))
    await show(message, _preview(product, data, data.get("comment")))


def _preview(product: Product, data: dict, comment: str | None) -> Screen:
    return preview_screen(product, data["grade"], comment, data.get(DIALOG, 0))


def _card(data: dict) -> ProductCb:
    """The card the dialog was started from (a dialog saved before it was kept: the
    product's card with its own category as Back)."""
    packed = data.get(CARD_KEY)
    return ProductCb.unpack(packed) if packed else ProductCb(id=data.get("product_id", 0))


async def on_review_leave(query: CallbackQuery, ctx: Ctx, state: FSMContext, bot: Bot) -> None:
    """Back from the first step: the product card again, as it was opened."""
    here = _card(await state.get_data())
    await end_dialog(state)
    card = await ctx.catalog.product_card(here.id, ctx.user.telegram_id)
    if card is None:
        await _end_product_gone(query, state)
        return
    screen = product_screen(
        card,
        locale=ctx.locale,
        currency=ctx.settings.currency,
        back=card_back(here, card.product.category_id),
        bot_username=(await bot.me()).username or "",
        viewer_role=ctx.user.role,
        here=here,
    )
    await show(query, screen)


async def on_review_publish(
    query: CallbackQuery,
    ctx: Ctx,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    try:
        review, created = await ctx.reviews.submit(
            ctx.user, data["product_id"], data["grade"], data.get("comment")
        )
    except ProductUnavailable:
        await _end_product_gone(query, state)
        return
    await end_dialog(state)
    await ctx.commit()  # "published" only once it is
    callback_answer.text = _("Thank you for your review!")
    await tell(query, published_screen(review.product_id, created, _card(data)))
    await notify_review(bot, ctx.session, i18n, review, created)


# -- seller replies --------------------------------------------------------------------


async def on_reply_start(
    query: CallbackQuery, callback_data: ReviewReplyCb, ctx: Ctx, state: FSMContext
) -> None:
    item = await ctx.reviews.reply_target(ctx.user, callback_data.review_id)
    await begin_dialog(state, ReplyStates.text, {"review_id": item.review.id}, query)
    await show(query, reply_prompt_screen(item, ctx.locale))


async def _reply_gone(message: Message, state: FSMContext, exc: DomainError) -> None:
    """The review was deleted (or its product changed hands) while the seller typed."""
    await end_dialog(state)
    await show(message, reply_gone_screen(domain_message(exc)))


async def on_reply_input(
    message: Message, text: str, ctx: Ctx, state: FSMContext, bot: Bot, i18n: I18n
) -> None:
    review_id = (await state.get_data())["review_id"]
    try:
        review, first = await ctx.reviews.reply(ctx.user, review_id, text)
    except InvalidInput as exc:
        await message.answer(domain_message(exc))
        await on_reply_other(message, ctx, state, explain=False)
        return
    except (NotFound, NotAllowed) as exc:
        await _reply_gone(message, state, exc)
        return
    await end_dialog(state)
    await ctx.commit()
    await tell(message, replied_screen(review))
    author = await ctx.reviews.author(review) if first else None
    if author is not None:
        item = await ctx.reviews.item(review.id)
        await notify(
            bot, ctx.session, i18n, author, lambda locale: reply_notice_screen(item, locale)
        )


async def on_reply_other(
    message: Message, ctx: Ctx, state: FSMContext, explain: bool = True
) -> None:
    review_id = (await state.get_data())["review_id"]
    try:
        item = await ctx.reviews.reply_target(ctx.user, review_id)
    except (NotFound, NotAllowed) as exc:
        await _reply_gone(message, state, exc)
        return
    if explain:
        await message.answer(
            _("Please send the reply as a text message (up to {max} characters).").format(
                max=REPLY_MAX
            )
        )
    await show(message, reply_prompt_screen(item, ctx.locale))


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
        on_comment_remove, step(F.step == ReviewStep.remove), StateFilter(ReviewStates.comment)
    )
    cb.register(
        on_review_publish,
        step(F.step == ReviewStep.publish),
        StateFilter(ReviewStates.preview),
        SameDialog(),
    )
    msg.register(on_comment_input, StateFilter(ReviewStates.comment), CommentInput())
    msg.register(on_comment_other, StateFilter(ReviewStates.comment), NotCommand())
    msg.register(on_grade_other, StateFilter(ReviewStates.grade), NotCommand())
    msg.register(on_preview_other, StateFilter(ReviewStates.preview), NotCommand())
    msg.register(on_reply_input, StateFilter(ReplyStates.text), CommentInput())
    msg.register(on_reply_other, StateFilter(ReplyStates.text), NotCommand())
    return router
