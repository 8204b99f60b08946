"""Every text colour in the stylesheet meets WCAG 2.1 AA contrast against the surfaces it is drawn on.

The pairs come from `frontend/static/frontend/app.css` itself, not from a hand-kept list:
- a rule that sets both `color` (or an SVG text's `fill`) and a background is one pair;
- a rule that sets only a text colour is checked against every surface the stylesheet paints
  (every background of a rule that sets no text colour of its own: the page, the cards, the panels,
  the pills) and white, because the stylesheet alone cannot say which of them it will sit on;
- a surface whose text inherits the page colour is checked against that colour.
A translucent background is flattened over both black and white and the worse case kept (the
countdown sits on live video). AA asks 4.5:1 for text, 3:1 for large text (24 px, or 18.66 px bold);
disabled controls are exempt (WCAG 1.4.3), so `opacity` on `:disabled` is not a colour pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

STYLESHEET = Path(__file__).resolve().parents[2] / "frontend" / "static" / "frontend" / "app.css"
BODY_PX = 18.0  # `body { font: 18px/1.5 ... }`: what 1rem is on every page
AA_TEXT = 4.5
AA_LARGE = 3.0
# Painted areas that hold no text of their own: a status dot, the camera's video, the black stage
# the video sits in (the countdown on it brings its own background and is judged with it), the
# turn gauge's track and fill.
NOT_TEXT_SURFACES = {
    ".live-dot",
    '[data-live="1"] .live-dot',
    ".camera-box video",
    ".stage",
    ".turn-gauge",
    ".turn-gauge-fill",
    ".turn-gauge.far-enough .turn-gauge-fill",
}


@dataclass(frozen=True)
class Rule:
    selector: str
    declarations: dict[str, str]


def _rules(css: str) -> list[Rule]:
    """The style rules, with `@media` blocks flattened and `@keyframes` left out (a 1.2 s flash)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: list[Rule] = []
    depth_stack: list[str] = []
    buffer = ""
    for char in css:
        if char == "{":
            head = buffer.strip()
            buffer = ""
            depth_stack.append(head)
        elif char == "}":
            head = depth_stack.pop() if depth_stack else ""
            inside_keyframes = any(h.startswith("@keyframes") for h in depth_stack)
            if head and not head.startswith("@") and not inside_keyframes:
                declarations = {}
                for part in buffer.split(";"):
                    if ":" in part:
                        name, value = part.split(":", 1)
                        declarations[name.strip()] = value.strip()
                rules.extend(Rule(selector.strip(), declarations) for selector in head.split(","))
            buffer = ""
        else:
            buffer += char
    return rules


def _variables(rules: list[Rule]) -> dict[str, str]:
    root = next(rule for rule in rules if rule.selector == ":root")
    return {name: value for name, value in root.declarations.items() if name.startswith("--")}


def _colour(value: str, variables: dict[str, str]) -> tuple[float, float, float, float] | None:
    """An RGBA colour of a declaration's value, or None when it names no single colour."""
    value = re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], value).strip()
    if value in {"none", "transparent", "inherit"}:
        return None
    hexa = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value)
    if hexa:
        digits = hexa.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
        return red, green, blue, 1.0
    rgba = re.fullmatch(r"rgba?\(([^)]*)\)", value)
    if rgba:
        parts = [p.strip() for p in rgba.group(1).split(",")]
        alpha = float(parts[3]) if len(parts) == 4 else 1.0
        return float(parts[0]), float(parts[1]), float(parts[2]), alpha
    if value == "white" or value == "#fff":
        return 255, 255, 255, 1.0
    return None


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = rgb
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _ratio(text: tuple[float, float, float, float], surface: tuple[float, float, float, float]) -> float:
    """The worse contrast of `text` on `surface`, a translucent surface flattened over black and white."""
    worst = float("inf")
    for under in ((0.0, 0.0, 0.0), (255.0, 255.0, 255.0)):
        alpha = surface[3]
        flat = tuple(surface[i] * alpha + under[i] * (1 - alpha) for i in range(3))
        light, dark = sorted((_luminance(text[:3]), _luminance(flat)), reverse=True)  # type: ignore[arg-type]
        worst = min(worst, (light + 0.05) / (dark + 0.05))
        if alpha == 1.0:
            break
    return worst


