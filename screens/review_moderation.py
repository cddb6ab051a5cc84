"""Review moderation screens: the admin's list of the latest reviews, one review as a
notification shows it, and the delete confirmation."""

from aiogram.utils.i18n import gettext as _

from keyboards.review_moderation import confirm_delete_kb, mod_list_kb, moderation_kb
from screens.base import Screen
from screens.reviews import fit_list, notice_text, product_title, review_block
from services.reviews import ReviewItem, ReviewPage


def _mod_block(item: ReviewItem, locale: str, limit: int) -> str:
    review = item.review
    status = "" if review.is_visible else " · <i>" + _("hidden") + "</i>"
    title = _("#{id} on «{name}»").format(id=review.id, name=product_title(item.product_name))
    return f"<b>{title}</b>{status}\n{review_block(item, locale, limit)}"


def list_screen(result: ReviewPage, locale: str) -> Screen:
    head = "<b>" + _("Latest reviews") + "</b>"
    if not result.items:
        head += "\n\n" + _("There are no reviews yet.")
    text = fit_list(head, result.items, lambda item, limit: _mod_block(item, locale, limit))
    reviews = [item.review for item in result.items]
    return Screen(text, mod_list_kb(reviews, result.page, result.pages))


def card_screen(item: ReviewItem, locale: str) -> Screen:
    """The notification's view of one review, after an action on it."""
    text = notice_text(_("Review #{id} of «{name}»"), item, locale)
    if not item.review.is_visible:
        text += "\n\n<i>" + _("Hidden: customers don't see it and it doesn't count.") + "</i>"
    return Screen(text, moderation_kb(item.review, page=0))


def delete_ask_screen(item: ReviewItem, page: int, locale: str) -> Screen:
    text = "\n\n".join(
        [
            "<b>" + _("Delete review #{id} for good?").format(id=item.review.id) + "</b>",
            _mod_block(item, locale, 300),  # which product's, as the list said
        ]
    )
    return Screen(text, confirm_delete_kb(item.review.id, page))


def deleted_screen(review_id: int) -> Screen:
    """After deleting from a notification: the review is gone, the list is a press away."""
    text = _("Review #{id} is deleted.").format(id=review_id)
    return Screen(text, mod_list_kb([], 1, 1))
