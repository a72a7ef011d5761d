"""Importing orders (Shopify's order export, Backroom's own), and creating
products and categories through operations; on every engine."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import peewee as pw
import pytest

from backroom import models
from backroom.datalayer import orders as orders_module
from backroom.datalayer.imports import orders as imports_orders

from .test_import_bulkload import schema

SHOPIFY = ("Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,"
           "Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,"
           "Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Cancelled at\n")


def shopify_rows(*rows):
    out = []
    for number, email, status, total, created, qty, name, price, sku, cancelled in rows:
        out.append(f"{number},{email},{status},,,,no,EUR,{total},0,0,{total},,0,,{created},{qty},{name},{price},,"
                   f"{sku},{cancelled}")
    return SHOPIFY + "\n".join(out) + "\n"


@pytest.fixture
def shop(db_url, tmp_path):
    models.import_customers(_write(tmp_path, "c.csv", "external_id,email,first_name\n"
                                                      "C1,ada@example.com,Ada\nC2,bob@example.com,Bob\n"),
                            fmt="backroom")
    return tmp_path


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def customer(email):
    return models.Customer.get(models.Customer.email_key == email)


def test_shopify_orders_with_lines_history_prices_and_statuses(shop):
    text = shopify_rows(
        ("#1001", "ada@example.com", "paid", "30.00", "2024-01-02 10:00:00 +0100", "2", "Mug", "10.00", "MUG-1", ""),
        ("#1001", "", "", "", "", "1", "Beans", "10.00", "BEAN-1", ""),
        ("#1002", "ADA@example.com", "refunded", "12.50", "2024-02-03 10:00:00", "1", "Mug", "12.50", "MUG-1", ""),
        ("#1003", "bob@example.com", "paid", "5.00", "2024-03-04", "", "", "", "", ""),
        ("#1004", "bob@example.com", "paid", "7.00", "2024-03-05", "1", "Tea", "7.00", "", "2024-03-06"),
        ("#1005", "nobody@example.com", "paid", "1.00", "2024-03-05", "1", "Tea", "1.00", "TEA", ""),
        ("#1006", "bob@example.com", "paid", "lots", "2024-03-05", "0", "Tea", "1.00", "TEA", ""),
    )
    path = _write(shop, "orders_export.csv", text)
    dry = models.import_orders(path, dry_run=True)
    assert dry.preview.format == "shopify-orders"
    assert [(p.line, p.field, p.message) for p in dry.problems] == [
        (7, "customer_email", "no customer has this email or id"),
        (8, "total", "'lots' is not an amount"),
        (8, "quantity", "'0' is not a quantity from 1 to 100,000"),
    ]
    assert (dry.rows, dry.new, dry.rejected) == (6, 4, 2)
    assert models.Order.select().count() == 0 and models.Product.select().count() == 0
    report = models.import_orders(path)
    assert report.summary() == "4 new, 0 changed, 0 unchanged, 2 rejected"
    ada, bob = customer("ada@example.com"), customer("bob@example.com")
    # #1002 was refunded and #1004 cancelled: they count toward nothing.
    assert (ada.total_spent, ada.order_count) == (Decimal("30.00"), 1)
    assert (bob.total_spent, bob.order_count) == (Decimal("5.00"), 1)
    first = models.Order.get(models.Order.number == "#1001")
    assert (first.status, first.total, str(first.placed_at)) == ("complete", Decimal("30.00"), "2024-01-02 09:00:00")
    lines = sorted((line.product.sku, line.quantity, line.unit_price) for line in first.lines)
    assert lines == [("BEAN-1", 1, Decimal("10.00")), ("MUG-1", 2, Decimal("10.00"))]
    assert models.Order.get(models.Order.number == "#1003").lines.count() == 0  # a total without lines
    assert models.Order.get(models.Order.number == "#1004").status == "cancelled"
    assert {p.sku for p in models.Product.select()} == {"MUG-1", "BEAN-1", "tea"}
    assert models.Category.get(models.Category.slug == "imported").name == "Imported"
    assert models.AuditEntry.select().where(models.AuditEntry.action == "product.create").count() == 3
    assert models.AuditEntry.select().where(models.AuditEntry.action == "order.import").count() == 4
    again = models.import_orders(path)
    assert again.summary() == "0 new, 0 changed, 4 unchanged, 2 rejected"
    assert models.customer_orders(ada.id)[0].number == "#1002"


def test_a_changed_status_recounts_the_customer(shop):
    path = _write(shop, "a.csv", "order_number,customer_email,placed_at,status,total,sku,product_name,quantity,"
                                 "unit_price\nB1,ada@example.com,2024-01-01,complete,20.00,,,,\n")
    assert models.import_orders(path).summary() == "1 new, 0 changed, 0 unchanged, 0 rejected"
    assert customer("ada@example.com").total_spent == Decimal("20.00")
    path.write_text(path.read_text().replace("complete", "refunded"))
    assert models.import_orders(path).summary() == "0 new, 1 changed, 0 unchanged, 0 rejected"
    ada = customer("ada@example.com")
    assert (ada.total_spent, ada.order_count) == (Decimal("0.00"), 0)


def test_all_or_nothing_and_another_customers_number(shop):
    models.import_orders(_write(shop, "a.csv", "order_number,customer_email,status,total,sku,quantity\n"
                                               "N1,ada@example.com,complete,1.00,,\n"))
    path = _write(shop, "b.csv", "order_number,customer_email,status,total,sku,quantity\n"
                                 "N2,bob@example.com,complete,2.00,,\nN1,bob@example.com,complete,1.00,,\n")
    report = models.import_orders(path, all_or_nothing=True)
    assert [(p.line, p.message) for p in report.problems] == [(3, "already the number of another customer's order")]
    assert not report.applied and models.Order.select().count() == 1


def test_catalogue_operations_check_and_audit(db_url):
    with pytest.raises(models.ValidationError, match="slug"):
        models.create_category("X", "Not A Slug")
    cat = models.create_category("Teas", "teas")
    with pytest.raises(models.ValidationError, match="already used"):
        models.create_category("Teas again", "teas")
    p = models.create_product("T-1", "Green", cat.id, "4.50")
    assert (p.sku, p.price) == ("T-1", Decimal("4.50"))
    with pytest.raises(models.ValidationError, match="already used"):
        models.create_product("T-1", "Green", cat.id, "1")
    with pytest.raises(models.ValidationError, match="not an amount"):
        models.create_product("T-2", "Green", cat.id, "free")
    actions = [a.action for a in models.AuditEntry.select().order_by(models.AuditEntry.id)]
    assert actions[-2:] == ["category.create", "product.create"]


HEAD = "order_number,customer_email,placed_at,status,total,sku,product_name,quantity,unit_price\n"


def recounted():
    """Every customer's (total spent, order count) summed from their orders
    from scratch, cancelled and refunded ones left out; and as stored."""
    counted = models.Order.status.not_in(models.NOT_COUNTED)
    sums = {cid: (Decimal(str(s)).quantize(Decimal("0.01")), n) for cid, s, n in
            models.Order.select(models.Order.customer, pw.fn.SUM(models.Order.total), pw.fn.COUNT(models.Order.id))
            .where(counted).group_by(models.Order.customer).tuples()}
    stored = {c.id: (c.total_spent, c.order_count) for c in models.Customer.select()}
    return {cid: sums.get(cid, (Decimal("0.00"), 0)) for cid in stored}, stored


def test_counters_equal_a_recount_across_batches_statuses_and_a_reimport(shop, monkeypatch):
    """Counters after imports equal a count from scratch: orders cancelled or
    refunded (Cy has only those), orders without lines, a customer's orders
    in two batches (three orders a batch here), and a re-import that turns
    one of Ada's orders refunded, Bob's one counted order cancelled (he
    counts nothing then) and Cy's cancelled one complete."""
    monkeypatch.setattr(imports_orders, "BATCH_ORDERS", 3)
    models.import_customers(_write(shop, "c2.csv", "external_id,email,first_name\nC3,cy@example.com,Cy\n"),
                            fmt="backroom")
    rows = ["A1,ada@example.com,2024-01-01,complete,20.00,MUG,Mug,2,10.00",
            "B1,bob@example.com,2024-01-02,refunded,5.00,,,,",
            "Y1,cy@example.com,2024-01-02,cancelled,8.00,,,,",
            "A2,ada@example.com,2024-01-03,processing,7.50,,,,",
            "Y2,cy@example.com,2024-01-04,refunded,3.00,TEA,Tea,1,3.00",
            "B2,bob@example.com,2024-01-05,pending,4.25,TEA,Tea,1,4.25",
            "A3,ada@example.com,2024-01-06,cancelled,9.00,,,,",
            "A4,ada@example.com,2024-01-07,complete,1.10,MUG,Mug,1,1.10"]
    path = _write(shop, "o.csv", HEAD + "\n".join(rows) + "\n")
    assert models.import_orders(path).summary() == "8 new, 0 changed, 0 unchanged, 0 rejected"
    expected, stored = recounted()
    assert stored == expected
    ada, bob, cy = customer("ada@example.com"), customer("bob@example.com"), customer("cy@example.com")
    assert stored[ada.id] == (Decimal("28.60"), 3) and stored[bob.id] == (Decimal("4.25"), 1)
    assert stored[cy.id] == (Decimal("0.00"), 0)
    path.write_text(path.read_text().replace("A4,ada@example.com,2024-01-07,complete", "A4,ada@example.com,,refunded")
                    .replace("B2,bob@example.com,2024-01-05,pending", "B2,bob@example.com,,cancelled")
                    .replace("Y1,cy@example.com,2024-01-02,cancelled", "Y1,cy@example.com,,complete"))
    assert models.import_orders(path).summary() == "0 new, 3 changed, 5 unchanged, 0 rejected"
    expected, stored = recounted()
    assert stored == expected
    assert stored[ada.id] == (Decimal("27.50"), 2) and stored[bob.id] == (Decimal("0.00"), 0)
    assert stored[cy.id] == (Decimal("8.00"), 1)
    assert models.import_orders(path).summary() == "0 new, 0 changed, 8 unchanged, 0 rejected"
    assert recounted()[1] == stored


