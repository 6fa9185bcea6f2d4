"""Builds ``static/fonts/h2push-pixel.woff2``, the test project's web font.

The font is made here from nothing but the bitmaps below (5 by 7 pixels per
character, drawn for this project), so it carries no one else's design or licence;
it is under the project's own MIT licence. Upper and lower case share one glyph.

The test project only serves the result; nothing imports this file. To build the
font again (fontTools and brotli are needed for this only, not by h2push or its
tests), from the repository's root::

    python -m venv /tmp/fontgen && /tmp/fontgen/bin/pip install fonttools brotli
    /tmp/fontgen/bin/python testproject/make_demo_font.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools.fontBuilder import FontBuilder  # type: ignore[import-not-found]
from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-not-found]

OUTPUT = Path(__file__).resolve().parent / "static" / "fonts" / "h2push-pixel.woff2"
FAMILY = "H2push Pixel"
PIXEL = 100  # font units per pixel; 1000 to the em
ADVANCE = 6 * PIXEL  # five pixels and one of space

# Rows from the top (cap height, 7 pixels) to the baseline.
BITMAPS = {
    "A": [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "B": ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."],
    "C": [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
    "D": ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."],
    "E": ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
    "F": ["#####", "#....", "#....", "####.", "#....", "#....", "#...."],
    "G": [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"],
    "H": ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "I": [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "J": ["..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."],
    "K": ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"],
    "L": ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
    "M": ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
    "N": ["#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"],
    "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "P": ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
    "Q": [".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"],
    "R": ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
    "S": [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
    "T": ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
    "U": ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "V": ["#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
    "W": ["#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."],
    "X": ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"],
    "Y": ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."],
    "Z": ["#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"],
    "0": [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
    "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    "3": ["####.", "....#", "....#", ".###.", "....#", "....#", "####."],
    "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    "6": [".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."],
    "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    "9": [".###.", "#...#", "#...#", ".####", "....#", "....#", ".###."],
    ".": [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
    ",": [".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."],
    ":": [".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."],
    "!": ["..#..", "..#..", "..#..", "..#..", "..#..", ".....", "..#.."],
    "?": [".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."],
    "-": [".....", ".....", ".....", "#####", ".....", ".....", "....."],
    "'": ["..#..", "..#..", ".....", ".....", ".....", ".....", "....."],
    "/": ["....#", "....#", "...#.", "..#..", ".#...", "#....", "#...."],
    "(": ["...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."],
    ")": [".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."],
    "@": [".###.", "#...#", "#.###", "#.#.#", "#.###", "#....", ".####"],
    " ": ["....."] * 7,
}


def glyph_name(character: str) -> str:
    return f"uni{ord(character):04X}"


def draw(rows: list[str]) -> object:
    """One rectangle per run of pixels in a row, clockwise (TrueType's outer contours)."""
    pen = TTGlyphPen(None)
    for index, row in enumerate(rows):
        top = (len(rows) - index) * PIXEL
        column = 0
        while column < len(row):
            if row[column] != "#":
                column += 1
                continue
            start = column
            while column < len(row) and row[column] == "#":
                column += 1
            left, right = start * PIXEL, column * PIXEL
            pen.moveTo((left, top - PIXEL))
            pen.lineTo((left, top))
            pen.lineTo((right, top))
            pen.lineTo((right, top - PIXEL))
            pen.closePath()
    return pen.glyph()


def left_side_bearing(rows: list[str]) -> int:
    columns = [row.index("#") for row in rows if "#" in row]
    return min(columns) * PIXEL if columns else 0


def build() -> None:
    names = [".notdef", *(glyph_name(c) for c in BITMAPS)]
    glyphs = {".notdef": draw(["#####"] * 7)}
    metrics = {".notdef": (ADVANCE, 0)}
    cmap: dict[int, str] = {}
    for character, rows in BITMAPS.items():
        name = glyph_name(character)
        glyphs[name] = draw(rows)
        metrics[name] = (ADVANCE, left_side_bearing(rows))
        cmap[ord(character)] = name
        if character.isalpha():
            cmap[ord(character.lower())] = name
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(cmap)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=900, descent=-200)
    builder.setupNameTable(
        {
            "familyName": FAMILY,
            "styleName": "Regular",
            "copyright": "Made for the h2push test project (MIT licence).",
        }
    )
    builder.setupOS2(
        sTypoAscender=900,
        sTypoDescender=-200,
        sTypoLineGap=100,
        usWinAscent=900,
        usWinDescent=200,
        sxHeight=700,
        sCapHeight=700,
    )
    builder.setupPost()
    builder.font.flavor = "woff2"
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    builder.save(str(OUTPUT))
    print(f"{OUTPUT}: {OUTPUT.stat().st_size} bytes, {len(names)} glyphs")


if __name__ == "__main__":
    build()
