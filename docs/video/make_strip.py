"""A still comparison for docs/video.md ("Moving objects"): rows are frames,
columns are folders of frames (frame_00001.png, ...), each panel enlarged
2x with nearest-neighbour so that smearing is not hidden by resampling.

  ~/.cache/neuralstyle/judge-venv/bin/python docs/video/make_strip.py OUT.png FRAMES LABEL=DIR...

FRAMES is a comma-separated list of 1-based frame numbers, e.g. 2,5,8.
"""
import os
import sys

from PIL import Image, ImageDraw


def main():
    out, frames = sys.argv[1], [int(f) for f in sys.argv[2].split(",")]
    cols = [a.split("=", 1) for a in sys.argv[3:]]
    first = Image.open(os.path.join(cols[0][1], "frame_%05d.png" % frames[0]))
    w, h = first.width * 2, first.height * 2
    gap, top, left = 4, 18, 60
    canvas = Image.new("RGB", (left + len(cols) * (w + gap), top + len(frames) * (h + gap)), "white")
    d = ImageDraw.Draw(canvas)
    for k, (label, _) in enumerate(cols):
        d.text((left + k * (w + gap) + 4, 3), label, fill="black")
    for r, f in enumerate(frames):
        d.text((4, top + r * (h + gap) + h // 2), "frame %d" % f, fill="black")
        for k, (_, folder) in enumerate(cols):
            img = Image.open(os.path.join(folder, "frame_%05d.png" % f)).convert("RGB")
            canvas.paste(img.resize((w, h), Image.NEAREST), (left + k * (w + gap), top + r * (h + gap)))
    if out.lower().endswith((".jpg", ".jpeg")):
        canvas.save(out, quality=88, optimize=True)
    else:
        canvas.save(out, optimize=True)
    print(out, os.path.getsize(out), "bytes", canvas.size)


if __name__ == "__main__":
    main()
