"""The challenge engine: calibration, prompted steps, timeouts and the anti-spoofing guards.

Pure and synchronous: it is fed `FrameFeatures` (one per admitted frame, with the clock time
at which the frame arrived) and returns `LivenessUpdate`s; it never reads a clock, a file or
the network, so the same frames always give the same verdict (see `trace.recompute_verdict`).
All times are the frames' media times in seconds, except `received_at` (the injected clock),
which is only compared with the media times to notice impossible timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .calibration import ArrivalClock, calibration_from
from .config import LivenessConfig
from .detectors import BlinkDetector, TurnDetector
from .events import EventType, LivenessEvent
from .features import QUALITY_HINTS, FrameFeatures, Quality
from .guards import FaceContinuityGuard, InjectionGuard, PlanarMotionGuard, frame_motion
from .light import LightRecorder, reveal
from .plan import ChallengePlan, ChallengeStep
from .results import Calibration, LivenessUpdate, LivenessVerdict, Phase, Reason, StepResult
from .steps import JUDGEMENT_REASONS, Judgement, StepTiming, missed_step_reason, turn_progress

HOLD_STILL = "hold_still"
"""The prompt during a step's gap: no action asked yet."""
_TRACKABLE = frozenset(set(Quality) - {Quality.NO_FACE, Quality.MULTIPLE_FACES})


@dataclass
class _Attempt:
    """State of one attempt; an identity jump starts a new one."""

    started_at: float
    samples: list[FrameFeatures] = field(default_factory=list)
    calibration: Calibration | None = None
    steps: list[StepResult] = field(default_factory=list)
    timing: StepTiming | None = None
    blinked: bool = False
    light: LightRecorder | None = None


