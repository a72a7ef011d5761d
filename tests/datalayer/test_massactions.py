"""Mass actions of the Customers list in the data layer: move a selection
from one group to another, disable or enable it — one all-or-nothing,
audited operation each, on every engine."""

from __future__ import annotations

import pytest

from backroom import models


def members(code: str) -> set[int]:
    g = models.get_group_by_code(code)
    return {m.customer_id for m in models.Membership.select().where(models.Membership.group == g.id)}


def audits(action: str) -> list[models.AuditEntry]:
    return list(models.AuditEntry.select().where(models.AuditEntry.action == action))


@pytest.fixture
def people(database):
    made = [models.create_customer({"first_name": f"P{i}", "last_name": "Mass", "email": f"p{i}@example.com"})
            for i in range(6)]
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    models.assign_customers(vip.id, models.Selection.ids([c.id for c in made[:4]]))
    return made, vip


def test_move_selection_between_groups(people):
    made, vip = people
    wholesale = models.get_group_by_code("wholesale")
    before_notes = models.outbox_count(include_exported=True)
    # Ticked: 0..2 (members of VIP) and 5 (not a member): only members move.
    c1 = models.get_customer(made[1].id)
    models.set_default_group(c1.id, vip.id, expected_version=c1.version)
    sel = models.Selection.ids([made[0].id, made[1].id, made[2].id, made[5].id])
    moved = models.move_customers(vip.id, wholesale.id, sel)
    assert moved == 3
    assert members("vip") == {made[3].id}
    assert {made[0].id, made[1].id, made[2].id} <= members("wholesale")
    assert made[5].id not in members("wholesale")
    assert models.outbox_count(include_exported=True) == before_notes + 6  # 3 joined, 3 left
    assert models.get_customer(made[1].id).default_group_id == wholesale.id  # the default follows
    (entry,) = audits("group.move")
    assert entry.entity_id == str(vip.id) and entry.after_data()["moved"] == 3


def test_move_of_everyone_matching_a_filter(people):
    made, vip = people
    wholesale = models.get_group_by_code("wholesale")
    flt = models.build_filter(text="Mass")
    assert models.move_customers(vip.id, wholesale.id, models.Selection.matching(flt)) == 4
    assert members("vip") == set()


def test_move_refusals_change_nothing(people):
    made, vip = people
    sel = models.Selection.ids([c.id for c in made])
    general = models.get_group_by_code("general")
    guest = models.get_group_by_code("guest")
    with pytest.raises(models.ValidationError):
        models.move_customers(vip.id, vip.id, sel)
    with pytest.raises(models.LockedError):
        models.move_customers(general.id, vip.id, sel)
    with pytest.raises(models.BackroomError):
        models.move_customers(vip.id, guest.id, sel)  # a system group takes nobody by hand
    with pytest.raises(models.NotFoundError):
        models.move_customers(vip.id, 999_999, sel)
    with pytest.raises(models.ValidationError):
        models.move_customers(vip.id, general.id, [1, 2])
    assert members("vip") == {c.id for c in made[:4]} and audits("group.move") == []


def test_disable_and_enable_a_selection(people):
    made, _ = people
    sel = models.Selection.ids([made[0].id, made[1].id])
    v0 = models.get_customer(made[0].id).version
    assert models.set_customers_status(sel, "disabled") == 2
    assert models.set_customers_status(sel, "disabled") == 0  # already
    assert models.get_customer(made[0].id).status == "disabled"
    assert models.get_customer(made[0].id).version == v0 + 1
    assert models.get_customer(made[2].id).status == "active"
    flt = models.build_filter(text="Mass")
    assert models.set_customers_status(models.Selection.matching(flt), "active") == 2
    assert models.Customer.select().where(models.Customer.status == "disabled").count() == 0
    assert [a.after_data()["changed"] for a in audits("customer.bulk_status")] == [2, 0, 2]
    with pytest.raises(models.ValidationError):
        models.set_customers_status(sel, "erased")


def test_mass_actions_need_the_bulk_permission(people):
    made, vip = people
    models.add_admin("olive", "owner")
    models.use_admin("olive")
    models.add_admin("sam", "support")
    models.use_admin("sam")
    sel = models.Selection.ids([made[0].id])
    for op in (lambda: models.set_customers_status(sel, "disabled"),
               lambda: models.move_customers(vip.id, models.get_group_by_code("wholesale").id, sel)):
        with pytest.raises(models.PermissionDenied):
            op()
    models.use_admin(None)
    assert models.get_customer(made[0].id).status == "active"
