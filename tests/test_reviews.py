"""Reviews from the users' side: the dialog, the list, notifications, replies, moderation."""

import pytest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from sqlalchemy import select

from keyboards.callback_data import (
    CategoryCb,
    MenuAction,
    MenuCb,
    ModAction,
    ModReviewCb,
    ModReviewsCb,
    ProductCb,
    ReviewGradeCb,
    ReviewReplyCb,
    ReviewsCb,
    ReviewStartCb,
    ReviewStep,
    ReviewStepCb,
)
from models import AuditEntry, Category, FsmRecord, Product, Review, Role, User
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user

CUSTOMER, SELLER, OTHER_SELLER = 1, 2, 3


@pytest.fixture
async def shop(session):
    """A seller's product, another seller, and an admin; committed for the bot to see."""
    seller = await make_user(session, SELLER, Role.seller, first_name="Sam")
    await make_user(session, OTHER_SELLER, Role.seller, first_name="Olga")
    await make_user(session, ADMIN_ID, Role.admin, first_name="Boss")
    category = await make_category(session)
    product = await make_product(session, category, name="Tea <Pot> & Cup", seller=seller)
    await session.commit()
    return product.id


async def reviews_of(session, product_id):
    session.expire_all()
    return list(
        await session.scalars(
            select(Review).where(Review.product_id == product_id).order_by(Review.id)
        )
    )


async def product_row(session, product_id) -> Product:
    session.expire_all()
    return await session.get(Product, product_id)


def sent_to(reply, chat_id) -> list[SendMessage]:
    return [c for c in reply.of(SendMessage) if c.chat_id == chat_id]


async def write_review(user, product_id, grade=4, comment: str | None = "Nice"):
    await user.click(ReviewStartCb(product_id=product_id))
    await user.press(f"{grade}⭐")
    if comment is None:
        await user.press("Skip")
    else:
        await user.send(comment)
    return await user.press("Publish")


# -- the dialog ------------------------------------------------------------------------


async def test_happy_path_publishes_updates_rating_and_notifies(env, session, shop):
    ann = env.user(CUSTOMER, "Ann")
    reply = await ann.click(ReviewStartCb(product_id=shop))
    assert "Step 1 of 3" in reply.text
    assert "Tea &lt;Pot&gt; &amp; Cup" in reply.text
    assert all(reply.has_button(f"{g}⭐") for g in range(1, 6))
    assert reply.has_button("Back") and reply.has_button("Cancel")
    reply = await ann.press("4⭐")
    assert "Step 2 of 3" in reply.text and reply.has_button("Skip")
    reply = await ann.send("Great <b>pot</b> & lid")
    assert "Step 3 of 3" in reply.text
    assert "Great &lt;b&gt;pot&lt;/b&gt; &amp; lid" in reply.text
    assert reply.has_button("Publish") and reply.has_button("Edit") and reply.has_button("Cancel")
    reply = await ann.press("Publish")
    assert "published" in reply.texts[0]
    assert reply.alert == "Thank you for your review!"

    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment, review.is_visible) == (4, "Great <b>pot</b> & lid", True)
    product = await product_row(session, shop)
    assert (product.rating_sum, product.rating_count) == (4, 1)
    assert await session.scalar(select(FsmRecord)) is None  # the dialog is over

    [to_seller] = sent_to(reply, SELLER)
    assert "New review of" in to_seller.text and "Great &lt;b&gt;pot" in to_seller.text
    assert any("Reply" in b.text for row in to_seller.reply_markup.inline_keyboard for b in row)
    [to_admin] = sent_to(reply, ADMIN_ID)
    labels = [b.text for row in to_admin.reply_markup.inline_keyboard for b in row]
    assert any("Hide" in t for t in labels) and any("Delete" in t for t in labels)
    assert sent_to(reply, OTHER_SELLER) == []


async def test_skip_leaves_no_comment(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("5⭐")
    reply = await ann.press("Skip")
    assert "No comment" in reply.text
    await ann.press("Publish")
    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment) == (5, None)


