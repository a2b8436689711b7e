# Headless tests of plug-in-harmonize, run inside gimp-console by
# tests/plugin/run-plugin-tests.sh (python-fu-eval: exec() of this file).
#
# Environment: HZ_TEST_MODE ("main", "missing-weights", "corrupt-weights" or
# "german": missing weights, in German),
# HZ_TEST_DIR (a scratch folder), HZ_TEST_REPORT (where the results go, one
# "ok NAME" or "FAIL NAME: why" a line, then "done"), HARMONIZE_CLI (the
# command-line tool the results are compared with), HARMONIZE_WEIGHTS.
#
# Fixtures are made here with numpy and written as PNG files: GIMP loads them
# as layers, and the CLI reads the same files.

import hashlib
import json
import os
import subprocess
import time
import traceback

import numpy as np
from PIL import Image

import gi
gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gegl, Gimp, Gio

MODE = os.environ.get('HZ_TEST_MODE', 'main')
TMP = os.environ['HZ_TEST_DIR']
REPORT = open(os.environ['HZ_TEST_REPORT'], 'w')
CLI = os.environ.get('HARMONIZE_CLI')
WORKING_SIZE = 256
TOLERANCE = 1.0 / 255 + 1e-5

PDB = Gimp.get_pdb()
RGBA_FLOAT = "R'G'B'A float"


def report(line):
    REPORT.write(line + '\n')
    REPORT.flush()


# ---- fixtures -------------------------------------------------------------------

def texture(w, h, seed, base):
    """A smooth, varied RGB picture (u8) around colour base."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(0.05, 0.3, 2).tolist() + [rng.uniform(0, 6)]
        img[..., c] = base[c] + 0.25 * np.sin(fx * x + ph) * np.cos(fy * y)
    img += rng.normal(0, 0.02, img.shape)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def ellipse(w, h, soft=False):
    """An ellipse filling most of w x h: 0/255, or with a soft ramp."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    d = ((x - (w - 1) / 2) / (w * 0.42)) ** 2 + ((y - (h - 1) / 2) / (h * 0.42)) ** 2
    if soft:
        return (np.clip((1.2 - d) / 0.4, 0, 1) * 255 + 0.5).astype(np.uint8)
    return np.where(d <= 1, 255, 0).astype(np.uint8)


def save_png(name, array):
    path = os.path.join(TMP, name)
    Image.fromarray(array).save(path)
    return path


BG_W, BG_H = 96, 64
FG_W, FG_H = 40, 30
BG = save_png('bg.png', texture(BG_W, BG_H, 1, (0.35, 0.45, 0.6)))
MIDDLE = save_png('middle.png', texture(BG_W, BG_H, 3, (0.7, 0.6, 0.3)))
FG_RGB = texture(FG_W, FG_H, 2, (0.75, 0.3, 0.25))
MASK = ellipse(FG_W, FG_H)
FG_ALPHA = save_png('fg-alpha.png', np.dstack([FG_RGB, MASK]))
FG_OPAQUE = save_png('fg-opaque.png', FG_RGB)
MASK_PNG = save_png('mask.png', MASK)
SOFT_PNG = save_png('mask-soft.png', ellipse(FG_W, FG_H, soft=True))


def load_layer(image, path, name, x=0, y=0, parent=None, position=0):
    layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, image,
                                 Gio.File.new_for_path(path))
    layer.set_name(name)
    image.insert_layer(layer, parent, position)
    layer.set_offsets(x, y)
    return layer


def new_image(precision=Gimp.Precision.U8_NON_LINEAR, base=Gimp.ImageBaseType.RGB):
    image = Gimp.Image.new_with_precision(BG_W, BG_H, base, precision)
    load_layer(image, BG, 'bg')
    return image


def set_gray(drawable, path, dx=0, dy=0):
    """Writes a gray PNG into a mask or channel at (dx, dy)."""
    a = np.asarray(Image.open(path).convert('L'))
    # Only inside the drawable (libgimp fails on writes past its edges).
    a = a[max(0, -dy):drawable.get_height() - dy, max(0, -dx):drawable.get_width() - dx]
    dx, dy = max(0, dx), max(0, dy)
    buf = drawable.get_buffer()
    h, w = a.shape
    buf.set(Gegl.Rectangle.new(dx, dy, w, h), 'Y u8', np.ascontiguousarray(a).tobytes())
    buf.flush()
    drawable.update(dx, dy, w, h)


