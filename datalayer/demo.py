"""Demo data: deterministic, realistic customers, orders, products and reviews, seeded in bulk."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import random
from decimal import Decimal
from typing import Any, Callable, Iterator, Sequence

import peewee as pw

from . import setaside
from .admins import requires
from .audit import audit, current_actor
from .connection import db, is_mysql, is_postgres, is_sqlite
from .errors import ValidationError
from .customers import customer_keys, normalize_email
from .groups import _insert_members_from
from .imports.common import made_ahead
from .imports.writer import insert_rows
from .lookup import general_group
from .tables import (
    LANGUAGES,
    REVIEW_STATUSES,
    Address,
    BaseModel,
    Category,
    CategoryAccess,
    Customer,
    CustomerGroup,
    Membership,
    Order,
    OrderLine,
    Product,
    Review,
    utcnow,
)
from .textsearch import index_deferred, search_columns
from .transactions import bulk, retried

FIRST_NAMES = (
    "Olivia Liam Emma Noah Ava Oliver Sophia Elijah Isabella James Mia William Amelia Benjamin "
    "Harper Lucas Evelyn Henry Abigail Alexander Emily Mason Ella Michael Elizabeth Ethan Camila "
    "Daniel Luna Jacob Sofia Logan Avery Jackson Mila Levi Aria Sebastian Scarlett Mateo Penelope "
    "Jack Layla Owen Chloe Theodore Victoria Aiden Madison Samuel Eleanor Joseph Grace John Nora "
    "David Riley Wyatt Zoey Matthew Hannah Luke Hazel Asher Lily Carter Ellie Julian Violet Grayson "
    "Lillian Leo Zoe Jayden Stella Gabriel Aurora Isaac Natalie Lincoln Emilia Anthony Everly Hudson "
    "Leah Dylan Aubrey Ezra Willow Thomas Addison Charles Lucy Christopher Audrey Jaxon Bella Maverick "
    "Nova Josiah Brooklyn Isaiah Paisley Andrew Savannah Elias Claire Joshua Skylar Nathan Isla "
    "Caleb Genesis Ryan Naomi Adrian Elena Miles Caroline Eli Eliana Nolan Anna Christian Maya "
    "Aaron Valentina Cameron Ruby Ezekiel Kennedy Colton Ivy Luca Ariana Landon Aaliyah Hunter Cora "
    "Jonathan Madelyn Santiago Alice Axel Kinsley Easton Hailey Cooper Gabriella Jeremiah Allison "
    "Angel Gianna Roman Serenity Connor Samantha Jameson Sarah Robert Autumn Greyson Quinn Jordan "
    "Eva Ian Piper Carson Sophie Jaxson Sadie Leonardo Delilah Nicholas Josephine Dominic Nevaeh "
    "Austin Adeline Everett Arya Brooks Emery Xavier Lydia Kai Clara Jose Vivian Parker Madeline "
    "Adam Peyton Jace Julia Wesley Rylee Kayden Brielle Silas Reagan Bennett Natalia Declan Jade "
    "Waylon Athena Weston Maria Evan Leilani Emmett Everleigh Micah Liliana Ryder Melanie Beau "
    "Mackenzie Damian Hadley Harrison Raelynn Vincent Kaylee Zion Rose Jasper Arianna Ashton "
    "Isabelle Sawyer Melody Ayden Eliza Zachary Lyla Zoë Søren Chloé José Zoltán Ngozi Aiko Ravi "
    "Priya Mei Chen Hiroshi Fatima Omar Yusuf Amara Kwame Ingrid Lars Anneliese Björn Siobhán").split()


LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders "
    "Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton "
    "Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina "
    "Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter "
    "Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black "
    "Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson "
    "Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce "
    "Müller Schäfer Dubois Lefèvre Rossi Bianchi Kowalski Nowak Andersson Johansson Yamamoto Tanaka "
    "Okafor Mensah O'Brien Novák Horváth Papadopoulos").split() + [
    "Ó Súilleabháin", "van der Berg", "de Vries", "García Márquez"]


CITIES = (("London", "GB"), ("Manchester", "GB"), ("Berlin", "DE"), ("Munich", "DE"), ("Paris", "FR"),
          ("Lyon", "FR"), ("Madrid", "ES"), ("Rome", "IT"), ("Amsterdam", "NL"), ("Warsaw", "PL"),
          ("Lisbon", "PT"), ("Stockholm", "SE"), ("Dublin", "IE"), ("Vienna", "AT"), ("New York", "US"),
          ("Chicago", "US"), ("Toronto", "CA"), ("Sydney", "AU"))


STREETS = ("High Street", "Station Road", "Church Lane", "Main Street", "Park Avenue", "Mill Road",
           "Victoria Road", "Green Lane", "Manor Road", "Kings Road", "Queen Street", "New Road")


DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "shop.example")


CATEGORIES = (("Coffee", "coffee", False), ("Tea", "tea", False), ("Brewing gear", "brewing-gear", False),
              ("Cups and mugs", "cups", False), ("Wholesale sacks", "wholesale-sacks", True))


PRODUCT_WORDS = ("Ethiopia Yirgacheffe", "Colombia Huila", "Kenya AA", "Sumatra Mandheling",
                 "House Espresso", "Decaf Swiss Water", "Earl Grey", "Sencha", "Assam Breakfast",
                 "Chamomile", "Pour-over Kettle", "Burr Grinder", "French Press", "AeroPress",
                 "Espresso Cup", "Travel Mug", "Latte Bowl", "Green Coffee 30 kg", "Espresso Blend 5 kg")


REVIEW_TITLES = ("Lovely", "Not for me", "Great value", "Arrived late", "Perfect", "Would buy again",
                 "Too bitter", "Smooth and rich", "Broke after a week", "Exactly as described")


REVIEW_BODIES = (
    "Bought this for the office and everyone loves it.",
    "The packaging was damaged but the contents were fine.",
    "Strong flavour, a little too dark for my taste.",
    "Good quality for the price. Delivery was quick.",
    "Not what I expected from the photos; returning it.",
    "Five stars. I have ordered it three times now.\nHighly recommended.",
)


def _seed_rows_sqlite(model: type[BaseModel], fields: Sequence[pw.Field], rows: list[tuple]) -> None:
    cols = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join("?" for _ in fields)
    with pw.__exception_wrapper__:  # the driver's errors as Peewee's, like every other query's
        db.obj.cursor().executemany(
            f'INSERT INTO "{model._meta.table_name}" ({cols}) VALUES ({marks})', rows)


def _insert_rows(model: type[BaseModel], fields: Sequence[pw.Field], rows: list[tuple]) -> None:
    """SQLite: one prepared statement run for every row.  The servers: COPY
    on PostgreSQL, multi-row INSERTs written out on MySQL (the imports'
    writer): Peewee's insert_many spent more of the client's time building
    its queries than making the rows."""
    if not rows:
        return
    if is_sqlite():
        _seed_rows_sqlite(model, fields, rows)
        return
    insert_rows(model, list(fields), rows)  # (with the model's defaults for the columns left out)


def _concat(*parts: Any) -> pw.Node:
    """SQL string concatenation that works on every engine."""
    if is_mysql():
        return pw.fn.CONCAT(*parts)
    nodes = [p if isinstance(p, str) else pw.Cast(p, "TEXT") for p in parts]
    return functools.reduce(lambda a, b: pw.StringExpression(a, pw.OP.CONCAT, b), nodes)


def _pick(key: pw.Node, choices: Sequence[str]) -> pw.Node:
    """One of ``choices``, chosen by ``key`` (an integer expression)."""
    return pw.Case(_mod(key, len(choices)), [(i, c) for i, c in enumerate(choices)])


def _mod(a: pw.Node, n: int) -> pw.Node:
    # Not ``a % n``: Peewee reads ``%`` as LIKE, and the PostgreSQL and
    # MySQL drivers read a bare % in SQL as a placeholder.
    return pw.Expression(a, pw.OP.MOD, n) if is_sqlite() else pw.fn.MOD(a, n)


def _seed_addresses(customer_ids: pw.Expression) -> int:
    """Billing and shipping addresses for the customers matching
    ``customer_ids``, made in SQL from their ids (one in five ships
    somewhere else)."""
    # The arithmetic below (id * 7919 …) overflows PostgreSQL's 32-bit
    # integer past about 271,000 customers: there it is done in BIGINT
    # (MySQL and SQLite compute in 64 bits anyway).
    cid = pw.Cast(Customer.id, "BIGINT") if is_postgres() else Customer.id
    fields = [Address.customer, Address.kind, Address.name, Address.line1, Address.line2, Address.city,
              Address.region, Address.postcode, Address.country]
    name = _concat(Customer.first_name, " ", Customer.last_name)
    elsewhere = _mod(cid, 5) == 0
    city_key = cid * 31
    ship_key = pw.Case(None, [(elsewhere, cid * 17)], city_key)
    billing = Customer.select(
        cid, pw.Value("billing"), name, _concat(_mod(cid * 7, 249) + 1, " ", _pick(cid * 13, STREETS)),
        pw.Value(""), _pick(city_key, [c for c, _ in CITIES]), pw.Value(""), _concat(_mod(cid * 7919, 89999) + 10000),
        _pick(city_key, [k for _, k in CITIES])).where(customer_ids)
    shipping = Customer.select(
        cid, pw.Value("shipping"), name,
        _concat(pw.Case(None, [(elsewhere, _mod(cid * 11, 249) + 1)], _mod(cid * 7, 249) + 1), " ",
                _pick(pw.Case(None, [(elsewhere, cid * 3)], cid * 13), STREETS)),
        pw.Value(""), _pick(ship_key, [c for c, _ in CITIES]), pw.Value(""),
        _concat(pw.Case(None, [(elsewhere, _mod(cid * 6007, 89999) + 10000)], _mod(cid * 7919, 89999) + 10000)),
        _pick(ship_key, [k for _, k in CITIES])).where(customer_ids)
    return sum(Address.insert_from(q, fields).as_rowcount().execute() for q in (billing, shipping))


_BULK_MODELS = (Customer, Address, Membership, Order, OrderLine, Review)

_MYSQL_ASIDE = (Customer,)
"""The tables whose indexes a big seed sets aside on MariaDB: the others
keep theirs (built at the end, the reviews' FULLTEXT cost 8 s of a seed of
a million customers, filled at the commit 2 s; the memberships' index on
(change, customer) is filled in its order; the rest hold only unique
indexes and those their foreign keys need, which stay anyway)."""

DEFER_FROM = 50_000
"""A seed of this many customers or more into a database without any
builds the bulk tables' indexes once at the end (see _indexes_deferred)."""