def test_a_customer_whose_orders_span_batches_is_recounted_once(shop, monkeypatch):
    """Ada's orders are in three batches (two orders a batch), Bob's in one:
    each is recounted once, in one statement, and counts every order."""
    monkeypatch.setattr(imports_orders, "BATCH_ORDERS", 2)
    calls, recount = [], imports_orders._recount

    def counted(ids):
        calls.append(list(ids))
        return recount(ids)

    monkeypatch.setattr(imports_orders, "_recount", counted)
    rows = ["A1,ada@example.com,2024-01-01,complete,20.00,,,,",
            "B1,bob@example.com,2024-01-02,complete,5.00,,,,",
            "A2,ada@example.com,2024-01-03,complete,7.50,,,,",
            "A3,ada@example.com,2024-01-04,refunded,9.00,,,,",
            "A4,ada@example.com,2024-01-05,pending,1.10,,,,"]
    assert models.import_orders(_write(shop, "o.csv", HEAD + "\n".join(rows) + "\n")).summary() == \
        "5 new, 0 changed, 0 unchanged, 0 rejected"
    ada, bob = customer("ada@example.com"), customer("bob@example.com")
    assert calls == [sorted([ada.id, bob.id])]
    expected, stored = recounted()
    assert stored == expected and stored[ada.id] == (Decimal("28.60"), 3) and stored[bob.id] == (Decimal("5.00"), 1)


