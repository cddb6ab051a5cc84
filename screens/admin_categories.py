"""Admin's category screens: a level of the tree, the name prompts, moving, deleting."""

from aiogram.utils.i18n import gettext as _

from keyboards.admin import categories_kb, category_step_kb, delete_confirm_kb, move_targets_kb
from keyboards.common import CATEGORIES_PER_PAGE
from keyboards.formatting import quote
from models import Category
from screens.base import Screen
from services.categories import NAME_LIMIT, CategoryLevel, TreeItem
from services.paging import chunk


def level_screen(level: CategoryLevel, page: int = 1) -> Screen:
    """A level of the tree: the top or a category with its details, actions and page
    `page` of its subcategories."""
    category = level.category
    children, page, pages = chunk(level.children, page, CATEGORIES_PER_PAGE)
    if category is None:
        text = _("<b>🗂 Categories</b>\nTop level: {count}. Hidden ones are marked 🙈.").format(
            count=len(level.children)
        )
        if not level.children:
            text += "\n\n" + _("There are no categories yet.")
        return Screen(text, categories_kb(None, children, (page, pages)))
    hidden_above = _hidden_above(level)
    if not category.is_active:
        shown = _("🙈 Hidden from customers")
    elif hidden_above is not None:  # customers see nothing under a hidden category
        shown = _("🙈 Hidden from customers: {name} above it is hidden").format(
            name=quote(hidden_above.name, 40)
        )
    else:
        shown = _("Visible to customers")
    lines = [
        "<b>🗂 " + " › ".join(quote(c.name, 40) for c in level.chain) + "</b>",
        _("Slug: <code>{slug}</code>").format(slug=quote(category.slug)),
        shown,
        _("Products: {products} · Subcategories: {children}").format(
            products=level.products, children=len(level.children)
        ),
        _("Position: {place} of {count}").format(place=level.place, count=level.siblings),
    ]
    back_page = (level.place - 1) // CATEGORIES_PER_PAGE + 1  # the page it is listed on
    markup = categories_kb(category, children, (page, pages), back_page)
    return Screen("\n".join(lines), markup)


def name_hint() -> str:
    return _("Up to {limit} characters.").format(limit=NAME_LIMIT)


def _name_prompt(text: str, back_to: int) -> Screen:
    return Screen(f"{text}\n{name_hint()}", category_step_kb(back_to))


def new_name_screen(parent: Category | None) -> Screen:
    if parent is None:
        text = _("Send the name of the new top-level category.")
        return _name_prompt(text, 0)
    text = _("Send the name of the new subcategory of <b>{parent}</b>.").format(
        parent=quote(parent.name)
    )
    return _name_prompt(text, parent.id)


def rename_screen(category: Category) -> Screen:
    text = _("Send the new name of <b>{name}</b>.").format(name=quote(category.name))
    return _name_prompt(text, category.id)


def name_retry_screen(problem: str, back_to: int) -> Screen:
    hint = _("Send another name, or press Cancel.")
    return Screen(f"{problem}\n{hint}", category_step_kb(back_to))


def name_as_text_screen(back_to: int) -> Screen:
    text = _("Please send the category's name as text.") + "\n" + name_hint()
    return Screen(text, category_step_kb(back_to))


def move_screen(category: Category, targets: list[TreeItem], page: int) -> Screen:
    """A page of the places the category may move to (past the end: the last page),
    paged as every category list is; hidden ones are marked 🙈."""
    shown, page, pages = chunk(targets, page, CATEGORIES_PER_PAGE)
    text = _("Where should <b>{name}</b> go? Choose its new parent.").format(
        name=quote(category.name)
    )
    if not targets and category.parent_id is None:  # only Back and Cancel would be left
        text = _(
            "<b>{name}</b> has nowhere to go: no other category is outside it. "
            "Add another category first."
        ).format(name=quote(category.name))
    markup = move_targets_kb(category, shown, page, pages)
    return Screen(text, markup)


def delete_ask_screen(category: Category) -> Screen:
    text = _("Delete the category <b>{name}</b>? This can't be undone.").format(
        name=quote(category.name)
    )
    return Screen(text, delete_confirm_kb(category))


def _hidden_above(level: CategoryLevel) -> Category | None:
    """The nearest hidden category above this one: customers see nothing under it."""
    return next((c for c in level.chain[:-1] if not c.is_active), None)


def visibility_text(level: CategoryLevel) -> str:
    """What Show or Hide did, for the category as it is now."""
    if level.category is not None and not level.category.is_active:
        return _("Hidden: customers no longer see it or its products.")
    above = _hidden_above(level)
    if above is not None:
        return _(
            "No longer hidden itself, but customers still don't see it: {name} above it is hidden."
        ).format(name=above.name[:40])
    return _("Shown to customers again.")
