"""Tile PNG pages into one image for review: python tools/contact_sheet.py OUT.png PAGE.png..."""
from __future__ import annotations

import sys

from PIL import Image


def main(out: str, pages: list[str], columns: int = 4) -> None:
    images = [Image.open(p).convert("RGB") for p in pages]
    w = max(i.width for i in images)
    h = max(i.height for i in images)
    rows = (len(images) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (w + 8), rows * (h + 8)), "#777777")
    for n, img in enumerate(images):
        sheet.paste(img, ((n % columns) * (w + 8) + 4, (n // columns) * (h + 8) + 4))
    sheet.save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