def test_an_all_or_nothing_import_that_fails_leaves_the_counters(shop):
    models.import_orders(_write(shop, "a.csv", HEAD + "A1,ada@example.com,2024-01-01,complete,20.00,,,,\n"))
    before = recounted()[1]
    path = _write(shop, "b.csv", HEAD + "A1,ada@example.com,2024-01-01,refunded,20.00,,,,\n"
                                        "B1,bob@example.com,2024-01-02,complete,5.00,,,,\n"
                                        "X1,nobody@example.com,2024-01-02,complete,5.00,,,,\n")
    report = models.import_orders(path, all_or_nothing=True)
    assert not report.applied and report.rejected == 1
    assert recounted()[1] == before == recounted()[0]
    assert customer("ada@example.com").total_spent == Decimal("20.00")


def test_an_order_placed_while_an_import_recounts_the_customer_counts(shop, monkeypatch):
    """Another admin places an order for Ada (paused after it added to her
    counters, before it commits) while an import turns her earlier order
    refunded.  On a server the import's recount waits for Ada's row; once
    the order placed is committed, the recount must count it: figures read
    before that wait would leave Ada at 0.  (On SQLite the import waits for
    the database's write lock.)"""
    path = _write(shop, "a.csv", HEAD + "A1,ada@example.com,2024-01-01,complete,20.00,,,,\n")
    models.import_orders(path)
    ada = customer("ada@example.com")
    tea = models.create_product("T-1", "Green", models.create_category("Teas", "teas").id, "4.50")
    holding, release, recounting = threading.Event(), threading.Event(), threading.Event()
    audit, recount = orders_module.audit, imports_orders._recount

    def paused_audit(*args, **kwargs):
        holding.set()
        release.wait(10)
        return audit(*args, **kwargs)

    def flagged_recount(ids):
        recounting.set()
        return recount(ids)

    def let_go():  # a moment after the recount begins, and so waits for Ada's row
        recounting.wait(1 if models.is_sqlite() else 10)
        time.sleep(0.3)
        release.set()

    monkeypatch.setattr(orders_module, "audit", paused_audit)
    monkeypatch.setattr(imports_orders, "_recount", flagged_recount)
    placed = []

    def place():
        try:
            placed.append(models.place_order(ada.id, [(tea.id, 2)]))
        finally:
            models.release_connection()

    t = threading.Thread(target=place)
    t.start()
    try:
        assert holding.wait(5)
        threading.Thread(target=let_go).start()
        path.write_text(path.read_text().replace("complete", "refunded"))
        report = models.import_orders(path)
    finally:
        release.set()
        t.join(15)
    assert placed and report.summary() == "0 new, 1 changed, 0 unchanged, 0 rejected"
    assert recounted()[1][ada.id] == (Decimal("9.00"), 1) == recounted()[0][ada.id]