def _is_large(rule: Rule) -> bool:
    size = rule.declarations.get("font-size", "")
    match = re.fullmatch(r"([\d.]+)(rem|em|px)", size)
    if not match:
        return False
    px = float(match.group(1)) * (1 if match.group(2) == "px" else BODY_PX)
    bold = rule.declarations.get("font-weight", "") in {"600", "700", "bold"}
    return px >= 24 or (bold and px >= 18.66)


def _text_colour(rule: Rule) -> str | None:
    if "color" in rule.declarations:
        return rule.declarations["color"]
    if rule.selector.endswith(" text") and "fill" in rule.declarations:
        return rule.declarations["fill"]  # SVG text is coloured by its fill
    return None


def _background(rule: Rule) -> str | None:
    return rule.declarations.get("background-color") or rule.declarations.get("background")


def pairs(css: str) -> list[tuple[str, str, str, float, float]]:
    """(selector, text colour, surface, ratio, AA minimum) for every colour pair the stylesheet makes."""
    rules = _rules(css)
    variables = _variables(rules)
    body = next(rule for rule in rules if rule.selector == "body")
    body_colour = body.declarations["color"]

    surfaces: dict[str, str] = {"white": "#fff"}
    for rule in rules:
        background = _background(rule)
        holds_text = rule.selector not in NOT_TEXT_SURFACES
        if holds_text and background and _colour(background, variables) and _text_colour(rule) is None:
            surfaces[rule.selector] = background

    found = []
    for rule in rules:
        text = _text_colour(rule)
        background = _background(rule)
        minimum = AA_LARGE if _is_large(rule) else AA_TEXT
        if text is None or text.strip() in {"inherit", "currentColor"}:
            continue  # an inherited colour is judged where it is set
        text_rgba = _colour(text, variables)
        assert text_rgba is not None, f"{rule.selector}: cannot read the colour {text!r}"
        own = _colour(background, variables) if background else None
        targets = {rule.selector: background} if own is not None and background else surfaces
        for where, surface in targets.items():
            surface_rgba = _colour(surface, variables)
            assert surface_rgba is not None
            found.append((rule.selector, text, f"{surface} ({where})", _ratio(text_rgba, surface_rgba), minimum))
    body_rgba = _colour(body_colour, variables)
    assert body_rgba is not None
    for where, surface in surfaces.items():
        surface_rgba = _colour(surface, variables)
        assert surface_rgba is not None
        found.append((f"{where} (inherited text)", body_colour, surface, _ratio(body_rgba, surface_rgba), AA_TEXT))
    return found


def test_the_stylesheet_yields_its_colour_pairs() -> None:
    """The parser sees the pairs it must judge: a silent parser would pass any stylesheet."""
    found = pairs(STYLESHEET.read_text(encoding="utf-8"))
    selectors = {selector for selector, *_ in found}
    assert {".muted", ".outcome-manual_review", ".state-approved", ".countdown", ".distance-bar text"} <= selectors
    assert len(found) > 60


PAGE = "body { font: 18px/1.5 x; color: #111; } "


@pytest.mark.parametrize(
    ("css", "passes"),
    [
        (PAGE + ":root { --warn: #b25e00; } .x { color: var(--warn); background: #fff0d9; }", False),
        (PAGE + ":root { --warn: #8a4a00; } .x { color: var(--warn); background: #fff0d9; }", True),
        (PAGE + ":root { } .c { color: #fff; background: rgba(0,0,0,.3); }", False),
        (PAGE + ":root { } .big { color: #808080; font-size: 2rem; }", True),
    ],
)
def test_the_judge_tells_a_low_contrast_pair(css: str, passes: bool) -> None:
    """4.17:1 amber text on its light amber (the old review outcome) fails; a darker amber passes."""
    assert all(ratio >= minimum for *_, ratio, minimum in pairs(css)) is passes


def test_every_text_colour_meets_wcag_aa() -> None:
    failing = [
        f"{selector}: {text} on {surface} = {ratio:.2f}:1 (AA needs {minimum}:1)"
        for selector, text, surface, ratio, minimum in pairs(STYLESHEET.read_text(encoding="utf-8"))
        if ratio < minimum
    ]
    assert not failing, "\n".join(failing)
