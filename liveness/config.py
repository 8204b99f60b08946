"""Every threshold of the liveness engine, in one frozen object.

The Django side builds one `LivenessConfig` from settings (see `LivenessConfig` field docs); tests
and the bench build their own. Times are in seconds, angles in degrees, ratios are fractions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .light import LightConfig
from .plan import ChallengeStep


@dataclass(frozen=True, slots=True)
class LivenessConfig:
    """Thresholds of the capture: frame budget, challenge, quality and anti-spoofing."""

    # --- Frame budget and timing ------------------------------------------------------------
    fps_budget: float = 15.0
    step_count: int = 3
    calibration_seconds: float = 0.8
    calibration_min_frames: int = 6
    calibration_max_abs_yaw: float = 20.0
    calibration_max_abs_pitch: float = 25.0
    step_timeout_seconds: float = 8.0
    """Longest calibration, and the upper bound of a step (see `step_seconds`)."""
    session_timeout_seconds: float = 40.0

    # --- Strict steps (see `liveness.steps`): server clock, seconds ---------------------------
    reaction_min_seconds: float = 0.2
    """A turn that begins sooner after the prompt was shown did not answer it (`too_early`)."""
    reaction_max_seconds: float = 3.0
    """The answer must begin within this long after the prompt was shown (else `too_late`)."""
    prompt_ack_max_seconds: float = 0.5
    """The page's 'prompt displayed' counts up to this long after the server sent the prompt."""
    gap_min_seconds: float = 0.5
    gap_max_seconds: float = 1.5
    """Bounds of the random hold-still gap before each prompt, in which no turn may begin."""
    still_gaps_forbid_blinks: bool = True
    """A blink begun in the gap (or sooner than reaction_min after the prompt) is `too_early` too;
    the page asks the customer to hold still with open eyes for that second."""
    turn_max_seconds: float = 3.0
    """Longest turn, from leaving the frontal band to coming back."""

    # --- Blink: eye aspect ratio relative to the person's own open-eye level -----------------
    baseline_window_seconds: float = 3.0
    baseline_percentile: float = 80.0
    baseline_min_frames: int = 3
    blink_close_ratio: float = 0.72
    blink_open_ratio: float = 0.85
    blink_recovery_fraction: float = 0.6
    blink_max_seconds: float = 0.8
    blink_min_eye_change: float = 0.2
    """An eye closure is a blink only if an eye's pixels changed this much during it
    (`liveness.eye_appearance`: 1 - correlation with the same eye 0.1-0.4 s before, found where
    the image's own motion carried it): the eye no longer correlates at 0.8 with itself. Under two
    thirds of the smallest change of a real blink in the shared clips (0.33), twice the largest of
    the mesh's closures on bent and re-compressed prints of a cut-off photo (0.096). Measured by
    `bench/blink_evidence.py` (docs/liveness.md)."""

    blink_start_max_abs_yaw: float = 15.0
    """An eye closure begins only this near the calibrated frontal pose (degrees of yaw): turned
    further, the face mesh's eye ratios follow the turn (one eye of antispoofing_real.mov read 0.12
    frontal, 0.8 at 50 degrees, the other narrowed), and a turn's end looked like a blink. People
    blink while turning a little (annotated blinks of liveportrait_d12, d19), hence wider than the
    frontal band. The open-eye level is learnt inside `frontal_band_degrees` only."""

    # --- Turn: yaw relative to the calibrated frontal pose ----------------------------------
    turn_yaw_degrees: float = 25.0
    frontal_band_degrees: float = 10.0
    max_abs_yaw_degrees: float = 75.0
    max_yaw_step_degrees: float = 45.0
    turn_min_parallax_per_degree: float = 0.005
    """A yaw excursion is a turn only if the image moved as a head turning does: the summed
    parallax of the flow-tracked anchors over the excursion (`liveness.guards`, per frame the
    motion beyond a homography, in face sizes) per degree the yaw travelled meanwhile (the sum of
    its frame-to-frame steps) reaches this. The yaw is read from a fitted face model, which can
    swing past `turn_yaw_degrees` on a print that barely turns (bent prints of a photo cut off at
    the cheek, read as 28-32-degree turns: 0.0012-0.0043); the nose moving against the eyes and
    the outline is what no fit can make. The shared clips' meshes turned in 1-degree steps from 10
    to 25 degrees and back show 0.0073-0.0090 without any tracking noise (`bench/turn_parallax.py`;
    the tests' rough synthetic head 0.0058), the shared clips' real turns 0.0096-0.036 (d3,
    antispoofing_real, d12's 20-degree turns): the margin to the prints is thin (1.2x) and is
    stated in docs/liveness.md."""

    # --- Frame quality ------------------------------------------------------------------------
    min_face_fraction: float = 0.18
    min_brightness: float = 50.0
    max_brightness: float = 235.0
    min_sharpness: float = 15.0
    multi_face_check_every: int = 45

    # --- Anti-spoofing --------------------------------------------------------------------------
    planar_window_seconds: float = 2.0
    planar_min_deformation: float = 0.15
    planar_max_parallax_ratio: float = 0.4
    planar_min_parallax: float = 0.03
    identity_max_difference: float = 0.12
    identity_confirm_frames: int = 3
    """Mismatching frames among the last `identity_window_frames` comparable ones that mean another
    face: counted over a window, so frames of someone else slipped in between the customer's
    (every few frames) add up, where a count of frames in a row started again at each of them."""
    identity_window_frames: int = 15
    identity_max_abs_yaw: float = 15.0
    face_jump_max_widths: float = 0.6
    face_jump_max_scale: float = 1.5
    face_jump_max_gap_seconds: float = 0.5
    face_lost_restart_seconds: float = 1.0
    """A calibrated face out of sight this long is lost: whoever comes back may be someone else."""
    max_restarts: int = 2
    """Calibrations again after a lost or changed face, allowed only before the attempt's first
    prompt (after it the attempt fails: the same plan again would be known in advance)."""
    max_identical_frames: int = 10
    max_clock_drift_seconds: float = 1.0
    max_first_frame_gap_seconds: float = 5.0
    """How far a first frame's stamp may lie behind the second's for the stream to be anchored on the
    second (`InjectionGuard`): the frames an H.264 encoder skips after an oversized first key frame.
    Measured in Chromium up to 4.07 s (4.60 s once; a noisy picture at the browser's own start
    bitrate: docs/light-step.md, "The early first frame"); a longer gap is frames from the future."""
    require_blink: bool = True

    # --- Screen light (see `liveness.light`; off by default) ------------------------------------
    light: LightConfig = field(default_factory=LightConfig)

    def step_seconds(self, step: ChallengeStep) -> float:
        """A step's limit from the prompt shown: the reaction window plus the action's own length,
        never more than `step_timeout_seconds`."""
        if step is ChallengeStep.LIGHT:
            return self.light.decision_delay
        action = self.blink_max_seconds if step is ChallengeStep.BLINK else self.turn_max_seconds
        return min(self.step_timeout_seconds, self.reaction_max_seconds + action)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dict (stored next to the trace)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LivenessConfig:
        """Build from a dict; unknown keys are ignored so older traces still load."""
        known = {item.name for item in fields(cls)}
        chosen = {key: value for key, value in values.items() if key in known}
        if isinstance(chosen.get("light"), dict):
            light_known = {item.name for item in fields(LightConfig)}
            chosen["light"] = LightConfig(**{k: v for k, v in chosen["light"].items() if k in light_known})
        return cls(**chosen)
