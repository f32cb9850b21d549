"""Write the image fixtures that Go's own encoders cannot make, and record
what Pillow (an independent decoder) reads back from them.

Every fixture shows the same 24x16 pattern of six 8x8 blocks, aligned with
JPEG's 8x8 blocks so that lossy codecs keep the block colours. For each file,
fixtures.json records the display size and the colour Pillow decodes at the
centre of each block (after applying EXIF orientation, and compositing alpha
over white); the Go tests decode the same files and compare.

Run from the repository root with the pinned venv:
    PY=$(imageio/testdata/fixtures-venv.sh) && "$PY" imageio/testdata/make_images.py
(`make goldens` runs it with the numpy-only golden venv; it then re-runs
itself with the Pillow venv.)
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import numpy as np
    from PIL import Image, ImageOps
except ImportError:
    # Run by `make goldens` with the numpy/scipy venv: re-run this script with
    # the Pillow venv pinned by requirements.txt beside it.
    py = subprocess.check_output([os.path.join(HERE, "fixtures-venv.sh")], text=True).strip()
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])
OUT = os.path.join(HERE, "formats")

# Block colours, row-major: 2 rows x 3 columns of 8x8 blocks.
COLOURS = [
    [(230, 30, 30), (30, 200, 40), (40, 60, 220)],
    [(240, 220, 40), (30, 200, 210), (200, 50, 200)],
]
W, H, B = 24, 16, 8


def pattern():
    a = np.zeros((H, W, 3), np.uint8)
    for r in range(2):
        for c in range(3):
            a[r * B:(r + 1) * B, c * B:(c + 1) * B] = COLOURS[r][c]
    return Image.fromarray(a)


# The inverse of each EXIF orientation's display transform: saving
# INVERSE[o](display) with tag o must display as `display`.
INVERSE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,   # displayed by rotating 90 degrees clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # displayed by rotating 90 degrees anticlockwise
}


def centres(img):
    """RGB at the centre of each block of a decoded, display-oriented image."""
    img = ImageOps.exif_transpose(img)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    a = np.asarray(img.convert("RGB"), dtype=np.int64)
    return img.size, [[a[r * B + B // 2, c * B + B // 2].tolist() for c in range(3)] for r in range(2)]


def main():
    os.makedirs(OUT, exist_ok=True)
    base = pattern()
    records = {}

    def save(name, img, **kw):
        path = os.path.join(OUT, name)
        img.save(path, **kw)
        with Image.open(path) as back:
            back.load()
            size, got = centres(back)
        records[name] = {"width": size[0], "height": size[1], "centres": got}

    jpeg = dict(quality=95, subsampling=0)  # 4:4:4 keeps block colours
    save("progressive.jpg", base, progressive=True, **jpeg)
    save("cmyk.jpg", base.convert("CMYK"), **jpeg)
    for o, op in INVERSE.items():
        stored = base if op is None else base.transpose(op)
        exif = Image.Exif()
        exif[0x0112] = o
        save(f"exif-orientation-{o}.jpg", stored, exif=exif.tobytes(), **jpeg)
    save("rgb24.bmp", base)
    save("rgb-lzw.tiff", base, compression="tiff_lzw")

    # 16-bit grayscale TIFF: Pillow's convert() clips I;16 instead of scaling,
    # so the expected 8-bit values are computed here as round(v/257).
    g16 = np.zeros((H, W), np.uint16)
    for r in range(2):
        for c in range(3):
            g16[r * B:(r + 1) * B, c * B:(c + 1) * B] = 1000 + 12000 * (3 * r + c)
    path = os.path.join(OUT, "gray16.tiff")
    Image.fromarray(g16).save(path)
    with Image.open(path) as back:
        a = np.asarray(back, dtype=np.int64)
    records["gray16.tiff"] = {"width": W, "height": H, "centres": [
        [[int((a[r * B + 4, c * B + 4] * 2 + 257) // 514)] * 3 for c in range(3)] for r in range(2)]}

    save("lossy.webp", base, quality=90)
    rgba = base.convert("RGBA")
    alpha = np.full((H, W), 255, np.uint8)
    alpha[0:B, 0:B] = 128   # half transparent red: composited to pinkish
    alpha[B:H, 2 * B:W] = 0  # fully transparent magenta: white
    rgba.putalpha(Image.fromarray(alpha))
    save("lossless-alpha.webp", rgba, lossless=True, exact=True)
    save("lossy-alpha.webp", rgba, quality=90, alpha_quality=100)  # VP8X + ALPH + VP8

    with open(os.path.join(HERE, "fixtures.json"), "w") as f:
        json.dump({"pillow": Image.__version__, "block": B, "files": records}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
