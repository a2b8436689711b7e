/* The 17-term colour mapping: sRGB transfer functions and the fit. */
#ifndef HZ_COLORMAP_H
#define HZ_COLORMAP_H

#include "harmonize.h"

/* Ridge of the fit, relative to the total weight: it pulls the coefficients
 * toward the identity mapping. Along directions the data does not determine
 * (a foreground of one or two colours) it picks the smallest change from the
 * identity; for a tight, noisy cluster of colours it keeps the cubic terms
 * from fitting the noise and blowing up away from the cluster. The price is a
 * small bias on well-spread data: about 1.3e-3 (1/3 of an 8-bit step) for a
 * known mapping (tests/test-colormap.c measures it); 1e-4 would cost 1e-2. */
#define HZ_COLORMAP_RIDGE 1e-5

/* Exact sRGB transfer functions (IEC 61966-2-1, as colour.cctf_decoding and
 * colour.cctf_encoding), in double. */
double hz_srgb_to_linear (double v);
double hz_linear_to_srgb (double v);

/* Fast table versions used by hz_colormap_apply; input clamped to [0, 1]. */
float  hz_srgb_to_linear_fast (float v);
float  hz_linear_to_srgb_fast (float v);

/* The Cheung 2004 expansion of a linear RGB colour, in colour-science's order:
 * R, G, B, RG, RB, GB, R², G², B², RGB, R²G, G²B, B²R, R³, G³, B³, 1. */
void   hz_colormap_terms (const double rgb[3],
                          double       terms[HZ_COLORMAP_TERMS]);

/* Maps one linear RGB colour (no clipping), in double. */
void   hz_colormap_eval  (const HzColorMap *map,
                          const double      rgb[3],
                          double            out[3]);

/* Weighted least squares from before to after, both planar 3 x n R'G'B'
 * (clamped to [0, 1], linearised here); weight has n entries (NULL = all 1).
 * ridge: see HZ_COLORMAP_RIDGE. Fails with HZ_ERROR_INPUT when every weight
 * is zero. */
gboolean hz_colormap_fit (HzColorMap   *map,
                          const float  *before,
                          const float  *after,
                          const float  *weight,
                          gsize         n,
                          double        ridge,
                          GError      **error);

#endif
