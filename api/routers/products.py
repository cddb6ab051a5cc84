"""The catalog: keyset-paged lists, a product by id or slug; sellers and admins manage
products through `ProductService`, the seller dialog's service (same validation, same
ownership rule, same audit)."""

import hashlib
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import TypeAdapter

from api.deps import Caller, MaybeCaller, Rt, Session, about, commit, refused_field
from api.photos import image_type
from api.routers import ERRORS
from api.schemas import (
    Error,
    OwnProductOut,
    OwnProductPageOut,
    ProductIn,
    ProductOut,
    ProductPageOut,
    ProductPatch,
    Text,
)
from models import Product, User
from services.access import can_sell
from services.catalog import MAX_QUERY_LENGTH, CatalogService
from services.catalog_reads import MAX_ID
from services.errors import InvalidInput, NotAllowed, NotFound
from services.listing import MAX_LIMIT, ListingService, ProductPage
from services.products import ProductField, ProductService
from services.texts import N_
from services.validation import parse_price

router = APIRouter(prefix="/products", tags=["products"], responses=ERRORS)
_PAGE = TypeAdapter(ProductPage)
ProductId = Annotated[int, Path(ge=1, le=MAX_ID)]
MINE_PAGE = 20


def _out(product: Product) -> ProductOut:
    return ProductOut(
        id=product.id,
        name=product.name,
        slug=product.slug,
        description=product.description,
        price=product.price,
        stock=product.stock,
        category_id=product.category_id,
        seller_id=product.seller_id,
        is_active=product.is_active,
        rating=product.rating,
        rating_count=product.rating_count,
        image_url=product.image_url,
        photo_url=f"/products/{product.id}/photo" if product.photo_file_id else None,
    )


def _check_price(body: ProductIn | ProductPatch, rt: Rt) -> None:
    """The schema checks a price's form; the shop's currency decides its cents (none in
    JPY), refused like any other field (the service checks again)."""
    if body.price is None:
        return
    try:
        parse_price(str(body.price), rt.config.max_price, rt.config.currency)
    except InvalidInput as exc:
        raise refused_field("price", exc, "value_error") from None


async def _readable(session, user: User | None, product_id: int) -> Product:
    """What customers see (the bot's rule); the product's seller and admins also see it
    hidden. Deleted is gone for everyone."""
    product = await CatalogService(session).visible_product(product_id)
    if product is not None:
        return product
    if user is not None and can_sell(user):
        try:
            return await ProductService(session).get_own(user, product_id)
        except (NotFound, NotAllowed):
            pass
    raise HTTPException(404, N_("This product is no longer available."))


