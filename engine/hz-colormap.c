/* The 17-term colour mapping of the SSH release (colour.colour_correction
 * with terms=17 between the network's input and output, in linear RGB):
 * sRGB transfer functions, the weighted fit and the fast per-pixel apply. */
#include "hz-colormap.h"
#include "hz-blis.h"
#include "hz-clones.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#define SRGB_DECODE_KNEE 0.04045
#define SRGB_ENCODE_KNEE 0.0031308

double
hz_srgb_to_linear (double v)
{
  return v <= SRGB_DECODE_KNEE ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
}

double
hz_linear_to_srgb (double v)
{
  return v <= SRGB_ENCODE_KNEE ? v * 12.92 : 1.055 * pow (v, 1.0 / 2.4) - 0.055;
}

/* ---- fast transfer functions ----------------------------------------------- */

/* Decoding is smooth above its knee: a uniform table with linear
 * interpolation is within 1e-7 of pow. */
#define DECODE_STEPS 4096
/* Encoding is steep near 0, so its table is indexed by the float's exponent
 * and top ENCODE_BITS mantissa bits: segments of constant relative width over
 * the octaves [2^-9, 1), which cover everything above the knee. */
#define ENCODE_BITS     6
#define ENCODE_SHIFT    (23 - ENCODE_BITS)
#define ENCODE_OCTAVES  9
#define ENCODE_STEPS    (ENCODE_OCTAVES << ENCODE_BITS)

static float decode_table[DECODE_STEPS + 1];
static float encode_table[ENCODE_STEPS + 1];
static guint32 encode_base;

static inline guint32
float_bits (float f)
{
  guint32 u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
bits_float (guint32 u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static void
tables_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (int i = 0; i <= DECODE_STEPS; i++)
        decode_table[i] = pow (((double) i / DECODE_STEPS + 0.055) / 1.055, 2.4);

      encode_base = float_bits (ldexpf (1.0f, -ENCODE_OCTAVES)) >> ENCODE_SHIFT;
      for (int i = 0; i <= ENCODE_STEPS; i++)
        {
          double x = bits_float ((encode_base + i) << ENCODE_SHIFT);
          encode_table[i] = 1.055 * pow (x, 1.0 / 2.4) - 0.055;
        }
      g_once_init_leave (&done, 1);
    }
}

