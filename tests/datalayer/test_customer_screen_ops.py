"""The operations the customer screen calls: which groups a customer may
join, and writes that say what they wrote (CustomerWrite)."""

from __future__ import annotations

import pytest

from backroom import models


def test_customer_screen_operations_say_what_they_wrote(database):
    ada = models.create_customer({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"})
    secret, _ = models.create_group({"code": "secret", "name": "Secret club", "hidden": True})
    assert [g.code for g in models.assignable_groups()] == ["general", "secret", "wholesale"]
    assert [g.code for g in models.assignable_groups(ada.id)] == ["secret", "wholesale"]
    assert [g.code for g in models.assignable_groups(ada.id, include_locked=True)] == ["guest", "secret",
                                                                                       "wholesale"]
    write = models.join_group(ada.id, secret.id)
    assert write.replaced_version == write.customer.version == ada.version  # the row is untouched
    assert [g.code for g in models.assignable_groups(ada.id)] == ["wholesale"]
    with pytest.raises(models.LockedError):
        models.join_group(ada.id, models.guest_group().id)
    c = models.set_default_group(ada.id, secret.id, expected_version=ada.version)
    write = models.leave_group(ada.id, secret.id)  # back to General
    assert write.customer.default_group_id == models.general_group().id
    assert write.customer.version == c.version
    password, write = models.reset_account_password(ada.id, "Typed-temp-pass-1")
    assert password == "Typed-temp-pass-1"
    assert (write.replaced_version, write.customer.version) == (c.version, c.version + 1)
    assert write.version_after(c.version) == c.version + 1
    assert write.version_after(c.version - 1) == c.version - 1  # someone else's write came between
    write = models.disable_account(ada.id)
    assert (write.customer.status, write.replaced_version) == ("disabled", c.version + 1)
    assert write.customer.version == c.version + 2
