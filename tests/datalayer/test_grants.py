"""What a group grants (visibility, price, tax class), rules, and the outbox."""

from __future__ import annotations

import csv
import datetime as dt
import mailbox
from decimal import Decimal

import pytest

from backroom import main
from backroom import models
from backroom.models import Selection

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def shop(database):
    coffee = models.Category.create(name="Coffee", slug="coffee")
    sacks = models.Category.create(name="Wholesale sacks", slug="sacks", restricted=True)
    beans = models.Product.create(sku="B1", name="Beans", category=coffee, price=Decimal("20.00"))
    sack = models.Product.create(sku="S1", name="Green coffee 30 kg", category=sacks, price=Decimal("300.00"))
    wholesale = models.get_group_by_code("wholesale")
    wholesale = models.update_group(wholesale.id, {"discount_percent": "10"}, expected_version=wholesale.version)[0]
    models.set_category_access(wholesale.id, [sacks.id])
    vip, _ = models.create_group({"code": "vip", "name": "VIP", "discount_percent": "12", "free_shipping": True})
    reduced = models.TaxClass.create(name="Reduced", rate_percent=Decimal("5"))
    models.update_group(vip.id, {"tax_class_id": reduced.id}, expected_version=vip.version)
    plain = models.create_customer({"first_name": "Pat", "email": "pat@example.com"})
    trade = models.create_customer({"first_name": "Tra", "email": "trade@example.com"}, group_id=wholesale.id)
    both = models.create_customer({"first_name": "Bo", "email": "both@example.com"}, group_id=wholesale.id)
    models.assign_customers(vip.id, Selection.ids([both.id]))
    return dict(coffee=coffee, sacks=sacks, beans=beans, sack=sack, wholesale=wholesale, vip=models.get_group(vip.id),
                plain=plain, trade=trade, both=both)


# -- visibility --------------------------------------------------------------

def test_restricted_category_is_visible_only_to_ticked_groups(shop):
    assert models.explain(shop["plain"].id, product_id=shop["sack"].id).visible is False
    assert models.explain(shop["trade"].id, product_id=shop["sack"].id).visible is True
    assert models.explain(shop["plain"].id, product_id=shop["beans"].id).visible is True
    assert models.explain(None, category_id=shop["sacks"].id).visible is False


def test_guest_ticks_decide_what_visitors_see(shop):
    guest = models.guest_group()
    models.set_category_access(guest.id, [shop["sacks"].id])
    e = models.explain(None, product_id=shop["sack"].id)
    assert e.visible and "Guest" in e.visibility_reason
    assert models.explain(shop["plain"].id, product_id=shop["sack"].id).visible is False
    # Guest itself stays locked.
    with pytest.raises(models.LockedError):
        models.set_category_discount(guest.id, shop["coffee"].id, "5")


def test_unrestricting_a_category_opens_it_to_everyone(shop):
    models.set_category_restricted(shop["sacks"].id, False)
    assert models.explain(shop["plain"].id, product_id=shop["sack"].id).visible is True



def test_group_save_sets_access_and_discounts_in_one_transaction(shop):
    coffee, sacks = shop["coffee"].id, shop["sacks"].id
    g, _ = models.create_group({"code": "trade", "name": "Trade"}, access=[sacks], discounts={coffee: "7.5"})
    assert models.group_category_access(g.id) == {sacks}
    assert models.category_discounts(g.id) == {coffee: Decimal("7.5")}
    g, _, _ = models.update_group(g.id, {"name": "Trade 2"}, expected_version=g.version, access=[],
                                  discounts={coffee: "", sacks: "3"})
    assert models.group_category_access(g.id) == set()
    assert models.category_discounts(g.id) == {sacks: Decimal("3")}
    # A bad discount is refused, naming the category, and nothing is written.
    with pytest.raises(models.ValidationError) as err:
        models.update_group(g.id, {"name": "Trade 3"}, expected_version=g.version, access=[sacks],
                            discounts={coffee: "150"})
    assert f"category_discounts[{coffee}]" in err.value.errors
    assert models.get_group(g.id).name == "Trade 2" and models.group_category_access(g.id) == set()
    # A failure after the group is written (an unknown category) rolls it all back.
    with pytest.raises(models.BackroomError):
        models.create_group({"code": "ghost", "name": "Ghost"}, access=[sacks], discounts={999999: "5"})
    assert not models.CustomerGroup.select().where(models.CustomerGroup.code == "ghost").exists()
    with pytest.raises(models.ValidationError):
        models.update_group(g.id, {"name": "Trade 4"}, expected_version=g.version, access=[999999])
    assert models.get_group(g.id).name == "Trade 2"

