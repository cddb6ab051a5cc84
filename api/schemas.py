"""Request and response bodies. Input is checked here with the services' own rules
(`services.validation`, `services.accounts`, `services.reviews`), so every refusal names
its field; the services check again (they are the rule, this is the messenger)."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from models import OrderStatus, PaymentMethod, Role
from models.base import MONEY_MAX
from services import accounts, validation
from services.errors import DomainError, InvalidInput
from services.reviews import COMMENT_MAX, check_grade, clean_comment


def _plain(text: str) -> str:
    """No NUL (PostgreSQL refuses it in text) and no lone surrogates (not UTF-8)."""
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise ValueError("must be valid Unicode")
    return text


class Refused(ValueError):
    """A service's refusal of a field, kept whole so that the answer can say it in the
    caller's language (`api.app`)."""

    def __init__(self, refusal: DomainError) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def _rule(check: Callable[[Any], Any]) -> AfterValidator:
    """A service's check as a pydantic validator: its message, on the field."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except InvalidInput as exc:
            raise Refused(exc) from None

    return AfterValidator(run)


def _not_null(cls: type, value: object) -> object:
    """A PATCH field that can't be empty: null is refused, not taken as "keep it"."""
    if value is None:
        raise ValueError("can't be null: leave the field out to keep it")
    return value


Text = Annotated[str, AfterValidator(_plain)]
# SQLite hands back naive datetimes for what was stored in UTC; RFC 3339 wants an offset.
Moment = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]


class Error(BaseModel):
    detail: str


# -- auth --------------------------------------------------------------------------------


class RegisterIn(BaseModel):
    login: Annotated[Text, Field(max_length=64), _rule(accounts.clean_login)]
    password: Annotated[Text, Field(max_length=1000), _rule(accounts.check_password)]
    email: (
        Annotated[Text, Field(max_length=accounts.EMAIL_MAX), _rule(accounts.clean_email)] | None
    ) = None