# ---- reading GIMP ---------------------------------------------------------------

def pixels(drawable, fmt=RGBA_FLOAT, channels=4):
    w, h = drawable.get_width(), drawable.get_height()
    data = drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, fmt,
                                     Gegl.AbyssPolicy.NONE)
    return np.frombuffer(data, dtype=np.float32).reshape(h, w, channels)


def visible(image):
    """What the layers show, R'G'B'A float: the projection of a duplicate
    without its channels (in batch mode an image's own projection is not
    brought up to date after changes; visible channels are drawn over it)."""
    dup = image.duplicate()
    for channel in dup.get_channels():
        dup.remove_channel(channel)
    result = pixels(Gimp.Layer.new_from_visible(dup, dup, 'visible'))
    dup.delete()
    return result


def all_drawables(image):
    items = []

    def walk(layers):
        for layer in layers:
            items.append(layer)
            if layer.get_mask():
                items.append(layer.get_mask())
            if layer.is_group():
                walk(layer.get_children())

    walk(image.get_layers())
    items += list(image.get_channels())
    items.append(image.get_selection())
    return items


def state(image):
    """Everything the plug-in must not change, hashed."""
    out = []
    for d in all_drawables(image):
        fmt, n = (RGBA_FLOAT, 4) if isinstance(d, Gimp.Layer) else ('Y float', 1)
        # A group's pixels are its children's: a new child changes them.
        h = None if d.is_group() else hashlib.sha1(pixels(d, fmt, n).tobytes()).hexdigest()
        out.append((d.get_name(), d.get_offsets()[1:], d.get_width(), d.get_height(),
                    d.get_visible(), h))
    return out


# ---- running the procedure --------------------------------------------------------

def harmonize(image, drawable, procedure='plug-in-harmonize', drawables=None, **args):
    """(status, layer or error message); drawables: a list instead of [drawable]."""
    proc = PDB.lookup_procedure(procedure)
    config = proc.create_config()
    config.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    config.set_property('image', image)
    config.set_core_object_array('drawables', [drawable] if drawables is None else drawables)
    args.setdefault('working-size', WORKING_SIZE)
    for key, value in args.items():
        config.set_property(key, value)
    result = proc.run(config)
    status = result.index(0)
    value = result.index(1) if result.length() > 1 else None
    return status, value


def harmonized(image, drawable, **args):
    """The new layer of a run that must succeed."""
    status, value = harmonize(image, drawable, **args)
    check(status == Gimp.PDBStatusType.SUCCESS, 'failed: %r' % (value,))
    return value


def scene(image, drawable, max_side, **args):
    """What the test plug-in scene-probe reports of hz_gimp_scene."""
    value = harmonized(image, drawable, procedure='test-harmonize-scene',
                       **dict(args, **{'max-side': max_side, 'foreground': drawable}))
    try:
        return json.loads(value)
    except ValueError:
        raise Failure("bad scene report %r" % value)


def cli(out, *args):
    """The CLI's result (a later --size wins over the default)."""
    cmd = [CLI, '--size', str(WORKING_SIZE), '--quiet', '-o', out] + list(args)
    subprocess.run(cmd, check=True)
    a = np.asarray(Image.open(out).convert('RGBA'), dtype=np.float32) / 255
    return a


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_result(image, fg, before, result, name_of_fg):
    """The new layer: name, place in the stack, size and offsets; nothing
    else changed."""
    check(isinstance(result, Gimp.Layer), 'no layer returned: %r' % (result,))
    check(result.get_name() == name_of_fg + ' (harmonized)',
          'result named %r' % result.get_name())
    check(image.get_item_position(result) + 1 == image.get_item_position(fg)
          and result.get_parent() == fg.get_parent(),
          'result is not directly above the foreground')
    check(result.get_offsets()[1:] == fg.get_offsets()[1:]
          and (result.get_width(), result.get_height()) == (fg.get_width(), fg.get_height()),
          'result size/offsets %r differ from the foreground %r'
          % ((result.get_offsets()[1:], result.get_width(), result.get_height()),
             (fg.get_offsets()[1:], fg.get_width(), fg.get_height())))
    check(result.has_alpha(), 'result has no alpha')
    check(result.get_format() is not None, 'no format')
    after = [s for s in state(image) if s[0] != result.get_name()]
    check(after == before, 'pre-existing layers, masks, channels or selection changed')


