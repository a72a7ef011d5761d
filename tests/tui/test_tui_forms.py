"""The form kit (tui/forms.py) in a bare app with Backroom's stylesheets."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input

from backroom.tui.app import BackroomApp
from backroom.tui.forms import Field, Form


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
