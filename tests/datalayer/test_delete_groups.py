"""Deleting several groups at once: all or nothing, set-based, audited."""

from __future__ import annotations

import pytest

from backroom import models
from backroom.models import Selection


def make_customers(n: int, prefix: str = "c") -> list[models.Customer]:
    return [models.create_customer({"first_name": f"F{i}", "last_name": f"L{i}", "email": f"{prefix}{i}@example.com"})
            for i in range(n)]


def exists(gid: int) -> bool:
    return models.CustomerGroup.select().where(models.CustomerGroup.id == gid).exists()


@pytest.fixture
def three(database, tmp_path):
    people = make_customers(6)
    vip, _ = models.create_group({"code": "vip", "name": "VIP"}, members=Selection.ids([c.id for c in people[:3]]))
    trade, _ = models.create_group({"code": "trade", "name": "Trade"},
                                   members=Selection.ids([c.id for c in people[2:5]]))
    secret, _ = models.create_group({"code": "secret", "name": "Secret", "hidden": True},
                                    members=Selection.ids([people[5].id]))
    cat = models.Category.create(name="Coffee", slug="coffee", restricted=True)
    models.set_category_access(vip.id, [cat.id])
    models.set_category_discount(trade.id, cat.id, "10")
    models.set_rules(trade.id, "all", [{"field": "order_count", "op": ">=", "value": "3"}])
    # people[0] has VIP as default group and is not in General; people[3] has Trade.
    models.set_default_group(people[0].id, vip.id, expected_version=models.get_customer(people[0].id).version)
    models.leave_group(people[0].id, models.general_group().id)
    models.set_default_group(people[3].id, trade.id, expected_version=models.get_customer(people[3].id).version)
    models.export_outbox(tmp_path / "before.csv")  # what is queued so far is out of the way
    return people, vip, trade, secret


def test_deletes_them_all_set_based_and_audited(three):
    people, vip, trade, secret = three
    before_general = models.group_member_count(models.general_group().id)
    done = models.delete_groups([trade.id, vip.id, secret.id], actor="alice")
    assert [(d.code, d.memberships_removed, d.defaults_moved_to_general) for d in done] == [
        ("vip", 3, 1), ("trade", 3, 1), ("secret", 1, 0)]
    assert not any(exists(g.id) for g in (vip, trade, secret))
    assert models.Membership.select().where(models.Membership.group.in_([vip.id, trade.id, secret.id])).count() == 0
    general = models.general_group()
    for c in (people[0], people[3]):  # their default went: General, as a member
        assert models.get_customer(c.id).default_group_id == general.id
    assert models.group_member_count(general.id) == before_general + 1  # people[0] joined it again
    # One "left" per member of a group that notifies (Secret is hidden), one "joined" General.
    events = sorted((n.group, n.event) for n in models.outbox(limit=100))
    assert events == [("General", "joined")] + [("Trade", "left")] * 3 + [("VIP", "left")] * 3
    assert models.CategoryAccess.select().count() == 0 and models.CategoryDiscount.select().count() == 0
    assert models.GroupRuleSet.select().count() == 0
    entries = list(models.AuditEntry.select().where(models.AuditEntry.action == "group.delete")
                   .order_by(models.AuditEntry.id))
    assert [(e.entity_id, e.actor, e.after_data()["memberships_removed"]) for e in entries] == [
        (str(vip.id), "alice", 3), (str(trade.id), "alice", 3), (str(secret.id), "alice", 1)]
    assert entries[0].before_data()["code"] == "vip"


@pytest.mark.parametrize("locked", ["guest", "general"])
def test_guest_or_general_among_them_deletes_nothing(three, locked):
    _, vip, trade, _ = three
    with pytest.raises(models.LockedError) as exc:
        models.delete_groups([vip.id, models.get_group_by_code(locked).id, trade.id])
    assert "Nothing was deleted" in str(exc.value) and locked.capitalize() in str(exc.value)
    assert exists(vip.id) and exists(trade.id) and models.group_member_count(vip.id) == 3
    assert models.outbox_count() == 0
    assert models.AuditEntry.select().where(models.AuditEntry.action == "group.delete").count() == 0


def test_one_changed_since_the_list_was_read_deletes_nothing(three):
    _, vip, trade, _ = three
    versions = {vip.id: models.get_group(vip.id).version, trade.id: models.get_group(trade.id).version}
    models.update_group(trade.id, {"name": "Trade 2"}, expected_version=versions[trade.id])
    with pytest.raises(models.ConflictError) as exc:
        models.delete_groups([vip.id, trade.id], expected_versions=versions)
    assert "Trade 2" in str(exc.value)
    assert exists(vip.id) and exists(trade.id)
    models.delete_groups([vip.id, trade.id], expected_versions={**versions, trade.id: versions[trade.id] + 1})
    assert not exists(vip.id) and not exists(trade.id)


def test_one_gone_deletes_nothing(three):
    _, vip, trade, _ = three
    models.delete_group(trade.id)
    with pytest.raises(models.NotFoundError) as exc:
        models.delete_groups([vip.id, trade.id])
    assert "nothing was deleted" in str(exc.value)
    assert exists(vip.id) and models.group_member_count(vip.id) == 3


def test_a_failure_half_way_leaves_everything(three, monkeypatch):
    people, vip, trade, _ = three

    calls = []
    real = models.AuditEntry.create

    def boom(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second group's audit entry
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(models.AuditEntry, "create", boom)
    with pytest.raises(RuntimeError):
        models.delete_groups([vip.id, trade.id])
    assert exists(vip.id) and exists(trade.id)
    assert models.group_member_count(vip.id) == 3 and models.group_member_count(trade.id) == 3
    assert models.get_customer(people[0].id).default_group_id == vip.id
    assert models.outbox_count() == 0


@pytest.mark.parametrize("bad", [[], "1,2", None, [1, "x"], {"a": 1}])
def test_bad_ids_are_a_validation_error(database, bad):
    with pytest.raises(models.ValidationError):
        models.delete_groups(bad)
