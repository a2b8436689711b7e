# The speed benchmark's GIMP side (python-fu-eval, run by bench-6000x4000.sh):
# a 6000x4000 composite (background + an elliptical foreground, 2400x1800 with
# alpha unless HZ_BENCH_FOREGROUND=WxH says otherwise, centred; with
# HZ_BENCH_OPAQUE=1 its alpha is 1 everywhere instead, as a pasted photo's),
# plug-in-harmonize run on it HZ_BENCH_RUNS times; the seconds of each run
# (the PDB call, end to end) go to HZ_BENCH_REPORT. After each run, a
# yardstick: GIMP's own Colors > Invert of a copy of the foreground, a
# per-pixel filter in GIMP's core that, like the plug-in, reads every pixel of
# the layer and writes a layer's worth of fresh tiles, without the plug-in
# protocol; its seconds go there too, so that each run has a yardstick timed
# on the same machine minutes apart at most. Each line also gives the page
# faults GIMP took meanwhile (this script runs as GIMP's child): the fresh
# memory it touched, for the new layer's tiles or the mipmaps of thumbnails.

import os
import time

import numpy as np

import gi
gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gegl, Gimp

W, H = 6000, 4000
FW, FH = (int(v) for v in os.environ.get('HZ_BENCH_FOREGROUND', '2400x1800').split('x'))
PRECISION = getattr(Gimp.Precision, os.environ.get('HZ_BENCH_PRECISION', 'U8_NON_LINEAR'))
NICK = PRECISION.value_nick
LINEAR = NICK.endswith('-linear') and not NICK.endswith('non-linear')
RUNS = int(os.environ.get('HZ_BENCH_RUNS', '3'))
SIZE = int(os.environ.get('HZ_BENCH_WORKING_SIZE', '256'))
report = open(os.environ['HZ_BENCH_REPORT'], 'w')


def fill(layer, w, h, base, alpha):
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgba = np.empty((h, w, 4), np.float32)
    for c in range(3):
        rgba[..., c] = base[c] + 0.2 * np.sin(x * (0.002 + 0.001 * c)) * np.cos(y * 0.003)
    rgba[..., :3] += rng.normal(0, 0.02, (h, w, 3)).astype(np.float32)
    rgba[..., 3] = alpha
    np.clip(rgba, 0, 1, out=rgba)
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, w, h), "R'G'B'A float", rgba.tobytes())
    buf.flush()


image = Gimp.Image.new_with_precision(W, H, Gimp.ImageBaseType.RGB, PRECISION)
bg = Gimp.Layer.new(image, 'background', W, H, Gimp.ImageType.RGB_IMAGE, 100,
                    Gimp.LayerMode.NORMAL)
image.insert_layer(bg, None, 0)
fill(bg, W, H, (0.3, 0.45, 0.6), 1.0)
fg = Gimp.Layer.new(image, 'object', FW, FH, Gimp.ImageType.RGBA_IMAGE, 100,
                    Gimp.LayerMode.NORMAL)
image.insert_layer(fg, None, 0)
fg.set_offsets((W - FW) // 2, (H - FH) // 2)
y, x = np.mgrid[0:FH, 0:FW].astype(np.float32)
if os.environ.get('HZ_BENCH_OPAQUE') == '1':
    alpha = np.ones((FH, FW), np.float32)
else:
    alpha = (((x - FW / 2) / (FW * 0.45)) ** 2 + ((y - FH / 2) / (FH * 0.45)) ** 2 <= 1).astype(np.float32)
fill(fg, FW, FH, (0.8, 0.35, 0.25), alpha)

def gimp_faults():
    # /proc/PID/stat: the 10th field, minflt (the 2nd, the name, ends at ')')
    return int(open('/proc/%d/stat' % os.getppid()).read().rsplit(')', 1)[1].split()[7])


proc = Gimp.get_pdb().lookup_procedure('plug-in-harmonize')
for run in range(RUNS):
    config = proc.create_config()
    config.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    config.set_property('image', image)
    config.set_core_object_array('drawables', [fg])
    config.set_property('working-size', SIZE)
    faults = gimp_faults()
    start = time.time()
    result = proc.run(config)
    seconds = time.time() - start
    faults = gimp_faults() - faults
    status = result.index(0)
    why = '' if status == Gimp.PDBStatusType.SUCCESS else ': %s' % result.index(1)
    report.write('run %d: %.2f s %s%s (GIMP: %d page faults)\n'
                 % (run + 1, seconds, status.value_nick, why, faults))
    report.flush()
    if status == Gimp.PDBStatusType.SUCCESS:
        image.remove_layer(result.index(1))
    copy = fg.copy()   # shares the foreground's tiles until written
    image.insert_layer(copy, None, 0)
    faults = gimp_faults()
    start = time.time()
    copy.invert(LINEAR)   # in the layer's own transfer curve, linear or not
    report.write('invert %d: %.2f s (GIMP\'s own invert of a copy of the foreground; %d page faults)\n'
                 % (run + 1, time.time() - start, gimp_faults() - faults))
    report.flush()
    image.remove_layer(copy)
report.write('done\n')
report.close()
image.delete()