def check_same(got, want, what):
    diff = np.abs(got[..., :3] - want[..., :3]).max()
    check(diff <= TOLERANCE, '%s differs from the CLI by %.4f (> 1/255)' % (what, diff))


def check_error(image, status, message, words, before):
    check(status == Gimp.PDBStatusType.EXECUTION_ERROR,
          'expected an execution error, got %s (%r)' % (status, message))
    check(isinstance(message, str) and all(w in message for w in words),
          'error message %r lacks %r' % (message, words))
    check(state(image) == before, 'the image changed')


# ---- cases ---------------------------------------------------------------------------

def case_alpha_below():
    image = new_image()
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
    before = state(image)
    layer = harmonized(image, fg, **{'mask-source': 'alpha'})
    check_result(image, fg, before, layer, 'fg')
    want = cli(os.path.join(TMP, 'alpha.png'),
               '--foreground', FG_ALPHA, '--background', BG, '--offset', '30,20')
    check_same(visible(image), want, 'the composite')
    # The new layer carries the foreground's alpha.
    a = pixels(layer)[..., 3]
    check(np.abs(a - MASK / 255.0).max() < 1e-3, 'result alpha is not the mask')
    image.delete()


def case_auto_is_alpha():
    image = new_image()
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
    auto = harmonized(image, fg)                                 # mask-source auto
    fg.set_visible(False)
    auto.set_visible(False)
    alpha = harmonized(image, fg, **{'mask-source': 'alpha'})
    check(np.array_equal(pixels(auto), pixels(alpha)), '"auto" differs from "alpha"')
    image.delete()


