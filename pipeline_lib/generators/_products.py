"""The product catalog: categories, price levels, brands, names, stock, popularity, quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker

from pipeline_lib.generators._rng import random_stream
from pipeline_lib.schemas import CATEGORIES


@dataclass(frozen=True)
class CategoryProfile:
    """How one category's products look: share of the catalog, price level, vocabulary."""

    share: float
    median_price: float
    price_sigma: float
    adjectives: tuple[str, ...]
    nouns: tuple[str, ...]
    brand_suffixes: tuple[str, ...]


PROFILES: dict[str, CategoryProfile] = {
    "Electronics": CategoryProfile(
        0.15,
        95.0,
        0.9,
        ("Wireless", "Smart", "Portable", "Ultra", "Compact", "Pro", "Noise-Cancelling"),
        ("Headphones", "Speaker", "Mouse", "Keyboard", "Charger", "Monitor", "Webcam", "Tablet"),
        ("Tech", "Labs", "Digital", "Electronics"),
    ),
    "Home & Kitchen": CategoryProfile(
        0.16,
        42.0,
        0.7,
        ("Stainless", "Nonstick", "Ceramic", "Bamboo", "Cozy", "Classic", "Modern"),
        ("Frying Pan", "Knife Set", "Kettle", "Blender", "Towel Set", "Lamp", "Cutting Board"),
        ("Home", "Living", "Kitchen", "House"),
    ),
    "Clothing": CategoryProfile(
        0.17,
        34.0,
        0.6,
        ("Slim-Fit", "Organic Cotton", "Relaxed", "Waterproof", "Merino", "Vintage", "Classic"),
        ("T-Shirt", "Jeans", "Hoodie", "Jacket", "Sneakers", "Dress", "Socks", "Scarf"),
        ("Apparel", "Wear", "& Co", "Outfitters"),
    ),
    "Sports & Outdoors": CategoryProfile(
        0.11,
        48.0,
        0.8,
        ("Lightweight", "Trail", "Pro", "All-Weather", "Foldable", "Insulated", "Adjustable"),
        ("Yoga Mat", "Water Bottle", "Backpack", "Tent", "Dumbbells", "Running Belt", "Helmet"),
        ("Sports", "Outdoor", "Athletics", "Gear"),
    ),
    "Beauty": CategoryProfile(
        0.10,
        19.0,
        0.6,
        ("Hydrating", "Gentle", "Vitamin C", "Matte", "Fragrance-Free", "Nourishing", "Natural"),
        ("Moisturizer", "Serum", "Lipstick", "Shampoo", "Face Mask", "Sunscreen", "Cleanser"),
        ("Beauty", "Cosmetics", "Skin", "Naturals"),
    ),
    "Books": CategoryProfile(
        0.13,
        16.0,
        0.4,
        ("Illustrated", "Complete", "Pocket", "Annotated", "Bestselling", "Collected", "New"),
        ("Cookbook", "Novel", "Guide", "Atlas", "Biography", "Workbook", "Anthology"),
        ("Press", "Books", "Publishing", "House"),
    ),
    "Toys & Games": CategoryProfile(
        0.08,
        24.0,
        0.7,
        ("Wooden", "Educational", "Deluxe", "Magnetic", "Classic", "Glow-in-the-Dark", "Mini"),
        ("Puzzle", "Board Game", "Building Set", "Plush Bear", "Card Game", "Race Car", "Robot"),
        ("Toys", "Games", "Play", "Kids"),
    ),
    "Grocery": CategoryProfile(
        0.10,
        7.5,
        0.5,
        ("Organic", "Roasted", "Gluten-Free", "Fair-Trade", "Spicy", "Whole-Grain", "Fresh"),
        ("Coffee Beans", "Olive Oil", "Green Tea", "Granola", "Pasta", "Honey", "Dark Chocolate"),
        ("Foods", "Farms", "Pantry", "Market"),
    ),
}
assert tuple(PROFILES) == CATEGORIES, "one profile per contract category, in contract order"

#: Complementary categories bought together (a camera and its memory card are the same
#: category; these are the cross-category pairs).
COMPLEMENTARY_CATEGORIES: dict[str, str] = {
    "Electronics": "Toys & Games",
    "Home & Kitchen": "Grocery",
    "Clothing": "Sports & Outdoors",
    "Sports & Outdoors": "Clothing",
    "Beauty": "Clothing",
    "Books": "Toys & Games",
    "Toys & Games": "Books",
    "Grocery": "Home & Kitchen",
}
#: Zipf exponent of product popularity: a few hits, a long tail.
POPULARITY_EXPONENT = 0.85
#: Mean and spread of the latent quality (expected star rating) of a product.
QUALITY_MEAN = 3.9
QUALITY_SPREAD = 0.55
OUT_OF_STOCK_SHARE = 0.06


@dataclass(frozen=True)
class Catalog:
    """The products, indexed 0..n-1; product ``i`` has id number ``i + 1``.

    ``popularity`` (sums to 1) drives sales; ``quality`` (latent mean rating) drives
    ratings and returns; ``complement`` is the product most often bought with it.
    """

    category: np.ndarray
    name: list[str]
    noun: list[str]
    brand: list[str]
    price_cents: np.ndarray
    stock: np.ndarray
    quality: np.ndarray
    popularity: np.ndarray
    complement: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.category)


