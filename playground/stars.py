"""The Bot API's Stars ledger: refunds (refundStarPayment) and the bot's transactions
(getStarTransactions), over the charges `BotApi.charges` keeps (payments made in the
playground's page, or by tests' users)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.rules import BadRequest


class StarsMethods:
    charges: dict[str, dict[str, Any]]
    chats: dict[int, Any]
    clock: Callable[[], float]
    emit: Callable[[int, dict[str, Any]], None]

    def _star_user(self, user_id: int) -> dict[str, Any]:
        log = self.chats.get(int(user_id))
        name = log.chat.get("first_name", "") if log is not None else ""
        return {"id": int(user_id), "is_bot": False, "first_name": name or "User"}

    def _m_getstartransactions(self, params: dict) -> dict:
        """The bot's Stars ledger, oldest first: each payment in, each refund out (a
        refund carries its payment's charge id, as Telegram's do)."""
        try:
            offset = int(params.get("offset", 0))
            limit = int(params.get("limit", 100))
        except (TypeError, ValueError):
            raise BadRequest("offset and limit must be numbers") from None
        if offset < 0 or not 1 <= limit <= 100:
            raise BadRequest("limit must be 1-100 and offset not negative")
        ledger: list[tuple[int, dict[str, Any]]] = []
        for charge_id, charge in self.charges.items():
            if charge.get("currency", "XTR") != "XTR":
                continue
            partner = {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": self._star_user(charge["user_id"]),
            }
            paid_at = int(charge.get("date", self.clock()))
            income = {"id": charge_id, "amount": charge["total_amount"], "date": paid_at}
            ledger.append((paid_at, {**income, "source": partner}))
            if charge.get("refunded"):
                refunded_at = int(charge.get("refunded_at", paid_at))
                ledger.append((refunded_at, {**income, "date": refunded_at, "receiver": partner}))
        ledger.sort(key=lambda entry: entry[0])  # stable: a refund stays after its payment
        return {"transactions": [t for _, t in ledger[offset : offset + limit]]}

    def _m_refundstarpayment(self, params: dict) -> bool:
        charge = self.charges.get(str(params.get("telegram_payment_charge_id", "")))
        if charge is None or str(charge["user_id"]) != str(params.get("user_id")):
            raise BadRequest("CHARGE_NOT_FOUND")
        if charge.get("refunded"):
            raise BadRequest("CHARGE_ALREADY_REFUNDED")
        charge["refunded"] = True
        charge["refunded_at"] = int(self.clock())
        note = f"⭐ {charge['total_amount']:,} Stars refunded".replace(",", " ")
        self.emit(charge["user_id"], {"type": "service", "text": note})
        return True
