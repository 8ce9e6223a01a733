#!/usr/bin/env python3
"""ANSI terminal capture (tmux capture-pane -e -p) -> one HTML page, a monospace grid on a dark
background, for a headless-browser screenshot. Standard library only.

Understands SGR: reset, bold, dim, italic, underline, reverse, their resets, the 16 colours
(30-37, 90-97, 40-47, 100-107), 256 colours (38;5;n / 48;5;n), truecolor (38;2;r;g;b) and the
default colours (39/49). Other escape sequences are dropped.

Usage: ansi2html.py CAPTURE.ans OUT.html [--cols N --rows N --title T]
Prints "WIDTH HEIGHT": the window size (CSS pixels) that fits the grid exactly.
"""

import argparse
import html
import math
import os
import re
import sys

FONT_PX = int(os.environ.get("FONT_PX", "16"))
LINE = 1.17  # DejaVu Sans Mono's box-drawing glyphs join at this line height
CHAR_EM = 0.6021  # advance width of DejaVu Sans Mono
PAD = 14

BG = "#14161b"
FG = "#d7dae0"
# the 16 ANSI colours (a dark terminal theme, like most default ones)
BASE16 = [
    "#1d1f21", "#e0575b", "#5fba6a", "#e5c07b", "#5c9ee8", "#c678dd", "#56b6c2", "#c5c8c6",
    "#6b7079", "#ff7b7f", "#8ee49b", "#f5d896", "#86bbff", "#e19bf0", "#7fd7e2", "#ffffff",
]


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return "#%02x%02x%02x" % (r, g, b)
    v = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (v, v, v)


class Pen:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.italic, self.underline, self.reverse)

    def apply(self, params):
        ps = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = BASE16[p - 30]
            elif 90 <= p <= 97:
                self.fg = BASE16[p - 90 + 8]
            elif 40 <= p <= 47:
                self.bg = BASE16[p - 40]
            elif 100 <= p <= 107:
                self.bg = BASE16[p - 100 + 8]
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    c = color256(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    c = "#%02x%02x%02x" % tuple(max(0, min(255, v)) for v in ps[i + 2:i + 5])
                    i += 4
                else:
                    c = None
                    i += 1
                if p == 38:
                    self.fg = c
                else:
                    self.bg = c
            i += 1

    def style(self):
        fg, bg = self.fg or FG, self.bg or BG
        if self.reverse:
            fg, bg = bg, fg
        css = []
        if fg != FG:
            css.append("color:" + fg)
        if bg != BG:
            css.append("background:" + bg)
        if self.bold:
            css.append("font-weight:bold")
        if self.dim:
            css.append("opacity:.62")
        if self.italic:
            css.append("font-style:italic")
        if self.underline:
            css.append("text-decoration:underline")
        return ";".join(css)


ESC = re.compile(r"\x1b\[([0-9;:]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


def line_html(line, pen):
    out = []
    pos = 0
    spans = []  # (style, text)

    def text(t):
        if not t:
            return
        s = pen.style()
        if spans and spans[-1][0] == s:
            spans[-1] = (s, spans[-1][1] + t)
        else:
            spans.append((s, t))

    for m in ESC.finditer(line):
        text(line[pos:m.start()])
        if m.group(2) == "m":
            pen.apply(m.group(1).replace(":", ";"))
        pos = m.end()
    text(line[pos:])
    for s, t in spans:
        t = html.escape(t, quote=False)
        out.append('<span style="%s">%s</span>' % (s, t) if s else t)
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=34)
    ap.add_argument("--title", default="sgkeys")
    ap.add_argument("--bg", default=BG, help="the terminal's background (a light one: #ffffff)")
    ap.add_argument("--fg", default=FG, help="the terminal's default text colour")
    a = ap.parse_args()
    with open(a.capture, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = lines[: a.rows]
    pen = Pen()
    body = "\n".join(line_html(l, pen) for l in lines)
    lh = FONT_PX * LINE
    width = math.ceil(a.cols * FONT_PX * CHAR_EM + 2 * PAD)
    height = math.ceil(a.rows * lh + 2 * PAD)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(a.title)}</title>
<style>
html, body {{ margin: 0; background: {a.bg}; overflow: hidden; }}
pre {{ margin: 0; padding: {PAD}px; color: {a.fg}; background: {a.bg};
  font: {FONT_PX}px/{LINE} "DejaVu Sans Mono", "Liberation Mono", monospace;
  font-variant-ligatures: none; white-space: pre; }}
</style></head>
<body><pre>{body}</pre></body></html>
"""
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(page)
    print(width, height)


if __name__ == "__main__":
    sys.exit(main())