def case_auto_nearly_opaque():
    """"auto" sees pixels of a float layer just short of opaque (which an
    8-bit thumbnail shows as opaque) and takes the alpha, not the selection."""
    w, h = 400, 300
    image = Gimp.Image.new_with_precision(w, h, Gimp.ImageBaseType.RGB,
                                          Gimp.Precision.FLOAT_NON_LINEAR)
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., :3] = texture(w, h, 4, (0.7, 0.4, 0.3)) / 255.0
    load_layer(image, save_png('opaque.png', texture(w, h, 5, (0.3, 0.5, 0.6))), 'bg')
    fg = Gimp.Layer.new(image, 'fg', w, h, Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
    image.insert_layer(fg, None, 0)
    rgba[100:110, 200:210, 3] = 0.999
    fg.get_buffer().set(Gegl.Rectangle.new(0, 0, w, h), RGBA_FLOAT, rgba.tobytes())
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 0, w // 2, h)
    layer = harmonized(image, fg)
    alpha = pixels(layer)[..., 3]
    check(np.abs(alpha - rgba[..., 3]).max() < 1e-3,
          'the result\'s alpha is not the layer\'s (mean %.3f): the selection was used'
          % alpha.mean())
    image.delete()


def case_drawables_count():
    """Exactly one drawable, or a calling error as GIMP's own plug-ins give."""
    image = new_image()
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
    before = state(image)
    for drawables in ([], [fg, image.get_layers()[1]]):
        status, message = harmonize(image, fg, drawables=drawables)
        check(status == Gimp.PDBStatusType.CALLING_ERROR,
              '%d drawables: %s (%r)' % (len(drawables), status, message))
        check('one drawable' in str(message), 'message %r' % (message,))
    check(state(image) == before, 'the image changed')
    image.delete()


def opaque_with_mask(image, path):
    """The opaque foreground with a layer mask read from a gray PNG."""
    fg = load_layer(image, FG_OPAQUE, 'fg', 30, 20)
    mask = fg.create_mask(Gimp.AddMaskType.WHITE)
    fg.add_mask(mask)
    set_gray(mask, path)
    return fg


def case_layer_mask():
    image = new_image()
    fg = opaque_with_mask(image, MASK_PNG)
    before = state(image)
    layer = harmonized(image, fg, **{'mask-source': 'layer-mask'})
    check_result(image, fg, before, layer, 'fg')
    want = cli(os.path.join(TMP, 'layer-mask.png'), '--foreground', FG_OPAQUE,
               '--mask', MASK_PNG, '--background', BG, '--offset', '30,20')
    check_same(visible(image), want, 'the composite')
    image.delete()


def case_soft_mask_values():
    """A soft layer mask: the new layer's alpha is the mask's value as stored."""
    image = new_image()
    fg = opaque_with_mask(image, SOFT_PNG)
    layer = harmonized(image, fg, **{'mask-source': 'layer-mask'})
    want = np.asarray(Image.open(SOFT_PNG), dtype=np.float32) / 255
    got = pixels(layer)[..., 3]
    check(np.abs(got - want).max() <= TOLERANCE, 'alpha differs from the soft mask by %.4f'
          % np.abs(got - want).max())
    image.delete()


def case_selection():
    image = new_image()
    fg = load_layer(image, FG_OPAQUE, 'fg', 30, 20)
    channel = Gimp.Channel.new(image, 'ellipse', BG_W, BG_H, 100, Gegl.Color.new('black'))
    image.insert_channel(channel, None, 0)
    set_gray(channel, MASK_PNG, 30, 20)
    image.select_item(Gimp.ChannelOps.REPLACE, channel)
    original = visible(image)
    before = state(image)
    layer = harmonized(image, fg, **{'mask-source': 'selection'})
    check_result(image, fg, before, layer, 'fg')
    want = cli(os.path.join(TMP, 'selection.png'), '--foreground', FG_OPAQUE,
               '--mask', MASK_PNG, '--background', BG, '--offset', '30,20')
    # The opaque foreground still shows outside the mask.
    m = np.zeros((BG_H, BG_W), bool)
    m[20:20 + FG_H, 30:30 + FG_W] = MASK > 0
    check_same(visible(image)[m], want[m], 'the harmonized foreground')
    check(np.array_equal(visible(image)[~m], original[~m]), 'outside the mask changed')

    # The same mask as a channel, with no selection.
    Gimp.Selection.none(image)
    image.remove_layer(layer)
    before = state(image)
    layer = harmonized(image, fg, **{'mask-source': 'channel', 'mask-channel': channel})
    check_result(image, fg, before, layer, 'fg')
    check_same(visible(image)[m], want[m], 'the harmonized foreground (channel)')
    image.delete()


def case_background_layer_and_box():
    image = new_image()
    load_layer(image, MIDDLE, 'middle', 0, 0)
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
    bg = image.get_layers()[2]
    before = state(image)
    layer = harmonized(image, fg, **{'background-source': 'layer', 'background-layer': bg,
                                     'box-x': 4, 'box-y': 6, 'box-width': 40, 'box-height': 30})
    check_result(image, fg, before, layer, 'fg')
    want = cli(os.path.join(TMP, 'box.png'), '--foreground', FG_ALPHA, '--background', BG,
               '--offset', '30,20', '--box', '4,6,40,30')
    # The foreground's pixels are those the CLI made; elsewhere "middle" shows.
    m = np.zeros((BG_H, BG_W), bool)
    m[20:20 + FG_H, 30:30 + FG_W] = MASK > 0
    check_same(visible(image)[m], want[m], 'the harmonized foreground')

    # "below" sees "middle" instead.
    image.remove_layer(layer)
    below = harmonized(image, fg)
    want = cli(os.path.join(TMP, 'below.png'), '--foreground', FG_ALPHA, '--background', MIDDLE,
               '--offset', '30,20')
    check_same(visible(image), want, 'the composite over "middle"')
    image.delete()


def case_partly_outside():
    image = new_image()
    fg = load_layer(image, FG_ALPHA, 'fg', -10, 44)
    before = state(image)
    layer = harmonized(image, fg)
    check_result(image, fg, before, layer, 'fg')
    want = cli(os.path.join(TMP, 'outside.png'),
               '--foreground', FG_ALPHA, '--background', BG, '--offset', '-10,44')
    check_same(visible(image), want, 'the composite')
    image.delete()


def case_in_group():
    image = new_image()
    group = Gimp.GroupLayer.new(image, 'group')
    image.insert_layer(group, None, 0)
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20, parent=group)
    load_layer(image, MIDDLE, 'above', 0, 0)       # above everything: ignored
    before = state(image)
    layer = harmonized(image, fg)
    check_result(image, fg, before, layer, 'fg')
    check(layer.get_parent() is not None and layer.get_parent().get_name() == 'group',
          'result is not in the group')
    image.get_layers()[0].set_visible(False)
    want = cli(os.path.join(TMP, 'group.png'),
               '--foreground', FG_ALPHA, '--background', BG, '--offset', '30,20')
    check_same(visible(image), want, 'the composite')
    image.delete()


