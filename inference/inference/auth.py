"""API-key verification without PBKDF2 on the request path for keys the backend issued
with a lookup digest, and at most once per key and worker for older ones.

Verification has two halves with different lifetimes:

* which key a presented secret is. The key's stored SHA-256 (``lookup_digest``) tells
  at once; a key issued without one needs PBKDF2. The answer never changes (a key's
  secret is fixed), so it is cached under the SHA-256 of the secret;
* whether that key may be used now (revoked, expired, owner deactivated, scopes). That
  changes, so it is cached per key id, dropped when the backend publishes
  ``api_key_revoked``, and re-read from the database every ``recheck_seconds`` for
  every cached key, which bounds how long a lost event can go unnoticed.

Only keys that may be used are hashed against: a revoked or expired key is refused from
its row alone. Failed verifications are counted per client address and per key prefix
(``API_KEY_FAILURE_RATE``, shared by the workers like the request rate limit); past the
limit, attempts answer 429 before any hashing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from passlib.hash import django_pbkdf2_sha256
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inference import selectors
from inference.errors import AuthenticationFailed, NotAuthenticated, PermissionDenied
from inference.ratelimit import RateLimiter
from inference.selectors import KeyCandidate, KeyState
from inference.singleflight import SingleFlight
from recotem_common.api_keys import digest_identifies, key_digest, lookup_prefix, scope_refusal

logger = logging.getLogger(__name__)

INVALID_KEY = "Invalid API key."
# A wrong secret is remembered this long, so repeating it does not cost PBKDF2 again.
REFUSED_SECONDS = 10.0
MAX_CACHED_SECRETS = 10_000
RECHECK_CHUNK = 500


def _deleted(api_key_id: int) -> KeyState:
    return KeyState(api_key_id=api_key_id, project_id=0, scopes=frozenset(), refusal=INVALID_KEY)


def _password_matches(raw_key: str, hashed_key: str) -> bool:
    try:
        return bool(django_pbkdf2_sha256.verify(raw_key, hashed_key))
    except ValueError:
        # A hash of another scheme cannot belong to a key this service verifies.
        return False


async def _password_match(raw_key: str, candidates: list[KeyCandidate]) -> KeyCandidate | None:
    """The key among ``candidates`` (issued without a lookup digest) that PBKDF2 says
    ``raw_key`` is."""
    for candidate in candidates:
        # PBKDF2 takes a large fraction of a second; keep the event loop serving.
        if await asyncio.to_thread(_password_matches, raw_key, candidate.hashed_key):
            return candidate
    return None


def _bounded_put(cache: dict[str, Any], key: str, value: Any) -> None:
    cache[key] = value
    if len(cache) > MAX_CACHED_SECRETS:
        cache.pop(next(iter(cache)))


class ApiKeyVerifier:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache_seconds: float,
        recheck_seconds: float,
        failures: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._failures = failures
        self._cache_seconds = cache_seconds
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._key_ids: dict[str, tuple[int, float]] = {}
        self._refused: dict[str, tuple[str, float]] = {}
        self._states: dict[int, KeyState] = {}
        self._identifying: SingleFlight[str, KeyState] = SingleFlight()
        self._loading_states: SingleFlight[int, KeyState] = SingleFlight()

    async def authenticate(self, raw_key: str | None, *, client: str = "") -> KeyState:
        """The usable key behind ``raw_key``, or raise a 401 (a 429 once ``client`` or
        the key's prefix has failed too often)."""
        if not raw_key:
            raise NotAuthenticated("Send your API key in the X-API-Key header.")
        digest = key_digest(raw_key)
        now = self._clock()
        known = self._key_ids.get(digest)
        if known is not None and now - known[1] < self._cache_seconds:
            state = self._states.get(known[0]) or await self._load_state(known[0])
        else:
            refused = self._refused.get(digest)
            if refused is not None and now - refused[1] < REFUSED_SECONDS:
                raise AuthenticationFailed(refused[0])
            failures = [f"failed_key:client:{client}"]
            prefix = lookup_prefix(raw_key)
            if prefix is not None:
                failures.append(f"failed_key:prefix:{prefix}")
            self._failures.refuse_if_spent(
                *failures, what="for failed API-key attempts from this client or key prefix"
            )
            try:
                state = await self._identifying.run(
                    digest, lambda: self._identify(raw_key, digest, prefix)
                )
            except AuthenticationFailed:
                self._failures.count(*failures)
                raise
        if state.refusal is not None:
            raise AuthenticationFailed(state.refusal)
        return state

    def forget(self, api_key_id: int) -> None:
        """Drop what is known about a key's state; the next use reads it again."""
        self._states.pop(api_key_id, None)

    async def recheck(self) -> None:
        """Refresh the state of every cached key from the database."""
        ids = list(self._states)
        for start in range(0, len(ids), RECHECK_CHUNK):
            chunk = ids[start : start + RECHECK_CHUNK]
            async with self._sessionmaker() as session:
                found = await selectors.api_key_states(session, api_key_ids=chunk)
            for api_key_id in chunk:
                if api_key_id in self._states:
                    self._states[api_key_id] = found.get(api_key_id) or _deleted(api_key_id)

    async def run_rechecks(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_seconds)
            try:
                await self.recheck()
            except Exception:
                # Keep the last known states: the database being down must not take
                # every verified key with it. Events still revoke.
                logger.warning("Could not re-check API keys", exc_info=True)

    def cached_key_ids(self) -> Iterable[int]:
        return self._states.keys()

    async def _identify(self, raw_key: str, digest: str, prefix: str | None) -> KeyState:
        candidates = []
        if prefix is not None:
            async with self._sessionmaker() as session:
                candidates = await selectors.api_key_candidates(session, prefix=prefix)
        usable = [candidate for candidate in candidates if candidate.state.refusal is None]
        matched = next((c for c in usable if digest_identifies(c.lookup_digest, digest)), None)
        if matched is None:
            matched = await _password_match(raw_key, [c for c in usable if not c.lookup_digest])
        if matched is not None:
            state = matched.state
            _bounded_put(self._key_ids, digest, (state.api_key_id, self._clock()))
            self._states[state.api_key_id] = state
            return state
        # Only unusable keys have this prefix: say why, without paying PBKDF2 to learn
        # whether the secret matched.
        refusal = candidates[0].state.refusal if candidates and not usable else None
        _bounded_put(self._refused, digest, (refusal or INVALID_KEY, self._clock()))
        raise AuthenticationFailed(refusal or INVALID_KEY)

    async def _load_state(self, api_key_id: int) -> KeyState:
        return await self._loading_states.run(api_key_id, lambda: self._read_state(api_key_id))

    async def _read_state(self, api_key_id: int) -> KeyState:
        async with self._sessionmaker() as session:
            found = await selectors.api_key_states(session, api_key_ids=[api_key_id])
        state = found.get(api_key_id) or _deleted(api_key_id)
        self._states[api_key_id] = state
        return state


def require_scope(state: KeyState, *accepted: str) -> None:
    """A 403 unless the key's scopes grant one of ``accepted`` (the rule both services
    share, ``scope_refusal``)."""
    refusal = scope_refusal(state.scopes, *accepted)
    if refusal is not None:
        raise PermissionDenied(refusal)