ORDER_TABLES = ("orders", "order_line")


def order_schema():
    """Every index and foreign key of the orders' and lines' tables."""
    return schema(ORDER_TABLES)


def lookups_of(key, monkeypatch) -> list[list]:
    """The values the orders' import looks ``key`` up by, a list a lookup,
    filled as the import runs."""
    looked_up, rows_in = [], imports_orders._rows_in

    def watched(field, values, *fields):
        if field is key:
            looked_up.append(list(values))
        return rows_in(field, values, *fields)

    monkeypatch.setattr(imports_orders, "_rows_in", watched)
    return looked_up


def order_indexes():
    """The orders' and lines' indexes and keys as the import's own
    transaction sees them."""
    db = models.db
    return sorted([(t, i.name) for t in ORDER_TABLES for i in db.get_indexes(t)]
                  + [(t, k.column, k.dest_table) for t in ORDER_TABLES for k in db.get_foreign_keys(t)])


@pytest.fixture
def big(monkeypatch):
    """Any file is big enough to set the orders' indexes aside."""
    from backroom.datalayer.imports import bulkload

    monkeypatch.setattr(bulkload, "MIN_ROWS", 1)


def test_a_big_orders_import_into_a_shop_without_orders_gives_the_rows_indexes_and_keys_of_one_row_at_a_time(
        shop, big, monkeypatch):
    """Into a shop without orders, on PostgreSQL, the orders' and lines'
    secondary indexes and the lines' key to their order are set aside while
    the rows go in (none of them is there in the import's transaction) and
    built again before it commits; no batch looks its order numbers up (the
    table was empty and is locked), and a number the file repeats is still
    refused.  The rows, counters, audit entries, indexes and keys are those
    of an import row by row; on every engine."""
    monkeypatch.setattr(imports_orders, "BATCH_ORDERS", 2)
    before, indexes = order_schema(), order_indexes()
    seen = []
    looked_up = lookups_of(models.Order.number, monkeypatch)
    rows = ["A1,ada@example.com,2024-01-01,complete,20.00,MUG,Mug,2,10.00",
            "A1,,,,,TEA,Tea,1,0.00",
            "B1,bob@example.com,2024-01-02,refunded,5.00,,,,",
            "A2,ada@example.com,2024-01-03,processing,7.50,TEA,Tea,1,7.50",
            "B1,bob@example.com,2024-01-04,complete,6.00,,,,",
            "X1,nobody@example.com,2024-01-04,complete,6.00,,,,"]
    path = _write(shop, "o.csv", HEAD + "\n".join(rows) + "\n")
    report = models.import_orders(path, progress=lambda done, size: seen.append(order_indexes()))
    assert report.summary() == "3 new, 0 changed, 0 unchanged, 2 rejected" and report.applied
    assert [(p.line, p.field) for p in report.problems] == [(6, "order_number"), (7, "customer_email")]
    during = {tuple(s) for s in seen[:-1]}  # (the last tick comes once the import is done)
    assert len(during) == 1
    if models.is_postgres():
        assert sorted(set(indexes) - set(next(iter(during)))) == [
            ("order_line", "order_id", "orders"), ("order_line", "order_line_order_id"),
            ("order_line", "order_line_product_id_order_id"), ("orders", "orders_customer_id_placed_at")]
    else:
        assert during == {tuple(indexes)}
    assert bool(looked_up) == models.is_sqlite()  # (MariaDB: an empty table, see the test below)
    assert order_schema() == before
    expected, stored = recounted()
    ada, bob = customer("ada@example.com"), customer("bob@example.com")
    assert stored == expected and stored[ada.id] == (Decimal("27.50"), 2) and stored[bob.id] == (Decimal("0.00"), 0)
    lines = sorted((line.order.number, line.product.sku, line.quantity, line.unit_price)
                   for line in models.OrderLine.select())
    assert lines == [("A1", "MUG", 2, Decimal("10.00")), ("A1", "TEA", 1, Decimal("0.00")),
                     ("A2", "TEA", 1, Decimal("7.50"))]
    assert models.AuditEntry.select().where(models.AuditEntry.action == "order.import").count() == 3
    # The keys set aside hold again: no line for an order that does not exist.
    with pytest.raises(pw.IntegrityError), models.db.atomic():
        models.OrderLine.insert(order=10_000, product=models.Product.get().id, quantity=1,
                                unit_price=Decimal(1)).execute()
    again = models.import_orders(path)
    assert again.summary() == "0 new, 0 changed, 3 unchanged, 2 rejected"