# -- price -----------------------------------------------------------------------

def test_group_discount_and_price(shop):
    e = models.explain(shop["trade"].id, product_id=shop["beans"].id)
    assert (e.base_price, e.discount_percent, e.price, e.discount_group) == (
        Decimal("20.00"), Decimal("10"), Decimal("18.00"), "Wholesale")
    e = models.explain(shop["plain"].id, product_id=shop["beans"].id)
    assert (e.discount_percent, e.price, e.discount_group) == (0, Decimal("20.00"), None)


def test_category_discount_replaces_the_group_discount(shop):
    models.set_category_discount(shop["wholesale"].id, shop["coffee"].id, "15")
    e = models.explain(shop["trade"].id, product_id=shop["beans"].id)
    assert (e.discount_percent, e.price) == (Decimal("15"), Decimal("17.00"))  # not 10 + 15
    assert "replaces" in e.discount_reason
    # A lower category discount also replaces: 5 %, not the group's 10 %.
    models.set_category_discount(shop["wholesale"].id, shop["coffee"].id, "5")
    assert models.explain(shop["trade"].id, product_id=shop["beans"].id).discount_percent == 5
    # Other categories keep the group discount.
    assert models.explain(shop["trade"].id, product_id=shop["sack"].id).discount_percent == 10
    models.set_category_discount(shop["wholesale"].id, shop["coffee"].id, None)
    assert models.explain(shop["trade"].id, product_id=shop["beans"].id).discount_percent == 10
    with pytest.raises(models.ValidationError):
        models.set_category_discount(shop["wholesale"].id, shop["coffee"].id, "101")


def test_several_groups_get_the_best_discount(shop):
    e = models.explain(shop["both"].id, product_id=shop["beans"].id)
    assert (e.discount_percent, e.discount_group, e.price) == (Decimal("12"), "VIP", Decimal("17.60"))
    assert "best" in e.discount_reason and e.groups[0] == "Wholesale"  # default group first
    models.set_category_discount(shop["wholesale"].id, shop["coffee"].id, "20")
    e = models.explain(shop["both"].id, product_id=shop["beans"].id)
    assert (e.discount_percent, e.discount_group) == (Decimal("20"), "Wholesale")


def test_tie_goes_to_the_default_group(shop):
    vip = shop["vip"]
    models.update_group(vip.id, {"discount_percent": "10"}, expected_version=vip.version)
    e = models.explain(shop["both"].id, product_id=shop["beans"].id)
    assert e.discount_group == "Wholesale"  # default group of "both"


def test_tax_class_comes_from_the_default_group_unless_exempt(shop):
    e = models.explain(shop["both"].id, product_id=shop["beans"].id)
    assert e.tax_class == "Standard" and "Wholesale" in e.tax_reason
    both = models.get_customer(shop["both"].id)
    models.set_default_group(both.id, shop["vip"].id, expected_version=both.version)
    assert models.explain(both.id, product_id=shop["beans"].id).tax_class == "Reduced"
    both = models.get_customer(both.id)
    models.update_customer(both.id, {"tax_exempt": True}, expected_version=both.version)
    e = models.explain(both.id, product_id=shop["beans"].id)
    assert e.tax_class is None and "exempt" in e.tax_reason


def test_free_shipping_from_any_group(shop):
    assert models.explain(shop["both"].id, product_id=shop["beans"].id).free_shipping is True
    assert models.explain(shop["trade"].id, product_id=shop["beans"].id).free_shipping is False


def test_hidden_groups_grant_but_are_never_shown_to_customers(shop):
    vip = shop["vip"]
    models.update_group(vip.id, {"hidden": True}, expected_version=vip.version)
    both = shop["both"].id
    assert models.customer_facing_groups(both) == ["Wholesale"]
    e = models.explain(both, product_id=shop["beans"].id)
    assert e.discount_group == "VIP" and "VIP (hidden)" in e.groups
    # Joining or leaving a hidden group queues no notification.
    before = models.outbox_count()
    models.assign_customers(vip.id, Selection.ids([shop["plain"].id]))
    models.unassign_customers(vip.id, Selection.all())
    assert models.outbox_count() == before


# -- rules -------------------------------------------------------------------------

