#!/usr/bin/env python3
"""Turn a terminal capture with ANSI colours (tmux capture-pane -e -p) into an SVG.

Standard library only, so screenshots need no browser and no extra packages. Understands
SGR: reset, bold, dim, italic, underline, reverse, the 16 colours, 256 colours and 24-bit
colour. Full blocks are drawn as rectangles so big digits have no gaps between cells.

    python3 scripts/ansi2svg.py screen.ans --cols 120 --rows 40 --title "qtop" > screen.svg
"""

import argparse
import html
import re
import sys

# A dark palette close to common terminal defaults (xterm-ish, a little softer).
BASE16 = [
    "#1e1e1e", "#e05561", "#8cc265", "#d18f52", "#4aa5f0", "#c162de", "#42b3c2", "#d7dae0",
    "#5c6370", "#ff616e", "#a5e075", "#f0a45d", "#4dc4ff", "#de73ff", "#4cd1e0", "#e6e6e6",
]
DEFAULT_FG = "#d7dae0"
DEFAULT_BG = "#1e1e1e"
CELL_W = 8.4
CELL_H = 17
FONT_SIZE = 14
# Box-drawing characters as the arms they draw (up, down, left, right): drawn as lines so
# borders join up whatever the font's line height.
BOX = {
    "\u2500": "lr", "\u2502": "ud", "\u250c": "dr", "\u2510": "dl", "\u2514": "ur", "\u2518": "ul",
    "\u251c": "udr", "\u2524": "udl", "\u252c": "lrd", "\u2534": "lru", "\u253c": "udlr",
}
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-B]")


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return f"#{r:02x}{g:02x}{b:02x}"
    v = 8 + (n - 232) * 10
    return f"#{v:02x}{v:02x}{v:02x}"


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        for k in self.__slots__:
            setattr(s, k, getattr(self, k))
        return s

    def key(self):
        return tuple(getattr(self, k) for k in self.__slots__)

    def apply(self, params):
        codes = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = "#{:02x}{:02x}{:02x}".format(*codes[i + 2 : i + 5])
                    i += 4
                else:
                    value = None
                if c == 38:
                    self.fg = value
                else:
                    self.bg = value
            i += 1


def parse(text, cols, rows):
    """Cells as (char, Style) rows, padded to cols x rows."""
    grid = []
    style = Style()
    for raw in text.split("\n")[:rows]:
        row = []
        pos = 0
        for m in SGR.finditer(raw):
            for ch in OTHER_ESC.sub("", raw[pos : m.start()]):
                row.append((ch, style.copy()))
            style.apply(m.group(1))
            pos = m.end()
        for ch in OTHER_ESC.sub("", raw[pos:]):
            row.append((ch, style.copy()))
        row = row[:cols]
        row += [(" ", Style()) for _ in range(cols - len(row))]
        grid.append(row)
    while len(grid) < rows:
        grid.append([(" ", Style()) for _ in range(cols)])
    return grid


def colours(st):
    fg = st.fg or DEFAULT_FG
    bg = st.bg
    if st.reverse:
        fg, bg = (st.bg or DEFAULT_BG), (st.fg or DEFAULT_FG)
    return fg, bg


def render(grid, cols, rows, title):
    width = cols * CELL_W + 20
    height = rows * CELL_H + 20 + (24 if title else 0)
    top = 10 + (24 if title else 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
        f'font-size="{FONT_SIZE}">',
        f'<rect width="100%" height="100%" rx="6" fill="{DEFAULT_BG}"/>',
    ]
    if title:
        out.append(
            f'<text x="10" y="22" fill="#8a8f98" font-size="12" xml:space="preserve">{html.escape(title)}</text>'
        )
    for y, row in enumerate(grid):
        py = top + y * CELL_H
        # Backgrounds and full blocks first, as rectangles.
        x = 0
        while x < cols:
            ch, st = row[x]
            fg, bg = colours(st)
            fill = fg if ch == "\u2588" else bg
            if fill is None:
                x += 1
                continue
            end = x + 1
            while end < cols:
                nch, nst = row[end]
                nfg, nbg = colours(nst)
                if (nfg if nch == "\u2588" else nbg) != fill:
                    break
                end += 1
            opacity = ' fill-opacity="0.55"' if st.dim and ch == "\u2588" else ""
            out.append(
                f'<rect x="{10 + x * CELL_W:.1f}" y="{py}" width="{(end - x) * CELL_W + 0.5:.1f}" '
                f'height="{CELL_H}" fill="{fill}"{opacity}/>'
            )
            x = end
        for x, (ch, st) in enumerate(row):
            arms = BOX.get(ch)
            if not arms:
                continue
            fg, _ = colours(st)
            cx, cy = 10 + x * CELL_W + CELL_W / 2, py + CELL_H / 2
            ends = {"u": (cx, py), "d": (cx, py + CELL_H), "l": (10 + x * CELL_W, cy), "r": (10 + (x + 1) * CELL_W, cy)}
            for a in arms:
                ex, ey = ends[a]
                out.append(
                    f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="{fg}" stroke-width="1.2"/>'
                )
        # Text in runs of one style; textLength pins every run to the cell grid.
        x = 0
        while x < cols:
            ch, st = row[x]
            end = x + 1
            while end < cols and row[end][1].key() == st.key():
                end += 1
            text = "".join(" " if c == "\u2588" or c in BOX else c for c, _ in row[x:end])
            if text.strip():
                fg, _ = colours(st)
                attrs = [f'fill="{fg}"']
                if st.bold:
                    attrs.append('font-weight="bold"')
                if st.dim:
                    attrs.append('fill-opacity="0.6"')
                if st.italic:
                    attrs.append('font-style="italic"')
                if st.underline:
                    attrs.append('text-decoration="underline"')
                out.append(
                    f'<text x="{10 + x * CELL_W:.1f}" y="{py + CELL_H - 4}" textLength="{(end - x) * CELL_W:.1f}" '
                    f'lengthAdjust="spacingAndGlyphs" xml:space="preserve" {" ".join(attrs)}>'
                    f"{html.escape(text)}</text>"
                )
            x = end
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", help="capture with ANSI escapes ('-' for stdin)")
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    text = sys.stdin.read() if args.input == "-" else open(args.input, encoding="utf-8").read()
    sys.stdout.write(render(parse(text, args.cols, args.rows), args.cols, args.rows, args.title))


if __name__ == "__main__":
    main()