async def test_wrong_input_at_the_comment_step_repeats_it(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("3⭐")
    for reply in (await ann.send_sticker(), await ann.send_photo()):
        assert "Please send the comment as a text message" in reply.texts[0]
        assert "Step 2 of 3" in reply.text and reply.has_button("Skip")
    reply = await ann.send("x" * 1001)
    assert "too long: 1001 characters, at most 1000" in reply.texts[0]
    assert "Step 2 of 3" in reply.text
    reply = await ann.send("y" * 1000)
    assert "Step 3 of 3" in reply.text
    await ann.press("Publish")
    [review] = await reviews_of(session, shop)
    assert review.comment == "y" * 1000


async def test_wrong_input_at_the_star_and_preview_steps(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    reply = await ann.send("five")
    assert "choose from 1 to 5 stars" in reply.texts[0]
    assert reply.has_button("5⭐")
    reply = await ann.click(ReviewGradeCb(grade=9))  # forged
    assert reply.alert == "Choose from 1 to 5 stars."
    await ann.press("2⭐")
    await ann.press("Skip")
    reply = await ann.send_sticker()
    assert "Publish, Edit or Cancel" in reply.texts[0] and reply.has_button("Publish")
    assert await reviews_of(session, shop) == []


async def test_back_and_edit_buttons_move_between_steps(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("2⭐")
    reply = await ann.press("Back")
    assert "Step 1 of 3" in reply.text
    await ann.press("4⭐")
    await ann.send("first try")
    reply = await ann.press("Back")
    assert "Step 2 of 3" in reply.text
    await ann.send("second try")
    reply = await ann.press("Edit")
    assert "Step 1 of 3" in reply.text
    await ann.press("5⭐")
    await ann.send("final")
    await ann.press("Publish")
    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment) == (5, "final")


async def test_cancel_and_slash_cancel_save_nothing(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    reply = await ann.send("/cancel")
    assert reply.text == "Cancelled."
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    await ann.send("text")
    reply = await ann.press("Cancel")
    assert "Cancelled." in reply.text
    # The old Publish button is stale now.
    reply = await ann.click(ReviewStepCb(step=ReviewStep.publish))
    assert "out of date" in reply.alert
    assert await reviews_of(session, shop) == []
    assert (await product_row(session, shop)).rating_count == 0


async def test_back_from_the_first_step_shows_the_product_card(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    reply = await ann.press("Back")
    assert "Tea &lt;Pot&gt; &amp; Cup" in reply.text and reply.has_button("Leave a review")
    assert await session.scalar(select(FsmRecord)) is None


async def test_from_the_product_card_to_the_list_and_back(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ProductCb(id=shop))
    await ann.press("Leave a review")
    await ann.press("5⭐")
    await ann.send("Lovely")
    await ann.press("Publish")
    reply = await ann.press("Back to the product")
    assert reply.has_button("Reviews (1)") and reply.has_button("Edit my review")
    reply = await ann.press("Reviews (1)")
    assert "Lovely" in reply.text and "5.0 (1)" in reply.text
    reply = await ann.press("Back to the product")
    assert reply.has_button("Reviews (1)")


async def test_forged_huge_ids_are_just_not_found(env, session, shop):
    huge = 2**31 - 1  # the largest id a button can carry
    ann = env.user(CUSTOMER)
    reply = await ann.click(ReviewsCb(product_id=huge))
    assert reply.alert == "This product is no longer available."
    reply = await ann.click(ReviewStartCb(product_id=huge))
    assert reply.alert == "This product is no longer available."
    reply = await env.user(SELLER).click(ReviewReplyCb(review_id=huge))
    assert reply.alert == "This review no longer exists."
    reply = await env.user(ADMIN_ID).click(ModReviewCb(action=ModAction.hide, review_id=huge))
    assert reply.alert == "This review no longer exists."


async def test_second_review_edits_the_first(env, session, shop):
    ann = env.user(CUSTOMER)
    await write_review(ann, shop, 5, "Love it")
    reply = await ann.click(ReviewStartCb(product_id=shop))
    assert "already reviewed" in reply.text
    reply = await write_review(ann, shop, 2, "Broke after a week")
    assert "updated" in reply.texts[0]
    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment) == (2, "Broke after a week")
    product = await product_row(session, shop)
    assert (product.rating_sum, product.rating_count) == (2, 1)
    # The seller hears of new reviews only; admins again, to moderate the new text.
    assert sent_to(reply, SELLER) == []
    [to_admin] = sent_to(reply, ADMIN_ID)
    assert "Edited review" in to_admin.text


async def test_list_offers_edit_my_review_after_reviewing(env, shop):
    ann = env.user(CUSTOMER)
    reply = await ann.click(ReviewsCb(product_id=shop))
    assert reply.has_button("Leave a review") and not reply.has_button("Edit my review")
    await write_review(ann, shop)
    reply = await ann.click(ReviewsCb(product_id=shop))
    assert reply.has_button("Edit my review") and not reply.has_button("Leave a review")


async def test_seller_cannot_review_own_product(env, session, shop):
    reply = await env.user(SELLER).click(ReviewStartCb(product_id=shop))
    assert reply.alert == "You can't review your own product."
    assert await session.scalar(select(FsmRecord)) is None
    reply = await env.user(SELLER).click(ReviewsCb(product_id=shop))
    assert not reply.has_button("Leave a review") and "Be the first" not in reply.text


async def test_a_former_seller_is_not_offered_a_review_of_their_own_product(env, session):
    """Made a customer, a seller keeps their products: the list follows the card (no
    Leave a review, which would only be refused), and invites no one to "be the first"
    but the product's customers."""
    sam = await make_user(session, 2, Role.customer, first_name="Sam")  # was a seller
    tea = await make_product(session, await make_category(session), "Tea", seller=sam)
    await session.commit()
    listing = await env.user(2, "Sam").click(ReviewsCb(product_id=tea.id))
    assert not listing.has_button("Leave a review") and not listing.has_button("Reply")
    assert "Nobody has reviewed it yet." in listing.text and "Be the first" not in listing.text
    listing = await env.user(3, "Cat").click(ReviewsCb(product_id=tea.id))
    assert listing.has_button("Leave a review") and "Be the first!" in listing.text


@pytest.mark.parametrize("hide", ["inactive", "deleted", "category"])
async def test_product_hidden_mid_dialog_ends_it(env, session, shop, hide):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    product = await product_row(session, shop)
    if hide == "inactive":
        product.is_active = False
    elif hide == "deleted":
        product.is_deleted = True
    else:
        category = await session.get(Category, product.category_id)
        category.is_active = False
    await session.commit()
    reply = await ann.send("Nice")
    assert "no longer available" in reply.text
    assert await session.scalar(select(FsmRecord)) is None
    assert await reviews_of(session, shop) == []


async def test_product_hidden_before_publish(env, session, shop):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    await ann.press("Skip")
    product = await product_row(session, shop)
    product.is_active = False
    await session.commit()
    reply = await ann.press("Publish")
    assert "no longer available" in reply.text
    assert await reviews_of(session, shop) == []
    assert (await product_row(session, shop)).rating_count == 0
    reply = await ann.click(ReviewStartCb(product_id=shop))
    assert reply.alert == "This product is no longer available."


# -- the list --------------------------------------------------------------------------


async def test_list_is_paged_newest_first_escaped_and_skips_hidden(env, session, shop):
    for i in range(7):
        name = "<b>Bob & co</b>" if i == 0 else f"User{i}"
        await write_review(env.user(100 + i, name), shop, grade=1 + i % 5, comment=f"comment {i}")
    [*_, hidden] = await reviews_of(session, shop)
    await env.user(ADMIN_ID).click(ModReviewCb(action=ModAction.hide, review_id=hidden.id))

    ann = env.user(CUSTOMER)
    reply = await ann.click(ReviewsCb(product_id=shop))
    text = reply.text
    assert "Reviews of «Tea &lt;Pot&gt; &amp; Cup»" in text
    # Six visible grades 1,2,3,4,5,1: average 2.666.. -> 2.7.
    assert "2.7 (6)" in text
    assert "comment 6" not in text  # hidden
    assert text.index("comment 5") < text.index("comment 4")
    assert "comment 0" not in text and reply.has_button("1/2")
    reply = await ann.press("▶")
    assert "comment 0" in reply.text and "&lt;b&gt;Bob &amp; co&lt;/b&gt;" in reply.text
    assert reply.has_button("Back to the product")


@pytest.mark.parametrize("char", ["😀", "&", "a"])
async def test_long_reviews_are_trimmed_to_fit_a_message(env, session, shop, char):
    for i in range(5):
        await write_review(env.user(100 + i, "&" * 64), shop, 5, char * 1000)
    for review in await reviews_of(session, shop):
        review.seller_reply = char * 1000
    await session.commit()
    # The fake API refuses over-long texts and broken HTML, as Telegram does.
    reply = await env.user(CUSTOMER).click(ReviewsCb(product_id=shop))
    assert "…" in reply.text and reply.has_button("▶") is False
    reply = await env.user(ADMIN_ID).send("/reviews")
    assert "…" in reply.text and "Latest reviews" in reply.text


async def test_rating_in_russian(env, session, shop):
    await write_review(env.user(101), shop, 5)
    await write_review(env.user(102), shop, 4)
    reply = await env.user(CUSTOMER, language_code="ru").click(ReviewsCb(product_id=shop))
    assert "4,5 (2)" in reply.text and "Отзывы" in reply.text


async def test_a_name_with_its_own_quotes_nests_inside_the_messages(env, session):
    """«Носки «Котики» (3 пары)» read as two quotations (a Russian walk): the name's own
    «» become „“ inside the message's."""
    socks = await make_product(session, await make_category(session), "Носки «Котики»")
    await session.commit()
    reply = await env.user(5, language_code="ru").click(ReviewsCb(product_id=socks.id))
    assert "«Носки „Котики“»" in reply.text and "««" not in reply.text


# -- notifications ---------------------------------------------------------------------


async def test_notifications_use_the_readers_language(env, session, shop):
    seller = await session.scalar(select(User).where(User.telegram_id == SELLER))
    seller.language = "ru"
    await session.commit()
    reply = await write_review(env.user(CUSTOMER), shop)
    [to_seller] = sent_to(reply, SELLER)
    assert "Новый отзыв" in to_seller.text
    [to_admin] = sent_to(reply, ADMIN_ID)
    assert "New review" in to_admin.text


async def test_undeliverable_notification_does_not_break_publishing(env, session, shop):
    def refuse(method):
        if isinstance(method, SendMessage) and method.chat_id in (SELLER, ADMIN_ID):
            return TelegramForbiddenError(method=method, message="Forbidden: bot was blocked")
        return None

    env.api.hook = refuse
    reply = await write_review(env.user(CUSTOMER), shop)
    assert "published" in reply.texts[0]
    assert len(await reviews_of(session, shop)) == 1
    seller = await session.scalar(select(User).where(User.telegram_id == SELLER))
    assert seller.is_active is False


# -- seller replies --------------------------------------------------------------------


async def test_seller_replies_from_the_notification_and_edits_the_reply(env, session, shop):
    await write_review(env.user(CUSTOMER, "Ann"), shop)
    sam = env.user(SELLER, "Sam")
    [review] = await reviews_of(session, shop)
    reply = await sam.click(ReviewReplyCb(review_id=review.id))
    assert "Send your reply" in reply.text
    reply = await sam.send_sticker()
    assert "Please send the reply as a text message" in reply.texts[0]
    reply = await sam.send("z" * 1001)
    assert "too long" in reply.texts[0]
    reply = await sam.send("Thanks, <Ann> & welcome")
    assert "published" in reply.texts[0] and reply.has_button("Reviews")
    [to_author] = sent_to(reply, CUSTOMER)  # the author hears of the first reply
    assert "The seller replied to your review" in to_author.text
    assert "Thanks, &lt;Ann&gt; &amp; welcome" in to_author.text
    sent = sam.last_bot_message  # the confirmation; the notice went to Ann's chat
    assert any("Edit the reply" in b.text for row in sent.reply_markup.inline_keyboard for b in row)
    [review] = await reviews_of(session, shop)
    assert review.seller_reply == "Thanks, <Ann> & welcome" and review.replied_at is not None

    listing = await env.user(CUSTOMER).click(ReviewsCb(product_id=shop))
    assert "Seller's reply:" in listing.text and "Thanks, &lt;Ann&gt; &amp; welcome" in listing.text

    reply = await sam.click(ReviewsCb(product_id=shop))
    assert reply.has_button("Edit reply: Ann")
    await sam.press("Edit reply: Ann")
    reply = await sam.send("Second answer")
    assert sent_to(reply, CUSTOMER) == []  # edits don't notify again
    [review] = await reviews_of(session, shop)
    assert review.seller_reply == "Second answer"


async def test_review_deleted_while_the_seller_types_ends_the_reply(env, session, shop):
    await write_review(env.user(CUSTOMER), shop)
    [review] = await reviews_of(session, shop)
    sam = env.user(SELLER)
    await sam.click(ReviewReplyCb(review_id=review.id))
    await env.user(ADMIN_ID).click(ModReviewCb(action=ModAction.confirm, review_id=review.id))
    reply = await sam.send("Thanks!")
    assert reply.text == "This review no longer exists."
    assert await session.scalar(select(FsmRecord)) is None


@pytest.mark.parametrize("who", [CUSTOMER, OTHER_SELLER, ADMIN_ID])
async def test_forged_reply_button_is_refused(env, session, shop, who):
    await write_review(env.user(CUSTOMER), shop)
    [review] = await reviews_of(session, shop)
    reply = await env.user(who).click(ReviewReplyCb(review_id=review.id))
    assert reply.alert == "Not allowed."
    assert await session.scalar(select(FsmRecord)) is None
    assert (await reviews_of(session, shop))[0].seller_reply is None


# -- moderation ------------------------------------------------------------------------


async def audit(session):
    session.expire_all()
    return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_admin_hides_and_shows_from_the_notification(env, session, shop):
    await write_review(env.user(CUSTOMER), shop, 4)
    boss = env.user(ADMIN_ID)
    [review] = await reviews_of(session, shop)
    review_id = review.id
    notice = boss.last_bot_message
    reply = await boss.press("Hide")
    assert reply.alert == "Review hidden."
    assert "Hidden" in reply.text and reply.has_button("Show")
    assert boss.last_bot_message.message_id == notice.message_id  # edited in place
    assert (await reviews_of(session, shop))[0].is_visible is False
    product = await product_row(session, shop)
    assert (product.rating_sum, product.rating_count) == (0, 0)
    listing = await env.user(CUSTOMER).click(ReviewsCb(product_id=shop))
    assert "Nice" not in listing.text

    reply = await boss.press("Show")
    assert reply.has_button("Hide")
    product = await product_row(session, shop)
    assert (product.rating_sum, product.rating_count) == (4, 1)
    entries = await audit(session)
    assert [(e.action, e.target_id) for e in entries] == [
        ("review.hide", review_id),
        ("review.unhide", review_id),
    ]
    boss_row = await session.scalar(select(User).where(User.telegram_id == ADMIN_ID))
    assert all(e.actor_id == boss_row.id and e.created_at is not None for e in entries)


async def test_admin_deletes_after_confirming(env, session, shop):
    await write_review(env.user(CUSTOMER), shop, 3, "Spam spam")
    boss = env.user(ADMIN_ID)
    reply = await boss.press("Delete")
    assert "for good?" in reply.text
    assert "on «Tea &lt;Pot&gt; &amp; Cup»" in reply.text  # which product's review
    reply = await boss.press("No, go back")
    assert reply.has_button("Hide")
    assert len(await reviews_of(session, shop)) == 1
    await boss.press("Delete")
    reply = await boss.press("Yes, delete")
    assert reply.alert == "Review deleted." and "deleted" in reply.text
    assert await reviews_of(session, shop) == []
    product = await product_row(session, shop)
    assert (product.rating_sum, product.rating_count) == (0, 0)
    [entry] = await audit(session)
    assert entry.action == "review.delete" and entry.before["comment"] == "Spam spam"
    # Pressing it again (a second admin, an old message) changes nothing.
    reply = await boss.click(ModReviewCb(action=ModAction.confirm, review_id=entry.target_id))
    assert reply.alert == "This review no longer exists."


@pytest.mark.parametrize("label", ["Hide", "Delete"])
async def test_a_notice_of_a_review_another_admin_deleted_moves_on(env, session, shop, label):
    """Two admins get the notice; one deletes the review. The other's buttons say so once
    and the notice becomes "Review #N is deleted", not a screen whose every button fails."""
    await make_user(session, 1001, Role.admin)
    await session.commit()
    await write_review(env.user(CUSTOMER), shop, 3, "Spam spam")
    first, second = env.user(ADMIN_ID), env.user(1001, "Bea")
    await first.press("Delete")
    await first.press("Yes, delete")
    [review_id] = [e.target_id for e in await audit(session)]
    reply = await second.press(label)
    assert reply.alert == "This review no longer exists."
    assert f"Review #{review_id} is deleted." in reply.text and not reply.has_button(label)
    # From a page of the list: the page again, without it.
    reply = await second.click(ModReviewCb(action=ModAction.hide, review_id=review_id, page=1))
    assert reply.alert == "This review no longer exists." and "Latest reviews" in reply.text


async def test_reviews_command_lists_latest_with_actions(env, session, shop):
    for i in range(6):
        await write_review(env.user(100 + i, f"U{i}"), shop, 5, f"text {i}")
    boss = env.user(ADMIN_ID)
    reply = await boss.send("/reviews")
    assert "Latest reviews" in reply.text
    assert "text 5" in reply.text and "text 0" not in reply.text
    reviews = await reviews_of(session, shop)
    newest = reviews[-1]
    assert reply.has_button(f"Hide #{newest.id}") and reply.has_button(f"Delete #{newest.id}")
    reply = await boss.press(f"Hide #{newest.id}")
    assert "hidden" in reply.text and reply.has_button(f"Show #{newest.id}")
    reply = await boss.press("▶")
    assert "text 0" in reply.text
    reply = await boss.click(ModReviewsCb(page=1))
    await boss.press(f"Delete #{newest.id}")
    reply = await boss.press("Yes, delete")
    assert "Latest reviews" in reply.text and f"#{newest.id}" not in reply.text
    product = await product_row(session, shop)
    assert (product.rating_sum, product.rating_count) == (25, 5)


@pytest.mark.parametrize("who", [CUSTOMER, SELLER])
async def test_forged_moderation_is_refused(env, session, shop, who):
    await write_review(env.user(CUSTOMER), shop, 4)
    [review] = await reviews_of(session, shop)
    user = env.user(who)
    reply = await user.send("/reviews")
    assert reply.text == "Not allowed."
    for action in ModAction:
        reply = await user.click(ModReviewCb(action=action, review_id=review.id))
        assert reply.alert == "Not allowed."
    reply = await user.click(ModReviewsCb(page=1))
    assert reply.alert == "Not allowed."
    [review] = await reviews_of(session, shop)
    assert review.is_visible
    assert (await product_row(session, shop)).rating_count == 1
    assert await audit(session) == []


async def test_back_from_the_reply_prompt_leaves_the_dialog(env, session, shop):
    await write_review(env.user(CUSTOMER, "Ann"), shop)
    [review] = await reviews_of(session, shop)
    sam = env.user(SELLER)
    await sam.click(ReviewReplyCb(review_id=review.id))
    reply = await sam.press("Back")
    assert "Reviews of" in reply.text and reply.has_button("Reply: Ann")
    assert await session.scalar(select(FsmRecord)) is None
    reply = await sam.send("not a reply any more")
    assert "didn't understand" in reply.text
    assert (await reviews_of(session, shop))[0].seller_reply is None


async def test_reply_notice_with_the_longest_texts_reaches_the_author(env, session, shop):
    await write_review(env.user(CUSTOMER, "Ann"), shop, 5, "😀" * 1000)
    [review] = await reviews_of(session, shop)
    sam = env.user(SELLER, "Sam")
    await sam.click(ReviewReplyCb(review_id=review.id))
    reply = await sam.send("😀" * 1000)  # the fake API refuses what passes 4096 units
    [to_author] = sent_to(reply, CUSTOMER)
    assert "The seller replied to your review" in to_author.text and "…" in to_author.text


@pytest.mark.parametrize("opened_from", ["category page 2", "search", "favourites"])
async def test_back_from_reviews_keeps_where_the_card_came_from(
    make_env, settings, session, opened_from
):
    env = make_env(settings.model_copy(update={"page_size": 2}))
    category = await make_category(session, "Teas")
    for name in ("Assam", "Darjeeling", "Earl Grey", "Oolong"):
        await make_product(session, category, name=name)
    await session.commit()
    ann = env.user(CUSTOMER)
    if opened_from == "category page 2":
        await ann.click(CategoryCb(id=category.id))
        await ann.press("▶")
    elif opened_from == "search":
        await ann.send("/search earl")
    else:
        await ann.click(CategoryCb(id=category.id))
        await ann.press("▶")
        await ann.press("Earl Grey")
        await ann.press("Add to favourites")
        await ann.click(MenuCb(action=MenuAction.favourites))
    origin = ann.shown_buttons  # the list's page, Earl Grey on it
    await ann.press("Earl Grey")
    # Reviews → a page of them → Back to the product → Back
    await ann.press("Reviews")
    await ann.press("Back to the product")
    await ann.press("⬅️ Back")
    assert ann.shown_buttons == origin
    # Leave a review → Back (from the stars) → Back
    await ann.press("Earl Grey")
    await ann.press("Leave a review")
    await ann.press("Back")
    await ann.press("⬅️ Back")
    assert ann.shown_buttons == origin
    # A review published → Back to the product → Back
    await ann.press("Earl Grey")
    await ann.press("Leave a review")
    await ann.click(ReviewGradeCb(grade=5))
    await ann.send("Lovely")
    await ann.press("Publish")
    await ann.press("Back to the product")
    await ann.press("⬅️ Back")
    assert ann.shown_buttons == origin


async def test_editing_the_stars_keeps_the_comment_unless_it_is_changed(env, session, shop):
    ann = env.user(CUSTOMER)
    await write_review(ann, shop, grade=3, comment="First <cup> was cold")
    reply = await ann.click(ReviewStartCb(product_id=shop))
    reply = await ann.click(ReviewGradeCb(grade=5))
    # The comment there is is shown, and can be kept as it is...
    assert "First &lt;cup&gt; was cold" in reply.text
    assert reply.has_button("Keep the comment") and reply.has_button("Remove the comment")
    reply = await ann.press("Keep the comment")
    assert "First &lt;cup&gt; was cold" in reply.text
    await ann.press("Publish")
    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment) == (5, "First <cup> was cold")
    # ...or replaced, and back at the step the new one is what Keep keeps...
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.click(ReviewGradeCb(grade=4))
    await ann.send("Second cup was fine")
    await ann.press("Back")
    reply = await ann.press("Keep the comment")
    await ann.press("Publish")
    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment) == (4, "Second cup was fine")
    # ...or removed on purpose.
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.click(ReviewGradeCb(grade=2))
    reply = await ann.press("Remove the comment")
    assert "No comment" in reply.text
    await ann.press("Publish")
    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment) == (2, None)


