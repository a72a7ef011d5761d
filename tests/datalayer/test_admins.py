"""Admins and roles, on every engine: each role against each kind of
operation (allowed ones succeed, refused ones raise PermissionDenied naming
the role needed and write nothing), the session's admin, and the admin
operations themselves."""

from __future__ import annotations

import base64
import getpass

import pytest

from backroom import models
from backroom.datalayer.migrations import v4_admins

KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20" + bytes(32)).decode()


@pytest.fixture
def shop(db_url, tmp_path):
    """Two customers, a group with a member, a category, a product, a pending review; an owner, olga."""
    cat = models.Category.create(name="Books", slug="books")
    product = models.Product.create(sku="B-1", name="A book", category=cat, price=10)
    ada = models.create_customer({"first_name": "Ada", "last_name": "L", "email": "ada@example.com"})
    bob = models.create_customer({"first_name": "Bob", "last_name": "M", "email": "bob@example.com"})
    club, _ = models.create_group({"code": "club", "name": "Club"}, members=models.Selection.ids([bob.id]))
    review = models.Review.create(product=product, customer=ada, rating=4, title="Good", body="Fine")
    models.set_rules(club.id, "all", [{"field": "order_count", "op": ">=", "value": "0"}])
    models.add_admin("olga")
    models.use_admin("olga")
    return {"ada": ada.id, "bob": bob.id, "club": club.id, "cat": cat.id, "review": review.id,
            "out": tmp_path / "outbox.csv"}


OPERATIONS = {
    "create group": lambda s: models.create_group({"code": "new", "name": "New"}),
    "delete group": lambda s: models.delete_group(s["club"]),
    "restrict category": lambda s: models.set_category_restricted(s["cat"], True),
    "set rules": lambda s: models.set_rules(s["club"], "all", [{"field": "total_spent", "op": ">=", "value": "5"}]),
    "apply rules": lambda s: models.apply_rules(s["club"]),
    "assign many": lambda s: models.assign_customers(s["club"], models.Selection.all()),
    "create customer": lambda s: models.create_customer({"first_name": "Cy", "email": "cy@example.com"}),
    "edit customer": lambda s: models.update_customer(s["ada"], {"phone": "+44 20 7946 0001"},
                                                      expected_version=models.get_customer(s["ada"]).version),
    "reset password": lambda s: models.reset_password(s["ada"]),
    "join a group": lambda s: models.join_group(s["ada"], s["club"]),
    "reward points": lambda s: models.adjust_reward_points(s["ada"], 5, "goodwill"),
    "erase customer": lambda s: models.erase_customer(s["ada"], "ada@example.com"),
    "export outbox": lambda s: models.export_outbox(s["out"]),
    "moderate review": lambda s: models.moderate_reviews(models.Selection.ids([s["review"]]), "approved"),
    "add admin": lambda s: models.add_admin("newbie", "support"),
}

# Written out, not derived from models.PERMISSIONS: this is what the issue asks.
ALLOWED = {
    "owner": set(OPERATIONS),
    "manager": {"create group", "delete group", "restrict category", "set rules", "apply rules", "assign many",
                "create customer", "edit customer", "reset password", "join a group", "reward points",
                "erase customer", "export outbox"},
    "support": {"create customer", "edit customer", "reset password", "join a group", "reward points"},
    "moderator": {"moderate review"},
}


def everything() -> dict[str, object]:
    """What a refused operation must leave as it was: every table's rows."""
    out = {}
    for m in models.ALL_MODELS:
        rows = m.select().dicts()
        out[m._meta.table_name] = sorted(repr(sorted(r.items())) for r in rows)
    return out


@pytest.mark.parametrize("role", models.ROLES)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_role_against_each_kind_of_operation(shop, role, operation):
    if role != "owner":
        models.add_admin("sam", role)
        models.use_admin("sam")
    who = "olga" if role == "owner" else "sam"
    before = everything()
    audited = models.AuditEntry.select().count()
    if operation in ALLOWED[role]:
        OPERATIONS[operation](shop)
        new = models.AuditEntry.select().order_by(models.AuditEntry.id.desc()).limit(
            models.AuditEntry.select().count() - audited)
        assert [e.actor for e in new] and {e.actor for e in new} == {who}
    else:
        with pytest.raises(models.PermissionDenied) as refused:
            OPERATIONS[operation](shop)
        message = str(refused.value)
        assert message.endswith(f"; {who}'s role is {role}.")
        needed = message.split(" needs the ")[1].split(" role;")[0].replace(" or ", ", ").split(", ")
        assert role not in needed and "owner" in needed
        assert everything() == before
        assert not shop["out"].exists()


def test_a_refusal_names_the_role_needed(shop):
    models.add_admin("mo", "moderator")
    models.use_admin("mo")
    with pytest.raises(models.PermissionDenied, match="needs the owner or manager role; mo's role is moderator"):
        models.delete_group(shop["club"])


def test_without_admins_everything_works_as_the_local_user(db_url):
    assert models.list_admins() == [] and models.session_admin() is None
    g, _ = models.create_group({"code": "x", "name": "X"})
    models.delete_group(g.id)
    assert models.AuditEntry.select().order_by(models.AuditEntry.id.desc()).get().actor == models.current_actor()


def test_the_first_admin_is_the_owner(db_url):
    with pytest.raises(models.ValidationError, match="first admin is the owner"):
        models.add_admin("sam", "support")
    assert models.list_admins() == []
    row = models.add_admin("olga")
    assert row.role == "owner"
    entry = models.AuditEntry.get(models.AuditEntry.action == "admin.add")
    assert entry.after_data()["name"] == "olga"