def precision_case(precision):
    def run():
        image = new_image(precision)
        fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
        before = state(image)
        layer = harmonized(image, fg)
        check_result(image, fg, before, layer, 'fg')
        check(layer.get_format() is not None, 'no format')
        want = cli(os.path.join(TMP, 'precision.png'),
                   '--foreground', FG_ALPHA, '--background', BG, '--offset', '30,20')
        check_same(visible(image), want, 'the composite')
        image.delete()
    return run


def composite_against_cli(name, w, h, fw, fh, x, y):
    """A w x h image with an fw x fh elliptical foreground at x, y,
    harmonized at working size 64: the new layer as it should be, and the
    composite within 1/255 of the CLI's, which reads every pixel (a hard
    mask: the foreground under the new layer shows through a soft one)."""
    bg = save_png(name + '-bg.png', texture(w, h, 4, (0.35, 0.45, 0.6)))
    fg = save_png(name + '-fg.png', np.dstack([texture(fw, fh, 5, (0.75, 0.3, 0.25)),
                                               ellipse(fw, fh)]))
    image = Gimp.Image.new(w, h, Gimp.ImageBaseType.RGB)
    load_layer(image, bg, 'bg')
    layer = load_layer(image, fg, 'fg', x, y)
    before = state(image)
    result = harmonized(image, layer, **{'working-size': 64})
    check_result(image, layer, before, result, 'fg')
    want = cli(os.path.join(TMP, name + '.png'), '--foreground', fg, '--background', bg,
               '--offset', '%d,%d' % (x, y), '--size', '64')
    diff = np.abs(visible(image)[..., :3] - want[..., :3]).max()
    check(diff <= TOLERANCE, 'the composite differs from the CLI by %.4f (> 1/255)' % diff)
    image.delete()


def case_large_image():
    """An image longer than 1024 pixels: the mapping is fitted on GIMP's
    downscaled copy (harmonize-plugin.c's fitting_scene), where the object
    has 7 of its pixels for each of the content's, and applied at full size."""
    composite_against_cli('large', 1600, 1200, 700, 500, 450, 300)


def case_small_object():
    """A small object in a large image, 2 pixels of GIMP's copy for each of
    the content's: fitted on every pixel instead (harmonize-plugin.c's
    copy_was_enough); on the copy it strayed from the CLI by 10/255."""
    composite_against_cli('small-object', 3000, 2000, 400, 300, 1500, 1000)


def case_empty_tile_rows():
    """A mask on two bands of rows, with whole rows of libgimp's tiles (128
    pixels high in GIMP 3.0) of nothing above, between and below (the new
    layer is written a tile row at a time, mapped beside the reading of the
    next, and skips the empty ones): the composite and the alpha as the
    CLI's."""
    w, h = 200, 600
    mask = np.zeros((h, w), np.uint8)
    mask[130:190, 40:170] = 255
    mask[420:450, 10:60] = 255
    fg = save_png('bands-fg.png', np.dstack([texture(w, h, 6, (0.75, 0.3, 0.25)), mask]))
    image = new_image()
    layer = load_layer(image, fg, 'fg', -20, -100)
    before = state(image)
    result = harmonized(image, layer, **{'mask-source': 'alpha'})
    check_result(image, layer, before, result, 'fg')
    want = cli(os.path.join(TMP, 'bands.png'), '--foreground', fg, '--background', BG,
               '--offset', '-20,-100')
    check_same(visible(image), want, 'the composite')
    check(np.array_equal(pixels(result)[..., 3] > 0, mask > 0), 'result alpha is not the mask')
    image.delete()


def case_strength_zero():
    image = new_image()
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
    layer = harmonized(image, fg, strength=0.0)
    a, b = pixels(layer), pixels(fg)
    m = b[..., 3] > 0
    check(np.abs(a[m] - b[m]).max() <= TOLERANCE, 'strength 0 changed the colours')
    image.delete()


