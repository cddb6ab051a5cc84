"""`python -m bot demo`: a living demo shop in an empty database.

Nested categories, about forty products in Russian and English (some sold out, some
reviewed) from two demo sellers. Demo people have negative Telegram ids, which no real
account has, and are marked inactive so broadcasts skip them.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from slugify import slugify
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ConfigError, Settings
from models import Category, Product, Review, Role, User

log = logging.getLogger(__name__)

# name, [(subcategory, [products])] or products directly; a product is
# (name, price, stock, description, [grades of its reviews]).
Item = tuple[str, str, int, str, list[int]]

TREE: list[tuple[str, list[tuple[str, list[Item]]], list[Item]]] = [
    (
        "Electronics",
        [
            (
                "Smartphones",
                [
                    (
                        "Pixel 9a, 128 GB",
                        "44990",
                        7,
                        "Clean Android, a great camera and seven years of updates.",
                        [5, 5, 4],
                    ),
                    (
                        "Galaxy A55, 256 GB",
                        "36990",
                        12,
                        "AMOLED 120 Hz screen, water resistant (IP67).",
                        [4, 4],
                    ),
                    (
                        "iPhone 15, 128 GB",
                        "79990",
                        0,
                        "Dynamic Island, USB-C, 48 MP camera.",
                        [5, 4, 5, 5],
                    ),
                    (
                        "Смартфон Redmi Note 13",
                        "19990",
                        25,
                        "Яркий экран, батарея на два дня, быстрая зарядка 33 Вт.",
                        [4, 3],
                    ),
                    ("Nothing Phone (2a)", "29990", 4, "The light strip phone, now cheaper.", []),
                ],
            ),
            (
                "Ноутбуки",
                [
                    (
                        "MacBook Air 13, M3",
                        "124990",
                        3,
                        "Тонкий, лёгкий и без вентилятора: тишина и 18 часов работы.",
                        [5, 5],
                    ),
                    (
                        "ThinkPad E14 Gen 5",
                        "69990",
                        6,
                        "A keyboard you will love; Ryzen 5, 16 GB RAM.",
                        [4],
                    ),
                    (
                        "Ноутбук ASUS VivoBook 15",
                        "45990",
                        0,
                        'Для учёбы и работы: 15,6", 8 ГБ, SSD 512 ГБ.',
                        [],
                    ),
                    (
                        "Chromebook Plus 14",
                        "38990",
                        9,
                        "Boots in seconds; Google apps built in.",
                        [],
                    ),
                ],
            ),
            (
                "Accessories",
                [
                    (
                        "USB-C charger 65 W",
                        "2490",
                        40,
                        "GaN: small, cool, charges a laptop.",
                        [5, 4, 4],
                    ),
                    (
                        "Беспроводные наушники Sound Pro",
                        "5990",
                        15,
                        "Шумоподавление, до 30 часов с кейсом.",
                        [4, 5],
                    ),
                    ("Power bank 20 000 mAh", "3290", 0, "Two phones' worth of charge.", [3]),
                    (
                        "Чехол для смартфона (силикон)",
                        "690",
                        100,
                        "Мягкий, не скользит, защищает камеру.",
                        [],
                    ),
                    (
                        "Smart watch Fit 3",
                        "7990",
                        9,
                        "Heart rate, sleep and GPS; two weeks on one charge.",
                        [4, 4],
                    ),
                    (
                        "Mechanical keyboard K2",
                        "8990",
                        5,
                        "Hot-swap switches & Mac/Win layout.",
                        [5],
                    ),
                ],
            ),
        ],
        [],
    ),
    (
        "Книги",
        [
            (
                "Художественная литература",
                [
                    (
                        "Мастер и Маргарита",
                        "590",
                        20,
                        "Михаил Булгаков. Роман о любви, дьяволе и Москве 1930-х.",
                        [5, 5, 5],
                    ),
                    ("Преступление и наказание", "450", 14, "Фёдор Достоевский.", [4, 5]),
                    (
                        "The Master and Margarita (English)",
                        "890",
                        3,
                        "Translated by Michael Glenny.",
                        [],
                    ),
                    ("Пикник на обочине", "390", 0, "Аркадий и Борис Стругацкие.", [5]),
                    ("1984", "520", 11, "George Orwell. Big Brother is watching you.", [4, 4]),
                ],
            ),
            (
                "Non-fiction",
                [
                    (
                        "Thinking, Fast and Slow",
                        "990",
                        6,
                        "Daniel Kahneman on the two systems that drive the way we think.",
                        [5, 4],
                    ),
                    ("Sapiens", "950", 8, "Yuval Noah Harari: a brief history of humankind.", [4]),
                    (
                        "Atomic Habits (English)",
                        "990",
                        2,
                        "James Clear: tiny changes, remarkable results.",
                        [5],
                    ),
                    (
                        "Краткая история времени",
                        "650",
                        10,
                        "Стивен Хокинг: от Большого взрыва до чёрных дыр.",
                        [5],
                    ),
                    (
                        "Атомные привычки",
                        "790",
                        0,
                        "Джеймс Клир: как маленькие шаги приводят к большим результатам.",
                        [4, 5, 3],
                    ),
                ],
            ),
        ],
        [],
    ),
    (
        "Дом и кухня",
        [
            (
                "Coffee & Tea",
                [
                    (
                        "Кофе в зёрнах «Эфиопия», 1 кг",
                        "1890",
                        30,
                        "Арабика, светлая обжарка: цитрус и ягоды.",
                        [5, 4],
                    ),
                    (
                        "Green tea Sencha, 100 g",
                        "490",
                        22,
                        "Japanese green tea, fresh and grassy.",
                        [4],
                    ),
                    ("Френч-пресс 1 л", "1290", 9, "Стекло и нержавеющая сталь.", []),
                    ("Moka pot, 6 cups", "2190", 0, "Italian stovetop coffee maker.", [5]),
                ],
            ),
            (
                "Посуда",
                [
                    (
                        "Сковорода чугунная 26 см",
                        "2590",
                        8,
                        "Служит поколениями; подходит для индукции.",
                        [5],
                    ),
                    ("Chef's knife 20 cm", "3490", 5, "German steel, full tang.", [4, 5]),
                    (
                        "Набор кружек (4 шт.)",
                        "990",
                        16,
                        "Керамика, 350 мл, можно в посудомойку.",
                        [],
                    ),
                ],
            ),
        ],
        [
            ("Плед флисовый 150×200", "1490", 12, "Тёплый и мягкий, стирается в машинке.", [4]),
            (
                "Desk lamp with wireless charging",
                "2990",
                7,
                "Three colour temperatures & a Qi pad.",
                [],
            ),
        ],
    ),
    (
        "Clothing",
        [],
        [
            (
                "Hoodie «Shop & Co» (unisex)",
                "3490",
                10,
                "Heavy cotton, roomy fit. Sizes S-XXL.",
                [5, 4],
            ),
            ("Футболка базовая", "990", 50, "100% хлопок, плотная, не садится.", [4]),
            ("Джинсы прямые", "3990", 0, "Плотный деним, классическая посадка.", [4]),
            ("Wool beanie", "1190", 0, "Merino wool, one size.", []),
            ("Носки «Котики» (3 пары)", "590", 35, "Весёлые носки с котиками. 🐱", [5, 5]),
            ("Rain jacket", "5990", 4, "Waterproof, breathable, packs into its own pocket.", []),
        ],
    ),
]

SELLERS = (("Tech Corner", "tech_corner_demo"), ("Книжная лавка", "knizhnaya_lavka_demo"))
REVIEWERS = ("Anna", "Борис", "Carlos", "Дарья", "Emma")
COMMENTS = {
    5: "Excellent, exactly as described!",
    4: "Хорошая вещь, рекомендую.",
    3: "OK for the price.",
}


@dataclass(frozen=True, slots=True)
class DemoSummary:
    categories: int
    products: int
    reviews: int


async def has_products(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().where(Product.id.is_not(None)))))


async def fill(session: AsyncSession) -> DemoSummary:
    """Adds the demo shop to an empty catalog; refuses (ConfigError) when products exist."""
    if await has_products(session):
        raise ConfigError(
            "The database already has products: demo data only goes into an empty shop."
        )
    sellers = [
        User(
            telegram_id=-(i + 1),
            first_name=name,
            username=username,
            role=Role.seller,
            is_active=False,
        )
        for i, (name, username) in enumerate(SELLERS)
    ]
    reviewers = [
        User(telegram_id=-(100 + i), first_name=name, is_active=False)
        for i, name in enumerate(REVIEWERS)
    ]
    session.add_all(sellers + reviewers)
    await session.flush()
    categories = products = reviews = 0

    async def category(name: str, parent: Category | None, position: int) -> Category:
        nonlocal categories
        row = Category(
            name=name,
            slug=f"demo-{slugify(name, max_length=100)}",
            parent_id=parent.id if parent else None,
            position=position,
        )
        session.add(row)
        await session.flush()
        categories += 1
        return row

    async def add(items: list[Item], where: Category, seller: User) -> None:
        nonlocal products, reviews
        for name, price, stock, description, grades in items:
            product = Product(
                name=name,
                slug=f"demo-{slugify(name, max_length=200)}",
                description=description,
                price=Decimal(price),
                stock=stock,
                category_id=where.id,
                seller_id=seller.id,
                rating_sum=sum(grades),
                rating_count=len(grades),
            )
            session.add(product)
            await session.flush()
            products += 1
            for reviewer, grade in zip(reviewers, grades, strict=False):
                session.add(
                    Review(
                        user_id=reviewer.id,
                        product_id=product.id,
                        grade=grade,
                        comment=COMMENTS.get(grade),
                    )
                )
                reviews += 1

    for position, (name, children, own) in enumerate(TREE):
        top = await category(name, None, position)
        seller = sellers[1] if name == "Книги" else sellers[0]
        await add(own, top, seller)
        for sub_position, (sub_name, items) in enumerate(children):
            await add(items, await category(sub_name, top, sub_position), seller)
    await session.flush()
    return DemoSummary(categories, products, reviews)


async def fill_demo(settings: Settings) -> None:
    from bot import migrate
    from db.engine import create_engine, create_session_pool

    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        async with create_session_pool(engine)() as session, session.begin():
            summary = await fill(session)
    finally:
        await engine.dispose()
    print(
        f"Demo shop ready: {summary.categories} categories, {summary.products} products, "
        f"{summary.reviews} reviews. Start the bot and open /catalog."
    )