@pytest.fixture
def customers(database):
    made = {}
    for name, reg, spent, orders, country in [
        ("old_big", dt.datetime(2022, 1, 1), "900", 9, "GB"),
        ("old_small", dt.datetime(2022, 6, 1), "20", 1, "DE"),
        ("new_big", dt.datetime(2026, 10, 1), "500", 4, "GB"),
        ("new_none", dt.datetime(2026, 11, 1), "0", 0, "FR"),
    ]:
        c = models.create_customer({"first_name": name, "email": f"{name}@example.com"}, registered_at=reg,
                                   billing={"line1": "1 Road", "country": country})
        models.Customer.update(total_spent=Decimal(spent), order_count=orders).where(models.Customer.id == c.id).execute()
        made[name] = c.id
    return made


def members(code: str) -> set[int]:
    g = models.get_group_by_code(code)
    return {m.customer_id for m in models.Membership.select().where(models.Membership.group == g.id)}


def test_rules_all_and_any(customers):
    g, _ = models.create_group({"code": "loyal", "name": "Loyal"})
    models.set_rules(g.id, "all", [{"field": "total_spent", "op": ">=", "value": "100"},
                                   {"field": "country", "op": "=", "value": "gb"}])
    models.apply_rules(g.id, today=TODAY)
    assert members("loyal") == {customers["old_big"], customers["new_big"]}
    models.set_rules(g.id, "any", [{"field": "order_count", "op": ">=", "value": "9"},
                                   {"field": "registered", "op": "within", "value": "last 3 months"}])
    result = models.apply_rules(g.id, today=TODAY)[0]
    assert members("loyal") == {customers["old_big"], customers["new_big"], customers["new_none"]}
    assert (result.joining, result.leaving) == (1, 0)


def test_relative_dates_are_read_at_a_fixed_today(customers):
    g, _ = models.create_group({"code": "recent", "name": "Recent"})
    models.set_rules(g.id, "all", [{"field": "registered", "op": "within", "value": "6 months"}])
    models.apply_rules(g.id, today=TODAY)
    assert members("recent") == {customers["new_big"], customers["new_none"]}
    models.apply_rules(g.id, today=dt.date(2027, 4, 15))  # six months later, new_big has aged out
    assert members("recent") == {customers["new_none"]}
    models.set_rules(g.id, "all", [{"field": "registered", "op": "before", "value": "1 March 2022"}])
    models.apply_rules(g.id, today=TODAY)
    assert members("recent") == {customers["old_big"]}


def test_preview_equals_apply(customers):
    g, _ = models.create_group({"code": "big", "name": "Big"})
    models.assign_customers(g.id, Selection.ids([customers["old_small"]]))  # by hand
    models.set_rules(g.id, "all", [{"field": "total_spent", "op": ">=", "value": "400"}])
    models.apply_rules(g.id, today=TODAY)
    models.set_rules(g.id, "all", [{"field": "total_spent", "op": ">=", "value": "600"},
                                   {"field": "status", "op": "=", "value": "active"}])
    preview = models.preview_rules(g.id, today=TODAY)
    assert (preview.joining, preview.leaving) == (0, 1)
    assert [r.first_name for r in preview.sample_leaving] == ["new_big"]
    dry = models.apply_rules(g.id, today=TODAY, dry_run=True)[0]
    assert (dry.joining, dry.leaving) == (0, 1) and members("big") == {
        customers["old_big"], customers["new_big"], customers["old_small"]}
    applied = models.apply_rules(g.id, today=TODAY)[0]
    assert (applied.joining, applied.leaving) == (preview.joining, preview.leaving)
    # The hand-added member stays although no rule matches them.
    assert members("big") == {customers["old_big"], customers["old_small"]}
    sources = {m.customer_id: m.source for m in models.Membership.select().where(models.Membership.group == g.id)}
    assert sources == {customers["old_big"]: "rule", customers["old_small"]: "manual"}