async def test_publish_on_an_earlier_dialogs_preview_is_out_of_date(env, session, shop):
    """Publish under the preview of a review left for another one publishes neither: the
    button is out of date, and the open draft still waits for its own Publish."""
    other = (await make_product(session, await make_category(session), name="Apple tea")).id
    await session.commit()
    ann = env.user(CUSTOMER, "Ann")
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("5⭐")
    await ann.send("Great apple tea")
    first = ann.last_bot_message
    await ann.click(ReviewStartCb(product_id=other))
    await ann.press("1⭐")
    await ann.send("Too bitter")
    reply = await ann.click(ann.find_button("Publish", first), first)
    assert "out of date" in (reply.alert or reply.text)
    assert await reviews_of(session, shop) == [] and await reviews_of(session, other) == []
    reply = await ann.press("Publish")
    assert reply.alert == "Thank you for your review!"
    [review] = await reviews_of(session, other)
    assert (review.grade, review.comment) == (1, "Too bitter")


async def test_a_comment_may_start_with_a_slash(env, session, shop):
    """ "/10 would buy again" is a comment, not a command nobody knows; /cancel still
    leaves the dialog."""
    ann = env.user(CUSTOMER, "Ann")
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("5⭐")
    reply = await ann.send("/10 would buy again")
    assert "/10 would buy again" in reply.text and reply.has_button("Publish")
    await ann.press("Publish")
    [review] = await reviews_of(session, shop)
    assert review.comment == "/10 would buy again"
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    reply = await ann.send("/cancel")
    assert "Cancelled" in reply.text
    [review] = await reviews_of(session, shop)
    assert (review.grade, review.comment) == (5, "/10 would buy again")