@router.get("", response_model=ProductPageOut)
async def listing(
    session: Session,
    _user: MaybeCaller,  # a token sent is checked, as on every read (401 if expired)
    category: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Annotated[Text | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="the `next` of the page before")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> Response:
    """Products customers can see, by id: of a category (directly in it), matching the
    words of `q`, or both. Page on with `after=<next>`."""
    page = await ListingService(session).products(
        category_id=category, query=q, after=after, limit=limit
    )
    # The busiest endpoint: serialised once, straight from the rows (FastAPI would copy
    # the dataclasses, validate them and serialise them again).
    body = _PAGE.dump_json(page)
    return Response(body, media_type="application/json")


@router.get("/mine", response_model=OwnProductPageOut)
async def mine(
    user: Caller, session: Session, page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> OwnProductPageOut:
    """Sellers and admins: their own products, newest first, hidden ones included (the
    bot's My products); a page past the end is empty."""
    found = await ProductService(session).list_own(user, page, MINE_PAGE)
    items = [] if found.page < page else found.items
    return OwnProductPageOut(
        items=[
            OwnProductOut(
                **_out(p).model_dump(),
                customers_see=p.is_active and p.id not in found.under_hidden,
            )
            for p in items
        ],
        page=page,
        pages=found.pages,
    )


@router.get("/by-slug/{slug}", response_model=ProductOut)
async def by_slug(
    slug: Annotated[Text, Path(max_length=280)], session: Session, user: MaybeCaller
) -> ProductOut:
    product_id = await ListingService(session).id_by_slug(slug)
    if product_id is None:
        raise HTTPException(404, N_("This product is no longer available."))
    return _out(await _readable(session, user, product_id))


@router.get("/{product_id}", response_model=ProductOut)
async def by_id(product_id: ProductId, session: Session, user: MaybeCaller) -> ProductOut:
    return _out(await _readable(session, user, product_id))


@router.get(
    "/{product_id}/photo",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The photo's bytes"},
        304: {"description": "Not modified (If-None-Match had its ETag)"},
        503: {"model": Error, "description": "Telegram can't give it now, or no BOT_TOKEN"},
    },
)
async def photo(
    product_id: ProductId, request: Request, session: Session, user: MaybeCaller, rt: Rt
) -> Response:
    """The product's photo, to whoever may see the product. A file id's photo never
    changes (a new photo is a new id): its ETag is the id's hash, and a browser that has
    it gets 304 without a trip to Telegram; it asks each time (`no-cache`), so a new
    photo, or the product hidden, shows at once."""
    file_id = (await _readable(session, user, product_id)).photo_file_id
    if not file_id:
        raise HTTPException(404, N_("This product has no photo."))
    # Read: the connection goes back to the pool before Telegram is asked (seconds, for
    # each of a catalog page's photos at once).
    await session.close()
    tag = '"' + hashlib.sha256(file_id.encode()).hexdigest()[:32] + '"'
    # Asked again every time (a new photo keeps the URL, a hidden product's photo is its
    # seller's only): a browser that has it gets 304, Telegram isn't asked.
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    seen = {
        t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")
    }
    if tag in seen or "*" in seen:
        return Response(status_code=304, headers=headers)
    data = await rt.photos.get(file_id)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(data, media_type=image_type(data), headers=headers)


@router.post("", status_code=201, response_model=ProductOut)
async def create(body: ProductIn, user: Caller, session: Session, rt: Rt) -> ProductOut:
    """Sellers and admins: a product in a shown category, on sale at once."""
    _check_price(body, rt)
    service = ProductService(session, rt.config.max_price, rt.config.currency)
    if not can_sell(user):  # before the body's checks: a customer's answer is 403
        raise NotAllowed()
    with about("category_id", missing=True):
        await service.category(body.category_id)
    product = await service.create(
        user,
        category_id=body.category_id,
        name=body.name,
        description=body.description,
        price=str(body.price),
        stock=body.stock,
        photo_file_id=None,
    )
    out = _out(product)
    await commit(session)
    return out


@router.patch("/{product_id}", response_model=ProductOut)
async def update(
    product_id: ProductId, body: ProductPatch, user: Caller, session: Session, rt: Rt
) -> ProductOut:
    """The product's seller or an admin: the given fields, each by the seller dialog's
    rule; all or nothing. `is_active` hides or shows it."""
    _check_price(body, rt)
    service = ProductService(session, rt.config.max_price, rt.config.currency)
    product = await service.get_own(user, product_id)
    # Declared order (category first: the rest is checked in the new place).
    for name in ProductPatch.model_fields:
        value = getattr(body, name)
        if name == "is_active" or name not in body.model_fields_set:
            continue  # only description may be null here: it is removed
        key = ProductField.category if name == "category_id" else ProductField(name)
        with about(name, missing=key is ProductField.category):
            product = await service.update_field(user, product_id, key, value)
    if body.is_active is not None:
        product = await service.set_visible(user, product_id, body.is_active)
    out = _out(product)
    await commit(session)
    return out


@router.delete("/{product_id}", status_code=204, response_class=Response)
async def delete(product_id: ProductId, user: Caller, session: Session) -> Response:
    """The product's seller or an admin: off the catalog for good (orders and reviews
    keep pointing at it)."""
    await ProductService(session).delete(user, product_id)
    await commit(session)
    return Response(status_code=204)
