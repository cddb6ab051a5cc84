"""Payments fixes from review: the manual-refund alert reaches only admins who can act."""

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import RefundStarPayment, SendMessage

from keyboards.callback_data import OrderAction, OrderCb
from models import Role
from tests.conftest import ADMIN_ID
from tests.factories import make_user
from tests.test_payments import order_by, stars_env, tea  # noqa: F401 (fixtures)


async def test_manual_refund_alert_skips_banned_and_blocking_admins(stars_env, tea, session):  # noqa: F811
    await stars_env.user(ADMIN_ID).send("/start")
    await make_user(session, 2001, Role.admin, is_banned=True)
    await make_user(session, 2002, Role.admin, is_active=False)
    await make_user(session, 2003, Role.seller)
    await session.commit()
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await ann.click(OrderCb(id=1, action=OrderAction.cancel_yes))

    def refuse(method):
        if isinstance(method, RefundStarPayment):
            return TelegramBadRequest(method=method, message="Bad Request: CHARGE_NOT_FOUND")
        return None

    stars_env.api.hook = refuse
    reply = await ann.pay("order:1", 13, charge_id="late-1")
    told = {c.chat_id for c in reply.of(SendMessage) if "manual refund" in c.text}
    assert told == {ADMIN_ID}
