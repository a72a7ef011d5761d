"""Customer groups, one screen a module: the list (``list``), the Add/Edit
form (``form``) and the View screen (``view``), the tax classes (``taxes``); ``actions`` holds what the
list and the View screen both offer on a group (Edit, Delete, Access, Rules).

``read_form`` is not re-exported here: the form looks it up in ``form``, so
that is where a test holds it back (``backroom.screens.groups.form.read_form``);
patching a copy here would silently change nothing."""

from backroom.screens.groups.actions import GroupActions, delete_question
from backroom.screens.groups.form import FormData, GroupFormScreen
from backroom.screens.groups.list import GroupsScreen
from backroom.screens.groups.taxes import TaxClassDialog, TaxClassesScreen
from backroom.screens.groups.view import GroupViewScreen

__all__ = ["FormData", "GroupActions", "GroupFormScreen", "GroupViewScreen", "GroupsScreen", "TaxClassDialog",
           "TaxClassesScreen", "delete_question"]
