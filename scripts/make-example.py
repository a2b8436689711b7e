#!/usr/bin/env python3
"""Make the shipped example: a sheep cut-out, recoloured so that it does not
match, pasted into a photo of tea gardens.

    scripts/debian13-root python3 scripts/make-example.py [DATA_DIR] [OUT_DIR]

DATA_DIR defaults to ../shared/data beside the checkout, OUT_DIR to examples/.
Writes OUT_DIR/sheep-composite.jpg (the composite) and OUT_DIR/sheep-mask.png
(8-bit grey, white = pasted object). Deterministic: the same inputs give the
same files. Sources and licences: examples/README.md.
"""
import os
import sys

import numpy as np
from PIL import Image

PHOTO = 'photos/budgie-tea-gardens.jpg'        # CC0-1.0, Budgie Desktop Developers
OBJECT = 'objects/tuxpaint-bovines-sheep.png'  # GPL-2+, Tux Paint contributors
POSITION = (470, 300)   # top-left corner of the cut-out in the photo (pixels)
JPEG_QUALITY = 90


def srgb_to_linear(v):
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v):
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def mismatch(rgb):
    """A cold, dim look (as if shot in blue shade): white-balance gains and
    exposure in linear light, then a slight gamma; far from the photo's warm,
    green, hazy light."""
    lin = srgb_to_linear(rgb / 255.0)
    lin = lin * np.array([0.62, 0.82, 1.5]) * 0.7
    return np.round(linear_to_srgb(lin) ** 1.1 * 255.0)


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(top), 'shared', 'data')
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(top, 'examples')

    photo = np.asarray(Image.open(os.path.join(data, PHOTO)).convert('RGB'), dtype=np.float64)
    obj = np.asarray(Image.open(os.path.join(data, OBJECT)).convert('RGBA'), dtype=np.float64)
    h, w = obj.shape[:2]
    x, y = POSITION
    if y + h > photo.shape[0] or x + w > photo.shape[1]:
        sys.exit('make-example: the cut-out does not fit in the photo at %r' % (POSITION,))

    alpha = np.zeros(photo.shape[:2])
    alpha[y:y + h, x:x + w] = obj[..., 3] / 255.0
    fg = photo.copy()
    fg[y:y + h, x:x + w] = mismatch(obj[..., :3])
    a = alpha[..., None]
    composite = np.round(fg * a + photo * (1.0 - a))

    os.makedirs(out, exist_ok=True)
    Image.fromarray(composite.astype(np.uint8)).save(
        os.path.join(out, 'sheep-composite.jpg'), quality=JPEG_QUALITY, optimize=True)
    Image.fromarray(np.round(alpha * 255.0).astype(np.uint8), 'L').save(
        os.path.join(out, 'sheep-mask.png'), optimize=True)
    print('make-example: wrote %s/sheep-composite.jpg and sheep-mask.png (%dx%d)'
          % (out, photo.shape[1], photo.shape[0]))


if __name__ == '__main__':
    main()
