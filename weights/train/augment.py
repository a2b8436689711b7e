"""SSH's dual data augmentation on the device: a content crop and a reference crop of one photo, each seen
in two appearances alpha and beta (two random LUTs).

Per sample: one photo; two independent crops of it with the output's aspect (size drawn log-uniformly from
min_scale to 1 times the largest that fits, anywhere in the photo, so they range from local to global and may
overlap or not), each mirrored with probability 1/2. With probability p_object a cut-out is pasted onto the
content (before the looks, so it takes them too: more foreground-like content). With probability p_hole an
object-shaped hole is cut out of the reference (after the looks) and filled by pull-push interpolation, as the
engine fills the foreground's place in its reference (hz_fill_holes). All outputs are quantised to 8 bits.
"""
import math

import torch
import torch.nn.functional as F

from luts import apply_lut, random_appearances


def _pull(v, c):
    """One coarser level, as hz_fill_holes: each parent is the coverage-weighted mean of its (up to) four
    children, its coverage their summed coverage, at most 1 (odd sizes: the last parent has fewer children)."""
    ph, pw = v.shape[-2] % 2, v.shape[-1] % 2
    sv = F.avg_pool2d(F.pad(v * c, (0, pw, 0, ph)), 2, divisor_override=1)
    sc = F.avg_pool2d(F.pad(c, (0, pw, 0, ph)), 2, divisor_override=1)
    return torch.where(sc > 0, sv / sc.clamp_min(1e-30), torch.zeros_like(sv)), sc.clamp(max=1)


def _upsample(v, size):
    """The bilinear estimate of the coarser level at each finer pixel's centre, at (x + 0.5) / 2 - 0.5 in
    the coarser level's pixels, clamped to its edges, as hz_fill_holes (not F.interpolate, whose scale
    for odd sizes is the ratio of the sizes)."""
    for dim, n in ((-2, size[0]), (-1, size[1])):
        m = v.shape[dim]
        pos = ((torch.arange(n, device=v.device, dtype=torch.float64) + 0.5) / 2 - 0.5).clamp(0, m - 1)
        i0 = pos.floor().long()
        i1 = (i0 + 1).clamp(max=m - 1)
        t = (pos - i0).to(v.dtype)
        shape = [1] * v.dim()
        shape[dim] = n
        t = t.view(shape)
        v = v.index_select(dim, i0) * (1 - t) + v.index_select(dim, i1) * t
    return v


def fill_holes(img, weight):
    """Pull-push exactly as the engine fills the foreground's place in its reference (hz_fill_holes in
    engine/hz-thumb.c; tests/test-net-golden.c holds the two together): each pixel becomes
    coverage * itself + (1 - coverage) * the coarser levels' estimate. img [B, C, H, W], weight
    [B, 1, H, W] in 0..1 (0 = hole); an image with no coverage at all is returned unchanged."""
    levels = [(img, weight)]
    while max(levels[-1][0].shape[-2:]) > 1:
        levels.append(_pull(*levels[-1]))
    value = levels[-1][0]
    for v, c in reversed(levels[:-1]):
        c = c.clamp(0, 1)
        value = c * v + (1 - c) * _upsample(value, v.shape[-2:])
    any_cover = (levels[-1][1] > 0).view(-1, 1, 1, 1)
    return torch.where(any_cover, value, img)


