"""Access-policy hooks: a county extends who may perform actions that touch no personal data.

Narrowing any right is ``cgov_narrow_permission`` (in the core hooks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.access import Action


@hookspec
def cgov_extend_permission(action: Action) -> list[str] | None:
    """Let more posts perform an action that touches no personal data.

    Called once per action and store, the first time a service checks the action; the answers
    are kept for the life of the store. Actions that reveal or change personal data
    (``action.personal``) can never be widened: an answer naming posts for one of them is a
    :class:`~community_governance.errors.PluginError`, and nothing is written. The added posts
    act within their own units, like the built-in ones.

    Args:
        action: the action (its ``name``, built-in ``roles`` and ``personal`` flag).

    Returns:
        Post kinds (``PostKind`` values such as ``"building_leader"``) that may also perform
        the action, or ``None`` to leave it as it is.

    All results are combined: the posts every plugin names are added to the built-in ones.

    Example::

        @hookimpl
        def cgov_extend_permission(action):
            if action.name == "points.earn":
                return ["building_leader"]  # in this county building leaders award points too
            return None
    """