def _index_names(model: type[BaseModel]) -> list[str]:
    return [ix._name for ix in model._meta.fields_to_index()]


@contextlib.contextmanager
def _indexes_deferred(enabled: bool) -> Iterator[None]:
    """Drop the secondary indexes of the bulk tables and build them once at
    the end: much faster than keeping them up to date row by row.  Inside
    the caller's transaction, so a failure leaves the indexes as they were."""
    if not enabled:
        yield
        return
    if is_postgres():
        with _pg_keys_deferred():
            yield
        return
    for model in _BULK_MODELS:
        for name in _index_names(model):
            db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    yield
    for model in _BULK_MODELS:
        model._schema.create_indexes(safe=True)
    db.execute_sql("ANALYZE")


@contextlib.contextmanager
def _pg_keys_deferred() -> Iterator[None]:
    """PostgreSQL: drop the bulk tables' foreign keys and the indexes no
    constraint owns (the schema's, the migrations' trigram and partial
    ones), as the catalogue has them, and make them again from the same
    definitions at the end: one sorted build an index and one join a
    foreign key, where row by row each insert walked every index and ran
    each reference's trigger.  DDL is transactional there: a failure
    rolls the drops back with the rows."""
    tables = [m._meta.table_name for m in _BULK_MODELS]
    keys = db.execute_sql(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname", (tables,)).fetchall()
    indexes = db.execute_sql(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid) ORDER BY i.indexrelid", (tables,)).fetchall()
    for table, name, _ in keys:
        db.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        db.execute_sql(f"DROP INDEX {name}")
    yield
    # A sort in memory for each index (the default 64 MB spills the big ones to disk).
    db.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        db.execute_sql(definition)
    for table, name, definition in keys:
        db.execute_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


@requires("admins")
@retried
def seed_reviews(count: int, *, rng_seed: int = 1, today: dt.datetime | None = None,
                 progress: Callable[[int, int], None] | None = None, batch: int = 50_000,
                 actor: str | None = None) -> int:
    """Add ``count`` reviews by existing customers of existing products (a
    third pending, the rest approved or rejected), for a big moderation
    queue.  Needs customers and products: run :func:`seed` first."""
    if count < 0:
        raise ValidationError({"reviews": "The number of reviews cannot be negative"})
    rng = random.Random(rng_seed)
    now = today or utcnow()
    bulk()
    with db.atomic():
        max_customer = Customer.select(pw.fn.MAX(Customer.id)).scalar() or 0
        products = [p for (p,) in Product.select(Product.id).tuples()]
        if count and (not max_customer or not products):
            raise ValidationError({"reviews": "Seed customers and products first"})
        who = actor or current_actor()
        fields = [Review.product, Review.customer, Review.rating, Review.title, Review.body, Review.status,
                  Review.created_at, Review.moderated_at, Review.moderated_by, Review.reject_reason,
                  Review.search_text, Review.search_tokens]
        rnd, done, columns = rng.random, 0, _search_columns()
        span = 3 * 365 * 86400
        with index_deferred():  # SQLite: the FTS table filled once, at the end
            while done < count:
                n = min(batch, count - done)
                rows = []
                for j in range(n):
                    # Oldest first, as a shop receives them: ids rise with the date.
                    created = now - dt.timedelta(seconds=int(span * (count - done - j - rnd()) / count))
                    state = REVIEW_STATUSES[0] if rnd() < 0.34 else REVIEW_STATUSES[1 + (rnd() < 0.2)]
                    moderated = (created + dt.timedelta(hours=6)).isoformat(" ") if state != "pending" else None
                    # (Drawn in this order: the same seed gives the same reviews.)
                    product, customer = products[int(rnd() * len(products))], 1 + int(rnd() * max_customer)
                    rating = (1, 2, 3, 4, 4, 5, 5, 5)[int(rnd() * 8)]
                    title = REVIEW_TITLES[int(rnd() * len(REVIEW_TITLES))]
                    body = REVIEW_BODIES[int(rnd() * len(REVIEW_BODIES))]
                    rows.append((product, customer, rating, title, body, state, created.isoformat(" "),
                                 moderated, who if moderated else None, "Off-topic" if state == "rejected" else None,
                                 *columns(title, body)))
                _insert_rows(Review, fields, rows)
                done += n
                if progress:
                    progress(done, count)
        audit("seed", "database", None, after={"reviews": count}, actor=actor)
    return count


def _search_columns() -> Callable[[str, str], tuple[str | None, ...]]:
    """search_text and search_tokens of a title and body, remembered for one
    seed (on one database): the demo's titles and bodies come from short lists."""
    return functools.lru_cache(maxsize=4096)(lambda title, body: tuple(search_columns(title, body).values()))


def _customer_batches(customers: int, batch: int, rng: random.Random, now: dt.datetime, start_id: int,
                      start_order: int, products: list[tuple[int, Any]], general: CustomerGroup,
                      wholesale: CustomerGroup | None, actor_name: str,
                      columns: Callable[[str, str], tuple[str | None, ...]]
                      ) -> Iterator[tuple[list[tuple], list[tuple], list[tuple], list[tuple]]]:
    """The seed's rows, ``batch`` customers at a time: each batch's
    customers, orders, order lines and reviews, drawn from ``rng`` in one
    order (the same seed gives the same data).  Touches no database, given
    ``columns`` that knows every title and body already."""
    span = 6 * 365 * 86400
    fn_, ln_ = FIRST_NAMES, LAST_NAMES
    n_first, n_last, n_products = len(fn_), len(ln_), len(products)
    rnd = rng.random
    next_order = start_order
    done = 0
    while done < customers:
        n = min(batch, customers - done)
        cust, orders, lines, reviews = [], [], [], []
        for k in range(n):
            cid = start_id + done + k
            first = fn_[int(rnd() * n_first)]
            last = ln_[int(rnd() * n_last)]
            email = f"{first}.{last}.{cid}@{DOMAINS[cid % len(DOMAINS)]}".replace(" ", "").replace("'", "")
            reg = now - dt.timedelta(seconds=int(rnd() * span))
            # Drivers take ISO strings for timestamps; formatting here
            # skips an adapter call per value.
            reg_s = reg.isoformat(" ")
            is_wholesale = wholesale is not None and rng.random() < 0.03
            status = "disabled" if rng.random() < 0.04 else "active"
            spent = Decimal(0)
            n_orders = rng.choice((0, 0, 0, 1, 1, 2, 3)) if rng.random() < 0.6 else 0
            for _ in range(n_orders):
                placed = reg + dt.timedelta(seconds=rng.randrange(max(1, int((now - reg).total_seconds()))))
                total = Decimal(0)
                for _line in range(rng.choice((1, 1, 2))):
                    pid, price = products[int(rnd() * n_products)]
                    qty = rng.choice((1, 1, 1, 2, 3))
                    lines.append((next_order, pid, qty, price))
                    total += Decimal(price) * qty
                orders.append((next_order, cid, f"BR{next_order:09d}", placed.isoformat(" "), "complete",
                               total))
                spent += total
                next_order += 1
                if rng.random() < 0.15:
                    rating = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
                    state = rng.choice(REVIEW_STATUSES[:3])  # no spam: the demo data stays as it was
                    moderated = ((placed + dt.timedelta(days=1)).isoformat(" ")
                                 if state != "pending" else None)
                    title, body = rng.choice(REVIEW_TITLES), rng.choice(REVIEW_BODIES)
                    reviews.append((lines[-1][1], cid, rating, title, body, state,
                                    (placed + dt.timedelta(hours=5)).isoformat(" "),
                                    moderated, actor_name if moderated else None,
                                    "Off-topic" if state == "rejected" else None,
                                    *columns(title, body)))
            group_id = wholesale.id if is_wholesale and wholesale is not None else general.id
            email_key = normalize_email(email)
            name_key, last_key, email_fold = customer_keys(first, last, email, email_key)
            cust.append((cid, first, last, email, email_key, email_fold, name_key, last_key,
                         f"+44 7{100000000 + int(rnd() * 899999999)}", status,
                         "business" if is_wholesale else "personal", is_wholesale,
                         LANGUAGES[int(rnd() * len(LANGUAGES))] if rnd() < 0.3 else "en",
                         reg_s, group_id, spent, n_orders, 1, reg_s))
        yield cust, orders, lines, reviews
        done += n


def _made_ahead(batches: Iterator[Any]) -> Iterator[Any]:
    """``batches``, on a server each made in a thread while the caller
    writes the one before (:func:`.imports.common.made_ahead`).  On SQLite,
    where the writing is the client's own work, made as they are taken (a
    thread would only contend with it)."""
    if is_sqlite():
        yield from batches
        return
    yield from made_ahead(batches, name="seed-rows")


@requires("admins")
@retried
def seed(customers: int, *, rng_seed: int = 1, progress: Callable[[int, int], None] | None = None,
         today: dt.datetime | None = None, batch: int = 20_000, actor: str | None = None) -> dict[str, int]:
    """Add ``customers`` deterministic, realistic demo customers (with
    addresses, orders, products in categories and reviews in every status).
    ``progress(done, total)`` is called after each batch."""
    if customers < 0:
        raise ValidationError({"customers": "The number of customers cannot be negative"})
    rng = random.Random(rng_seed)
    now = today or utcnow()
    counts = {"customers": 0, "addresses": 0, "orders": 0, "order_lines": 0, "reviews": 0, "products": 0}
    bulk()
    # MariaDB: a big seed into a database without customers sets the
    # customers' secondary indexes aside before its transaction (its DDL
    # commits), crash-safely (see .setaside); the other engines do it in
    # the transaction, for every bulk table (_indexes_deferred).
    aside = (is_mysql() and customers >= DEFER_FROM and not Customer.select().exists()
             and setaside.set_aside([m._meta.table_name for m in _MYSQL_ASIDE]))
    with aside or contextlib.nullcontext(), db.atomic():
        general = general_group()
        wholesale = CustomerGroup.get_or_none(CustomerGroup.code == "wholesale")
        # Catalogue, once per database.
        if not Product.select().exists():
            cats = {}
            for name, slug, restricted in CATEGORIES:
                cats[slug] = Category.create(name=name, slug=slug, restricted=restricted)
                if restricted and wholesale:
                    CategoryAccess.create(category=cats[slug], group=wholesale)
            slugs = ["coffee"] * 6 + ["tea"] * 4 + ["brewing-gear"] * 4 + ["cups"] * 3 + ["wholesale-sacks"] * 2
            for i, (word, slug) in enumerate(zip(PRODUCT_WORDS, slugs), start=1):
                Product.create(sku=f"SKU-{i:04d}", name=word, category=cats[slug],
                               price=Decimal(rng.randrange(450, 9900)) / 100)
                counts["products"] += 1
        products = list(Product.select(Product.id, Product.price).tuples())
        start_id = (Customer.select(pw.fn.MAX(Customer.id)).scalar() or 0) + 1
        start_order = (Order.select(pw.fn.MAX(Order.id)).scalar() or 0) + 1
        actor_name = actor or current_actor()
        cust_fields = [Customer.id, Customer.first_name, Customer.last_name, Customer.email, Customer.email_key,
                       Customer.email_fold, Customer.name_key, Customer.last_key, Customer.phone, Customer.status,
                       Customer.account_type, Customer.tax_exempt, Customer.language, Customer.registered_at,
                       Customer.default_group, Customer.total_spent, Customer.order_count, Customer.version,
                       Customer.updated_at]
        order_fields = [Order.id, Order.customer, Order.number, Order.placed_at, Order.status, Order.total]
        line_fields = [OrderLine.order, OrderLine.product, OrderLine.quantity, OrderLine.unit_price]
        review_fields = [Review.product, Review.customer, Review.rating, Review.title, Review.body,
                         Review.status, Review.created_at, Review.moderated_at, Review.moderated_by,
                         Review.reject_reason, Review.search_text, Review.search_tokens]
        done = 0
        # Rebuilding indexes pays off for a big seed into an empty database.
        defer = not is_mysql() and customers >= DEFER_FROM and start_id == 1
        stack = contextlib.ExitStack()
        stack.enter_context(_indexes_deferred(defer))
        stack.enter_context(index_deferred())
        # Every review's search columns made here, in the transaction's
        # thread: on MariaDB they ask the server (for its collation's
        # weights), and the thread making the rows has no connection.
        columns = _search_columns()
        for title in REVIEW_TITLES:
            for body in REVIEW_BODIES:
                columns(title, body)
        batches = _customer_batches(customers, batch, rng, now, start_id, start_order, products, general,
                                    wholesale, actor_name, columns)
        with contextlib.closing(_made_ahead(batches)) as made:
            for cust, orders, lines, reviews in made:
                _insert_rows(Customer, cust_fields, cust)
                batch_ids = Customer.id.between(cust[0][0], cust[-1][0])
                counts["addresses"] += _seed_addresses(batch_ids)
                for group in (general, wholesale):
                    if group is not None:
                        members = Customer.select(Customer.id).where(batch_ids)
                        if group is wholesale:
                            members = members.where(Customer.default_group == wholesale.id)
                        _insert_members_from(group, members, actor=actor_name, at=Customer.registered_at,
                                             notify=False)
                _insert_rows(Order, order_fields, orders)
                _insert_rows(OrderLine, line_fields, lines)
                _insert_rows(Review, review_fields, reviews)
                counts["customers"] += len(cust)
                counts["orders"] += len(orders)
                counts["order_lines"] += len(lines)
                counts["reviews"] += len(reviews)
                done += len(cust)
                if progress:
                    # When indexes are built at the end, they are the last tenth.
                    progress(done * 9 // 10 if defer or aside else done, customers)
        stack.close()
        if progress and defer:
            progress(customers, customers)
        if is_postgres() and counts["customers"]:
            # Rows were inserted with explicit ids: move the sequences past them.
            for model in (Customer, Order):
                table = model._meta.table_name
                db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT MAX(id) FROM {table}))")
            # Fresh statistics, or the planner takes a table it last saw
            # empty for a handful of rows (autovacuum catches up only later).
            # MySQL keeps its statistics up to date itself.
            for model in _BULK_MODELS:
                db.execute_sql(f'ANALYZE "{model._meta.table_name}"')
        audit("seed", "database", None, after=counts, actor=actor)
    if progress and aside:
        progress(customers, customers)
    return counts