class ChallengeEngine:
    """Runs one liveness session over a stream of frame features.

    Call `process` for every admitted frame, in order; `prompt_shown` when the page says it
    displayed a prompt; `finish` when the stream ends. The verdict is decided once (pass, or the
    first failure) and then frozen; later frames still feed the detectors so `events` covers the
    whole stream. Steps are strict (see `liveness.steps`): times of prompts and answers are on
    the server clock (`received_at`).
    """

    def __init__(self, plan: ChallengePlan, config: LivenessConfig | None = None) -> None:
        self.plan = plan
        self.config = config or LivenessConfig()
        self._blinks = BlinkDetector(self.config)
        self._turns = TurnDetector(self.config)
        self._injection = InjectionGuard(self.config)
        self._continuity = FaceContinuityGuard(self.config)
        self._planar = PlanarMotionGuard(self.config)
        self._events: list[LivenessEvent] = []
        self._attempt: _Attempt | None = None
        self._first_t: float | None = None
        self._last_t = 0.0
        self._previous_face: FrameFeatures | None = None
        self._last_face_t: float | None = None
        self._last_yaw: float | None = None
        self._restarts = 0
        self._verdict: LivenessVerdict | None = None
        self._now = 0.0  # received_at of the frame being processed
        self._clock = ArrivalClock()  # when recent frames reached the server

    # --- Public contract ---------------------------------------------------------------------

    @property
    def verdict(self) -> LivenessVerdict | None:
        """The verdict once decided (with every event seen so far), else None."""
        return None if self._verdict is None else self._with_all_events(self._verdict)

    @property
    def events(self) -> tuple[LivenessEvent, ...]:
        """Every blink and turn seen so far."""
        return tuple(self._events)

    @property
    def calibration(self) -> Calibration | None:
        """What the current attempt's calibration learnt, once done."""
        return self._attempt.calibration if self._attempt else None

    @property
    def answering(self) -> bool:
        """A step's prompt is out and its action not yet seen: the frames of this moment are the
        customer answering the challenge (the only frames the match may use)."""
        attempt = self._attempt
        if attempt is None or self._verdict is not None or attempt.timing is None:
            return False
        return attempt.timing.issued_at is not None

    def relative_pose(self, frame: FrameFeatures) -> tuple[float, float]:
        """(yaw, pitch) of `frame` relative to the frontal pose (calibrated or provisional)."""
        yaw0, pitch0 = self._frontal()
        return frame.yaw - yaw0, frame.pitch - pitch0

    def prompt_shown(self, step_index: int, at: float) -> None:
        """The page displayed the prompt of step `step_index` at server time `at` (received_at's
        clock). Counts only for the current step, once, and within `prompt_ack_max_seconds` of
        the prompt's sending."""
        attempt = self._attempt
        if attempt is None or attempt.timing is None or step_index != len(attempt.steps):
            return
        attempt.timing.acknowledge(at, self.config)

    def process(self, frame: FrameFeatures, received_at: float) -> LivenessUpdate:
        """Take one admitted frame; return what the page should show now."""
        if self._first_t is None:
            self._first_t = frame.t
            self._attempt = _Attempt(started_at=frame.t)
        self._last_t = frame.t
        self._now = received_at
        self._clock.remember(frame.t, received_at)
        restarted = False
        injection = self._injection.check(frame, received_at)
        if self._injection.reanchored:  # after an encoder's hole: the session starts at this frame
            self._first_t = frame.t
            self._begin_again(frame)
        if injection is not None:
            self._fail(frame.t, Reason.SUSPECTED_INJECTION, injection)
        elif frame.has_face and frame.quality in _TRACKABLE:
            restarted = self._track_face(frame)
        else:
            self._blinks.interrupt()
            self._previous_face = None
        if self._verdict is None:
            self._advance(frame)
        return self._update(frame, restarted)

    def finish(self) -> LivenessVerdict:
        """End of the stream: the verdict (a session that had not passed is incomplete)."""
        if self._verdict is None:
            self._fail(self._last_t, Reason.INCOMPLETE)
        assert self._verdict is not None  # noqa: S101 - set by _fail
        return self._with_all_events(self._verdict)

    # --- Per frame ------------------------------------------------------------------------------

    def _track_face(self, frame: FrameFeatures) -> bool:
        relative_yaw, relative_pitch = self.relative_pose(frame)
        away, self._last_face_t = self._face_was_away(frame), frame.t
        if self._verdict is None and (away or self._continuity.jumped(frame, relative_yaw, relative_pitch)):
            if not self._step_prompted():
                self._restart(frame)
                return True
            # Running the same plan again would hand its prompted steps out in advance.
            self._fail(frame.t, Reason.FACE_LOST if away else Reason.IDENTITY_JUMP)
        motion = frame_motion(self._previous_face, frame)
        self._previous_face = frame
        if motion is not None and self._planar.add(motion):
            self._fail(frame.t, Reason.PLANAR_MOTION)
            self._forget_planar_blinks(frame.t)
        for event in self._detect(frame, relative_yaw):
            self._on_event(event)
        return False

    def _step_prompted(self) -> bool:
        """A step of this attempt has been prompted: the page was told which action it asks for.

        Until then a lost or changed face calibrates again under the same plan, which reveals
        nothing; from then on it ends the attempt (`face_lost` or `identity_jump`), and the next
        attempt draws a new plan."""
        attempt = self._attempt
        if attempt is None:
            return False
        return bool(attempt.steps) or (attempt.timing is not None and attempt.timing.issued_at is not None)

    def _face_was_away(self, frame: FrameFeatures) -> bool:
        """The calibrated face was out of sight long enough for someone else to take its place.

        Proportions from the mesh hardly tell two people apart and a newcomer can step in where
        the last face was, so after `face_lost_restart_seconds` without a face the person who
        comes back calibrates again, or fails the attempt once a step was prompted (a turn or a
        blink never hides the face for that long).
        """
        attempt = self._attempt
        if attempt is None or attempt.calibration is None or self._last_face_t is None:
            return False
        return frame.t - self._last_face_t > self.config.face_lost_restart_seconds

    def _detect(self, frame: FrameFeatures, relative_yaw: float) -> list[LivenessEvent]:
        events = []
        blink = self._blinks.update(
            frame.t, frame.ear_left, frame.ear_right, frame.eye_change, relative_yaw=relative_yaw
        )
        if blink is not None:
            events.append(blink)
        if self._plausible_yaw(frame.yaw):
            turn = self._turns.update(frame.t, relative_yaw)
            if turn is not None:
                events.append(turn)
        return events

    def _plausible_yaw(self, yaw: float) -> bool:
        """False for a pose glitch: beyond the usable range, or a jump no head makes between
        two frames (one such frame must not count as a turn out and back)."""
        last, self._last_yaw = self._last_yaw, yaw
        if abs(yaw) > self.config.max_abs_yaw_degrees:
            return False
        return last is None or abs(yaw - last) <= self.config.max_yaw_step_degrees

    def _forget_planar_blinks(self, t: float) -> None:
        """A flat photo tilted toward the camera narrows its eyes: the 'blinks' seen while it moved
        like a plane are perspective, not eyelids, and are not reported."""
        since = t - self.config.planar_window_seconds
        self._events = [event for event in self._events if event.type is not EventType.BLINK or event.t_end < since]

    def _on_event(self, event: LivenessEvent) -> None:
        if event.type is not EventType.BLINK and self._planar.turn_is_planar(event.t_start, event.t_end):
            self._fail(event.t_end, Reason.PLANAR_MOTION)
            return  # a photo's fake turn is not reported as a turn
        if event.type is not EventType.BLINK and not self._planar.turn_moved_the_image(event.t_start, event.t_end):
            return  # the fitted model's yaw swung, the image did not turn: not a turn
        if (
            event.type is EventType.BLINK
            and self._verdict is not None
            and Reason.PLANAR_MOTION in self._verdict.reasons
        ):
            return  # the photo keeps moving like a plane after the failure: no blink from it either
        self._events.append(event)
        attempt = self._attempt
        if attempt is None or self._verdict is not None:
            return
        if event.type is EventType.BLINK:
            attempt.blinked = True
        if attempt.calibration is not None and len(attempt.steps) < len(self.plan.steps):
            self._match_step(attempt, event)

    def _match_step(self, attempt: _Attempt, event: LivenessEvent) -> None:
        """Judge the event against the current step: answer it, ignore it, or fail the attempt."""
        timing = attempt.timing
        assert timing is not None  # noqa: S101 - set with the calibration
        step = self.plan.steps[len(attempt.steps)]
        judgement = timing.judge(step, event.type, self._clock.received_at(event.t_start), self.config)
        if judgement is Judgement.ANSWERED:
            attempt.steps.append(StepResult(step, timing.shown or 0.0, self._now))
            attempt.timing = self._next_timing(len(attempt.steps))
        elif judgement is not Judgement.IGNORED:
            self._fail(event.t_end, JUDGEMENT_REASONS[judgement])

    def _next_timing(self, step_index: int) -> StepTiming | None:
        """The clock of step `step_index`, its gap starting now (None after the last step)."""
        if step_index >= len(self.plan.steps):
            return None
        gaps = self.plan.gaps
        gap = gaps[step_index] if gaps else self.config.gap_min_seconds
        return StepTiming(gap_start=self._now, gap=gap)

    def _advance(self, frame: FrameFeatures) -> None:
        attempt = self._attempt
        assert attempt is not None  # noqa: S101 - created on the first frame
        if self._first_t is not None and frame.t - self._first_t > self.config.session_timeout_seconds:
            self._fail(frame.t, Reason.SESSION_TIMEOUT)
        elif attempt.calibration is None:
            self._calibrate(attempt, frame)
        elif len(attempt.steps) == len(self.plan.steps):
            self._complete(frame.t, attempt)
        else:
            self._run_step(attempt, frame)

    def _run_step(self, attempt: _Attempt, frame: FrameFeatures) -> None:
        """Send the prompt once the gap is over; fail the step once it cannot be answered in time."""
        timing = attempt.timing
        assert timing is not None  # noqa: S101 - set with the calibration
        if timing.tick(self._now):
            self._turns.mark()  # how far the head goes from the prompt on (`missed_step_reason`)
        step = self.plan.steps[len(attempt.steps)]
        if step is ChallengeStep.LIGHT:
            self._run_light(attempt, timing, frame)
        elif timing.overdue(step, self._now, self.config):
            self._fail(frame.t, Reason.STEP_TIMEOUT, missed_step_reason(step, self._turns, self.config))

    def _run_light(self, attempt: _Attempt, timing: StepTiming, frame: FrameFeatures) -> None:
        """Record the face's colours from the prompt on; once the sequence and the longest lag
        are over (`liveness.light`), go on to the next step or fail with `light_mismatch`."""
        shown = timing.shown
        if shown is None:
            return
        attempt.light = attempt.light or LightRecorder(self.plan.light)
        if frame.has_face and frame.quality in _TRACKABLE:
            attempt.light.add(frame.t, self._now, frame.skin, frame.backdrop)
        passed = attempt.light.decide(shown, self._now, self.config.light)
        if passed:
            attempt.steps.append(StepResult(ChallengeStep.LIGHT, shown, self._now))
            attempt.timing, attempt.light = self._next_timing(len(attempt.steps)), None
        elif passed is not None:
            self._fail(frame.t, Reason.LIGHT_MISMATCH)

    def _calibrate(self, attempt: _Attempt, frame: FrameFeatures) -> None:
        config = self.config
        if (
            frame.quality is Quality.OK
            and abs(frame.yaw) <= config.calibration_max_abs_yaw
            and abs(frame.pitch) <= config.calibration_max_abs_pitch
        ):
            attempt.samples.append(frame)
        samples = attempt.samples
        if len(samples) >= config.calibration_min_frames and samples[-1].t - samples[0].t >= config.calibration_seconds:
            attempt.calibration = calibration_from(samples, frame.t, config.baseline_percentile)
            attempt.timing = self._next_timing(0)
            self._continuity.set_reference(attempt.calibration.signature)
        elif frame.t - attempt.started_at > config.step_timeout_seconds:
            self._fail(frame.t, Reason.CALIBRATION_FAILED)

    def _complete(self, t: float, attempt: _Attempt) -> None:
        if self.config.require_blink and not attempt.blinked:
            self._fail(t, Reason.NO_BLINK)
            return
        self._verdict = LivenessVerdict(True, (), tuple(attempt.steps), (), self._restarts, t)

    def _restart(self, frame: FrameFeatures) -> None:
        """A different face before any prompt: start the challenge again from calibration."""
        self._restarts += 1
        if self._restarts > self.config.max_restarts:
            self._fail(frame.t, Reason.IDENTITY_JUMP)
            return
        self._begin_again(frame)

    def _begin_again(self, frame: FrameFeatures) -> None:
        """A new attempt from this frame: calibration, its clock and every detector start here
        (after a restart, or on the second frame after an encoder's hole, `InjectionGuard`)."""
        self._attempt = _Attempt(started_at=frame.t)
        for detector in (self._blinks, self._turns, self._planar, self._continuity):
            detector.reset()
        self._previous_face = None
        self._last_yaw = None

    def _fail(self, t: float, *reasons: Reason) -> None:
        if self._verdict is not None:
            return
        attempt = self._attempt
        codes = list(reasons)
        if self.config.require_blink and (attempt is None or not attempt.blinked) and Reason.NO_BLINK not in codes:
            codes.append(Reason.NO_BLINK)
        steps = self._steps_with_pending(attempt)
        self._verdict = LivenessVerdict(False, tuple(codes), steps, (), self._restarts, t)

    def _steps_with_pending(self, attempt: _Attempt | None) -> tuple[StepResult, ...]:
        if attempt is None or attempt.calibration is None:
            return ()
        steps = list(attempt.steps)
        timing = attempt.timing
        if len(steps) < len(self.plan.steps) and timing is not None:
            shown = timing.shown
            steps.append(StepResult(self.plan.steps[len(steps)], timing.prompt_due if shown is None else shown, None))
        return tuple(steps)

    def _with_all_events(self, verdict: LivenessVerdict) -> LivenessVerdict:
        return replace(verdict, events=tuple(self._events))

    # --- Helpers -------------------------------------------------------------------------------

    def _frontal(self) -> tuple[float, float]:
        attempt = self._attempt
        if attempt is None or not attempt.samples:
            return 0.0, 0.0
        if attempt.calibration is not None:
            return attempt.calibration.yaw, attempt.calibration.pitch
        yaws = [sample.yaw for sample in attempt.samples]
        pitches = [sample.pitch for sample in attempt.samples]
        return float(np.median(yaws)), float(np.median(pitches))

    def _update(self, frame: FrameFeatures, restarted: bool) -> LivenessUpdate:
        attempt = self._attempt
        assert attempt is not None  # noqa: S101 - created on the first frame
        done = len(attempt.steps)
        count = len(self.plan.steps)
        hint = QUALITY_HINTS[frame.quality]
        if self._verdict is not None:
            phase = Phase.PASSED if self._verdict.passed else Phase.FAILED
            return LivenessUpdate(phase, phase.value, min(done, count - 1), count, done, None, 0.0, restarted)
        if attempt.calibration is None:
            if hint is None and abs(frame.yaw) > self.config.calibration_max_abs_yaw:
                hint = QUALITY_HINTS[Quality.NOT_FRONTAL]
            remaining = self.config.step_timeout_seconds - (frame.t - attempt.started_at)
            return LivenessUpdate(
                Phase.CALIBRATING, "look_at_camera", 0, count, 0, hint, max(remaining, 0.0), restarted
            )
        timing = attempt.timing
        index = min(done, count - 1)
        step = self.plan.steps[index]
        remaining = timing.seconds_left(self._now, self.config) if timing is not None else 0.0
        prompt = step.value if timing is None or timing.issued_at is not None else HOLD_STILL
        colours, seconds = reveal(self.plan.light, self.config.light) if prompt == ChallengeStep.LIGHT else ((), 0.0)
        turn = turn_progress(prompt, self.relative_pose(frame)[0], self.config) if frame.has_face else 0.0
        return LivenessUpdate(
            Phase.CHALLENGE, prompt, index, count, done, hint, remaining, restarted, colours, seconds, turn
        )