@pytest.mark.parametrize("rule, key", [
    ({"field": "age", "op": ">=", "value": "3"}, "rules[0]"),
    ({"field": "total_spent", "op": "=", "value": "3"}, "rules[0]"),
    ({"field": "total_spent", "op": ">=", "value": "lots"}, "rules[0]"),
    ({"field": "order_count", "op": ">=", "value": "-1"}, "rules[0]"),
    ({"field": "registered", "op": "within", "value": "a while"}, "rules[0]"),
    ({"field": "registered", "op": "before", "value": "someday"}, "rules[0]"),
    ({"field": "country", "op": "=", "value": "Germany"}, "rules[0]"),
    ({"field": "status", "op": "=", "value": "asleep"}, "rules[0]"),
])
def test_bad_rules_are_refused_naming_the_rule(database, rule, key):
    g, _ = models.create_group({"code": "x", "name": "X"})
    with pytest.raises(models.ValidationError) as exc:
        models.set_rules(g.id, "all", [rule])
    assert key in exc.value.errors
    assert models.get_rules(g.id) == ("all", [])


def test_guest_takes_no_rules(database):
    with pytest.raises(models.LockedError):
        models.set_rules(models.guest_group().id, "all", [{"field": "status", "op": "=", "value": "active"}])


# -- outbox ------------------------------------------------------------------------

def test_joins_and_leaves_queue_notifications_and_export(customers, tmp_path):
    g, _ = models.create_group({"code": "club", "name": "Club"}, members=Selection.ids([customers["old_big"]]))
    models.set_rules(g.id, "all", [{"field": "country", "op": "=", "value": "GB"}])
    models.apply_rules(g.id, today=TODAY)  # new_big joins by rule
    models.unassign_customers(g.id, Selection.ids([customers["old_big"]]))
    rows = models.outbox()
    assert [(r.name, r.group, r.event, r.source) for r in rows] == [
        ("old_big", "Club", "joined", "manual"), ("new_big", "Club", "joined", "rule"),
        ("old_big", "Club", "left", "manual")]
    # A list's window reads them by position, from either end.
    assert models.outbox_page(offset=1, limit=5) == rows[1:]
    assert models.outbox_page(offset=0, limit=2, newest_first=True) == rows[::-1][:2]
    out = tmp_path / "outbox.csv"
    assert models.export_outbox(out) == 3
    lines = list(csv.reader(out.open()))
    assert lines[0][:3] == ["id", "customer_id", "name"] and len(lines) == 4
    assert models.outbox_count() == 0 and models.outbox_count(include_exported=True) == 3
    assert models.export_outbox(tmp_path / "again.csv") == 0 and not (tmp_path / "again.csv").exists()
    models.assign_customers(g.id, Selection.ids([customers["old_small"]]))
    box_path = tmp_path / "outbox.mbox"
    assert models.export_outbox(box_path, fmt="mbox") == 1
    messages = list(mailbox.mbox(str(box_path)))
    assert messages[0]["To"] == "old_small@example.com" and "joined Club" in messages[0]["Subject"]


# -- the cron command --------------------------------------------------------------

@pytest.fixture
def cli_db(tmp_path):
    """The command line's own SQLite database (the operations above run on every engine)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.connect(url)
    for name, country in [("uk1", "GB"), ("uk2", "GB"), ("de", "DE")]:
        models.create_customer({"first_name": name, "email": f"{name}@example.com"},
                               billing={"line1": "1 Road", "country": country})
    yield url
    models.db.close()


def test_rules_apply_command(cli_db, capsys, tmp_path):
    g, _ = models.create_group({"code": "gb", "name": "GB"})
    models.set_rules(g.id, "all", [{"field": "country", "op": "=", "value": "GB"}])

    def run(*argv):
        try:
            code = main.main(["--db", cli_db, *argv])
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    assert run("rules", "apply", "--dry-run") == (0, "gb: 2 would join, 0 would leave\n", "")
    assert members("gb") == set()
    assert run("rules", "apply", "--group", "gb") == (0, "gb: 2 joined, 0 left\n", "")
    assert run("rules", "apply") == (0, "gb: 0 joined, 0 left\n", "")
    code, _, err = run("rules", "apply", "--group", "nope")
    assert code == 1 and "No customer group with code 'nope'" in err
    code, _, err = run("rules", "apply", "--group", "wholesale")
    assert code == 1 and "has no rules" in err
    code, _, err = run("rules", "aply")
    assert code == 2 and len(err.strip().splitlines()) == 1
    # Writing to a folder that does not exist fails in one line and keeps the queue.
    code, _, err = run("outbox", "export", str(tmp_path / "missing" / "x.csv"))
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert models.outbox_count() == 2
    code, out, _ = run("outbox", "export", str(tmp_path / "out.csv"))
    assert code == 0 and "Exported 2 notifications" in out
    assert run("outbox", "export", str(tmp_path / "again.csv"))[1] == "The outbox is empty: nothing exported.\n"
