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


def fill_holes(img, weight):
    """Pull-push: each pixel becomes coverage * itself + (1 - coverage) * the coarser levels' estimate.
    img [B, C, H, W], weight [B, 1, H, W] in 0..1 (0 = hole)."""
    num, den = [img * weight], [weight]
    while max(num[-1].shape[-2:]) > 1:
        size = [max(1, -(-s // 2)) for s in num[-1].shape[-2:]]
        num.append(F.adaptive_avg_pool2d(num[-1], size))
        den.append(F.adaptive_avg_pool2d(den[-1], size))
    value = num[-1] / den[-1].clamp_min(1e-6)
    for n, d in zip(reversed(num[:-1]), reversed(den[:-1])):
        up = F.interpolate(value, size=n.shape[-2:], mode='bilinear', align_corners=False)
        cover = d.clamp(0, 1)
        value = n / d.clamp_min(1e-6) * cover + (1 - cover) * up
    return value


class TripletSampler:
    def __init__(self, photos, bank, gen, objects=None, min_scale=0.2, p_object=0.3, p_hole=0.5,
                 p_bank=0.5):
        self.photos, self.bank, self.gen, self.objects = photos, bank, gen, objects
        self.device = photos.levels[0].device
        self.min_scale, self.p_object, self.p_hole, self.p_bank = min_scale, p_object, p_hole, p_bank

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
        """(C_alpha, C_beta, R_alpha, R_beta), each [batch, 3, out_h, out_w] in [-1, 1]."""
        idx = torch.randint(len(self.photos), (batch,), generator=self.gen, device=self.device)
        content = self._crops(idx, out_h, out_w)
        ref = self._crops(idx, out_h, out_w)
        hole = None
        if self.objects is not None:
            paste = self._objects(batch, out_h, out_w) * self._used(self.p_object, batch)
            content = paste[:, :3] + (1 - paste[:, 3:]) * content
            hole = self._objects(batch, out_h, out_w)[:, 3:] * self._used(self.p_hole, batch)
        both = torch.cat([content, ref])
        out = []
        for _ in range(2):
            lut = random_appearances(batch, self.bank, self.gen, self.device, p_bank=self.p_bank)
            out.append(apply_lut(both, torch.cat([lut, lut])))
        c_a, r_a = out[0].chunk(2)
        c_b, r_b = out[1].chunk(2)
        if hole is not None:
            # The hole is filled after the looks, from each reference's own surroundings, as the engine does.
            r_a, r_b = fill_holes(torch.cat([r_a, r_b]), torch.cat([1 - hole, 1 - hole])).chunk(2)
        return tuple((t * 255).round() / 127.5 - 1 for t in (c_a, c_b, r_a, r_b))
