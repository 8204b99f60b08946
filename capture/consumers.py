"""Thin async consumers: authenticate, scope to the clerk's outlet, relay group messages, and
signal one capture attempt (offer in, answer and challenge prompts out)."""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings

from registration import selectors, services
from registration.errors import DomainError, NotFound
from registration.models import VerificationSession
from registration.realtime import outlet_group, session_group
from registration.state_machine import SessionState
from registration.verification_policy import effective_policy

from .channel_end import EndsItsChannel
from .user_access import CLOSE_CUSTOMER_MODE, CLOSE_UNAUTHENTICATED, FollowsItsUser
from .webrtc.peer import CapturePeer, OfferRejected, PeerEnd, PeerTimeouts
from .webrtc.registry import CaptureAlreadyOpen, CaptureBusy, SlotHolder, get_registry

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_REFUSED = 4409
CLOSE_BUSY = 4503
CLOSE_TOO_MANY = 4429
CLOSE_ENDED = 4000

MAX_CAPTURE_MESSAGES = 20
MAX_CAPTURE_MESSAGE_BYTES = 70 * 1024
PEER_TIMEOUTS = PeerTimeouts()


class PushConsumer(FollowsItsUser, EndsItsChannel, AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """A push-only socket: relays its group's session updates while its user may see them."""

    group = ""

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.unfollow_user()

    async def session_update(self, event: dict[str, Any]) -> None:
        if refusal := await self.access_refusal():
            await self.end_for_access(refusal)
            return
        await self.send_json({"type": "session", "session": event["session"]})


class SessionConsumer(PushConsumer):
    """Pushes one session's state changes to the clerk's page."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        try:
            payload, outlet_id = await database_sync_to_async(_session_payload)(user, session_id)
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = session_group(session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.follow_user(user, outlet_id, session_id)
        await self.accept()
        if await self.refused_in_customer_mode():
            return
        await self.send_json({"type": "session", "session": payload})


class DashboardConsumer(PushConsumer):
    """Pushes every session change of the clerk's outlet to the outlet dashboard."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        outlet = await database_sync_to_async(selectors.staff_outlet)(user)
        if outlet is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = outlet_group(outlet.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.follow_user(user, outlet.pk)
        await self.accept()
        await self.refused_in_customer_mode()  # the outlet's customers are no customer's screen


class UnknownRouteConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """Every WebSocket path no route matches: refused with 4404 (the HTTP side's 404)."""

    async def connect(self) -> None:
        await self.close(code=CLOSE_NOT_FOUND)


ACCESS_ENDED = "access_ended"  # the end reason of an attempt whose clerk signed out or lost access
NOT_SAVED = "not_saved"
"""The end reason of an attempt whose result the server could not store."""


def _capture_stored(session_id: str) -> bool:
    """Whether the attempt's end is stored (its verdict will follow), read again after a failure."""
    with contextlib.suppress(Exception):
        return selectors.session_capture_stored(session_id)
    return False


def _session_payload(user: Any, session_id: str) -> tuple[dict[str, Any], int]:
    session = selectors.session_get_for_user(user, session_id)
    return selectors.session_public_payload(session), session.outlet_id


class CaptureConsumer(FollowsItsUser, EndsItsChannel, AsyncWebsocketConsumer):  # type: ignore[misc]
    """Signalling for one capture attempt of one session.

    Messages in: {"type": "offer", "sdp": "..."} once, {"type": "cancel"}. Messages out: "ready"
    (how many steps, never which: each step's action is first named by the "status" that prompts
    it, so no footage can be fitted to the plan in advance), "answer", "status" (prompt, countdown,
    hint), "captured", "ended" and "error" ({"code", "message"}). Every refusal is sent as an error
    before the socket closes, so the page can say why; nothing a client sends can crash the consumer.
    """

    session_id: str = ""
    peer: CapturePeer | None = None
    nonce: str = ""
    received = 0
    reserved = False
    group = ""
    end_reason = "disconnected"  # what the attempt's end is recorded as when the socket closes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Whatever ends this consumer (a crash in the channel layer, the server cancelling it on
        shutdown), the peer connection is closed and the attempt recorded."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.peer is not None:
                await self.peer.close("server_error")
            await self._release()

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse("not_signed_in", "Sign in again to start the challenge.", CLOSE_UNAUTHENTICATED)
            return
        self.session_id = str(self.scope["url_route"]["kwargs"]["session_id"])
        try:
            _, outlet_id = await database_sync_to_async(_session_payload)(user, self.session_id)
        except NotFound as exc:
            await self._refuse(exc.code, exc.message, CLOSE_NOT_FOUND)
            return
        await self.follow_user(user, outlet_id, self.session_id)
        if await self.refused_in_customer_mode() or not await self._reserve_slot():
            return
        try:
            session = await database_sync_to_async(services.capture_start)(
                session_id=self.session_id, actor=user, no_lights=_asks_no_lights(self.scope)
            )
        except DomainError as exc:
            await self._release()
            code, message = _capture_refusal(exc)
            await self._refuse(code, message, CLOSE_REFUSED)
            return
        self.nonce = session.challenge_nonce
        self.group = session_group(self.session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self._start_peer(session.challenge_plan)
        max_attempts = await database_sync_to_async(lambda: effective_policy().max_liveness_attempts)()
        ready = {"type": "ready", "steps": len(session.challenge_plan), "attempt": session.attempt_count}
        await self._send({**ready, "max_attempts": max_attempts})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.received += 1
        if self.received > MAX_CAPTURE_MESSAGES:
            self.end_reason = "too_many_messages"  # a flood is no interruption: the attempt fails
            await self._refuse("too_many_messages", "Too many messages on this connection.", CLOSE_TOO_MANY)
            return
        message = _parse_message(text_data, bytes_data)
        if isinstance(message, str):
            await self._error("invalid_message", message)
            return
        kind = message.get("type")
        if kind == "offer":
            await self._answer(message.get("sdp"))
        elif kind == "cancel":
            if self.peer is not None:
                await self.peer.close("cancelled_by_clerk")
        elif kind == "prompt_shown":
            await self._prompt_shown(message.get("step_index"))
        elif kind == "ping":
            await self._send({"type": "pong"})
        else:
            await self._error("unknown_message", "Unknown message type: expected offer, prompt_shown, cancel or ping.")

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.unfollow_user()
        if self.peer is not None:
            await self.peer.close(self.end_reason)
        await self._release()

    async def session_update(self, event: dict[str, Any]) -> None:
        """The session left the challenge elsewhere (cancelled, expired): end this attempt too."""
        if self.peer is not None and event["session"].get("state") != SessionState.LIVENESS_RUNNING:
            await self.peer.close("session_ended")

    async def end_for_access(self, code: int = CLOSE_UNAUTHENTICATED) -> None:
        """The clerk's access ended (signed out, deactivated, moved), or the tablet went to another
        registration's customer: the attempt ends, the socket closes."""
        if self.peer is not None:
            await self.peer.close(ACCESS_ENDED)
        if code == CLOSE_CUSTOMER_MODE:
            await self._refuse("customer_mode", "The customer holds the tablet: hand it back first.", code)
            return
        await self._refuse("not_signed_in", "Sign in again to start the challenge.", CLOSE_UNAUTHENTICATED)

    # --- steps ---------------------------------------------------------------------------------

    async def _reserve_slot(self) -> bool:
        try:
            get_registry().reserve(
                self.session_id, SlotHolder(outlet_id=self.outlet_id or 0, clerk_id=self.user_id or 0)
            )
        except CaptureAlreadyOpen:
            await self._refuse(
                "capture_in_progress",
                "The challenge for this session is already open on another screen.",
                CLOSE_REFUSED,
            )
            return False
        except CaptureBusy:
            await self._refuse("busy", "The server is busy with other challenges: retry in a moment.", CLOSE_BUSY)
            return False
        self.reserved = True
        return True

    def _start_peer(self, plan: list[str]) -> None:
        registry = get_registry()
        self.peer = CapturePeer(
            plan=plan,
            ice_servers=settings.SHIMING_ICE_SERVERS,
            ice_local_networks=settings.SHIMING_ICE_LOCAL_NETWORKS,
            video_kbps=settings.SHIMING_FACE_VIDEO_KBPS,
            executor=registry.executor,
            send=self._send,
            on_end=self._on_peer_end,
            timeouts=PEER_TIMEOUTS,
            label=self.session_id,
        )
        registry.attach(self.session_id, self.peer)
        self.peer.start()

    async def _answer(self, sdp: Any) -> None:
        if self.peer is None:
            await self._error("not_ready", "No capture attempt is open on this connection.")
            return
        try:
            answer = await self.peer.accept_offer(sdp)
        except OfferRejected as exc:
            await self._error(exc.code, exc.message)
            return
        await self._send({"type": "answer", "sdp": answer})
        await database_sync_to_async(services.reference_embed_ahead)(session_id=self.session_id)

    async def _prompt_shown(self, step_index: Any) -> None:
        """The page displayed a step's prompt: the reaction window runs from then (bounded by the server)."""
        if not isinstance(step_index, int) or isinstance(step_index, bool) or step_index < 0:
            await self._error("invalid_message", "prompt_shown needs a step_index (a whole number).")
            return
        if self.peer is not None:
            self.peer.prompt_shown(step_index)

    async def _on_peer_end(self, end: PeerEnd) -> None:
        """The attempt is over: store it for the workers' verdict, or record why it was cut short."""
        try:
            if end.reason == "finished" and end.outcome is not None:
                await database_sync_to_async(services.capture_finish)(
                    session_id=self.session_id,
                    nonce=self.nonce,
                    trace=end.outcome.trace,
                    **end.outcome.frames(),
                    live_summary=end.outcome.live_summary,
                )
                await self._send({"type": "captured", "frames": self._frame_counts()})
            else:
                aborted = await database_sync_to_async(services.capture_abort)(
                    session_id=self.session_id, nonce=self.nonce, reason=end.reason
                )
                await self._ended(end.reason, aborted)
        except DomainError as exc:
            await self._send({"type": "error", "code": exc.code, "message": exc.message})
        except Exception:  # the database refused the end or went away: see _end_not_saved
            logger.exception("capture %s: the end of the attempt could not be stored", self.session_id)
            await self._end_not_saved()
        finally:
            await self._release()
            await self._close_quietly(CLOSE_ENDED)

    async def _end_not_saved(self) -> None:
        """Storing the attempt's end failed: the attempt fails (a retry is allowed) rather than leave
        the session in the challenge. If it was stored after all (the connection broke as the commit
        went through), it stays captured; if the database is away, `services.attempts_recover` ends
        it later. (A broker away after the commit never gets here: `capture_finish` logs it, and the
        recovery sends the verdict again.)"""
        try:
            aborted = await database_sync_to_async(services.capture_abort)(
                session_id=self.session_id, nonce=self.nonce, reason=NOT_SAVED
            )
        except Exception:  # still away: the periodic recovery ends the attempt
            logger.exception("capture %s: the failed attempt could not be recorded either", self.session_id)
            aborted = None
        if aborted is None and await database_sync_to_async(_capture_stored)(self.session_id):
            await self._send({"type": "captured", "frames": self._frame_counts()})
        else:
            await self._ended(NOT_SAVED, aborted)

    async def _ended(self, reason: str, aborted: VerificationSession | None) -> None:
        """Cut short: the page learns the state and attempts after it (an interruption gives one back)."""
        after = {"state": aborted.state, "attempt_count": aborted.attempt_count} if aborted else {}
        await self._send({"type": "ended", "reason": reason, "frames": self._frame_counts(), **after})

    # --- plumbing ------------------------------------------------------------------------------

    def _frame_counts(self) -> dict[str, int]:
        return self.peer.frame_counts if self.peer is not None else {}

    async def _release(self) -> None:
        if self.reserved:
            self.reserved = False
            get_registry().release(self.session_id)

    async def _refuse(self, code: str, message: str, close_code: int) -> None:
        await self._error(code, message)
        await self._close_quietly(close_code)

    async def _error(self, code: str, message: str) -> None:
        await self._send({"type": "error", "code": code, "message": message})

    async def _send(self, message: dict[str, Any]) -> None:
        try:
            await self.send(text_data=json.dumps(message))
        except Exception:  # noqa: BLE001 - the page has gone: the attempt still ends cleanly
            logger.debug("capture socket of %s is gone", self.session_id)

    async def _close_quietly(self, code: int) -> None:
        try:
            await self.close(code=code)
        except Exception:  # noqa: BLE001 - already closed
            logger.debug("capture socket of %s already closed", self.session_id)


def _parse_message(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any] | str:
    """The message as a dict, or the reason it cannot be one."""
    if text_data is None:
        return "Messages are JSON text, not binary."
    if len(text_data) > MAX_CAPTURE_MESSAGE_BYTES:
        return "The message is too large."
    try:
        message = json.loads(text_data)
    except ValueError:
        return "The message is not valid JSON."
    except RecursionError:  # small enough to pass the size check, nested deeper than the parser's stack
        return "The message is nested too deeply."
    if not isinstance(message, dict):
        return "The message must be a JSON object."
    return message


def _capture_refusal(exc: DomainError) -> tuple[str, str]:
    """A refusal the page can act on; a challenge running elsewhere gets its own code."""
    if exc.code == "illegal_transition" and exc.details.get("from") == SessionState.LIVENESS_RUNNING:
        return "capture_in_progress", "The challenge for this session is already open on another screen."
    return exc.code, exc.message


def _asks_no_lights(scope: dict[str, Any]) -> bool:
    """The customer chose to do without the screen lights (`?no_lights=1` on the socket's URL)."""
    return parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1")).get("no_lights") == ["1"]