def test_unknown_and_removed_admins_are_refused(shop):
    with pytest.raises(models.PermissionDenied, match="No admin is named ghost"):
        models.use_admin("ghost")
    models.add_admin("sam", "manager")
    models.use_admin("sam")
    models.create_customer({"first_name": "Di", "email": "di@example.com"})
    models.use_admin("olga")
    models.remove_admin("sam")
    assert models.AuditEntry.select().where(models.AuditEntry.action == "admin.remove").count() == 1
    # sam still named in a running session: refused from the next operation on.
    import backroom.datalayer.admins as admins_mod
    admins_mod._named = "sam"
    with pytest.raises(models.PermissionDenied, match="sam was removed"):
        models.create_customer({"first_name": "Ed", "email": "ed@example.com"})
    admins_mod._named = None


def test_with_admins_a_session_must_be_one(shop, monkeypatch):
    models.use_admin(None)
    monkeypatch.setattr(getpass, "getuser", lambda: "someone-else")
    with pytest.raises(models.PermissionDenied, match="name yours with --admin"):
        models.create_customer({"first_name": "Di", "email": "di@example.com"})
    monkeypatch.setattr(getpass, "getuser", lambda: "olga")  # the login name is an admin's
    models.create_customer({"first_name": "Di", "email": "di@example.com"})


def test_roles_change_and_the_last_owner_stays(shop):
    models.add_admin("sam", "support")
    models.set_admin_role("sam", "manager")
    assert {r.name: r.role for r in models.list_admins()} == {"olga": "owner", "sam": "manager"}
    with pytest.raises(models.ValidationError, match="last owner"):
        models.set_admin_role("olga", "manager")
    with pytest.raises(models.ValidationError, match="last owner"):
        models.remove_admin("olga")
    with pytest.raises(models.ValidationError, match="not a role"):
        models.set_admin_role("sam", "god")
    with pytest.raises(models.NotFoundError):
        models.set_admin_role("nobody", "support")
    entry = models.AuditEntry.get(models.AuditEntry.action == "admin.role")
    assert (entry.actor, entry.before_data()["role"], entry.after_data()["role"]) == ("olga", "support", "manager")
    models.use_admin("sam")
    with pytest.raises(models.PermissionDenied, match="needs the owner role"):
        models.add_admin("eve", "support")


@pytest.mark.parametrize("name", ["", " ", "-x", "a b", "a;rm", "x" * 33, "ä", "a\nb", None, 5])
def test_bad_names_are_refused(db_url, name):
    with pytest.raises(models.ValidationError):
        models.add_admin(name)
    assert models.list_admins() == []


@pytest.mark.parametrize("key", [
    "ssh-ed25519", "ssh-ed25519 not-base64!", "ssh-ed25519 " + base64.b64encode(b"hello").decode(),
    "ssh-rsa " + KEY.split()[1],  # the blob says ed25519
    "-----BEGIN OPENSSH PRIVATE KEY-----", 'command="sh" ' + KEY, "ssh-dss AAAA", KEY + "\nssh-ed25519 AAAA",
])
def test_bad_keys_are_refused(db_url, key):
    with pytest.raises(models.ValidationError):
        models.add_admin("olga", ssh_key=key)
    assert models.list_admins() == []


def test_a_key_belongs_to_one_admin_and_its_line_runs_only_backroom(db_url):
    row = models.add_admin("olga", ssh_key=KEY + " olga@laptop")
    assert row.ssh_key == KEY
    models.use_admin("olga")
    with pytest.raises(models.ValidationError, match="already olga's"):
        models.add_admin("sam", "support", ssh_key=KEY)
    line = models.authorized_keys_line(["/opt/bin/backroom", "--db", 'sqlite:////srv/a "b".db', "--admin", "olga"],
                                       KEY, "olga")
    assert line.startswith('command="/opt/bin/backroom --db \'sqlite:////srv/a \\"b\\".db\' --admin olga",'
                           "restrict,pty ssh-ed25519 ")
    assert models.key_fingerprint(KEY).startswith("SHA256:")


def test_outbox_and_review_history_name_the_admin(shop):
    models.add_admin("sam", "manager")
    models.use_admin("sam")
    models.join_group(shop["ada"], shop["club"])
    assert models.outbox()[-1].actor == "sam"
    models.use_admin("olga")
    models.moderate_reviews(models.Selection.ids([shop["review"]]), "rejected", reason="spam")
    assert models.review_history(shop["review"])[-1].actor == "olga"


def test_a_refused_add_admin_with_an_install_step_keeps_nothing(shop):
    def failing(_row):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        models.add_admin("sam", "support", ssh_key=KEY, before_commit=failing)
    assert [r.name for r in models.list_admins()] == ["olga"]


def test_upgrade_adds_admins_and_who_queued_a_notification(empty_db_url):
    from backroom.datalayer.migrations import v3

    step = next(v for v, f in models.MIGRATIONS.items() if f is v4_admins.upgrade)
    old = [m for m in models.ALL_MODELS if m not in (models.Admin, models.Notification)]
    models.db.create_tables(old)
    models.db.create_tables([v3.Notification])
    models.SchemaMeta.create(key="schema_version", value=str(step - 1))
    models.ensure_defaults()
    c = models.Customer.create(first_name="Ada", last_name="", email="ada@example.com", email_key="ada@example.com",
                               name_key="ada", last_key="", default_group=models.general_group())
    models.migrate_schema()
    assert models.schema_version() == models.SCHEMA_VERSION
    assert "actor" in {col.name for col in models.db.get_columns("notification")}
    models.add_admin("olga")
    models.use_admin("olga")
    models.create_group({"code": "club", "name": "Club"}, members=models.Selection.ids([c.id]))
    assert [(r.event, r.actor) for r in models.outbox()] == [("joined", "olga")]
    v4_admins.upgrade()  # safe to run again
    models.use_admin(None)
