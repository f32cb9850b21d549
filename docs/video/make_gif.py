"""Side-by-side animation for docs/video.md: the input frames,
video mode and frame-by-frame stylization, as one looping GIF.

  PY=$(imageio/testdata/fixtures-venv.sh)   # Pillow, pinned
  "$PY" docs/video/make_gif.py INPUT_DIR VIDEO_DIR INDEPENDENT_DIR OUT.gif [FPS [POSTER.jpg FRAME]]

Each folder holds frame_00001.png, frame_00002.png, ... of one size (the
input frames resized to it). A white gap of 4 pixels separates the panels.
One adaptive palette is computed over all frames so that colours do not
shift from frame to frame (a shifting palette would itself look like
flicker). COLORS in the environment sets the palette's size (default 255;
fewer keep a long animation small). With POSTER.jpg and FRAME (1-based) it
also writes that frame of the three panels as a JPEG still (quality 90).
"""
import glob
import os
import sys

from PIL import Image


def frames(folder):
    return [Image.open(p).convert("RGB") for p in sorted(glob.glob(os.path.join(folder, "frame_*.png")))]


def main():
    dirs, out = sys.argv[1:4], sys.argv[4]
    fps = float(sys.argv[5]) if len(sys.argv) > 5 else 5
    panels = [frames(d) for d in dirs]
    n = min(len(p) for p in panels)
    w, h = panels[1][0].size
    gap = 4
    strip = []
    for i in range(n):
        canvas = Image.new("RGB", (3 * w + 2 * gap, h), "white")
        for k, p in enumerate(panels):
            canvas.paste(p[i].resize((w, h), Image.LANCZOS), (k * (w + gap), 0))
        strip.append(canvas)
    if len(sys.argv) > 7:
        strip[int(sys.argv[7]) - 1].save(sys.argv[6], quality=90)
    # One palette for the whole animation, from a mosaic of every frame.
    mosaic = Image.new("RGB", (strip[0].width, strip[0].height * n))
    for i, f in enumerate(strip):
        mosaic.paste(f, (0, i * f.height))
    pal = mosaic.quantize(colors=int(os.environ.get("COLORS", "255")), method=Image.Quantize.MEDIANCUT)
    seq = [f.quantize(palette=pal, dither=Image.Dither.NONE) for f in strip]
    seq[0].save(out, save_all=True, append_images=seq[1:], duration=int(1000 / fps), loop=0, optimize=True)
    print(out, os.path.getsize(out), "bytes,", n, "frames of", strip[0].size)


if __name__ == "__main__":
    main()