def case_one_pixel():
    image = new_image()
    fg = Gimp.Layer.new(image, 'dot', 1, 1, Gimp.ImageType.RGBA_IMAGE, 100,
                        Gimp.LayerMode.NORMAL)
    image.insert_layer(fg, None, 0)
    fg.set_offsets(50, 30)
    fg.get_buffer().set(Gegl.Rectangle.new(0, 0, 1, 1), 'R\'G\'B\'A u8', bytes([200, 50, 40, 255]))
    before = state(image)
    layer = harmonized(image, fg)
    check_result(image, fg, before, layer, 'dot')
    image.delete()


def case_scenes():
    """hz_gimp_scene at full resolution holds the layers' pixels; its small
    scenes (the preview's) are the same scene downscaled, in 8-bit and in
    linear float."""
    image = new_image()
    middle = load_layer(image, MIDDLE, 'middle', 20, 10)
    middle.resize(60, 40, 0, 0)
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
    rgb = FG_RGB / 255.0
    bg = np.asarray(Image.open(BG), dtype=np.float64) / 255
    mid = np.asarray(Image.open(MIDDLE), dtype=np.float64)[:40, :60] / 255

    full = scene(image, fg, 0, **{'background-source': 'layer', 'background-layer': middle,
                                  'box-x': 4, 'box-y': 6, 'box-width': 40, 'box-height': 30})
    check((full['scale'], full['fg'], full['bg'], full['offset'], full['has_box'], full['box'])
          == (1, [FG_W, FG_H], [60, 40], [10, 10], 1, [0, 0, 24, 26]),
          'full scene geometry %r' % full)
    w = MASK / 255.0
    check(abs(full['mask_mean'] - w.mean()) < 1e-6, 'mask mean %r' % full['mask_mean'])
    want = (rgb * w[..., None]).sum((0, 1)) / w.sum()
    check(np.abs(np.array(full['fg_colour']) - want).max() < 1e-5, 'foreground colour')
    check(np.abs(np.array(full['bg_colour']) - mid.mean((0, 1))).max() < 1e-5,
          'background colour')

    # Small scenes against full ones, for each way of building them.
    fg.set_offsets(-10, 44)
    channel = Gimp.Channel.new(image, 'ellipse', BG_W, BG_H, 100, Gegl.Color.new('black'))
    image.insert_channel(channel, None, 0)
    set_gray(channel, MASK_PNG, -10, 44)            # partly off the canvas, as the layer
    configs = [
        {},
        {'mask-source': 'channel', 'mask-channel': channel},
        {'background-source': 'layer', 'background-layer': middle, 'box-x': 30, 'box-y': 12,
         'box-width': 30, 'box-height': 20},
    ]
    image.get_layers()[2].set_visible(False)       # "bg": "middle" alone below
    # Then as linear float, whose pixels and thumbnails the plug-in reads as
    # stored and encodes itself (hz_rgba_from_linear; the case float-linear
    # holds that encoding to the CLI's result).
    for args in configs + [None] + configs:
        if args is None:
            image.convert_precision(Gimp.Precision.FLOAT_LINEAR)
            continue
        full = scene(image, fg, 0, **args)
        small = scene(image, fg, 48, **args)
        s = small['scale']
        check(abs(s - 48 / max(full['fg'] + full['bg'])) < 1e-9, 'scale %r' % s)
        near = lambda a, b: all(abs(x * s - y) <= 1 for x, y in zip(a, b))
        check(near(full['fg'], small['fg']) and near(full['bg'], small['bg'])
              and near(full['offset'], small['offset']), 'small geometry %r vs %r' % (small, full))
        if full['has_box']:
            f, b = full['box'], small['box']
            check(near(f[:2], b[:2]) and near([f[0] + f[2], f[1] + f[3]], [b[0] + b[2], b[1] + b[3]]),
                  'small box %r vs %r' % (b, f))
        check(abs(full['mask_mean'] - small['mask_mean']) < 0.04
              and np.abs(np.subtract(full['fg_colour'], small['fg_colour'])).max() < 0.03
              and np.abs(np.subtract(full['bg_colour'], small['bg_colour'])).max() < 0.02,
              'small scene %r differs from %r (%r)' % (small, full, args))
    image.delete()


