"""The form kit (tui/forms.py) in a bare app with Backroom's stylesheets."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input

from backroom.tui.app import BackroomApp
from backroom.tui.forms import Field, Form, Row, Tick


class FormApp(App):
    CSS_PATH = BackroomApp.CSS_PATH

    def __init__(self, *fields: Field) -> None:
        super().__init__()
        self.fields = fields

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield from self.fields


def heights(form: Form) -> dict[str, int]:
    return {f.key: f.region.height for f in form.fields()}


async def test_an_error_shows_under_its_field_and_leaves_no_row_once_cleared():
    app = FormApp(Field("name", Input(compact=True), "Name"), Field("email", Input(compact=True), "Email"))
    async with app.run_test(size=(80, 10)) as pilot:
        form = Form(app.screen)
        assert heights(form) == {"name": 1, "email": 1}
        assert form.show_errors({"name": "Name is required", "other": "x"}) == {"other": "x"}
        await pilot.pause()
        assert heights(form) == {"name": 2, "email": 1}
        error = app.screen.query_one("#err-name")
        assert error.display and str(error.render()) == "Name: Name is required"
        form.clear_errors()
        await pilot.pause()
        assert heights(form) == {"name": 1, "email": 1}
        assert not error.display
        form.show_errors({"name": "Name is required"})  # shown again: the same row comes back
        await pilot.pause()
        assert heights(form) == {"name": 2, "email": 1}


async def test_fields_without_labels_share_a_row_and_stay_fields_of_the_form():
    app = FormApp(Field("name", Input(compact=True), "Name"),
                  Row("", Field("free", Tick("Free", compact=True), None),
                      Field("hidden", Tick("Hidden", True, compact=True), None)),
                  Field("after", Input(compact=True), "After"))
    async with app.run_test(size=(80, 10)) as pilot:
        form = Form(app.screen)
        assert form.values() == {"name": "", "free": False, "hidden": True, "after": ""}
        name, free, hidden = (app.screen.query_one(s) for s in ("#name", "#free", "#hidden"))
        # Both ticks on one row, the first where the inputs start, the second after a gap.
        assert free.region.y == hidden.region.y == name.region.y + 1
        assert free.region.x == name.region.x
        assert hidden.region.x == free.region.right + 3
        assert not app.screen.query("#field-free .form-label")  # no label, not even an empty one
        form.show_errors({"free": "No"})
        await pilot.pause()
        error = app.screen.query_one("#err-free")
        assert (error.region.x, error.region.y) == (free.region.x, free.region.y + 1)
        assert str(error.render()) == "Free: No"  # the error names the tick
        assert app.screen.query_one("#after").region.y == free.region.y + 2
        form.clear_errors()
        await pilot.pause()
        assert app.screen.query_one("#after").region.y == free.region.y + 1