def test_a_big_orders_import_that_fails_or_is_cancelled_leaves_the_orders_and_their_indexes(shop, big):
    models.import_orders(_write(shop, "a.csv", HEAD + "A1,ada@example.com,2024-01-01,complete,20.00,MUG,Mug,2,10.00\n"))
    models.OrderLine.delete().execute()
    models.Order.delete().execute()  # a shop without orders, with its counters
    before, shop_counters = order_schema(), recounted()[1]
    audits = models.AuditEntry.select().count()
    path = _write(shop, "b.csv", HEAD + "B1,bob@example.com,2024-01-02,complete,5.00,MUG,Mug,1,5.00\n"
                                        "X1,nobody@example.com,2024-01-02,complete,5.00,,,,\n")
    seen = []
    report = models.import_orders(path, all_or_nothing=True, progress=lambda done, size: seen.append(order_indexes()))
    assert not report.applied and (len(seen[0]) < len(order_indexes())) == models.is_postgres()
    assert order_schema() == before and models.Order.select().count() == 0 and models.OrderLine.select().count() == 0
    assert recounted()[1] == shop_counters and models.AuditEntry.select().count() == audits
    with pytest.raises(models.ImportCancelled):
        models.import_orders(path, cancelled=lambda: True)
    assert order_schema() == before and models.Order.select().count() == 0
    assert recounted()[1] == shop_counters and models.AuditEntry.select().count() == audits


