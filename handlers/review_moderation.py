"""Admin moderation of reviews: /reviews, and Hide / Show / Delete from the list or from a
new-review notification. The router is admin-only; the service checks the role again."""

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.filters import protect
from handlers.reviews import fit_list, notice_text, product_title, review_block
from keyboards.callback_data import ModAction, ModReviewCb, ModReviewsCb
from keyboards.review_moderation import confirm_delete_kb, mod_list_kb, moderation_kb
from models import Role, User
from screens.base import Screen, show
from services.reviews import ReviewItem, ReviewService

PAGE_SIZE = 5


def _mod_block(item: ReviewItem, locale: str, limit: int) -> str:
    review = item.review
    status = "" if review.is_visible else " · <i>" + _("hidden") + "</i>"
    title = _("#{id} on «{name}»").format(id=review.id, name=product_title(item.product_name))
    return f"<b>{title}</b>{status}\n{review_block(item, locale, limit)}"


async def list_screen(service: ReviewService, admin: User, page: int, locale: str) -> Screen:
    result = await service.latest(admin, page, PAGE_SIZE)
    head = "<b>" + _("Latest reviews") + "</b>"
    if not result.items:
        head += "\n\n" + _("There are no reviews yet.")
    text = fit_list(head, result.items, lambda item, limit: _mod_block(item, locale, limit))
    reviews = [item.review for item in result.items]
    return Screen(text, mod_list_kb(reviews, result.page, result.pages))


async def card_screen(service: ReviewService, admin: User, review_id: int, locale: str) -> Screen:
    """The notification's view of one review, after an action on it."""
    item = await service.moderated_item(admin, review_id)
    text = notice_text(_("Review #{id} of «{name}»"), item, locale)
    if not item.review.is_visible:
        text += "\n\n<i>" + _("Hidden: customers don't see it and it doesn't count.") + "</i>"
    return Screen(text, moderation_kb(item.review, page=0))


async def cmd_reviews(message: Message, session: AsyncSession, user: User, locale: str) -> None:
    await show(message, await list_screen(ReviewService(session), user, 1, locale))


async def on_mod_list(
    query: CallbackQuery,
    callback_data: ModReviewsCb,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    await show(query, await list_screen(ReviewService(session), user, callback_data.page, locale))


async def _origin(service: ReviewService, user: User, cb: ModReviewCb, locale: str) -> Screen:
    if cb.page:
        return await list_screen(service, user, cb.page, locale)
    return await card_screen(service, user, cb.review_id, locale)


async def on_mod_toggle(
    query: CallbackQuery,
    callback_data: ModReviewCb,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    service = ReviewService(session)
    visible = callback_data.action is ModAction.unhide
    await service.set_visible(user, callback_data.review_id, visible)
    callback_answer.text = _("The review is visible again.") if visible else _("Review hidden.")
    await show(query, await _origin(service, user, callback_data, locale))


async def on_mod_delete_ask(
    query: CallbackQuery,
    callback_data: ModReviewCb,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    service = ReviewService(session)
    item = await service.moderated_item(user, callback_data.review_id)
    text = "\n\n".join(
        [
            "<b>" + _("Delete review #{id} for good?").format(id=item.review.id) + "</b>",
            review_block(item, locale, 300),
        ]
    )
    await show(query, Screen(text, confirm_delete_kb(item.review.id, callback_data.page)))


async def on_mod_delete(
    query: CallbackQuery,
    callback_data: ModReviewCb,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    service = ReviewService(session)
    await service.delete(user, callback_data.review_id)
    callback_answer.text = _("Review deleted.")
    if callback_data.page:
        await show(query, await list_screen(service, user, callback_data.page, locale))
        return
    text = _("Review #{id} is deleted.").format(id=callback_data.review_id)
    await show(query, Screen(text, mod_list_kb([], 1, 1)))


async def on_mod_back(
    query: CallbackQuery,
    callback_data: ModReviewCb,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    await show(query, await _origin(ReviewService(session), user, callback_data, locale))


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
    cb = router.callback_query
    router.message.register(cmd_reviews, Command("reviews"), StateFilter("*"))
    cb.register(on_mod_list, ModReviewsCb.filter(), StateFilter("*"))
    action = ModReviewCb.filter
    toggle = F.action.in_({ModAction.hide, ModAction.unhide})
    cb.register(on_mod_toggle, action(toggle), StateFilter("*"))
    cb.register(on_mod_delete_ask, action(F.action == ModAction.delete), StateFilter("*"))
    cb.register(on_mod_delete, action(F.action == ModAction.confirm), StateFilter("*"))
    cb.register(on_mod_back, action(F.action == ModAction.back), StateFilter("*"))
    return router
