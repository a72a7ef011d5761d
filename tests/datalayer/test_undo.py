"""Membership changes as one row each, the outbox read from them, and undo
of an assign, an unassign or a move — on every engine."""

from __future__ import annotations

import csv
import threading

import pytest

from backroom import models
from backroom.datalayer.migrations import v3, v10_bulkchanges
from backroom.datalayer.migrations.v2 import Membership as MembershipV2
from backroom.models import Selection

from .test_transactions import in_thread, make_customers


def members(g) -> set[int]:
    return {m for (m,) in models.Membership.select(models.Membership.customer)
            .where(models.Membership.group == g.id).tuples()}


def box(**kw) -> list[tuple[int, str, str]]:
    return [(r.customer_id, r.group, r.event) for r in models.outbox(limit=100_000, **kw)]


@pytest.fixture
def shop(database):
    people = make_customers(8)
    vip, _ = models.create_group({"code": "vip", "name": "VIP"})
    return [c.id for c in people], vip


def test_a_bulk_assign_is_one_change_and_one_outbox_row_read_as_one_per_customer(shop, tmp_path):
    ids, vip = shop
    before_rows = models.Notification.select().count()
    models.assign_customers(vip.id, Selection.ids(ids[:2]))
    assert models.assign_customers(vip.id, Selection.all()) == 6  # the two members are skipped
    assert models.Notification.select().count() == before_rows + 2  # one row per change, not per customer
    change = models.MembershipChange.select().order_by(models.MembershipChange.id.desc()).get()
    assert (change.kind, change.count, change.group_name) == ("joined", 6, "VIP")
    assert box() == [(i, "VIP", "joined") for i in ids]
    # A window from either end, and across the two changes' rows.
    rows = models.outbox(limit=100)
    assert [r.id for r in rows] == list(range(1, 9))  # numbered as if queued one by one
    assert models.outbox_page(offset=1, limit=3) == rows[1:4]
    assert models.outbox_page(offset=0, limit=3, newest_first=True) == rows[::-1][:3]
    assert models.outbox_page(offset=5, limit=10, newest_first=True) == rows[::-1][5:]
    assert models.outbox_count() == 8
    # Some leave: they are "left" rows, and still "joined" ones of the change that added them.
    assert models.unassign_customers(vip.id, Selection.ids(ids[3:5])) == 2
    assert box()[-2:] == [(ids[3], "VIP", "left"), (ids[4], "VIP", "left")]
    assert models.outbox_count() == 10 and box()[:8] == [(i, "VIP", "joined") for i in ids]
    out = tmp_path / "out.csv"
    assert models.export_outbox(out) == 10
    lines = list(csv.reader(out.open()))
    assert [int(r[0]) for r in lines[1:]] == list(range(1, 11))
    assert [(int(r[1]), r[5]) for r in lines[1:]] == [(i, "joined") for i in ids] + [(ids[3], "left"), (ids[4], "left")]
    assert models.outbox_count() == 0 and models.outbox_count(include_exported=True) == 10
    models.assign_customers(vip.id, Selection.ids(ids[3:5]))
    assert [(r.id, r.customer_id) for r in models.outbox_page(offset=0, limit=5, newest_first=True)] == [
        (12, ids[4]), (11, ids[3])]


def test_hidden_groups_and_quiet_changes_queue_nothing(shop):
    ids, _ = shop
    secret, _ = models.create_group({"code": "secret", "name": "Secret", "hidden": True})
    before = models.outbox_count()
    models.assign_customers(secret.id, Selection.all())
    models.unassign_customers(secret.id, Selection.ids(ids[:3]))
    assert models.outbox_count() == before
    assert models.MembershipChange.select().where(models.MembershipChange.group == secret.id).count() == 2


def test_undo_an_assign_removes_exactly_what_it_added(shop):
    ids, vip = shop
    models.assign_customers(vip.id, Selection.ids(ids[:2]), actor="bob")
    models.assign_customers(vip.id, Selection.all(), actor="ann")
    last = models.last_membership_change(actor="ann")
    assert last.describe().startswith("6 customers added to VIP by ann at ")
    assert models.last_membership_change(actor="ann", group_id=models.general_group().id) is None
    undo = models.undo_membership_change(last.op, actor="ann")
    assert members(vip) == set(ids[:2])
    assert [p.kind for p in undo.parts] == ["left"] and undo.undoes == last.op
    assert box()[-6:] == [(i, "VIP", "left") for i in ids[2:]]
    entry = models.AuditEntry.select().order_by(models.AuditEntry.id.desc()).get()
    assert (entry.action, entry.actor, entry.after_data()["removed"]) == ("membership.undo", "ann", 6)
    # Once: undone already; an undo is not undone; the last change stays the one undone.
    with pytest.raises(models.ConflictError, match="Already undone"):
        models.undo_membership_change(last.op, actor="ann")
    with pytest.raises(models.LockedError, match="itself an undo"):
        models.undo_membership_change(undo.op)
    assert models.last_membership_change(actor="ann").undone