def test_a_shop_with_orders_imports_its_orders_row_by_row(shop, big, monkeypatch):
    from backroom.datalayer.imports import bulkload

    models.import_orders(_write(shop, "a.csv", HEAD + "".join(f"A{i},ada@example.com,2024-01-01,complete,1.00,,,,\n"
                                                              for i in range(30))))
    monkeypatch.setattr(bulkload, "MAX_SHARE", 10)
    indexes, seen = order_indexes(), []
    path = _write(shop, "b.csv", HEAD + "A1,ada@example.com,2024-01-01,complete,2.00,,,,\n"
                                        "B1,bob@example.com,2024-01-02,complete,5.00,,,,\n")
    report = models.import_orders(path, progress=lambda done, size: seen.append(order_indexes()))
    assert report.summary() == "1 new, 1 changed, 0 unchanged, 0 rejected"
    assert {tuple(s) for s in seen} == {tuple(indexes)}
    assert recounted()[0] == recounted()[1]


def test_numbers_ids_and_skus_with_quotes_backslashes_and_percents_are_looked_up_as_written(db_url, tmp_path):
    """The lookups of a batch write their keys out (on MariaDB, without
    PyMySQL's parameters): a quote, a backslash or a percent sign in an
    order number, a customer's id or a SKU is still that key, and a file
    imported again changes nothing."""
    models.import_customers(_write(tmp_path, "c.csv", 'external_id,email,first_name\n'
                                                      '"C\'1\\%s",ada@example.com,Ada\n'), fmt="backroom")
    ada = customer("ada@example.com")
    assert ada.external_id == "C'1\\%s"
    path = _write(tmp_path, "o.csv", "order_number,customer_external_id,status,total,sku,product_name,quantity,"
                                     "unit_price\n"
                                     "\"N'1\\%s\",\"C'1\\%s\",complete,2.00,\"M'%\\\",Mug,1,2.00\n"
                                     "N2%%,\"C'1\\%s\",complete,3.00,,,,\n")
    assert models.import_orders(path).summary() == "2 new, 0 changed, 0 unchanged, 0 rejected"
    assert sorted(o.number for o in models.Order.select()) == ["N'1\\%s", "N2%%"]
    assert [p.sku for p in models.Product.select()] == ["M'%\\"]
    assert models.import_orders(path).summary() == "0 new, 0 changed, 2 unchanged, 0 rejected"
    path.write_text(path.read_text().replace("complete,3.00", "refunded,3.00"))
    assert models.import_orders(path).summary() == "0 new, 1 changed, 1 unchanged, 0 rejected"
    assert (customer("ada@example.com").total_spent, customer("ada@example.com").order_count) == (Decimal("2.00"), 1)
    assert models.Product.select().count() == 1
    if models.is_mysql():  # a session without backslash escapes: the keys go as parameters
        mode = models.db.execute_sql("SELECT @@SESSION.sql_mode").fetchone()[0]
        models.db.execute_sql("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')")
        try:
            assert models.import_orders(path).summary() == "0 new, 0 changed, 2 unchanged, 0 rejected"
        finally:
            models.db.execute_sql("SET SESSION sql_mode = %s", (mode,))


