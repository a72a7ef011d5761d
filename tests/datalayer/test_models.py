"""The data layer's rules, on every configured engine."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from decimal import Decimal

import peewee as pw
import pytest
from backroom import models
from backroom.datalayer.groups import _group_snapshot
from backroom.models import CustomerFilter, Selection
from backroom.tui.formatters import percent

TODAY = dt.date(2026, 11, 23)


def make_customers(n: int, *, prefix: str = "cust", **extra) -> list[models.Customer]:
    return [models.create_customer({"first_name": f"First{i}", "last_name": f"Last{i}",
                                    "email": f"{prefix}{i}@example.com", **extra})
            for i in range(n)]


def audit_count(action: str | None = None) -> int:
    q = models.AuditEntry.select()
    if action:
        q = q.where(models.AuditEntry.action == action)
    return q.count()


# -- fresh database ----------------------------------------------------------

def test_fresh_database_has_default_groups_and_tax_class(database):
    groups = {g.code: g for g in models.CustomerGroup.select()}
    assert set(groups) == {"general", "guest", "wholesale"}
    assert groups["guest"].is_system and not groups["general"].is_system
    assert not groups["wholesale"].is_system
    assert models.TaxClass.select().count() == 1
    assert models.schema_version() == models.SCHEMA_VERSION


# -- groups: validation -------------------------------------------------------

@pytest.mark.parametrize("data, field", [
    ({"code": "vip", "name": ""}, "name"),
    ({"code": "", "name": "VIP"}, "code"),
    ({"code": "Not a slug!", "name": "VIP"}, "code"),
    ({"code": "x" * 33, "name": "VIP"}, "code"),
    ({"code": "vip", "name": "VIP", "discount_percent": "101"}, "discount_percent"),
    ({"code": "vip", "name": "VIP", "discount_percent": "-1"}, "discount_percent"),
    ({"code": "vip", "name": "VIP", "discount_percent": "ten"}, "discount_percent"),
    ({"code": "vip", "name": "VIP", "discount_percent": "NaN"}, "discount_percent"),
    ({"code": "vip", "name": "VIP", "tax_class_id": 999}, "tax_class_id"),
    ({"code": "vip", "name": "V\x1b[31mIP"}, "name"),
])
def test_create_group_rejects_bad_input_naming_the_field(database, data, field):
    before = (models.CustomerGroup.select().count(), audit_count())
    with pytest.raises(models.ValidationError) as exc:
        models.create_group(data)
    assert field in exc.value.errors
    assert (models.CustomerGroup.select().count(), audit_count()) == before


def test_group_code_is_unique_and_normalised(database):
    models.create_group({"code": "VIP", "name": "VIP"})
    assert models.get_group_by_code("vip").name == "VIP"
    with pytest.raises(models.ValidationError) as exc:
        models.create_group({"code": "vip", "name": "Other"})
    assert "code" in exc.value.errors and "already used" in exc.value.errors["code"]
    assert models.CustomerGroup.select().where(models.CustomerGroup.code == "vip").count() == 1


def test_discount_bounds_are_inclusive(database):
    g0, _ = models.create_group({"code": "zero", "name": "Zero", "discount_percent": "0"})
    g1, _ = models.create_group({"code": "all", "name": "All", "discount_percent": "100"})
    assert models.get_group(g0.id).discount_percent == 0
    assert models.get_group(g1.id).discount_percent == 100


def test_group_code_cannot_change(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    with pytest.raises(models.ValidationError) as exc:
        models.update_group(g.id, {"code": "other"}, expected_version=g.version)
    assert "code" in exc.value.errors
    assert models.get_group(g.id).code == "vip"


def test_update_group_changes_fields_and_audits(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"}, actor="alice")
    g2, _, _ = models.update_group(g.id, {"name": "Very Important", "discount_percent": "12.5",
                                          "free_shipping": True, "hidden": True},
                                   expected_version=g.version, actor="bob")
    assert (g2.name, g2.discount_percent, g2.free_shipping, g2.hidden) == (
        "Very Important", Decimal("12.5"), True, True)
    assert g2.version == g.version + 1
    entry = models.AuditEntry.get(models.AuditEntry.action == "group.update")
    assert entry.actor == "bob"
    assert entry.before_data()["name"] == "VIP" and entry.after_data()["name"] == "Very Important"


# -- groups: Guest is locked -------------------------------------------------

def test_guest_refuses_every_change(database):
    guest = models.guest_group()
    snapshot = _group_snapshot(guest)
    customers = make_customers(2)
    with pytest.raises(models.LockedError):
        models.update_group(guest.id, {"name": "Visitors"}, expected_version=guest.version)
    with pytest.raises(models.LockedError):
        models.update_group(guest.id, {"discount_percent": "5"}, expected_version=guest.version)
    with pytest.raises(models.LockedError):
        models.delete_group(guest.id)
    with pytest.raises(models.LockedError):
        models.assign_customers(guest.id, Selection.ids([c.id for c in customers]))
    with pytest.raises(models.LockedError):
        models.unassign_customers(guest.id, Selection.all())
    with pytest.raises(models.LockedError):
        models.create_customer({"first_name": "A", "email": "a@guest.example"}, group_id=guest.id)
    assert _group_snapshot(models.guest_group()) == snapshot
    assert models.group_member_count(guest.id) == 0


def test_general_cannot_be_deleted(database):
    with pytest.raises(models.LockedError):
        models.delete_group(models.general_group().id)


# -- groups: delete ----------------------------------------------------------

def test_delete_group_removes_memberships_and_falls_back_to_general(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    a, b = make_customers(2)
    c = models.create_customer({"first_name": "C", "email": "c@example.com"}, group_id=g.id)
    models.assign_customers(g.id, Selection.ids([a.id]))
    # c was never in General: its default group was VIP.
    models.Membership.delete().where((models.Membership.customer == c.id)
                                     & (models.Membership.group == models.general_group().id)).execute()
    removed = models.delete_group(g.id)
    assert removed == 2
    assert models.CustomerGroup.get_or_none(models.CustomerGroup.id == g.id) is None
    assert models.Membership.select().where(models.Membership.group == g.id).count() == 0
    general = models.general_group()
    c = models.get_customer(c.id)
    assert c.default_group_id == general.id
    assert general.id in {grp.id for grp in models.customer_groups(c.id)}
    entry = models.AuditEntry.get(models.AuditEntry.action == "group.delete")
    assert entry.after_data()["memberships_removed"] == 2
    assert b.id  # b untouched
    assert [grp.code for grp in models.customer_groups(b.id)] == ["general"]


def test_delete_group_is_all_or_nothing(database, monkeypatch):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    customers = make_customers(3)
    models.assign_customers(g.id, Selection.ids([c.id for c in customers]))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(models.AuditEntry, "create", boom)  # the audit write fails
    with pytest.raises(RuntimeError):
        models.delete_group(g.id)
    assert models.get_group(g.id).code == "vip"
    assert models.group_member_count(g.id) == 3


# -- groups: concurrent edits ------------------------------------------------

def test_second_of_two_concurrent_saves_is_refused(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    opened_by_alice = models.get_group(g.id)
    opened_by_bob = models.get_group(g.id)
    models.update_group(g.id, {"name": "Alice's name"}, expected_version=opened_by_alice.version)
    with pytest.raises(models.ConflictError) as exc:
        models.update_group(g.id, {"name": "Bob's name"}, expected_version=opened_by_bob.version)
    assert "someone else changed" in str(exc.value).lower()
    assert models.get_group(g.id).name == "Alice's name"


def test_conflicting_save_writes_no_members(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    customers = make_customers(3)
    stale = g.version
    models.update_group(g.id, {"name": "New"}, expected_version=stale)
    with pytest.raises(models.ConflictError):
        models.update_group(g.id, {"name": "Mine"}, expected_version=stale,
                            members=Selection.ids([c.id for c in customers]))
    assert models.group_member_count(g.id) == 0


def test_bulk_membership_change_bumps_version(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    make_customers(2)
    models.assign_customers(g.id, Selection.all())
    with pytest.raises(models.ConflictError):
        models.update_group(g.id, {"name": "Stale"}, expected_version=g.version)


# -- customers ---------------------------------------------------------------

def test_create_customer_lands_in_general(database):
    c = models.create_customer({"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com"})
    assert c.default_group_id == models.general_group().id
    assert [g.code for g in models.customer_groups(c.id)] == ["general"]
    assert c.email == "Ada@Example.com" and c.email_key == "ada@example.com"
    assert audit_count("customer.create") == 1


@pytest.mark.parametrize("data, field", [
    ({"first_name": "A", "email": ""}, "email"),
    ({"first_name": "A", "email": "not-an-email"}, "email"),
    ({"first_name": "A", "email": "a@b.c\x07"}, "email"),
    ({"first_name": "A" * 101, "email": "a@example.com"}, "first_name"),
    ({"first_name": "", "last_name": "", "email": "a@example.com"}, "first_name"),
    ({"first_name": "A\x00", "email": "a@example.com"}, "first_name"),
])
def test_create_customer_rejects_bad_input(database, data, field):
    before = (models.Customer.select().count(), audit_count())
    with pytest.raises(models.ValidationError) as exc:
        models.create_customer(data)
    assert field in exc.value.errors
    assert (models.Customer.select().count(), audit_count()) == before


def test_email_is_unique_whatever_its_case(database):
    models.create_customer({"first_name": "A", "email": "same@example.com"})
    with pytest.raises(models.ValidationError) as exc:
        models.create_customer({"first_name": "B", "email": "  SAME@Example.COM "})
    assert "email" in exc.value.errors
    other = models.create_customer({"first_name": "C", "email": "other@example.com"})
    with pytest.raises(models.ValidationError):
        models.update_customer(other.id, {"email": "Same@example.com"}, expected_version=other.version)
    assert models.Customer.select().count() == 2


def test_email_uniqueness_is_enforced_by_the_database_too(database):
    models.create_customer({"first_name": "A", "email": "dup@example.com"})
    with pytest.raises(pw.IntegrityError):
        with models.db.atomic():
            models.Customer.insert(first_name="X", last_name="", email="DUP@example.com",
                                   email_key="dup@example.com", name_key="x", last_key="",
                                   default_group=models.general_group().id).execute()


def test_update_and_disable_customer(database):
    c = models.create_customer({"first_name": "Ada", "last_name": "L", "email": "ada@example.com"})
    c = models.update_customer(c.id, {"last_name": "Lovelace", "phone": "+44 20 7946 0001"}, expected_version=c.version)
    assert (c.last_name, c.name_key, c.phone) == ("Lovelace", "ada lovelace", "+44 20 7946 0001")
    c = models.disable_customer(c.id)
    assert c.status == "disabled"
    assert audit_count("customer.update") == 2


def test_customer_concurrent_edit_is_refused(database):
    c = models.create_customer({"first_name": "Ada", "email": "ada@example.com"})
    models.update_customer(c.id, {"phone": "555 0101"}, expected_version=c.version)
    with pytest.raises(models.ConflictError):
        models.update_customer(c.id, {"phone": "555 0102"}, expected_version=c.version)
    assert models.get_customer(c.id).phone == "555 0101"


# -- search, filter, paging --------------------------------------------------

@pytest.fixture
def shop(database):
    """A handful of customers with known names, dates, spend and groups."""
    wholesale = models.get_group_by_code("wholesale")
    rows = [
        ("Ada", "Lovelace", "ada@example.com", dt.datetime(2024, 1, 10), "active", None),
        ("Alan", "Turing", "alan@example.org", dt.datetime(2024, 3, 1, 12), "active", wholesale.id),
        ("Grace", "Hopper", "grace@navy.example", dt.datetime(2024, 6, 30), "disabled", None),
        ("Smith", "Jones", "sj@example.com", dt.datetime(2025, 2, 1), "active", None),
        ("Bob", "Smithson", "bob@example.com", dt.datetime(2025, 5, 5), "active", wholesale.id),
    ]
    out = {}
    for first, last, email, reg, status, group in rows:
        c = models.create_customer({"first_name": first, "last_name": last, "email": email},
                                   registered_at=reg, group_id=group)
        if status != "active":
            models.disable_customer(c.id)
        out[first] = c
    cat = models.Category.create(name="Coffee", slug="coffee")
    p = models.Product.create(sku="C1", name="Beans", category=cat, price=Decimal("10.00"))
    models.place_order(out["Alan"].id, [(p.id, 3)])
    models.place_order(out["Alan"].id, [(p.id, 2)])
    models.place_order(out["Grace"].id, [(p.id, 1)])
    return out


def names(rows) -> list[str]:
    return [r.first_name for r in rows]


def test_text_filter_matches_name_and_email_prefixes_ignoring_case(shop):
    assert sorted(names(models.customer_page(CustomerFilter(text="SMITH")))) == ["Bob", "Smith"]
    assert names(models.customer_page(CustomerFilter(text="grace@"))) == ["Grace"]
    assert names(models.customer_page(CustomerFilter(text="alan tu"))) == ["Alan"]
    assert models.count_customers(CustomerFilter(text="zzz")) == 0
    # LIKE wildcards in the text are literal.
    assert models.count_customers(CustomerFilter(text="%")) == 0
    assert models.count_customers(CustomerFilter(text="_")) == 0


def test_filters_combine(shop):
    wholesale = models.get_group_by_code("wholesale")
    assert names(models.customer_page(CustomerFilter(status="disabled"))) == ["Grace"]
    assert sorted(names(models.customer_page(CustomerFilter(group_id=wholesale.id)))) == ["Alan", "Bob"]
    f = CustomerFilter(registered_from=dt.date(2024, 3, 1), registered_to=dt.date(2024, 6, 30))
    assert names(models.customer_page(f, sort="registered")) == ["Alan", "Grace"]
    assert names(models.customer_page(CustomerFilter(spent_min=Decimal("20")))) == ["Alan"]
    assert names(models.customer_page(CustomerFilter(spent_min=Decimal("1"), spent_max=Decimal("10")))) == ["Grace"]
    assert models.count_customers(CustomerFilter(status="active", group_id=wholesale.id,
                                                 registered_from=dt.date(2025, 1, 1))) == 1


def test_build_filter_reads_what_admins_type(shop):
    f = models.build_filter(registered_from="1 March 2024", registered_to="2024-06-30", spent_min="1,000",
                            group="Wholesale", status="Active", today=TODAY)
    assert f.registered_from == dt.date(2024, 3, 1) and f.registered_to == dt.date(2024, 6, 30)
    assert f.spent_min == Decimal("1000") and f.status == "active"
    assert f.group_id == models.get_group_by_code("wholesale").id
    with pytest.raises(models.ValidationError) as exc:
        models.build_filter(registered_from="the day after never", spent_max="lots", group="nope",
                            status="sleepy")
    assert set(exc.value.errors) == {"registered_from", "spent_max", "group", "status"}
    assert "Cannot understand the date" in exc.value.errors["registered_from"]


def test_paging_sorting_and_count(shop):
    all_rows = models.customer_page(sort="name")
    assert [r.last_name for r in all_rows] == ["Hopper", "Jones", "Lovelace", "Smithson", "Turing"]
    desc = models.customer_page(sort="name", descending=True)
    assert [r.last_name for r in desc] == ["Turing", "Smithson", "Lovelace", "Jones", "Hopper"]
    page2 = models.customer_page(sort="name", offset=2, limit=2)
    assert [r.last_name for r in page2] == ["Lovelace", "Smithson"]
    assert models.count_customers() == 5
    by_spent = models.customer_page(sort="total_spent", descending=True, limit=1)[0]
    assert (by_spent.first_name, by_spent.total_spent, by_spent.order_count) == ("Alan", Decimal("50.00"), 2)
    assert by_spent.groups == ["general", "wholesale"] or by_spent.groups == ["wholesale"]
    with pytest.raises(models.ValidationError):
        models.customer_page(sort="password_hash")


# -- selections and bulk membership ------------------------------------------

def test_selection_algebra_compiles_to_the_right_sets(shop):
    ids = {k: c.id for k, c in shop.items()}
    wholesale = models.get_group_by_code("wholesale").id

    def members(sel):
        return {r[0] for r in sel.query(models.Customer.id).tuples()}

    everyone = set(ids.values())
    assert members(Selection.all()) == everyone
    assert Selection.none().count() == 0
    assert members(Selection.ids([ids["Ada"], ids["Bob"]])) == {ids["Ada"], ids["Bob"]}
    assert members(Selection.members_of(wholesale)) == {ids["Alan"], ids["Bob"]}
    active = Selection.matching(CustomerFilter(status="active"), except_ids=[ids["Ada"]])
    assert members(active) == {ids["Alan"], ids["Smith"], ids["Bob"]}
    assert members(~active) == {ids["Ada"], ids["Grace"]}
    m = Selection.matching(CustomerFilter(text="smith"))
    inverted = (active - m) | (m - active)  # invert within the filter "smith"
    assert members(inverted) == {ids["Alan"]}
    assert models.selected_among(active, [ids["Ada"], ids["Bob"]]) == {ids["Bob"]}


def test_assign_and_unassign_selection(shop):
    ids = {k: c.id for k, c in shop.items()}
    g, added = models.create_group({"code": "vip", "name": "VIP"},
                                   members=Selection.matching(CustomerFilter(status="active"),
                                                              except_ids=[ids["Bob"]]))
    assert added == 3
    assert models.assign_customers(g.id, Selection.all()) == 2  # only the two not yet in
    assert models.assign_customers(g.id, Selection.all()) == 0
    assert models.group_member_count(g.id) == 5
    assert models.unassign_customers(g.id, Selection.ids([ids["Ada"], ids["Grace"]])) == 2
    assert models.group_member_count(g.id) == 3
    entries = list(models.AuditEntry.select().where(models.AuditEntry.entity == "group")
                   .order_by(models.AuditEntry.id))
    assert [e.action for e in entries] == ["group.create", "group.members", "group.assign",
                                          "group.assign", "group.unassign"]
    assert entries[-1].after_data()["removed"] == 2


def test_edit_applies_only_the_difference(shop):
    ids = {k: c.id for k, c in shop.items()}
    g, _ = models.create_group({"code": "vip", "name": "VIP"}, members=Selection.ids([ids["Ada"], ids["Alan"]]))
    before = {m.customer_id: m.added_at for m in models.Membership.select().where(models.Membership.group == g.id)}
    g = models.get_group(g.id)
    sel = (Selection.members_of(g.id) | Selection.ids([ids["Bob"]])) - Selection.ids([ids["Ada"]])
    g, added, removed = models.update_group(g.id, {}, expected_version=g.version, members=sel)
    assert (added, removed) == (1, 1)
    after = {m.customer_id: m.added_at for m in models.Membership.select().where(models.Membership.group == g.id)}
    assert set(after) == {ids["Alan"], ids["Bob"]}
    assert after[ids["Alan"]] == before[ids["Alan"]]  # untouched row kept
    g, added, removed = models.update_group(g.id, {}, expected_version=g.version, members=Selection.none())
    assert (added, removed) == (0, 2) and models.group_member_count(g.id) == 0


def test_leaving_the_default_group_falls_back_to_general(shop):
    wholesale = models.get_group_by_code("wholesale")
    bob = shop["Bob"]
    assert models.get_customer(bob.id).default_group_id == wholesale.id
    models.unassign_customers(wholesale.id, Selection.ids([bob.id]))
    bob = models.get_customer(bob.id)
    assert bob.default_group_id == models.general_group().id
    assert "general" in [g.code for g in models.customer_groups(bob.id)]


def test_nobody_leaves_general_while_it_is_their_default(shop):
    general = models.general_group()
    # Alan and Bob were created into Wholesale; make them General members too.
    assert models.assign_customers(general.id, Selection.ids([shop["Alan"].id, shop["Bob"].id])) == 2
    assert models.group_member_count(general.id) == 5
    removed = models.unassign_customers(general.id, Selection.all())
    # Only Alan and Bob (default: Wholesale) leave; everyone else keeps General.
    assert removed == 2
    assert models.group_member_count(general.id) == 3
    for c in models.Customer.select():
        assert c.default_group_id in {g.id for g in models.customer_groups(c.id)}


def test_bulk_assign_is_all_or_nothing(shop, monkeypatch):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    real_create = models.AuditEntry.create

    def failing_audit(**fields):
        if fields["action"] == "group.assign":
            raise RuntimeError("audit log unavailable")
        return real_create(**fields)

    monkeypatch.setattr(models.AuditEntry, "create", failing_audit)
    with pytest.raises(RuntimeError):
        models.assign_customers(g.id, Selection.all())
    assert models.group_member_count(g.id) == 0
    assert models.get_group(g.id).version == g.version


def test_bulk_assign_is_set_based(database):
    """The statements run do not grow with the number of customers: nothing
    is loaded into Python row by row."""
    from playhouse.test_utils import count_queries

    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    counts = []
    for n in (5, 60):
        models.seed(n, rng_seed=n)
        with count_queries() as counter:
            added = models.assign_customers(g.id, Selection.matching(CustomerFilter(status="active")))
        counts.append(counter.count)
        assert added > 0
        models.unassign_customers(g.id, Selection.all())
    assert counts[0] == counts[1]


# -- audit -------------------------------------------------------------------

def test_audit_actor_defaults_to_the_os_user_and_can_be_set(database):
    models.create_group({"code": "a", "name": "A"})
    assert models.AuditEntry.get(models.AuditEntry.action == "group.create").actor == getpass.getuser()
    models.set_actor("support-desk")
    models.create_group({"code": "b", "name": "B"})
    entries = list(models.AuditEntry.select().where(models.AuditEntry.action == "group.create")
                   .order_by(models.AuditEntry.id))
    assert entries[-1].actor == "support-desk"
    assert json.loads(entries[-1].after)["code"] == "b"


def test_every_mutation_is_audited(database):
    cat = models.Category.create(name="Tea", slug="tea")
    p = models.Product.create(sku="T1", name="Tea", category=cat, price=Decimal("3"))
    start = audit_count()
    c = models.create_customer({"first_name": "A", "email": "a@example.com"})
    c = models.update_customer(c.id, {"phone": "555 0101"}, expected_version=c.version)
    models.place_order(c.id, [(p.id, 1)])
    g, _ = models.create_group({"code": "g", "name": "G"})
    models.assign_customers(g.id, Selection.ids([c.id]))
    models.unassign_customers(g.id, Selection.ids([c.id]))
    g = models.get_group(g.id)
    models.update_group(g.id, {"name": "H"}, expected_version=g.version)
    models.delete_group(g.id)
    assert audit_count() - start == 8


# -- dates ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2024-03-01", dt.date(2024, 3, 1)),
    ("1 March 2024", dt.date(2024, 3, 1)),
    ("March 1, 2024", dt.date(2024, 3, 1)),
    ("3 months ago", dt.date(2026, 8, 23)),
    ("last 90 days", dt.date(2026, 8, 25)),
    ("2 weeks ago", dt.date(2026, 11, 9)),
    ("last 1 year", dt.date(2025, 11, 23)),
    ("today", TODAY),
    ("Yesterday", dt.date(2026, 11, 22)),
])
def test_parse_date_reads_what_admins_type(text, expected):
    assert models.parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["", "soon", "32 March 2024", "3 fortnights ago"])
def test_parse_date_says_when_it_cannot_understand(text):
    with pytest.raises(models.DateParseError) as exc:
        models.parse_date(text, today=TODAY)
    assert str(exc.value)


# -- untrusted text --------------------------------------------------------------

def test_clean_line_escapes_control_characters():
    assert models.clean_line("Bob\x1b]0;pwned\x07 [bold]x[/]") == "Bob\\x1b]0;pwned\\x07 [bold]x[/]"
    assert models.clean_line("tab\tnew\nline\x9b") == "tab\\x09new\\x0aline\\x9b"
    assert models.clean_line(None) == ""


# -- passwords ---------------------------------------------------------------------

def test_password_hash_is_salted_and_verifies():
    h1, h2 = models.hash_password("s3cret!"), models.hash_password("s3cret!")
    assert h1 != h2 and "s3cret" not in h1
    assert models.verify_password("s3cret!", h1)
    assert not models.verify_password("wrong", h1)
    assert not models.verify_password("s3cret!", None)


# -- seeding -----------------------------------------------------------------------

def test_seed_is_deterministic_and_realistic(database):
    fixed = dt.datetime(2026, 11, 1)
    counts = models.seed(200, rng_seed=7, today=fixed)
    assert counts["customers"] == 200 and counts["addresses"] == 400
    first = list(models.Customer.select(models.Customer.email, models.Customer.registered_at,
                                        models.Customer.total_spent)
                 .order_by(models.Customer.id).tuples())
    assert all(r[1] <= fixed for r in first)
    statuses = {r.status for r in models.Review.select(models.Review.status).distinct()}
    assert statuses == {"pending", "approved", "rejected"}
    assert models.Order.select().count() > 0 and models.Product.select().count() > 0
    assert models.Category.select().where(models.Category.restricted == True).count() >= 1  # noqa: E712
    # Denormalised totals agree with the orders.
    total = models.Order.select(pw.fn.SUM(models.Order.total)).scalar()
    spent = models.Customer.select(pw.fn.SUM(models.Customer.total_spent)).scalar()
    assert models.money(total) == models.money(spent) > 0
    # Every customer is a member of their default group.
    orphans = models.Customer.select().where(~pw.fn.EXISTS(
        models.Membership.select().where((models.Membership.customer == models.Customer.id)
                                         & (models.Membership.group == models.Customer.default_group))))
    assert orphans.count() == 0
    # Same seed, same data.
    wipe_and_reseed = first
    from conftest import wipe_rows
    wipe_rows()
    models.seed(200, rng_seed=7, today=fixed)
    again = list(models.Customer.select(models.Customer.email, models.Customer.registered_at,
                                        models.Customer.total_spent)
                 .order_by(models.Customer.id).tuples())
    assert [r[0].split(".")[0:2] for r in again] == [r[0].split(".")[0:2] for r in wipe_and_reseed]
    assert [(r[1], r[2]) for r in again] == [(r[1], r[2]) for r in wipe_and_reseed]


def test_seed_rejects_negative_counts(database):
    with pytest.raises(models.ValidationError):
        models.seed(-1)


def test_percent_for_people():
    assert [percent(v) for v in (Decimal("0"), Decimal("12.50"), Decimal("10"), "7.25")] == [
        "0%", "12.5%", "10%", "7.25%"]