def _brand_pools(n_per_category: np.ndarray, seed: int) -> list[list[str]]:
    """A few brand names per category, from Faker surnames and category suffixes."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    pools: list[list[str]] = []
    for category, count in zip(CATEGORIES, n_per_category):
        suffixes = PROFILES[category].brand_suffixes
        wanted = int(min(12, 3 + count // 20))
        pool: list[str] = []
        while len(pool) < wanted:
            brand = f"{fake.last_name()} {suffixes[len(pool) % len(suffixes)]}"
            if brand not in pool:
                pool.append(brand)
        pools.append(pool)
    return pools


def _complements(
    rng: np.random.Generator, category: np.ndarray, popularity: np.ndarray
) -> np.ndarray:
    """For each product, a fixed popular product of its complementary category."""
    complement = np.empty(len(category), dtype=np.int64)
    for index, name in enumerate(CATEGORIES):
        partner = CATEGORIES.index(COMPLEMENTARY_CATEGORIES[name])
        members = np.flatnonzero(category == index)
        candidates = np.flatnonzero(category == partner)
        weights = popularity[candidates] / popularity[candidates].sum()
        complement[members] = rng.choice(candidates, size=len(members), p=weights)
    return complement


def build_catalog(n_products: int, seed: int) -> Catalog:
    """Draw a catalog of ``n_products`` (at least one per category).

    Parameters
    ----------
    n_products
        Number of products.
    seed
        Seed of the catalog's random streams.

    Returns
    -------
    Catalog
        Products with skewed popularity and category-specific prices.
    """
    rng = random_stream(seed, "products")
    shares = np.array([PROFILES[c].share for c in CATEGORIES])
    category = np.concatenate(
        [
            np.arange(len(CATEGORIES)),  # every category has at least one product
            rng.choice(len(CATEGORIES), size=n_products - len(CATEGORIES), p=shares),
        ]
    )
    rng.shuffle(category)
    medians = np.array([PROFILES[c].median_price for c in CATEGORIES])[category]
    sigmas = np.array([PROFILES[c].price_sigma for c in CATEGORIES])[category]
    raw_price = np.exp(np.log(medians) + sigmas * rng.standard_normal(n_products))
    # Charm pricing: 29.99 rather than 30.17.
    price_cents = np.clip(np.ceil(raw_price).astype(np.int64) * 100 - 1, 99, 10_000_000 - 1)
    stock = np.round(rng.lognormal(np.log(120.0), 1.0, size=n_products)).astype(np.int64)
    stock[rng.random(n_products) < OUT_OF_STOCK_SHARE] = 0
    stock = np.clip(stock, 0, 1_000_000)
    quality = np.clip(rng.normal(QUALITY_MEAN, QUALITY_SPREAD, size=n_products), 1.6, 4.9)
    ranks = rng.permutation(n_products) + 1
    # Better products sell a bit better, on top of the power law.
    popularity = ranks**-POPULARITY_EXPONENT * np.exp(0.4 * (quality - QUALITY_MEAN))
    popularity = popularity / popularity.sum()

    counts = np.bincount(category, minlength=len(CATEGORIES))
    pools = _brand_pools(counts, seed)
    brand_pick = rng.zipf(1.6, size=n_products)
    adjective_pick = rng.integers(0, 1 << 30, size=n_products)
    noun_pick = rng.integers(0, 1 << 30, size=n_products)
    names: list[str] = []
    nouns: list[str] = []
    brands: list[str] = []
    for i, cat in enumerate(category.tolist()):
        profile = PROFILES[CATEGORIES[cat]]
        pool = pools[cat]
        brand = pool[(int(brand_pick[i]) - 1) % len(pool)]
        noun = profile.nouns[int(noun_pick[i]) % len(profile.nouns)]
        adjective = profile.adjectives[int(adjective_pick[i]) % len(profile.adjectives)]
        brands.append(brand)
        nouns.append(noun)
        names.append(f"{brand} {adjective} {noun}")
    return Catalog(
        category=category.astype(np.int64),
        name=names,
        noun=nouns,
        brand=brands,
        price_cents=price_cents,
        stock=stock,
        quality=quality,
        popularity=popularity,
        complement=_complements(rng, category, popularity),
    )


class ProductSampler:
    """Popularity-weighted product draws, overall or within given categories (vectorized)."""

    def __init__(self, catalog: Catalog) -> None:
        self._popularity = catalog.popularity
        self._by_category = np.argsort(catalog.category, kind="stable")
        sorted_category = catalog.category[self._by_category]
        sorted_weight = catalog.popularity[self._by_category]
        totals = np.bincount(sorted_category, weights=sorted_weight)
        within = (
            np.cumsum(sorted_weight)
            - np.concatenate(([0.0], np.cumsum(totals)[:-1]))[sorted_category]
        )
        # Category c occupies (c, c + 1]: a draw c + u lands on a product of category c.
        self._cumulative = sorted_category + within / totals[sorted_category]
        self._cumulative[np.r_[np.flatnonzero(np.diff(sorted_category)), -1]] = (
            sorted_category[np.r_[np.flatnonzero(np.diff(sorted_category)), -1]] + 1.0
        )

    def overall(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` products drawn by popularity."""
        return rng.choice(len(self._popularity), size=size, p=self._popularity)

    def in_categories(self, rng: np.random.Generator, categories: np.ndarray) -> np.ndarray:
        """One product per entry of ``categories``, drawn by popularity within it."""
        draws = categories + rng.random(len(categories))
        positions = np.searchsorted(self._cumulative, draws, side="right")
        return np.asarray(self._by_category[positions], dtype=np.int64)
