"""Reviews through `ReviewService`, the bot's: one per customer and product, not on
one's own product, the product's rating kept in step in the same transaction."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response

from api.deps import Caller, MaybeCaller, Session, commit
from api.routers import ERRORS
from api.schemas import ReviewIn, ReviewOut, ReviewPageOut, ReviewPatch
from models import NoticeKind, Review, Role
from services.catalog_reads import MAX_ID
from services.names import NAMELESS, public_name
from services.notices import NoticeService
from services.reviews import ReviewGone, ReviewItem, ReviewService
from services.texts import N_

router = APIRouter(tags=["reviews"], responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_SIZE = 20


def _out(review: Review, author: str) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        product_id=review.product_id,
        user_id=review.user_id,
        author=author,
        grade=review.grade,
        comment=review.comment,
        is_visible=review.is_visible,
        seller_reply=review.seller_reply,
        created_at=review.created_at,
    )


def _item(item: ReviewItem) -> ReviewOut:
    return _out(item.review, item.author or NAMELESS)


@router.get("/products/{product_id}/reviews", response_model=ReviewPageOut)
async def page(
    product_id: Id,
    session: Session,
    _user: MaybeCaller,  # a token sent is checked, as on every read (401 if expired)
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> ReviewPageOut:
    """A visible product's visible reviews, newest first; a page past the end is empty
    (as in /orders/me: a client paging until an empty page gets one)."""
    _product, found = await ReviewService(session).page(product_id, page, PAGE_SIZE)
    if found.page < page:
        return ReviewPageOut(items=[], page=page, pages=found.pages, total=found.total)
    return ReviewPageOut(
        items=[_item(i) for i in found.items], page=found.page, pages=found.pages, total=found.total
    )


@router.post("/products/{product_id}/reviews", status_code=201, response_model=ReviewOut)
async def create(product_id: Id, body: ReviewIn, user: Caller, session: Session) -> ReviewOut:
    """The caller's review: one per product (409 if they have one: PATCH it), not on
    their own product."""
    service = ReviewService(session)
    await service.begin(user, product_id)  # the product is there and not the caller's own
    taken = HTTPException(409, N_("You have already reviewed this product: edit your review."))
    if await service.own(user.id, product_id) is not None:
        raise taken
    review, new = await service.submit(user, product_id, body.grade, body.comment)
    if not new:  # another request published it meanwhile (a double tap): keep that one
        raise taken
    await NoticeService(session).owe(NoticeKind.review_new, review.id)  # seller, admins
    out = _out(review, public_name(user.first_name) or NAMELESS)
    await commit(session)
    return out


@router.patch("/reviews/{review_id}", response_model=ReviewOut)
async def update(review_id: Id, body: ReviewPatch, user: Caller, session: Session) -> ReviewOut:
    """The author changes the grade or comment; an admin hides or shows it
    (`is_visible`). The rating follows either."""
    service = ReviewService(session)
    review = await service.get(review_id)
    edits = body.grade is not None or "comment" in body.model_fields_set
    if not edits and body.is_visible is None and review.user_id != user.id:
        if user.role is not Role.admin:  # an empty change must not show a hidden review
            raise HTTPException(403, N_("Only its author can edit a review."))
    if edits:
        if review.user_id != user.id:
            raise HTTPException(403, N_("Only its author can edit a review."))
        # Read again under the row's lock: a double tap's second PATCH compares with
        # what the first saved (one notice), and a review deleted meanwhile is a 404.
        locked = await service.own(user.id, review.product_id, lock=True)
        if locked is None or locked.id != review_id:
            raise ReviewGone()
        review, before = locked, (locked.grade, locked.comment)
        comment = body.comment if "comment" in body.model_fields_set else review.comment
        review, new = await service.submit(
            user, review.product_id, body.grade or review.grade, comment
        )
        if new:  # deleted meanwhile, so submit published it anew: an edit never does
            raise ReviewGone()
        if (review.grade, review.comment) != before:  # the admins moderate the new text
            await NoticeService(session).owe(NoticeKind.review_edited, review.id)
    if body.is_visible is not None:
        if user.role is not Role.admin:
            raise HTTPException(403, N_("Only admins can hide or show reviews."))
        review = await service.set_visible(user, review_id, body.is_visible)
    out = _item(await service.item(review_id))
    await commit(session)
    return out


@router.delete("/reviews/{review_id}", status_code=204, response_class=Response)
async def delete(review_id: Id, user: Caller, session: Session) -> Response:
    """Admins delete a review; the rating follows."""
    await ReviewService(session).delete(user, review_id)
    await commit(session)
    return Response(status_code=204)