class TelegramIn(BaseModel):
    init_data: Annotated[Text, Field(min_length=1, max_length=10_000)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    login: str | None
    telegram_id: int | None
    username: str | None
    email: str | None
    role: Role
    is_banned: bool


def _not_bool(value: object) -> object:
    """JSON true/false is not a number (pydantic would take true as 1)."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


# -- categories --------------------------------------------------------------------------


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    parent_id: int | None
    is_active: bool
    product_count: int
    children: list["CategoryOut"] = []


CategoryName = Annotated[Text, Field(min_length=1, max_length=200)]
Id = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=2**31 - 1)]


class CategoryIn(BaseModel):
    name: CategoryName
    parent_id: Id | None = None


class CategoryPatch(BaseModel):
    """The fields to change; leave out the others (null is refused: `move_to_top` puts
    a category on the top level)."""

    name: CategoryName | None = None
    parent_id: Id | None = None
    move_to_top: bool = False
    is_active: bool | None = None

    _nulls = field_validator("name", "parent_id", "move_to_top", "is_active", mode="before")(
        _not_null
    )


# -- products ----------------------------------------------------------------------------


def _price_form(text: str) -> Decimal | str:
    """A price as the column holds it; as sent when the shop's currency must judge it
    ("1,299": thousands or cents, none in JPY; "$100": its sign or another currency's),
    which the router does with it (`_check_price`)."""
    try:
        return validation.parse_price(text, MONEY_MAX)
    except InvalidInput as exc:
        if exc.message not in (validation.COMMA_THOUSANDS, validation.PRICE.not_number):
            raise
        return text


Name = Annotated[Text, Field(max_length=1000), _rule(validation.clean_name)]
Description = Annotated[Text, Field(max_length=10_000), _rule(validation.clean_description)]
Price = Annotated[
    str | int | float,
    BeforeValidator(_not_bool),
    AfterValidator(lambda v: _plain(v) if isinstance(v, str) else v),
    # What the column holds; the shop's MAX_PRICE is checked by the service, as in the bot.
    _rule(lambda v: _price_form(str(v)[:100])),
]
Stock = Annotated[
    int | str, BeforeValidator(_not_bool), _rule(lambda v: validation.parse_stock(str(v)[:100]))
]


class ProductIn(BaseModel):
    category_id: Id
    name: Name
    description: Description = ""
    price: Price
    stock: Stock = 0


class ProductPatch(BaseModel):
    """The fields to change; leave out the others. `description: null` removes it (as
    `comment: null` does a review's); null for the rest is refused, not ignored."""

    category_id: Id | None = None
    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    stock: Stock | None = None
    is_active: bool | None = None

    _nulls = field_validator("category_id", "name", "price", "stock", "is_active", mode="before")(
        _not_null
    )


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    description: str
    price: Decimal
    stock: int
    category_id: int
    seller_id: int | None
    is_active: bool
    rating: float | None
    rating_count: int
    image_url: str | None
    photo_url: str | None = Field(
        description="the seller's photo, served by this API (GET /products/{id}/photo); "
        "null when there is none"
    )


class OwnProductOut(ProductOut):
    customers_see: bool = Field(
        description="on sale now: shown (is_active) and no category above it hidden"
    )


class OwnProductPageOut(BaseModel):
    items: list[OwnProductOut]
    page: int
    pages: int


class ProductSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    price: Decimal
    stock: int
    category_id: int
    rating_count: int
    rating_sum: int
    has_photo: bool = Field(description="GET /products/{id}/photo serves it")


class ProductPageOut(BaseModel):
    items: list[ProductSummaryOut]
    next: int | None = Field(description="pass as `after` for the next page; null: the last")


# -- reviews -----------------------------------------------------------------------------

Grade = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=5), _rule(check_grade)]
Comment = Annotated[Text, Field(max_length=COMMENT_MAX * 2), _rule(clean_comment)]


class ReviewIn(BaseModel):
    grade: Grade
    comment: Comment | None = None


class ReviewPatch(BaseModel):
    """The fields to change; `comment: null` removes it, null for the rest is refused."""

    grade: Grade | None = None
    comment: Comment | None = None
    is_visible: bool | None = Field(None, description="admins: hide (false) or show (true)")

    _nulls = field_validator("grade", "is_visible", mode="before")(_not_null)


class ReviewOut(BaseModel):
    id: int
    product_id: int
    user_id: int
    author: str = Field(
        description='the author\'s first name in Telegram; "Customer" for an account made '
        "through POST /auth/register (its login is never shown)"
    )
    grade: int
    comment: str | None
    is_visible: bool
    seller_reply: str | None
    created_at: Moment


class ReviewPageOut(BaseModel):
    items: list[ReviewOut]
    page: int
    pages: int
    total: int


# -- permission --------------------------------------------------------------------------


class PermissionIn(BaseModel):
    """Exactly one of user_id, login, telegram_id, username names the user."""

    user_id: Id | None = None
    login: Annotated[Text, Field(max_length=64)] | None = None
    telegram_id: Annotated[int, BeforeValidator(_not_bool), Field(ge=-(2**63), lt=2**63)] | None = (
        None
    )
    username: Annotated[Text, Field(max_length=65, description="@username")] | None = None
    role: Role

    @model_validator(mode="after")
    def _one(self) -> "PermissionIn":
        given = [self.user_id, self.login, self.telegram_id, self.username]
        if sum(v is not None for v in given) != 1:
            raise ValueError(
                "name the user by exactly one of user_id, login, telegram_id, username"
            )
        return self


# -- orders ------------------------------------------------------------------------------


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int | None
    seller_id: int | None
    name: str
    unit_price: Decimal
    quantity: int


class OrderOut(BaseModel):
    id: int
    user_id: int
    status: OrderStatus
    total: Decimal = Field(
        description="what the caller's lines come to: the whole order (what the customer "
        "pays, after `discount`) for its customer and admins; for a seller of some of its "
        "lines, the sum of those lines"
    )
    discount: Decimal = Field(
        description="the promo code's discount included in `total`; 0 for a seller's lines "
        "(the discount is the order's, not a line's)"
    )
    currency: str
    payment_method: PaymentMethod
    created_at: Moment
    items: list[OrderItemOut]


class PaymentOut(BaseModel):
    """What paying an order charges: the bot's invoice for it."""

    order_id: int
    total: Decimal = Field(description="the order's total, in its own currency")
    currency: str = Field(description="the invoice's currency: XTR for Telegram Stars")
    amount: int = Field(
        description="in the invoice currency's smallest units (cents, kopecks; whole Stars), "
        "as Telegram's sendInvoice and createInvoiceLink take it"
    )


class OrderSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: OrderStatus
    total: Decimal
    currency: str
    created_at: Moment


class OrderPageOut(BaseModel):
    items: list[OrderSummaryOut]
    page: int
    has_next: bool