def case_background_once():
    """The layers below are composited once for a scene built again and
    again (the dialog rebuilds it when the mask changes), not once a build."""
    image = new_image()
    load_layer(image, MIDDLE, 'middle', 20, 10)     # two layers below: a composite
    fg = load_layer(image, FG_ALPHA, 'fg', 30, 20)
    for max_side in (48, 0):
        got = scene(image, fg, max_side, rebuilds=4)
        check(got['images'] == 1, '%d images made for 5 builds of the scene' % got['images'])
    got = scene(image, fg, 48, **{'rebuilds': 4, 'background-source': 'layer',
                                  'background-layer': image.get_layers()[2]})
    check(got['images'] == 0, 'a chosen background layer made %d images' % got['images'])
    image.delete()


def error_case(words, setup, **args):
    def run():
        image = new_image()
        fg = setup(image)
        before = state(image)
        status, message = harmonize(image, fg, **args)
        check_error(image, status, message, words, before)
        image.delete()
    return run


def fg_alpha(image):
    return load_layer(image, FG_ALPHA, 'fg', 30, 20)


def fg_black_mask(image):
    fg = load_layer(image, FG_OPAQUE, 'fg', 30, 20)
    fg.add_mask(fg.create_mask(Gimp.AddMaskType.BLACK))
    return fg


def case_grayscale():
    image = Gimp.Image.new(BG_W, BG_H, Gimp.ImageBaseType.GRAY)
    fg = Gimp.Layer.new(image, 'gray', 20, 20, Gimp.ImageType.GRAYA_IMAGE, 100,
                        Gimp.LayerMode.NORMAL)
    image.insert_layer(fg, None, 0)
    before = state(image)
    status, message = harmonize(image, fg)
    check_error(image, status, message, ['RGB'], before)
    image.delete()


MAIN_CASES = [
    ('alpha-below', case_alpha_below),
    ('auto-is-alpha', case_auto_is_alpha),
    ('auto-nearly-opaque', case_auto_nearly_opaque),
    ('drawables-count', case_drawables_count),
    ('layer-mask', case_layer_mask),
    ('soft-mask-values', case_soft_mask_values),
    ('selection-and-channel', case_selection),
    ('background-layer-and-box', case_background_layer_and_box),
    ('partly-outside', case_partly_outside),
    ('in-group', case_in_group),
    ('u16-linear', precision_case(Gimp.Precision.U16_LINEAR)),
    ('u32-perceptual', precision_case(Gimp.Precision.U32_NON_LINEAR)),
    ('float-linear', precision_case(Gimp.Precision.FLOAT_LINEAR)),
    ('float-perceptual', precision_case(Gimp.Precision.FLOAT_NON_LINEAR)),
    ('large-image', case_large_image),
    ('small-object', case_small_object),
    ('empty-tile-rows', case_empty_tile_rows),
    ('strength-zero', case_strength_zero),
    ('one-pixel-layer', case_one_pixel),
    ('scenes', case_scenes),
    ('background-once', case_background_once),
    ('empty-selection', error_case(['mask is empty'], fg_alpha, **{'mask-source': 'selection'})),
    ('empty-layer-mask', error_case(['mask is empty'], fg_black_mask)),
    ('no-layer-mask', error_case(['no layer mask'], fg_alpha, **{'mask-source': 'layer-mask'})),
    ('box-outside', error_case(['outside'], fg_alpha, **{'box-x': 500, 'box-y': 0,
                                                         'box-width': 10, 'box-height': 10})),
    ('nothing-below', error_case(['below'], lambda image: image.get_layers()[0])),
    ('grayscale', case_grayscale),
]

WEIGHTS_CASES = {
    'missing-weights': [('missing-weights', error_case(['model'], fg_alpha))],
    'corrupt-weights': [('corrupt-weights', error_case(['model'], fg_alpha))],
    # Run in German: the plug-in finds its catalogue, and the engine its own
    # (its message says which weights file is missing).
    'german': [('german-message', error_case(['Harmonisierungsmodell', 'Gewichtsdatei'],
                                             fg_alpha))],
}


def main():
    cases = MAIN_CASES if MODE == 'main' else WEIGHTS_CASES[MODE]
    only = os.environ.get('HZ_TEST_ONLY')
    for name, case in cases:
        if only and name != only:
            continue
        try:
            start = time.time()
            case()
            report('ok %s (%.1f s)' % (name, time.time() - start))
        except Failure as e:
            report('FAIL %s: %s' % (name, e))
        except Exception:
            report('FAIL %s: %s' % (name, traceback.format_exc().replace('\n', ' | ')))
        for image in Gimp.get_images():
            image.delete()
    report('done')


main()
