"""Keyboards of the review list, the review dialog, seller replies and moderation."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import (
    ProductCb,
    ReviewGradeCb,
    ReviewReplyCb,
    ReviewsCb,
    ReviewStartCb,
    ReviewStep,
    ReviewStepCb,
)
from keyboards.catalog import place_of
from keyboards.common import back_label, button, cancel_button, home_button, numbered_pager

Markup = InlineKeyboardMarkup


def _kb(*rows: list[InlineKeyboardButton]) -> Markup:
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def _step(text: str, step: ReviewStep) -> InlineKeyboardButton:
    return button(text, ReviewStepCb(step=step))


def _back(step: ReviewStep) -> InlineKeyboardButton:
    return _step(back_label(), step)


# -- customer ---------------------------------------------------------------------------


def review_list_kb(
    product_id: int,
    page: int,
    pages: int,
    can_review: bool,
    has_own: bool,
    reply_to: list[tuple[int, str]] = (),  # type: ignore[assignment]
    card: ProductCb | None = None,
) -> Markup:
    """The review list; `reply_to` ((review id, label), ...) only for the product's seller;
    `card` the card it was opened from (its place goes on every button)."""
    place = place_of(card)
    replies = [[button("↩️ " + label, ReviewReplyCb(review_id=rid))] for rid, label in reply_to]
    write = []
    if can_review:
        label = "✏️ " + _("Edit my review") if has_own else "✍️ " + _("Leave a review")
        write = [button(label, ReviewStartCb(product_id=product_id, **place))]
    nav = numbered_pager(page, pages, lambda p: ReviewsCb(product_id=product_id, page=p, **place))
    back = [button("⬅️ " + _("Back to the product"), card or ProductCb(id=product_id))]
    return _kb(*replies, write, nav, back)


def stars_kb() -> Markup:
    grades = [button(f"{g}⭐", ReviewGradeCb(grade=g)) for g in range(1, 6)]
    return _kb(grades, [_back(ReviewStep.leave), cancel_button()])


def comment_kb(has_comment: bool = False) -> Markup:
    """Skip; or, when there is a comment already (the review's, or the one typed before
    going back), Keep it or Remove it."""
    if has_comment:
        choice = [
            _step("✅ " + _("Keep the comment"), ReviewStep.skip),
            _step("🗑 " + _("Remove the comment"), ReviewStep.remove),
        ]
    else:
        choice = [_step("⏭ " + _("Skip"), ReviewStep.skip)]
    return _kb(choice, [_back(ReviewStep.stars), cancel_button()])


def preview_kb(dialog: int) -> Markup:
    publish = ReviewStepCb(step=ReviewStep.publish, dialog=dialog)
    return _kb(
        [button("✅ " + _("Publish"), publish)],
        [_step("✏️ " + _("Edit"), ReviewStep.stars), cancel_button()],
        [_back(ReviewStep.comment)],
    )


def published_kb(product_id: int, card: ProductCb | None = None) -> Markup:
    return _kb(
        [button("⭐ " + _("Reviews"), ReviewsCb(product_id=product_id, **place_of(card)))],
        [button("⬅️ " + _("Back to the product"), card or ProductCb(id=product_id))],
    )


def product_gone_kb() -> Markup:
    return _kb([home_button()])


# -- seller -----------------------------------------------------------------------------


def seller_notice_kb(review_id: int, product_id: int) -> Markup:
    return _kb(
        [button("↩️ " + _("Reply"), ReviewReplyCb(review_id=review_id))],
        [button("⭐ " + _("All reviews"), ReviewsCb(product_id=product_id))],
    )


def reply_prompt_kb(product_id: int) -> Markup:
    back = button(back_label(), ReviewsCb(product_id=product_id))
    return _kb([back, cancel_button()])


def replied_kb(review_id: int, product_id: int) -> Markup:
    return _kb(
        [button("✏️ " + _("Edit the reply"), ReviewReplyCb(review_id=review_id))],
        [button("⭐ " + _("All reviews"), ReviewsCb(product_id=product_id))],
    )