async def test_an_admin_who_sells_the_product_gets_one_notice_with_both(env, session):
    """The owner of a small shop is its admin and the seller of its products: one notice
    per review, with Hide / Delete and Reply; an edit of the review, Hide / Delete only.
    The other admins get the moderation notice, as before."""
    boss = await make_user(session, ADMIN_ID, Role.admin, first_name="Boss")
    await make_user(session, 7, Role.admin, first_name="Deputy")
    product = await make_product(session, await make_category(session), "Tea", seller=boss)
    await session.commit()
    ann = env.user(CUSTOMER, "Ann")
    reply = await write_review(ann, product.id)
    [to_boss] = sent_to(reply, ADMIN_ID)
    labels = [b.text for row in to_boss.reply_markup.inline_keyboard for b in row]
    assert any("Hide" in t for t in labels) and any("Reply" in t for t in labels)
    [to_deputy] = sent_to(reply, 7)
    labels = [b.text for row in to_deputy.reply_markup.inline_keyboard for b in row]
    assert any("Hide" in t for t in labels) and not any("Reply" in t for t in labels)
    await env.user(ADMIN_ID, "Boss").press("Reply")
    reply = await env.user(ADMIN_ID, "Boss").send("Thank you!")
    assert "published" in reply.texts[0]
    reply = await write_review(ann, product.id, grade=2, comment="Changed my mind")
    [to_boss] = sent_to(reply, ADMIN_ID)
    assert "Edited review" in to_boss.text
    labels = [b.text for row in to_boss.reply_markup.inline_keyboard for b in row]
    assert any("Hide" in t for t in labels) and not any("Reply" in t for t in labels)


