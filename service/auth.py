"""Bearer tokens for writes. A token is shown once, when created; only its SHA-256 is kept, in a
JSON file beside the store (PARTNERKG_TOKENS), so tokens can be managed while the server runs.
Tokens are 256 random bits, so a fast hash is enough: nothing can be guessed from it."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


class TokenError(ValueError):
    """A token operation that cannot be done (a duplicate name, an unknown name)."""


@dataclass(frozen=True)
class TokenRecord:
    """A stored token: its name, when it was made, and the hash of its secret."""

    name: str
    created: str
    sha256: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class TokenStore:
    """Tokens in a JSON file, rewritten atomically."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def records(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        if not self.path.exists():
            return []
        return [TokenRecord(**r) for r in json.loads(self.path.read_text(encoding="utf-8"))]

    def _write(self, records: list[TokenRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump([asdict(r) for r in records], out, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def create(self, name: str) -> str:
        """Make a token; return its secret (never stored)."""
        if not name.strip():
            raise TokenError("a token needs a name")
        records = self.records()
        if any(r.name == name for r in records):
            raise TokenError(f"a token named {name!r} exists already; revoke it first")
        secret = "pk_" + secrets.token_urlsafe(32)
        records.append(TokenRecord(name, datetime.now(UTC).isoformat(timespec="seconds"), _digest(secret)))
        self._write(records)
        return secret

    def revoke(self, name: str) -> None:
        """Forget a token."""
        records = self.records()
        if not any(r.name == name for r in records):
            raise TokenError(f"no token named {name!r}")
        self._write([r for r in records if r.name != name])

    def verify(self, secret: str) -> str | None:
        """The name of the token with this secret, or None."""
        digest = _digest(secret)
        for record in self.records():
            if hmac.compare_digest(record.sha256, digest):
                return record.name
        return None
