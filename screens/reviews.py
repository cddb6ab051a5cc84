"""Review screens: the list, the review dialog's steps, seller replies, notifications.

The pieces a review is drawn with (`review_block`, `fit_list`, `notice_text`) are shared
with the moderation screens (screens/review_moderation.py).
"""

from collections.abc import Callable, Iterable

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from keyboards.callback_data import ProductCb
from keyboards.common import home_kb
from keyboards.formatting import fits, quote, rating, stars, within_quotes
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
from models import Product, Review
from screens.base import Screen
from services.names import NAMELESS
from services.reviews import COMMENT_MAX, REPLY_MAX, ReviewItem, ReviewPage

NAME_LIMIT = 64  # author names in lists
PRODUCT_LIMIT = 100
# Longest comment / reply shown in a list before "…"; tighter limits are tried while a
# page would exceed Telegram's 4096 characters (long texts, emoji count double).
LIST_LIMITS = (600, 300, 120, 40)


# -- the pieces ----------------------------------------------------------------------------


def product_title(name: str) -> str:
    return within_quotes(name, PRODUCT_LIMIT)


def rating_line(rating_sum: int, rating_count: int, locale: str) -> str:
    """'★★★★☆ 4.3 (12)': the average to one decimal, in the reader's number format."""
    if not rating_count:
        return _("No reviews yet.")
    return f"{rating(rating_sum, rating_count, locale)} ({rating_count})"


def author(item: ReviewItem) -> str:
    """The review's author as readers see it (services.names)."""
    return item.author or _(NAMELESS)


def review_block(item: ReviewItem, locale: str, limit: int | None = None) -> str:
    review = item.review
    day = format_date(review.created_at, "medium", locale=locale)
    lines = [f"{stars(review.grade)} <b>{quote(author(item), NAME_LIMIT)}</b> · {day}"]
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


def notice_text(headline: str, item: ReviewItem, locale: str) -> str:
    """A review in a notification; `headline` has an {id} and a {name} (the product)."""
    title = headline.format(id=item.review.id, name=product_title(item.product_name))
    # A 1000-character comment and reply of emoji would pass 4096 UTF-16 units.
    return fit_list(f"<b>{title}</b>", [item], lambda it, limit: review_block(it, locale, limit))


# -- the review list -------------------------------------------------------------------


def review_list_screen(
    product: Product,
    page: ReviewPage,
    own: Review | None,
    *,
    owner: bool,
    replies: bool,
    locale: str,
    card: ProductCb | None = None,
) -> Screen:
    """A page of a product's reviews. Its seller (`owner`) can't review it, and gets a
    Reply button per review while they may sell (`replies`); everyone else Leave (or
    Edit) a review. `card`: the card the list was opened from, which Back to the product
    shows again."""
    head = "<b>{title}</b>\n{rating}".format(
        title=_("Reviews of «{name}»").format(name=product_title(product.name)),
        rating=rating_line(product.rating_sum, product.rating_count, locale),
    )
    if own is not None and not own.is_visible:  # not in the list: say why, not "be first"
        head += "\n\n" + _("🙈 Your review is hidden by a moderator: other customers don't see it.")
    elif not page.items and owner:
        head += "\n\n" + _("Nobody has reviewed it yet.")
    elif not page.items:
        head += "\n\n" + _("Nobody has reviewed it yet. Be the first!")
    text = fit_list(head, page.items, lambda item, limit: review_block(item, locale, limit))
    reply_to = []
    if replies:
        for item in page.items:
            label = _("Edit reply: {name}") if item.review.seller_reply else _("Reply: {name}")
            reply_to.append((item.review.id, label.format(name=author(item)[:24])))
    markup = review_list_kb(
        product.id, page.page, page.pages, not owner, own is not None, reply_to, card
    )
    return Screen(text, markup)


# -- the review dialog -----------------------------------------------------------------


def _title(product: Product) -> str:
    return "<b>" + _("Your review of «{name}»").format(name=product_title(product.name)) + "</b>"


def grade_screen(product: Product, own: Review | None) -> Screen:
    text = _title(product) + "\n\n" + _("Step 1 of 3: how many stars do you give it?")
    if own is not None:
        text += "\n\n" + _(
            "You have already reviewed it ({stars}): this edits that review, and its comment "
            "can be kept. Nothing changes until you publish."
        ).format(stars=stars(own.grade))
    return Screen(text, stars_kb())


def comment_screen(product: Product, grade: int, current: str | None = None) -> Screen:
    """The comment step; `current` is the comment there is (the review's being edited,
    or the one typed before going back), shown so it can be kept."""
    if current:
        ask = _(
            "Step 2 of 3: your comment now is below. Keep it, remove it, or send a new one "
            "(up to {max} characters)."
        ).format(max=COMMENT_MAX)
        parts = [_title(product), stars(grade), ask, "<i>" + quote(current) + "</i>"]
    else:
        ask = _("Step 2 of 3: write a comment (up to {max} characters), or press Skip.")
        parts = [_title(product), stars(grade), ask.format(max=COMMENT_MAX)]
    return Screen("\n\n".join(parts), comment_kb(bool(current)))


def preview_screen(product: Product, grade: int, comment: str | None, dialog: int) -> Screen:
    body = quote(comment) if comment else "<i>" + _("No comment") + "</i>"
    text = "\n\n".join(
        [
            _title(product),
            _("Step 3 of 3: check your review."),
            f"{stars(grade)}\n{body}",
            _("Publish it?"),
        ]
    )
    return Screen(text, preview_kb(dialog))


def product_gone_screen() -> Screen:
    text = _("This product is no longer available, so your review was not saved.")
    return Screen(text, product_gone_kb())


def published_screen(product_id: int, created: bool, card: ProductCb | None = None) -> Screen:
    text = _("Your review is published.") if created else _("Your review is updated.")
    return Screen(text, published_kb(product_id, card))


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


def reply_gone_screen(reason: str) -> Screen:
    """The review was deleted (or its product changed hands) while the seller typed."""
    return Screen(reason, home_kb())


def replied_screen(review: Review) -> Screen:
    text = _("Your reply is published under the review.")
    return Screen(text, replied_kb(review.id, review.product_id))


# -- notifications ---------------------------------------------------------------------


def seller_notice_screen(item: ReviewItem, locale: str) -> Screen:
    """A new review of their product, to the seller (with Reply)."""
    text = notice_text(_("New review of «{name}»"), item, locale)
    return Screen(text, seller_notice_kb(item.review.id, item.review.product_id))


def admin_notice_screen(
    item: ReviewItem, created: bool, locale: str, *, seller: bool = False
) -> Screen:
    """A new or edited review, to an admin (with Hide / Delete); `seller`: the admin
    sells the product too, and gets this one notice with the seller's Reply as well."""
    if created:
        headline = _("New review #{id} of «{name}»")
    else:
        headline = _("Edited review #{id} of «{name}»")
    text = notice_text(headline, item, locale)
    markup = moderation_kb(item.review, page=0)
    if seller:
        replying = seller_notice_kb(item.review.id, item.review.product_id)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[*markup.inline_keyboard, *replying.inline_keyboard]
        )
    return Screen(text, markup)


def reply_notice_screen(item: ReviewItem, locale: str) -> Screen:
    """The seller's first reply, to the review's author."""
    text = notice_text(_("The seller replied to your review of «{name}»"), item, locale)
    return Screen(text, published_kb(item.review.product_id))
