#!/usr/bin/env python3
"""The `harmonize` command-line tool, end to end with the seeded test weights.

Makes its own small fixtures (PIL for 8-bit PNG and JPEG, a few lines of zlib
for 16-bit PNG) in a temporary folder. Environment: HARMONIZE_CLI (the tool),
HARMONIZE_TEST_WEIGHTS (a weights file). Exit 77 (skip) without numpy or PIL.
"""
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

try:
    import numpy as np
    from PIL import Image
except ImportError:
    print('numpy or PIL missing: skipped')
    sys.exit(77)

CLI = os.environ['HARMONIZE_CLI']
WEIGHTS = os.environ['HARMONIZE_TEST_WEIGHTS']
failures = []


def check(cond, what):
    print(('ok     ' if cond else 'FAILED ') + what)
    if not cond:
        failures.append(what)


# ---- 16-bit PNG without PIL (PIL keeps 8 bits of 16-bit RGB) ----------------------------

def write_png16(path, a):
    """a: H x W x C uint16 (C = 1, 3 or 4)."""
    h, w, c = a.shape
    ctype = {1: 0, 3: 2, 4: 6}[c]
    raw = b''.join(b'\0' + a[y].astype('>u2').tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, ctype, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def read_png(path):
    """Non-interlaced grey/RGB/RGBA PNG, 8 or 16 bits: (H x W x C array, bit depth)."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat = 8, b''
    while pos < len(data):
        n, tag = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if tag == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        elif tag == b'IDAT':
            idat += body
        pos += 12 + n
    assert interlace == 0
    c = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    bpp = c * depth // 8
    stride = w * bpp
    raw = zlib.decompress(idat)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            cc = prev[i - bpp] if i >= bpp else 0
            if ftype == 0:
                p = 0
            elif ftype == 1:
                p = a
            elif ftype == 2:
                p = b
            elif ftype == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
            cur[i] = (line[i] + p) & 255
        out[y] = cur
        prev = cur
    if depth == 16:
        return out.view('>u2').reshape(h, w, c).astype(np.uint16), 16
    return out.reshape(h, w, c), 8


def read_pfm(path):
    with open(path, 'rb') as f:
        assert f.readline().strip() == b'PF'
        w, h = map(int, f.readline().split())
        scale = float(f.readline())
        a = np.frombuffer(f.read(), '<f4' if scale < 0 else '>f4')
    return a.reshape(h, w, 3)[::-1]


# ---- fixtures --------------------------------------------------------------------------------

W, H = 72, 48


def make_fixtures(d):
    yy, xx = np.mgrid[0:H, 0:W]
    bg = np.stack([40 + 2 * xx, 90 + yy, 160 - xx], -1).astype(np.float64)
    inside = (abs(xx - 36) < 12) & (abs(yy - 22) < 10)
    mask = np.where(inside, 255, 0).astype(np.uint8)
    mask[(abs(xx - 36) == 12) & (abs(yy - 22) < 10)] = 128   # soft left and right edges
    comp = bg.copy()
    m = mask[..., None] / 255.0
    comp = comp * (1 - m) + np.array([220, 60, 50]) * m
    comp8 = np.clip(comp, 0, 255).round().astype(np.uint8)
    f = {}
    f['comp'] = os.path.join(d, 'comp.png')
    Image.fromarray(comp8).save(f['comp'])
    f['mask'] = os.path.join(d, 'mask.png')
    Image.fromarray(mask).save(f['mask'])
    f['comp_jpg'] = os.path.join(d, 'comp.jpg')
    Image.fromarray(comp8).save(f['comp_jpg'], quality=90)
    f['mask_jpg'] = os.path.join(d, 'mask.jpg')
    Image.fromarray(mask).save(f['mask_jpg'], quality=90)
    f['comp16'] = os.path.join(d, 'comp16.png')
    write_png16(f['comp16'], (comp * 257).round().astype(np.uint16))
    f['mask16'] = os.path.join(d, 'mask16.png')
    write_png16(f['mask16'], (mask.astype(np.uint16) * 257)[..., None])
    f['comp_grey'] = os.path.join(d, 'comp-grey.png')
    Image.fromarray(comp8).convert('L').save(f['comp_grey'])
    f['comp_pal'] = os.path.join(d, 'comp-pal.png')
    Image.fromarray(comp8).convert('P', palette=Image.ADAPTIVE, colors=64).save(f['comp_pal'])
    f['comp_rgba'] = os.path.join(d, 'comp-rgba.png')
    rgba = np.dstack([comp8, np.full((H, W), 200, np.uint8)])
    Image.fromarray(rgba, 'RGBA').save(f['comp_rgba'])
    f['mask_rgb'] = os.path.join(d, 'mask-rgb.png')
    Image.fromarray(np.dstack([mask, 0 * mask, 0 * mask])).save(f['mask_rgb'])
    f['empty_mask'] = os.path.join(d, 'empty.png')
    Image.fromarray(np.zeros((H, W), np.uint8)).save(f['empty_mask'])
    f['small_mask'] = os.path.join(d, 'small-mask.png')
    Image.fromarray(mask[:40, :60]).save(f['small_mask'])
    # A foreground layer: 30 x 30, an opaque disc in alpha, and its background.
    fy, fx = np.mgrid[0:30, 0:30]
    disc = (((fx - 15) ** 2 + (fy - 15) ** 2) < 140).astype(np.uint8) * 255
    fg = np.dstack([np.full((30, 30), 200, np.uint8), 80 + 3 * fx.astype(np.uint8),
                    np.full((30, 30), 60, np.uint8), disc])
    f['fg'] = os.path.join(d, 'fg.png')
    Image.fromarray(fg, 'RGBA').save(f['fg'])
    f['fg_rgb'] = os.path.join(d, 'fg-rgb.png')
    Image.fromarray(fg[..., :3]).save(f['fg_rgb'])
    f['fg_mask'] = os.path.join(d, 'fg-mask.png')
    Image.fromarray(disc).save(f['fg_mask'])
    f['bg'] = os.path.join(d, 'bg.png')
    Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8)).save(f['bg'])
    # Broken files.
    raw = open(f['comp'], 'rb').read()
    f['trunc_png'] = os.path.join(d, 'trunc.png')
    open(f['trunc_png'], 'wb').write(raw[:len(raw) // 2])
    raw = open(f['comp_jpg'], 'rb').read()
    f['trunc_jpg'] = os.path.join(d, 'trunc.jpg')
    open(f['trunc_jpg'], 'wb').write(raw[:len(raw) // 2])
    f['cut_jpg'] = os.path.join(d, 'cut.jpg')
    open(f['cut_jpg'], 'wb').write(raw[:-200])
    f['text'] = os.path.join(d, 'notes.png')
    open(f['text'], 'w').write('not an image\n')
    return f


def run(args, weights=True, file_size_limit=None):
    """file_size_limit: the most bytes the tool may write to a file (writing
    more fails with EFBIG, as on a full disk)."""
    env = dict(os.environ)
    env.pop('HARMONIZE_WEIGHTS', None)
    if weights:
        env['HARMONIZE_WEIGHTS'] = WEIGHTS

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    p = subprocess.run([CLI] + args, capture_output=True, text=True, env=env, timeout=120,
                       preexec_fn=limit if file_size_limit else None)
    return p.returncode, p.stdout, p.stderr


def expect_failure(what, args, status, needle, out, weights=True):
    folder = os.path.dirname(out)
    before = sorted(os.listdir(folder))
    rc, _, err = run(args + ['-o', out], weights)
    lines = err.splitlines()
    check(rc == status and len(lines) == 1 and lines[0].startswith('harmonize: ')
          and needle in lines[0] and sorted(os.listdir(folder)) == before,
          f'{what}: exit {rc} (want {status}), stderr {err!r}')


def png_chunk(tag, data):
    return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data))


def jpeg_with_size(raw, w, h):
    """raw with its SOF0 header claiming w x h."""
    i = raw.index(b'\xff\xc0')
    return raw[:i + 5] + struct.pack('>HH', h, w) + raw[i + 9:]


def temp_files(folder):
    return [n for n in os.listdir(folder) if n.startswith('.')]


def hostile_inputs(d, f, base):
    """Inputs a hostile or careless user gives (issue 8): each is refused with one line, or works."""
    out = os.path.join(d, 'out.png')
    layer = ['--foreground', f['fg'], '--background', f['bg'], '--size', '64', '--quiet']
    # Offsets whose sums with the sizes pass the ends of int, or that put the layer off the canvas.
    for o in ['0,-2147483648', '0,2147483647', '2147483647,2147483647', '0,-2147483500', '1000,1000',
              '-30,0', '-2147483648,-2147483648']:
        expect_failure(f'--offset {o}', layer + ['--offset', o], 1, 'does not overlap the background', out)
    for b in ['2147483647,0,2147483647,10', '-2147483648,-2147483648,2147483647,2147483647']:
        expect_failure(f'--box {b}', base + ['--box', b], 1, 'lies outside the image', out)

    # Damaged JPEG data that libjpeg would fill with grey rows.
    raw = open(f['comp_jpg'], 'rb').read()
    scan = raw.index(b'\xff\xda')
    tall_mask = os.path.join(d, 'tall-mask.png')
    Image.fromarray(np.vstack([np.asarray(Image.open(f['mask']))] * 2)).save(tall_mask)
    cases = [('JPEG cut in its scan but ending in EOI', raw[:(scan + len(raw)) // 2] + b'\xff\xd9', f['mask']),
             ('JPEG claiming more rows than it holds', jpeg_with_size(raw, W, 2 * H), tall_mask)]
    for what, data, mask in cases:
        path = os.path.join(d, 'damaged.jpg')
        open(path, 'wb').write(data)
        expect_failure(what, ['--composite', path, '--mask', mask], 1, 'Corrupt JPEG data', out)

    # Sizes past the pixel limit are refused before decoding, naming the size.
    big_png = os.path.join(d, 'big.png')
    open(big_png, 'wb').write(b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', 100000, 100000, 8, 2, 0, 0, 0))
                              + png_chunk(b'IDAT', zlib.compress(b'\0' * 300001)) + png_chunk(b'IEND', b''))
    big_jpg = os.path.join(d, 'big.jpg')
    open(big_jpg, 'wb').write(jpeg_with_size(raw, 20000, 20000))
    for path, size in [(big_png, '100000x100000'), (big_jpg, '20000x20000')]:
        expect_failure(f'{size} {path[-3:]} header', ['--composite', path, '--mask', f['mask']], 1,
                       f'is {size} ', out)
    expect_failure('--max-pixels below the image', base + ['--max-pixels', str(W * H - 1)], 1,
                   f'is {W}x{H} ({W * H} pixels), more than the limit of {W * H - 1}', out)
    rc, _, err = run(base + ['--max-pixels', str(W * H), '-o', out])
    check(rc == 0, f'--max-pixels at the image\'s size ({err!r})')
    for bad in ['0', '-5', str(2 ** 40 + 1), 'many']:
        expect_failure(f'--max-pixels {bad}', base + ['--max-pixels', bad], 2, '--max-pixels', out)
    rc, text, _ = run(['--help'])
    check('--max-pixels' in text and '268435456' in text, '--help documents --max-pixels and its default')

    # Pipes: read whole, or refused at once when nobody writes to them.
    rc, _, _ = run(base + ['-o', out])
    want = open(out, 'rb').read()
    for key in ['comp', 'comp_jpg']:
        env = dict(os.environ, HARMONIZE_WEIGHTS=WEIGHTS)
        p = subprocess.run([CLI, '--composite', '/dev/stdin', '--mask', f['mask'], '--size', '64', '--quiet',
                            '-o', out], input=open(f[key], 'rb').read(), capture_output=True, env=env,
                           timeout=120)
        same = key != 'comp' or open(out, 'rb').read() == want
        check(p.returncode == 0 and same, f'{key} from a pipe on /dev/stdin ({p.stderr!r})')
    p = subprocess.run([CLI, '--composite', '/dev/stdin', '--mask', f['mask'], '--max-pixels', '1', '-o', out],
                       input=b'\x89PNG\r\n\x1a\n' + bytes(2 << 20), capture_output=True, env=env, timeout=120)
    check(p.returncode == 1 and b'more data than an image within the pixel limit' in p.stderr,
          f'a pipe is read up to what the pixel limit allows ({p.stderr!r})')
    fifo = os.path.join(d, 'fifo')
    os.mkfifo(fifo)
    start = time.monotonic()
    expect_failure('an image from a named pipe nobody writes to', ['--composite', fifo, '--mask', f['mask']], 1,
                   'the file is empty', out)
    expect_failure('weights from a named pipe', base + ['--weights', fifo], 1, 'not a regular file', out)
    expect_failure('a folder as the composite', ['--composite', d, '--mask', f['mask']], 1, 'Is a directory', out)
    check(time.monotonic() - start < 30, 'named pipes do not block')
    os.unlink(fifo)

    # Outputs: every one checked before any work, renamed only when all were written.
    rc, _, err = run(['--composite', f['text'], '--mask', f['mask'], '--quiet',
                      '-o', os.path.join(d, 'no-such-dir', 'o.png')])
    check(rc == 1 and 'cannot write' in err and 'no-such-dir' in err,
          f'an output folder that does not exist is found before the inputs are read ({err!r})')
    os.mkdir(os.path.join(d, 'a-dir.png'))
    dump = os.path.join(d, 'dump.pfm')
    expect_failure('-o an existing folder, with a network dump', base + ['--network-output', dump], 1,
                   'is a directory', os.path.join(d, 'a-dir.png'))
    check(not os.path.exists(dump), 'no dump is written when the output cannot be')
    expect_failure('the same file for two outputs', base + ['--network-output', out], 2, 'twice', out)
    long_name = os.path.join(d, 'x' * 250 + '.png')     # 254 characters, within NAME_MAX
    rc, _, err = run(base + ['-o', long_name])
    check(rc == 0 and os.path.exists(long_name), f'a 254-character output name ({err!r})')
    if os.path.exists(long_name):
        os.unlink(long_name)
    for sig in [signal.SIGINT, signal.SIGTERM]:
        env = dict(os.environ, HARMONIZE_WEIGHTS=WEIGHTS)
        # The composite comes from a pipe we keep open: the run waits there, its outputs made.
        p = subprocess.Popen([CLI, '--composite', '/dev/stdin', '--mask', f['mask'], '--size', '64', '--quiet',
                              '-o', out, '--network-output', dump], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env)
        deadline = time.monotonic() + 30
        while len(temp_files(d)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        made = len(temp_files(d))
        p.send_signal(sig)
        p.stdin.close()
        p.wait(timeout=60)
        p.stderr.close()
        check(made == 2 and p.returncode == -sig and temp_files(d) == [],
              f'{signal.Signals(sig).name} while waiting for input: {made} temporary files made, '
              f'exit {p.returncode}, {temp_files(d)} left')

    # Messages that say what to do.
    rgba_mask = os.path.join(d, 'alpha-mask.png')
    m = np.asarray(Image.open(f['mask']))
    Image.fromarray(np.dstack([0 * m, 0 * m, 0 * m, m]), 'RGBA').save(rgba_mask)
    expect_failure('a black mask whose shape is in its alpha', ['--composite', f['comp'], '--mask', rgba_mask], 1,
                   "first channel (red) times its alpha", out)
    white = os.path.join(d, 'white.png')
    Image.fromarray(np.full((H, W), 255, np.uint8)).save(white)
    expect_failure('a mask over everything, no --box', ['--composite', f['comp'], '--mask', white], 1,
                   'the mask covers the whole background', out)
    one, one_mask = os.path.join(d, 'one.png'), os.path.join(d, 'one-mask.png')
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(one)
    Image.fromarray(np.full((1, 1), 255, np.uint8)).save(one_mask)
    expect_failure('a 1x1 composite', ['--composite', one, '--mask', one_mask], 1,
                   'the mask covers the whole background', out)
    bad_weights = os.path.join(d, 'nan.hzw')
    data = bytearray(open(WEIGHTS, 'rb').read())
    data[-4:] = b'\xff\xff\xff\xff'       # NaN as fp32 or as two fp16
    data[32:36] = b'\0\0\0\0'
    data[32:36] = struct.pack('<I', zlib.crc32(bytes(data)))
    open(bad_weights, 'wb').write(bytes(data))
    expect_failure('NaN weights with a good checksum', base + ['--weights', bad_weights], 1,
                   'weights must be finite', out)

    # One working-size range everywhere: --help, the README.
    rc, text, _ = run(['--help'])
    lo, hi = re.search(r'--size=N.*?(\d+)\.\.(\d+)', text).groups()
    readme = open(os.path.join(os.environ['HARMONIZE_SOURCE_ROOT'], 'README.md')).read()
    check(f'working size ({lo} to {hi}' in readme, f'README gives the working size as {lo} to {hi}')


def main():
    d = tempfile.mkdtemp(prefix='harmonize-cli-')
    f = make_fixtures(d)
    out = os.path.join(d, 'out.png')
    base = ['--composite', f['comp'], '--mask', f['mask'], '--size', '64', '--quiet']

    rc, text, _ = run(['--help'])
    check(rc == 0 and '--composite' in text and '--network-output' in text and 'Examples' in text
          and 'Exit status' in text, '--help documents the options, exit status and examples')

    # ---- bad input: one line, status 1 (2 for the command line), nothing written ----
    expect_failure('missing weights file', base + ['--weights', '/nowhere/ssh.hzw'], 1,
                   "'/nowhere/ssh.hzw' not found", out)
    rc, _, err = run(base + ['-o', out], weights=False)
    check(rc == 1 and 'not found' in err and '.hzw' in err and not os.path.exists(out),
          f'no weights installed: says where it looked ({err.strip()!r})')
    expect_failure('missing composite', ['--composite', os.path.join(d, 'nope.png'), '--mask', f['mask']],
                   1, 'cannot open', out)
    expect_failure('truncated PNG', ['--composite', f['trunc_png'], '--mask', f['mask']], 1, 'truncated', out)
    expect_failure('JPEG cut in half', ['--composite', f['trunc_jpg'], '--mask', f['mask']], 1, 'trunc.jpg', out)
    expect_failure('JPEG missing its end', ['--composite', f['cut_jpg'], '--mask', f['mask']], 1, 'truncated', out)
    expect_failure('not an image', ['--composite', f['text'], '--mask', f['mask']], 1, 'not a PNG or JPEG', out)
    expect_failure('mask size mismatch', ['--composite', f['comp'], '--mask', f['small_mask']], 1,
                   'is 60x40 but the composite is 72x48', out)
    expect_failure('empty mask', ['--composite', f['comp'], '--mask', f['empty_mask']], 1, 'mask is empty', out)
    expect_failure('box outside', base + ['--box', '100,0,10,10'], 1, 'lies outside the image', out)
    expect_failure('box covered by the mask', base + ['--box', '30,15,5,5'], 1, 'covered by the foreground', out)
    expect_failure('foreground without alpha or mask',
                   ['--foreground', f['fg_rgb'], '--background', f['bg']], 1, 'no alpha channel', out)
    rc, _, err = run(base + ['-o', os.path.join(d, 'no-such-dir', 'o.png')])
    check(rc == 1 and len(err.splitlines()) == 1 and 'cannot write' in err, f'unwritable output: {err!r}')
    # A write that fails part way (the rows are encoded on a thread of their
    # own beside the compositing, or on the one with --threads 1): one error,
    # no file left behind.
    # Noise: its PNG is about its raw size, 360 kB, of which 100 kB may be written.
    noise, noise_mask = os.path.join(d, 'noise.png'), os.path.join(d, 'noise-mask.png')
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (300, 400, 3), np.uint8)).save(noise)
    Image.fromarray(np.pad(np.full((100, 100), 255, np.uint8), 100)).resize((400, 300)).save(noise_mask)
    before = sorted(os.listdir(d))
    for extra in [[], ['--threads', '1']]:
        rc, _, err = run(['--composite', noise, '--mask', noise_mask, '--size', '64', '--quiet', '-o', out]
                         + extra, file_size_limit=100000)
        check(rc == 1 and len(err.splitlines()) == 1 and 'cannot write' in err
              and sorted(os.listdir(d)) == before, f'a write failing part way {extra}: exit {rc}, {err!r}')
    os.unlink(noise)
    os.unlink(noise_mask)
    for what, extra, needle in [('--size 32', ['--size', '32'], '--size 32'),
                                ('--size 2000', ['--size', '2000'], '--size 2000'),
                                ('--strength 1.5', ['--strength', '1.5'], '--strength'),
                                ('--strength -0.1', ['--strength', '-0.1'], '--strength'),
                                ('--strength abc', ['--strength', 'abc'], 'abc'),
                                ('bad --box', ['--box', '1,2,3'], '--box'),
                                ('unknown option', ['--frobnicate'], 'frobnicate'),
                                ('--threads too many', ['--threads', '257'], '256'),
                                ('--offset with --composite', ['--offset', '1,2'], '--offset'),
                                ('bad --network-output', ['--network-output', os.path.join(d, 'n.txt')], 'n.txt')]:
        expect_failure(what, base + extra, 2, needle, out)
    expect_failure('unknown output extension', base, 2, 'out.bmp', os.path.join(d, 'out.bmp'))
    expect_failure('--depth 16 to JPEG', base + ['--depth', '16'], 2, 'JPEG', os.path.join(d, 'o.jpg'))
    rc, _, err = run(base)
    check(rc == 2 and len(err.splitlines()) == 1 and '-o' in err, f'missing -o: exit {rc}, {err!r}')

    # An existing output survives a failed run untouched.
    open(out, 'wb').write(b'keep me')
    rc, _, _ = run(['--composite', f['comp'], '--mask', f['empty_mask'], '--quiet', '-o', out])
    check(rc == 1 and open(out, 'rb').read() == b'keep me', 'a failed run leaves an existing output alone')
    os.unlink(out)

    # ---- round trips ----
    comp8 = np.asarray(Image.open(f['comp']))
    mask = np.asarray(Image.open(f['mask']))
    rc, _, err = run(base + ['-o', out])
    res, depth = read_png(out)
    check(rc == 0 and err == '' and depth == 8 and res.shape == (H, W, 3), f'8-bit PNG in and out ({err!r})')
    check(np.array_equal(res[mask == 0], comp8[mask == 0]), 'pixels outside the mask are untouched')
    changed = np.abs(res[mask == 255].astype(int) - comp8[mask == 255]).max()
    check(changed > 0, f'pixels inside the mask change (by up to {changed})')
    leftovers = [n for n in os.listdir(d) if n.startswith('.')]
    check(leftovers == [], f'no temporary files left ({leftovers})')

    rc, _, _ = run(base + ['--strength', '0', '-o', out])
    res, _ = read_png(out)
    check(rc == 0 and np.array_equal(res, comp8), '--strength 0 gives the input back exactly')

    out16 = os.path.join(d, 'out16.png')
    rc, _, err = run(['--composite', f['comp16'], '--mask', f['mask16'], '--size', '64', '--quiet',
                      '--strength', '0', '-o', out16])
    res16, depth = read_png(out16)
    comp16, _ = read_png(f['comp16'])
    check(rc == 0 and depth == 16 and np.array_equal(res16, comp16),
          f'16-bit PNG in, 16-bit out, exact at strength 0 ({err!r})')
    rc, _, _ = run(['--composite', f['comp16'], '--mask', f['mask16'], '--size', '64', '--quiet', '-o', out16])
    res16, depth = read_png(out16)
    check(rc == 0 and depth == 16 and np.abs(res16.astype(int) - comp16).max() > 0, '16-bit harmonized')
    rc, _, _ = run(base + ['--depth', '16', '-o', out16])
    check(rc == 0 and read_png(out16)[1] == 16, '--depth 16 from an 8-bit input')

    outj = os.path.join(d, 'out.jpg')
    rc, _, err = run(['--composite', f['comp_jpg'], '--mask', f['mask_jpg'], '--size', '64', '--quiet',
                      '--quality', '80', '-o', outj])
    check(rc == 0 and Image.open(outj).format == 'JPEG' and Image.open(outj).size == (W, H),
          f'JPEG composite and mask in, JPEG out ({err!r})')
    rc, _, err = run(base + ['-o', os.path.join(d, 'out.JPEG')])
    check(rc == 0 and Image.open(os.path.join(d, 'out.JPEG')).format == 'JPEG', 'PNG in, .JPEG out')

    for key, channels in [('comp_grey', 3), ('comp_pal', 3), ('comp_rgba', 4)]:
        rc, _, err = run(['--composite', f[key], '--mask', f['mask'], '--size', '64', '--quiet', '-o', out])
        res, _ = read_png(out) if rc == 0 else (np.zeros((0, 0, 0)), 0)
        check(rc == 0 and res.shape == (H, W, channels), f'{key}: output {res.shape} ({err!r})')
    check(np.all(res[..., 3] == 200), 'the composite\'s alpha is kept')
    rc, _, err = run(['--composite', f['comp'], '--mask', f['mask_rgb'], '--size', '64', '--quiet', '-o', out])
    check(rc == 0, f'an RGB mask (its red channel) works ({err!r})')

    # ---- the network's raw output and inputs ----
    pfm, png16, inp, ref = (os.path.join(d, n) for n in ('net.pfm', 'net.png', 'in.pfm', 'ref.pfm'))
    rc, _, err = run(base + ['-o', out, '--network-output', pfm, '--network-input', inp,
                             '--network-reference', ref])
    net, x, r = read_pfm(pfm), read_pfm(inp), read_pfm(ref)
    # The content region: the 25 x 19 box of the mask, 3 pixels of margin: 31 x 25 -> 64 x 52.
    check(rc == 0 and net.shape == (52, 64, 3) and np.isfinite(net).all(),
          f'--network-output PFM is the working size ({net.shape}, {err!r})')
    check(x.shape == net.shape and x.min() >= -1 and x.max() <= 1 and r.shape == (43, 64, 3),
          f'--network-input {x.shape} and --network-reference {r.shape}')
    # The input is the composite's region: its middle is the object's colour.
    check(np.allclose(x[26, 32], np.array([220, 60, 50]) / 255 * 2 - 1, atol=0.02),
          f'the network input shows the object ({x[26, 32]})')
    rc, _, _ = run(base + ['-o', out, '--network-output', png16])
    a, depth = read_png(png16)
    check(rc == 0 and depth == 16 and a.shape == (52, 64, 3), '--network-output 16-bit PNG')
    check(np.abs(a / 65535.0 - np.clip((net + 1) / 2, 0, 1)).max() < 1e-4, 'the PNG is (y + 1) / 2 of the PFM')

    # ---- the working size follows the weights file ----
    sys.path.insert(0, os.path.join(os.environ['HARMONIZE_SOURCE_ROOT'], 'weights'))
    import hzw
    tensors, meta = hzw.read(WEIGHTS)
    own = base[:base.index('--size')] + base[base.index('--size') + 2:]
    for size, want in [('96', 96), ('2000', None)]:
        sized = os.path.join(d, f'sized-{size}.hzw')
        hzw.write(sized, tensors, {**meta, 'working_size': size})
        rc, _, err = run(own + ['--weights', sized, '-o', out, '--network-output', pfm])
        if want:
            got = read_pfm(pfm).shape if rc == 0 else None
            check(got and max(got) == want, f'no --size: the file\'s working size {size} ({got}, {err!r})')
            rc, _, err = run(own + ['--weights', sized, '--size', '64', '-o', out, '--network-output', pfm])
            check(rc == 0 and read_pfm(pfm).shape == (52, 64, 3), f'--size 64 wins over the file\'s ({err!r})')
        else:
            check(rc == 1 and "working size '2000' is not a whole number from 64 to 1024" in err,
                  f'a file whose working size is out of range is refused ({err!r})')

    # ---- a separate foreground layer, partly off the canvas ----
    bg8 = np.asarray(Image.open(f['bg']))
    for extra in ([], ['--mask', f['fg_mask']]):
        rc, _, err = run(['--foreground', f['fg'], '--background', f['bg'], '--offset', '-10,-5', '--size', '64',
                          '--quiet', '-o', out] + extra)
        res, _ = read_png(out)
        covered = np.zeros((H, W), bool)
        covered[0:25, 0:20] = True
        check(rc == 0 and res.shape == (H, W, 3) and np.array_equal(res[~covered], bg8[~covered])
              and not np.array_equal(res[covered], bg8[covered]),
              f'foreground at -10,-5 {"with" if extra else "without"} --mask: only its place changes ({err!r})')

    hostile_inputs(d, f, base)

    if failures:
        print(f'{len(failures)} failure(s); the files are in {d}')
        sys.exit(1)
    shutil.rmtree(d)


if __name__ == '__main__':
    main()