class TripletSampler:
    def __init__(self, photos, bank, gen, objects=None, min_scale=0.2, p_object=0.3, p_hole=0.5,
                 p_bank=0.5, p_natural=0.05, p_composite=0.0, p_lab=0.0, lab_strength=1.0):
        self.photos, self.bank, self.gen, self.objects = photos, bank, gen, objects
        self.device = photos.levels[0].device
        self.min_scale, self.p_object, self.p_hole, self.p_bank = min_scale, p_object, p_hole, p_bank
        # Look beta is the identity with this probability: the photo as it is, as a real background is.
        self.p_natural = p_natural
        # This share of contents are composites, as the engine's content is: one look inside a cut-out's
        # shape, the other around it ('around', returned with the triplet).
        self.p_composite = p_composite
        self.p_lab, self.lab_strength = p_lab, lab_strength

    def _u(self, *shape):
        return torch.rand(*shape, generator=self.gen, device=self.device)

    def _crops(self, idx, out_h, out_w):
        h, w = self.photos.sizes[idx].unbind(1)
        n = len(idx)
        # The crop keeps the output's aspect; its longer side is scale x the photo side it runs along.
        side = torch.minimum(h * out_w / out_h, w) if out_w >= out_h else torch.minimum(h, w * out_h / out_w)
        scale = torch.exp(self._u(n) * math.log(self.min_scale))
        cw = side * scale * (1 if out_w >= out_h else out_w / out_h)
        ch = cw * out_h / out_w
        x0, y0 = self._u(n) * (w - cw), self._u(n) * (h - ch)
        return self.photos.sample(idx, x0, y0, cw, ch, self._u(n) < 0.5, out_h, out_w)

    def _objects(self, n, out_h, out_w):
        """Cut-outs [n, 4, out_h, out_w] (colour premultiplied), long side 25-70% of the crop's, anywhere."""
        idx = torch.randint(len(self.objects), (n,), generator=self.gen, device=self.device)
        oh, ow = self.objects.sizes[idx].unbind(1)
        k = max(out_h, out_w) * (0.25 + 0.45 * self._u(n)) / torch.maximum(oh, ow)
        cx, cy = out_w * (0.15 + 0.7 * self._u(n)), out_h * (0.15 + 0.7 * self._u(n))
        return self.objects.sample(idx, ow / 2 - cx / k, oh / 2 - cy / k, out_w / k, out_h / k,
                                   self._u(n) < 0.5, out_h, out_w)

    def _used(self, p, n):
        return (self._u(n) < p).float().view(n, 1, 1, 1)

    def __call__(self, batch, out_h, out_w):
        """(C_alpha, C_beta, R_alpha, R_beta), each [batch, 3, out_h, out_w] in [-1, 1], and 'around'
        [batch, 1, out_h, out_w] in 0..1: where a composite content takes the target's look (outside its
        cut-out shape; zeros for the contents that are not composites)."""
        idx = torch.randint(len(self.photos), (batch,), generator=self.gen, device=self.device)
        content = self._crops(idx, out_h, out_w)
        ref = self._crops(idx, out_h, out_w)
        hole = None
        around = torch.zeros(batch, 1, out_h, out_w, device=self.device)
        if self.objects is not None:
            paste = self._objects(batch, out_h, out_w) * self._used(self.p_object, batch)
            content = paste[:, :3] + (1 - paste[:, 3:]) * content
            hole = self._objects(batch, out_h, out_w)[:, 3:] * self._used(self.p_hole, batch)
            if self.p_composite:
                shape = self._objects(batch, out_h, out_w)[:, 3:]
                around = (1 - shape).clamp(0, 1) * self._used(self.p_composite, batch)
        both = torch.cat([content, ref])
        out = []
        for p_identity in (0.05, self.p_natural):
            lut = random_appearances(batch, self.bank, self.gen, self.device, p_bank=self.p_bank,
                                     p_identity=p_identity, p_lab=self.p_lab, lab_strength=self.lab_strength)
            out.append(apply_lut(both, torch.cat([lut, lut])))
        c_a, r_a = out[0].chunk(2)
        c_b, r_b = out[1].chunk(2)
        if hole is not None:
            # The hole is filled after the looks, from each reference's own surroundings, as the engine does.
            r_a, r_b = fill_holes(torch.cat([r_a, r_b]), torch.cat([1 - hole, 1 - hole])).chunk(2)
        return tuple((t * 255).round() / 127.5 - 1 for t in (c_a, c_b, r_a, r_b)) + (around,)
