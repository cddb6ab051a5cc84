"""Who may act: the role checks every service applies to the acting user.

Its own module, below the services that use it, so that `services.audit` (which
`services.admin` records through) can check the actor without importing `services.admin`.
"""

from models import Role, User
from services.errors import NotAllowed


def require_admin(actor: User) -> None:
    """The actor's role as loaded from the database for this update."""
    if actor.role is not Role.admin or actor.is_banned:
        raise NotAllowed()


def can_sell(user: User) -> bool:
    """Sellers and admins sell (and answer their products' reviews)."""
    return user.role in (Role.seller, Role.admin)
