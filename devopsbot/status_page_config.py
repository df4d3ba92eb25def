"""The organisation file's ``[status_page]`` section: the page's title, each service's public name and group,
and the default text of the final public update offered on resolve. Every component must be a service.

    [status_page]
    title = "Contoso status"
    final_update = "This incident has been resolved."
    components.checkout = { name = "Checkout", group = "Shopping" }
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from incident.public_face import MAX_PUBLIC_TEXT, Component, StatusPagePolicy

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PUBLIC_TEXT)]
DEFAULTS = StatusPagePolicy()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComponentModel(_Strict):
    name: Label | None = None  # absent: the service's key
    group: Label | None = None


class StatusPageModel(_Strict):
    title: Label = DEFAULTS.title
    final_update: Text = DEFAULTS.final_update
    default_title: Label = DEFAULTS.default_title
    history_days: int = Field(default=DEFAULTS.history_days, ge=1, le=365)
    components: dict[Name, ComponentModel] = Field(default_factory=dict)


def check_status_page(model: StatusPageModel, services: Sequence[str]) -> None:
    """A component that is not one of the organisation's services stops start-up, naming it."""
    for key in model.components:
        if key not in services:
            raise ValueError(f"status_page.components: unknown service '{key}' (defined: {', '.join(services)})")


def status_page_policy(model: StatusPageModel) -> StatusPagePolicy:
    return StatusPagePolicy(
        title=model.title, final_update=model.final_update, default_title=model.default_title,
        history_days=model.history_days,
        components=tuple(Component(key, c.name or key, c.group or "") for key, c in model.components.items()))