static inline float
unit (float v)
{
  return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

/* Both are written without early returns (selects instead), so that
 * apply_block's loops over them vectorise. v in [0, 1]. */
static inline float
decode_fast (float v)
{
  float x = v * DECODE_STEPS;
  int i = (int) x;
  i = i < DECODE_STEPS - 1 ? i : DECODE_STEPS - 1;
  float f = x - i;
  float table = decode_table[i] + f * (decode_table[i + 1] - decode_table[i]);

  return v <= (float) SRGB_DECODE_KNEE ? v * (float) (1.0 / 12.92) : table;
}

static inline float
encode_fast (float v)
{
  float c = v < 1.0f ? (v > (float) SRGB_ENCODE_KNEE ? v : (float) SRGB_ENCODE_KNEE) : 1.0f;
  guint32 u = float_bits (c);
  guint32 i = MIN ((u >> ENCODE_SHIFT) - encode_base, ENCODE_STEPS - 1);
  float f = (u - ((encode_base + i) << ENCODE_SHIFT)) * (1.0f / (1u << ENCODE_SHIFT));
  float table = encode_table[i] + f * (encode_table[i + 1] - encode_table[i]);
  float linear = v > 0.0f ? v * 12.92f : 0.0f;

  return v <= (float) SRGB_ENCODE_KNEE ? linear : table;
}

float
hz_srgb_to_linear_fast (float v)
{
  tables_init ();
  return decode_fast (unit (v));
}

float
hz_linear_to_srgb_fast (float v)
{
  tables_init ();
  return encode_fast (v);
}

void
hz_rgba_from_linear (const float *in,
                     int          channels,
                     gsize        n_pixels,
                     float       *out)
{
  g_return_if_fail (channels == 3 || channels == 4);
  tables_init ();
  for (gsize i = 0; i < n_pixels; i++, in += channels, out += 4)
    {
      for (int c = 0; c < 3; c++)
        out[c] = encode_fast (in[c]);
      out[3] = channels == 4 ? in[3] : 1.0f;
    }
}

/* ---- the mapping -------------------------------------------------------------- */

void
hz_colormap_identity (HzColorMap *map)
{
  memset (map, 0, sizeof *map);
  for (int c = 0; c < 3; c++)
    map->coef[c][c] = 1.0f;
}

void
hz_colormap_terms (const double rgb[3],
                   double       t[HZ_COLORMAP_TERMS])
{
  double r = rgb[0], g = rgb[1], b = rgb[2];

  t[0] = r;
  t[1] = g;
  t[2] = b;
  t[3] = r * g;
  t[4] = r * b;
  t[5] = g * b;
  t[6] = r * r;
  t[7] = g * g;
  t[8] = b * b;
  t[9] = r * g * b;
  t[10] = r * r * g;
  t[11] = g * g * b;
  t[12] = b * b * r;
  t[13] = r * r * r;
  t[14] = g * g * g;
  t[15] = b * b * b;
  t[16] = 1.0;
}

void
hz_colormap_eval (const HzColorMap *map,
                  const double      rgb[3],
                  double            out[3])
{
  double t[HZ_COLORMAP_TERMS];

  hz_colormap_terms (rgb, t);
  for (int c = 0; c < 3; c++)
    {
      double s = 0.0;
      for (int k = 0; k < HZ_COLORMAP_TERMS; k++)
        s += map->coef[c][k] * t[k];
      out[c] = s;
    }
}

/* In-place Cholesky solve of the symmetric positive definite n x n system
 * a x = b for 3 right-hand sides (b is n x 3, overwritten by x). */
static gboolean
cholesky_solve (double *a,
                double *b,
                int     n)
{
  for (int j = 0; j < n; j++)
    {
      double d = a[j * n + j];
      for (int k = 0; k < j; k++)
        d -= a[j * n + k] * a[j * n + k];
      if (!(d > 0.0))
        return FALSE;
      d = sqrt (d);
      a[j * n + j] = d;
      for (int i = j + 1; i < n; i++)
        {
          double s = a[i * n + j];
          for (int k = 0; k < j; k++)
            s -= a[i * n + k] * a[j * n + k];
          a[i * n + j] = s / d;
        }
    }

  for (int c = 0; c < 3; c++)
    {
      for (int i = 0; i < n; i++)
        {
          double s = b[i * 3 + c];
          for (int k = 0; k < i; k++)
            s -= a[i * n + k] * b[k * 3 + c];
          b[i * 3 + c] = s / a[i * n + i];
        }
      for (int i = n - 1; i >= 0; i--)
        {
          double s = b[i * 3 + c];
          for (int k = i + 1; k < n; k++)
            s -= a[k * n + i] * b[k * 3 + c];
          b[i * 3 + c] = s / a[i * n + i];
        }
    }
  return TRUE;
}

gboolean
hz_colormap_fit (HzColorMap   *map,
                 const float  *before,
                 const float  *after,
                 const float  *weight,
                 gsize         n,
                 double        ridge,
                 GError      **error)
{
  enum { K = HZ_COLORMAP_TERMS };
  double ata[K * K] = { 0 };
  double aty[K * 3] = { 0 };
  double total = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      double w = weight ? weight[i] : 1.0;
      double rgb[3], y[3], t[K];

      if (!(w > 0.0))
        continue;
      for (int c = 0; c < 3; c++)
        {
          rgb[c] = hz_srgb_to_linear (unit (before[c * n + i]));
          y[c] = hz_srgb_to_linear (unit (after[c * n + i]));
        }
      hz_colormap_terms (rgb, t);
      for (int j = 0; j < K; j++)
        {
          double wt = w * t[j];
          for (int k = 0; k <= j; k++)
            ata[j * K + k] += wt * t[k];
          for (int c = 0; c < 3; c++)
            aty[j * 3 + c] += wt * y[c];
        }
      total += w;
    }

  if (!(total > 0.0))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                   _("the colour fit has no pixels with a non-zero mask"));
      return FALSE;
    }

  /* Ridge toward the identity: minimise |W^1/2 (A x - y)|² + λ |x - I|². */
  double lambda = ridge * total;
  for (int j = 0; j < K; j++)
    {
      for (int k = j + 1; k < K; k++)
        ata[j * K + k] = ata[k * K + j];
      ata[j * K + j] += lambda;
    }
  for (int c = 0; c < 3; c++)
    aty[c * 3 + c] += lambda;

  if (!cholesky_solve (ata, aty, K))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                   _("the colour fit is degenerate (too few distinct colours)"));
      return FALSE;
    }

  for (int c = 0; c < 3; c++)
    for (int k = 0; k < K; k++)
      map->coef[c][k] = aty[k * 3 + c];
  return TRUE;
}