@pytest.mark.servers
def test_an_order_placed_with_a_number_of_the_file_while_it_is_imported_into_a_shop_without_orders(
        shop, big, monkeypatch):
    """Into a shop without orders no batch looks its numbers up.  On
    MariaDB nothing stops another admin from adding an order meanwhile: when
    the database then refuses the file's order of that number, the import
    runs again, looking the numbers up, and finds it (another customer's
    order: rejected) instead of failing.  On PostgreSQL the import locks the
    orders' table: the other admin waits for it, then finds the number
    taken.  (SQLite has one writer at a time: the test is not run there.)"""
    monkeypatch.setattr(imports_orders, "BATCH_ORDERS", 1)
    path = _write(shop, "o.csv", HEAD + "B1,ada@example.com,2024-01-01,complete,20.00,,,,\n"
                                        "B2,ada@example.com,2024-01-02,complete,5.00,,,,\n")
    bob = customer("bob@example.com")
    outcome: list = []
    threads: list[threading.Thread] = []

    def other_admin():
        try:
            outcome.append(models.Order.create(customer=bob.id, number="B2", total=Decimal("7.00")).id)
        except pw.IntegrityError as exc:
            outcome.append(exc)
        finally:
            models.release_connection()

    def progress(done, size):
        if done and not threads:  # the second batch, B2, before it is written
            threads.append(threading.Thread(target=other_admin))
            threads[0].start()
            threads[0].join(2)

    report = models.import_orders(path, progress=progress)
    threads[0].join(10)
    assert report.applied and len(outcome) == 1
    ada = customer("ada@example.com")
    if models.is_postgres():
        assert report.summary() == "2 new, 0 changed, 0 unchanged, 0 rejected"
        assert isinstance(outcome[0], pw.IntegrityError)
        assert models.Order.get(models.Order.number == "B2").customer_id == ada.id
        return
    assert report.summary() == "1 new, 0 changed, 0 unchanged, 1 rejected"
    assert [(p.line, p.message) for p in report.problems] == [(3, "already the number of another customer's order")]
    assert models.Order.get(models.Order.number == "B2").id == outcome[0]
    assert recounted()[1][ada.id] == (Decimal("20.00"), 1) == recounted()[0][ada.id]


def test_a_sku_is_looked_up_once_an_import(shop, monkeypatch):
    """A batch looks up only the SKUs no earlier batch's lines named (or
    created): the lines written hold their product (on a server the
    foreign key's lock, which also keeps its unique SKU from changing)."""
    monkeypatch.setattr(imports_orders, "BATCH_ORDERS", 1)
    mug = models.create_product("MUG", "Mug", models.create_category("Kitchen", "kitchen").id, "10.00")
    looked_up = lookups_of(models.Product.sku, monkeypatch)
    rows = ["A1,ada@example.com,2024-01-01,complete,10.00,MUG,Mug,1,10.00",
            "A2,ada@example.com,2024-01-02,complete,12.00,MUG,Mug,1,10.00",
            "A2,,,,,TEA,Tea,1,2.00",
            "B1,bob@example.com,2024-01-03,complete,12.00,TEA,Tea,1,2.00",
            "B1,,,,,MUG,Mug,1,10.00"]
    report = models.import_orders(_write(shop, "o.csv", HEAD + "\n".join(rows) + "\n"))
    assert report.summary() == "3 new, 0 changed, 0 unchanged, 0 rejected"
    assert looked_up == [["MUG"], ["TEA"]]
    lines = sorted((line.order.number, line.product_id) for line in models.OrderLine.select())
    tea = models.Product.get(models.Product.name == "Tea").id
    assert lines == [("A1", mug.id), ("A2", mug.id), ("A2", tea), ("B1", mug.id), ("B1", tea)]
    assert models.Product.select().count() == 2