async def test_a_seller_made_a_customer_can_no_longer_reply(env, session, shop):
    """The old "New review" notice keeps its Reply button: pressed after an admin made
    the seller a customer, the reply is refused and the customer is told nothing."""
    ann, sam = env.user(CUSTOMER, "Ann"), env.user(SELLER, "Sam")
    await write_review(ann, shop)
    notice = env.api.last_message(SELLER)
    sam_row = await session.scalar(select(User).where(User.telegram_id == SELLER))
    sam_row.role = Role.customer
    await session.commit()
    pressed = await sam.click(sam.find_button("Reply", notice), notice)
    assert pressed.alert == "Not allowed."
    reply = await sam.send("Thanks!")
    assert not sent_to(reply, CUSTOMER)
    assert [r.seller_reply for r in await reviews_of(session, shop)] == [None]
    # Their former product's reviews offer no Reply, and a new review tells them nothing.
    (await session.get(Product, shop)).is_active = True
    await session.commit()
    reply = await sam.click(ReviewsCb(product_id=shop))
    assert "Reviews of" in reply.text and not reply.has_button("Reply: Ann")
    reply = await write_review(env.user(5, "Bob"), shop)
    assert not sent_to(reply, SELLER) and sent_to(reply, ADMIN_ID)


async def test_your_review_hidden_by_a_moderator_is_not_an_invitation_to_be_first(
    env, session, shop
):
    ann = env.user(CUSTOMER, "Ann")
    await write_review(ann, shop)
    [review] = await reviews_of(session, shop)
    review.is_visible = False
    await session.commit()
    reply = await ann.click(ReviewsCb(product_id=shop))
    assert reply.has_button("Edit my review") and "Be the first" not in reply.text
    assert "Your review is hidden by a moderator" in reply.text


async def test_hiding_a_review_from_its_notice_keeps_the_admins_dialog(env, session):
    """Hide on a review notice that arrived mid-dialog acts in place: the admin's
    broadcast draft goes on (the panel's screens end a dialog, this button doesn't)."""
    seller = await make_user(session, 2, Role.seller, first_name="Sam")
    await make_user(session, ADMIN_ID, Role.admin, first_name="Boss")
    product = await make_product(session, await make_category(session), "Tea", seller=seller)
    await session.commit()
    boss = env.user(ADMIN_ID)
    await boss.send("/broadcast")  # the compose prompt: a dialog
    customer = env.user(1)
    await customer.click(ReviewStartCb(product_id=product.id))
    await customer.press("4⭐")
    await customer.send("Spam spam")
    await customer.press("Publish")
    assert (await boss.press("Hide")).alert == "Review hidden."
    preview = await boss.send("Big sale today!")
    assert "didn't understand" not in preview.text and "Recipients" in preview.text