/* Pixels a block of the apply works on at once, channel by channel, so that
 * every loop below is a straight run over arrays the compiler vectorises
 * (table lookups become gathers where the CPU has them). */
#define APPLY_BLOCK 256

HZ_X86_64_V4_CLONES static void
apply_block (const float (*m)[HZ_COLORMAP_TERMS],
             float        s,
             gboolean     linear,
             float       *rgba,
             int          n)
{
  float e[3][APPLY_BLOCK], l[3][APPLY_BLOCK], out[3][APPLY_BLOCK];

  /* e: the encoded colour (the blend's), l: the linear one (the terms'). */
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n; i++)
      (linear ? l : e)[c][i] = unit (rgba[4 * i + c]);
  for (int c = 0; c < 3; c++)
    if (linear)
      for (int i = 0; i < n; i++)
        e[c][i] = encode_fast (l[c][i]);
    else
      for (int i = 0; i < n; i++)
        l[c][i] = decode_fast (e[c][i]);
  for (int c = 0; c < 3; c++)
    {
      const float *k = m[c];   /* the terms in hz_colormap_terms' order */
      for (int i = 0; i < n; i++)
        {
          float r = l[0][i], g = l[1][i], b = l[2][i];
          float r2 = r * r, g2 = g * g, b2 = b * b;
          out[c][i] = k[0] * r + k[1] * g + k[2] * b + k[3] * r * g + k[4] * r * b
                      + k[5] * g * b + k[6] * r2 + k[7] * g2 + k[8] * b2 + k[9] * r * g * b
                      + k[10] * r2 * g + k[11] * g2 * b + k[12] * b2 * r + k[13] * r2 * r
                      + k[14] * g2 * g + k[15] * b2 * b + k[16];
        }
    }
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n; i++)
      {
        float v = encode_fast (out[c][i]);
        out[c][i] = unit (e[c][i] + s * (v - e[c][i]));
      }
  for (int c = 0; c < 3; c++)
    if (linear)
      for (int i = 0; i < n; i++)
        rgba[4 * i + c] = decode_fast (out[c][i]);
    else
      for (int i = 0; i < n; i++)
        rgba[4 * i + c] = out[c][i];
}

/* hz_parallel_for's share of the apply: APPLY_CHUNK blocks. */
#define APPLY_CHUNK 64

typedef struct
{
  const HzColorMap *map;
  float             s;
  gboolean          linear;
  float            *rgba;
  gsize             n_pixels;
} Apply;

static void
apply_chunk (int      i,
             int      slot,
             gpointer data)
{
  const Apply *a = data;
  gsize first = (gsize) i * APPLY_CHUNK * APPLY_BLOCK;
  gsize last = MIN (first + APPLY_CHUNK * APPLY_BLOCK, a->n_pixels);

  (void) slot;
  for (gsize p = first; p < last; p += APPLY_BLOCK)
    apply_block (a->map->coef, a->s, a->linear, a->rgba + 4 * p, (int) MIN (APPLY_BLOCK, last - p));
}

static void
apply (const HzColorMap *map,
       double            strength,
       gboolean          linear,
       float            *rgba,
       gsize             n_pixels,
       int               n_threads)
{
  const gsize chunk = (gsize) APPLY_CHUNK * APPLY_BLOCK;
  Apply a = { map, strength > 0.0 ? (strength < 1.0 ? strength : 1.0) : 0.0, linear, rgba, n_pixels };

  tables_init ();
  for (gsize done = 0; done < n_pixels; )   /* hz_parallel_for counts in ints */
    {
      gsize n = MIN (n_pixels - done, chunk * G_MAXINT32 / 2);
      a.rgba = rgba + 4 * done;
      a.n_pixels = n;
      hz_parallel_for ((int) ((n + chunk - 1) / chunk), n_threads, apply_chunk, &a);
      done += n;
    }
}

void
hz_colormap_apply (const HzColorMap *map,
                   double            strength,
                   float            *rgba,
                   gsize             n_pixels,
                   int               n_threads)
{
  apply (map, strength, FALSE, rgba, n_pixels, n_threads);
}

void
hz_colormap_apply_linear (const HzColorMap *map,
                          double            strength,
                          float            *rgba,
                          gsize             n_pixels,
                          int               n_threads)
{
  apply (map, strength, TRUE, rgba, n_pixels, n_threads);
}