def test_undo_an_unassign_adds_back_exactly_those_removed(shop):
    ids, vip = shop
    models.assign_customers(vip.id, Selection.all())
    models.unassign_customers(vip.id, Selection.ids(ids[2:5]))
    op = models.last_membership_change()
    assert op.parts[0].kind == "left" and "3 customers removed from VIP" in op.describe()
    models.undo_membership_change(op.parts[0].change_id)
    assert members(vip) == set(ids)
    assert box()[-3:] == [(i, "VIP", "joined") for i in ids[2:5]]


def test_undo_is_refused_when_later_changes_touched_the_same_memberships(shop):
    ids, vip = shop
    models.assign_customers(vip.id, Selection.all())
    added = models.last_membership_change()
    models.leave_group(ids[0], vip.id)  # one it added left since
    with pytest.raises(models.ConflictError, match="1 of the customers it added have left VIP"):
        models.undo_membership_change(added.op)
    models.unassign_customers(vip.id, Selection.ids(ids[1:3]))
    removed = models.last_membership_change()
    models.join_group(ids[1], vip.id)  # one it removed is back
    with pytest.raises(models.ConflictError, match="1 of the customers it removed are members of VIP again"):
        models.undo_membership_change(removed.op)
    assert members(vip) == set(ids) - {ids[0], ids[2]}  # nothing changed
    hidden, _ = models.create_group({"code": "gone", "name": "Gone"})
    models.assign_customers(hidden.id, Selection.ids(ids[:2]))
    gone = models.last_membership_change()
    models.delete_group(hidden.id)
    with pytest.raises(models.LockedError, match="deleted"):
        models.undo_membership_change(gone.op)
    with pytest.raises(models.NotFoundError):
        models.undo_membership_change(10**9)


def test_undo_a_move_takes_them_back_with_their_default_group(shop):
    ids, vip = shop
    wholesale = models.get_group_by_code("wholesale")
    models.assign_customers(vip.id, Selection.ids(ids[:4]))
    c = models.get_customer(ids[0])
    models.set_default_group(c.id, vip.id, expected_version=c.version)
    assert models.move_customers(vip.id, wholesale.id, Selection.all(), actor="ann") == 4
    move = models.last_membership_change(actor="ann")
    assert move.describe().startswith("4 customers moved from VIP to Wholesale by ann")
    entry = models.AuditEntry.select().where(models.AuditEntry.action == "group.move").get()
    assert entry.after_data()["change"] == move.op
    models.undo_membership_change(move.op, actor="ann")
    assert members(vip) == set(ids[:4]) and members(wholesale) == set()
    assert models.get_customer(ids[0]).default_group_id == vip.id


def test_undo_needs_the_bulk_permission(shop):
    ids, vip = shop
    models.assign_customers(vip.id, Selection.all())
    op = models.last_membership_change()
    models.add_admin("olga")
    models.use_admin("olga")
    models.add_admin("sue", "support")
    models.use_admin("sue")
    try:
        with pytest.raises(models.PermissionDenied):
            models.undo_membership_change(op.op)
    finally:
        models.use_admin(None)
    assert members(vip) == set(ids)


def test_erasing_a_customer_takes_them_out_of_a_change_s_outbox_rows(shop):
    ids, vip = shop
    models.assign_customers(vip.id, Selection.all())
    models.unassign_customers(vip.id, Selection.ids(ids[:2]))
    c = models.get_customer(ids[0])
    models.erase_customer(c.id, c.email)
    assert ids[0] not in {r[0] for r in box()}
    assert models.outbox_count() == len(box()) == 8 + 2 - 2


def test_overlapping_assigns_of_the_same_customers_both_succeed(shop):
    ids, vip = shop
    go = threading.Barrier(2)

    def assign():
        go.wait(10)
        models.assign_customers(vip.id, Selection.all())

    threads = [in_thread(assign) for _ in range(2)]
    for t in threads:
        t.join(30)
    assert all(t.error is None for t in threads), [t.error for t in threads]
    assert members(vip) == set(ids)
    assert sorted(box()) == sorted((i, "VIP", "joined") for i in ids)  # each once


