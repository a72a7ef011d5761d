"""Small things that were wrong: an unchanged save, a join on creation, the
phone and the last name."""

from __future__ import annotations

import pytest

from backroom import models


def audits(action: str) -> int:
    return models.AuditEntry.select().where(models.AuditEntry.action == action).count()


def test_saving_a_group_unchanged_changes_nothing(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP", "discount_percent": "10", "description": "Best"})
    members = models.Selection.members_of(g.id)
    # What the form hands back when nothing was edited, or typed as stored ("10" for 10.00).
    for changes in ({}, {"name": "VIP", "discount_percent": "10.00", "tax_class_id": g.tax_class_id,
                         "hidden": False, "description": "Best"}):
        same, added, removed = models.update_group(g.id, changes, expected_version=g.version, members=members)
        assert (same.version, added, removed) == (g.version, 0, 0)
    assert audits("group.update") == 0
    changed, _, _ = models.update_group(g.id, {"name": "V.I.P."}, expected_version=g.version)
    assert changed.version == g.version + 1 and audits("group.update") == 1


def test_an_unchanged_save_from_a_stale_version_is_still_refused(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    models.update_group(g.id, {"name": "Other"}, expected_version=g.version)
    with pytest.raises(models.ConflictError):
        models.update_group(g.id, {}, expected_version=g.version, members=models.Selection.members_of(g.id))


def test_a_change_of_members_alone_is_a_new_version(database):
    g, _ = models.create_group({"code": "vip", "name": "VIP"})
    c = models.create_customer({"first_name": "A", "last_name": "B", "email": "a@example.com"})
    after, added, _ = models.update_group(g.id, {}, expected_version=g.version, members=models.Selection.ids([c.id]))
    assert added == 1 and after.version == g.version + 1
    assert audits("group.update") == 0 and audits("group.members") == 1


def test_a_customer_created_straight_into_a_group_queues_a_join(database):
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    secret, _ = models.create_group({"code": "secret", "name": "Secret", "hidden": True})
    a = models.create_customer({"first_name": "A", "last_name": "X", "email": "a@example.com"}, group_id=vip.id)
    models.create_customer({"first_name": "B", "last_name": "X", "email": "b@example.com"}, group_id=secret.id)
    models.create_customer({"first_name": "C", "last_name": "X", "email": "c@example.com"})  # General
    models.create_customer({"first_name": "D", "last_name": "X", "email": "d@example.com"},
                           group_id=models.general_group().id)
    rows = [(n.customer_id, n.group, n.event, n.source) for n in models.outbox(include_exported=True)]
    assert rows == [(a.id, "VIP", "joined", "manual")]


@pytest.mark.parametrize("phone", ["+44 20 7946 0958", "(555) 123-4567", "0201.234.567", "12345", ""])
def test_phones_that_are_phone_numbers(database, phone):
    c = models.create_customer({"first_name": "A", "last_name": "B", "email": "a@example.com", "phone": phone})
    assert c.phone == phone


@pytest.mark.parametrize("phone, why", [
    ("call me", "only the digits"), ("+44 20 7946 0958 ext 2", "only the digits"), ("١٢٣٤٥٦", "only the digits"),
    ("1234", "5 to 20 digits"), ("+1 (2) 3-4", "5 to 20 digits"), ("1" * 21, "5 to 20 digits"),
    ("12345/6789", "only the digits")])
def test_phones_that_are_not(database, phone, why):
    with pytest.raises(models.ValidationError) as exc:
        models.create_customer({"first_name": "A", "last_name": "B", "email": "a@example.com", "phone": phone})
    assert why in exc.value.errors["phone"]
    c = models.create_customer({"first_name": "A", "last_name": "B", "email": "a@example.com"})
    with pytest.raises(models.ValidationError):
        models.update_customer(c.id, {"phone": phone}, expected_version=c.version)
    assert models.get_customer(c.id).phone == ""


def test_the_last_name_cannot_be_cleared_on_edit(database):
    c = models.create_customer({"first_name": "Ada", "last_name": "Lovelace", "email": "a@example.com"})
    for blank in ("", "   ", None):
        with pytest.raises(models.ValidationError) as exc:
            models.update_customer(c.id, {"last_name": blank}, expected_version=c.version)
        assert exc.value.errors == {"last_name": "Last name cannot be cleared"}
    assert models.get_customer(c.id).last_name == "Lovelace"
    # One made without a last name is edited as before: the blank handed back is no change.
    d = models.create_customer({"first_name": "Prince", "email": "p@example.com"})
    d = models.update_customer(d.id, {"last_name": "", "phone": "555 0100"}, expected_version=d.version)
    assert (d.last_name, d.phone) == ("", "555 0100")
