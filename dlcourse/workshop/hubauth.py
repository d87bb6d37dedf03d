"""The room server's login (dlcourse.workshop.hub): a name from the room's list and its password."""

from __future__ import annotations

import secrets

from jupyterhub.auth import Authenticator
from traitlets import Dict


class RoomAuthenticator(Authenticator):
    """Log in with a name from the room's list and its password (per account or one shared)."""

    passwords = Dict(config=True, help="account name -> password")

    async def authenticate(self, handler, data):
        """The name when its password matches, else None."""
        name, given = data.get("username", ""), data.get("password", "")
        expected = self.passwords.get(name)
        if expected and secrets.compare_digest(expected.encode(), given.encode()):
            return name
        return None