def test_upgrade_keeps_the_queued_notifications_readable(empty_db_url):
    step = next(v for v, f in models.MIGRATIONS.items() if f is v10_bulkchanges.upgrade)
    old = [m for m in models.ALL_MODELS
           if m not in (models.Notification, models.Membership, models.MembershipChange, models.MembershipEnd)]
    models.db.create_tables(old)
    models.db.create_tables([v3.Notification, MembershipV2])
    models.db.execute_sql("ALTER TABLE notification ADD COLUMN actor VARCHAR(64) NOT NULL DEFAULT ''")
    models.SchemaMeta.create(key="schema_version", value=str(step - 1))
    models.ensure_defaults()
    general = models.general_group()
    club = models.CustomerGroup.create(code="club", name="Club")
    c = models.Customer.create(first_name="Ada", last_name="", email="ada@example.com", email_key="ada@example.com",
                               name_key="ada", last_key="", default_group=general)
    MembershipV2.create(customer=c.id, group=club.id)
    v3.Notification.create(customer=c.id, group=club.id, group_name="Club", event="joined", source="manual")
    models.migrate_schema()
    assert models.schema_version() == models.SCHEMA_VERSION
    assert box() == [(c.id, "Club", "joined")]
    models.unassign_customers(club.id, Selection.ids([c.id]))
    assert box() == [(c.id, "Club", "joined"), (c.id, "Club", "left")]
    models.undo_membership_change(models.last_membership_change().op)
    assert box()[-1] == (c.id, "Club", "joined") and models.group_member_count(club.id) == 1
    v10_bulkchanges.upgrade()  # safe to run again
    assert models.outbox_count() == 3


