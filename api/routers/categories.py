"""The category tree: everyone reads the shown part; admins read all of it and manage it
through `CategoryService`, the admin panel's service (slugs, audit log, the same rules)."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import Admin, MaybeCaller, Session, about, commit
from api.routers import ERRORS
from api.schemas import CategoryIn, CategoryOut, CategoryPatch
from models import Category, Role
from services.categories import CategoryService
from services.errors import DomainError, InvalidInput
from services.listing import CategoryNode, ListingService
from services.texts import N_

router = APIRouter(prefix="/categories", tags=["category"], responses=ERRORS)
CategoryId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _out(category: Category) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        name=category.name,
        slug=category.slug,
        parent_id=category.parent_id,
        is_active=category.is_active,
        product_count=category.product_count,
    )


@router.get("", response_model=list[CategoryOut])
async def tree(session: Session, user: MaybeCaller) -> list[CategoryNode]:
    """The tree, each level in menu order. Admins see hidden categories too."""
    admin = user is not None and user.role is Role.admin
    return await ListingService(session).category_tree(include_hidden=admin)


@router.post("", status_code=201, response_model=CategoryOut)
async def create(body: CategoryIn, admin: Admin, session: Session) -> CategoryOut:
    """A category (its slug made from the name, Cyrillic transliterated, unique)."""
    service = CategoryService(session)
    if body.parent_id is not None:
        with about("parent_id", missing=True):
            await service.get(admin, body.parent_id)
    with about("name"):
        category = await service.create(admin, body.name, body.parent_id)
    out = _out(category)
    await commit(session)
    return out


@router.patch("/{category_id}", response_model=CategoryOut)
async def update(
    category_id: CategoryId, body: CategoryPatch, admin: Admin, session: Session
) -> CategoryOut | CategoryNode:
    """Rename (the slug follows), move under another parent (or to the top with
    `move_to_top`), hide or show; answers the category with its subcategories."""
    service = CategoryService(session)
    category = await service.get(admin, category_id)
    with about("parent_id", missing=True):
        if body.move_to_top and body.parent_id is not None:
            raise InvalidInput(N_("Give parent_id or move_to_top, not both."))
        if body.parent_id is not None:
            await service.get(admin, body.parent_id)
    if body.name is not None:
        with about("name"):
            category = await service.rename(admin, category_id, body.name)
    if body.parent_id is not None or body.move_to_top:
        with about("parent_id"):
            category = await service.move(admin, category_id, body.parent_id)
    if body.is_active is not None:
        category = await service.set_visible(admin, category_id, body.is_active)
    await session.refresh(category)
    out = await ListingService(session).category_subtree(category.id) or _out(category)
    await commit(session)
    return out


@router.delete("/{category_id}", status_code=204, response_class=Response)
async def delete(category_id: CategoryId, admin: Admin, session: Session) -> Response:
    """Deletes an empty category: 409 while it holds products or subcategories."""
    service = CategoryService(session)
    try:
        await service.delete(admin, category_id)
    except InvalidInput as exc:  # the service's refusal, as a conflict (translated)
        raise DomainError(exc.message, **exc.params) from None
    await commit(session)
    return Response(status_code=204)