def test_undo_command(capsys, tmp_path):
    from backroom import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    models.connect(url)
    people = make_customers(3)
    g, _ = models.create_group({"code": "club", "name": "Club"})
    models.assign_customers(g.id, Selection.all(), actor="ann")
    change = models.AuditEntry.select().where(models.AuditEntry.action == "group.assign").get().after_data()["change"]
    models.db.close()
    assert main.main(["--db", url, "audit", "--kind", "group.assign"]) == 0
    assert f"change={change}" in capsys.readouterr().out.replace(" ", "").replace(":", "=")
    assert main.main(["--db", url, "undo", str(change)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Undone: 3 customers added to Club by ann at ") and err == ""
    assert main.main(["--db", url, "undo", str(change)]) != 0
    assert "Already undone" in capsys.readouterr().err
    models.connect(url)
    assert models.group_member_count(g.id) == 0 and len(people) == 3


def test_two_undos_of_one_change_at_once_undo_it_once(shop):
    ids, vip = shop
    models.assign_customers(vip.id, Selection.all())
    op = models.last_membership_change().op
    go = threading.Barrier(2)
    refused: list[BaseException] = []

    def undo():
        go.wait(10)
        try:
            models.undo_membership_change(op)
        except models.ConflictError as exc:
            refused.append(exc)

    threads = [in_thread(undo) for _ in range(2)]
    for t in threads:
        t.join(30)
    assert all(t.error is None for t in threads), [t.error for t in threads]
    assert len(refused) == 1 and "Already undone" in str(refused[0])
    assert members(vip) == set()
    assert sorted(r[0] for r in box() if r[2] == "left") == sorted(ids)  # each left once
    assert models.AuditEntry.select().where(models.AuditEntry.action == "membership.undo").count() == 1


def test_a_forms_save_of_members_is_undone_as_one_change(shop):
    """The Add and Edit forms' saves change members too: ctrl+z on the View
    they land on (or u in History) undoes them like an assign."""
    ids, vip = shop
    vvip, added = models.create_group({"code": "vvip", "name": "VVIP"}, members=Selection.ids(ids[:4]), actor="ann")
    assert added == 4
    made = models.last_membership_change(actor="ann", group_id=vvip.id)
    assert made.describe().startswith("4 customers added to VVIP by ann at ")
    entry = models.AuditEntry.select().where(models.AuditEntry.action == "group.members").get()
    assert entry.after_data()["change"] == made.op
    models.undo_membership_change(made.op, actor="ann")
    assert members(vvip) == set()
    # An edit that removes some and adds others: one operation, both undone.
    models.assign_customers(vip.id, Selection.ids(ids[:3]))
    v = models.get_group(vip.id).version
    models.update_group(vip.id, {}, expected_version=v, members=Selection.ids(ids[2:6]), actor="ann")
    assert members(vip) == set(ids[2:6])
    edit = models.last_membership_change(actor="ann", group_id=vip.id)
    assert sorted(p.kind for p in edit.parts) == ["joined", "left"]
    models.undo_membership_change(edit.op, actor="ann")
    assert members(vip) == set(ids[:3])


def ends_of(change_id: int) -> set[tuple[int, int | None]]:
    """Who a "left" change removed, each with the change that had added them."""
    return set(models.MembershipEnd.select(models.MembershipEnd.customer, models.MembershipEnd.joined_change)
               .where(models.MembershipEnd.change == change_id).tuples())


def test_unassign_of_a_filter_but_some_records_exactly_who_left(shop):
    """Everyone active but one is removed, as the records are read: the
    members it removes (not the one excluded, not the disabled one), each
    recorded with the change that had added them; one change, one outbox
    row read as one "left" per customer; the one whose default group it
    was falls back to General; the group's version once more."""
    ids, vip = shop
    models.join_group(ids[0], vip.id)  # alone: a change of its own
    alone = models.Membership.get((models.Membership.customer == ids[0]) & (models.Membership.group == vip.id)).change
    models.assign_customers(vip.id, Selection.all(), actor="ann")
    bulk = models.last_membership_change(actor="ann").op
    models.set_customers_status(Selection.ids([ids[1]]), "disabled")
    c = models.get_customer(ids[2])
    models.set_default_group(c.id, vip.id, expected_version=c.version)
    version, queued = models.get_group(vip.id).version, models.outbox_count()
    rows = models.Notification.select().count()
    leaving = [ids[0], ids[2]] + ids[4:]
    sel = Selection.matching(models.CustomerFilter(status="active"), except_ids=[ids[3]])
    assert models.unassign_customers(vip.id, sel, actor="ann") == 6
    assert members(vip) == {ids[1], ids[3]}
    op = models.last_membership_change(actor="ann")
    [part] = op.parts
    assert (part.kind, part.count, part.group_id) == ("left", 6, vip.id)
    assert ends_of(part.change_id) == {(ids[0], alone)} | {(i, bulk) for i in leaving[1:]}
    assert models.Notification.select().count() == rows + 1
    assert models.outbox_count() == queued + 6
    assert box()[-6:] == [(i, "VIP", "left") for i in leaving]
    assert models.get_customer(ids[2]).default_group_id == models.general_group().id
    assert ids[2] in members(models.general_group())
    assert models.get_group(vip.id).version == version + 1
    # And back: exactly those six.
    models.undo_membership_change(op.op, actor="ann")
    assert members(vip) == set(ids)
    assert box()[-6:] == [(i, "VIP", "joined") for i in leaving]


def test_undo_of_an_assign_records_each_it_removes(shop):
    """The undo removes the memberships the assign added (not the two there
    before), records each with that assign as the change that had added
    them, so the assign's own outbox row still reads all six who joined,
    and queues one row for the six who left."""
    ids, vip = shop
    models.assign_customers(vip.id, Selection.ids(ids[:2]), actor="bob")
    models.assign_customers(vip.id, Selection.all(), actor="ann")
    added = models.last_membership_change(actor="ann")
    queued = models.outbox_count()
    undo = models.undo_membership_change(added.op, actor="ann")
    assert members(vip) == set(ids[:2])
    [part] = undo.parts
    assert (part.kind, part.count) == ("left", 6)
    assert ends_of(part.change_id) == {(i, added.op) for i in ids[2:]}
    assert not models.Membership.select().where(models.Membership.change == added.op).exists()
    assert models.outbox_count() == queued + 6
    assert box() == ([(i, "VIP", "joined") for i in ids[:2]] + [(i, "VIP", "joined") for i in ids[2:]]
                     + [(i, "VIP", "left") for i in ids[2:]])
    # A member who left alone meanwhile is refused by the undo; the records say who they were.
    models.assign_customers(vip.id, Selection.all(), actor="ann")
    again = models.last_membership_change(actor="ann")
    models.leave_group(ids[5], vip.id)
    with pytest.raises(models.ConflictError, match="1 of the customers it added have left VIP"):
        models.undo_membership_change(again.op)
    assert members(vip) == set(ids) - {ids[5]}


def test_removing_members_from_general_keeps_those_whose_default_it_is(shop):
    """Nobody leaves General while it is their default group: a removal of
    everyone from it records and removes only the others."""
    ids, vip = shop
    general = models.general_group()
    c = models.get_customer(ids[0])
    models.set_default_group(c.id, vip.id, expected_version=c.version)  # General is no longer theirs
    assert ids[0] in members(general)
    assert models.unassign_customers(general.id, Selection.ids(ids[:3])) == 1
    assert members(general) >= set(ids[1:])
    assert ids[0] not in members(general)
    part = models.last_membership_change().parts[0]
    assert {c for c, _ in ends_of(part.change_id)} == {ids[0]}
