/* The network's operators (engine/hz-ops.c) against naive loops written
 * from PyTorch's definitions, on generated data (tests/testgen.c). */
#include <math.h>
#include <string.h>

#include "hz-ops.h"
#include "testgen.h"

/* float32 sums over up to a few thousand terms against double ones */
#define NMSE_TOL 1e-10
#define MAX_ERR_TOL 1e-5   /* on outputs of order 1 */
/* Winograd F(4x4, 3x3): its transforms (coefficients up to 5 on the
 * input, 8 on the output, both ways) amplify float rounding, measured up
 * to 4.0e-5 here (64 input channels; F(2x2, 3x3) 4.8e-7 on 5); the NMSE
 * holds, and the network's golden tests against PyTorch keep theirs. */
#define WINO4_MAX_ERR_TOL 1e-4
#define GUARD    64
#define SENTINEL 1234.5f

static void
check_within (const char  *what,
              const float *got,
              const float *want,
              gsize        n,
              double       tol,
              double       max_err_tol)
{
  double nmse = testgen_nmse (got, want, n);
  double max_err = testgen_max_abs_diff (got, want, n);

  g_test_message ("%s: NMSE %.3g, max abs error %.3g (%" G_GSIZE_FORMAT " values)",
                  what, nmse, max_err, n);
  g_assert_cmpfloat (nmse, <=, tol);
  g_assert_cmpfloat (max_err, <=, max_err_tol);
}

static void
check (const char  *what,
       const float *got,
       const float *want,
       gsize        n,
       double       tol)
{
  check_within (what, got, want, n, tol, MAX_ERR_TOL);
}

/* Generated floats followed by GUARD sentinels. */
static float *
guarded (const char *name,
         gsize       n)
{
  float *p = g_new (float, n + GUARD);
  int i;

  testgen_uniform (name, n, p);
  for (i = 0; i < GUARD; i++)
    p[n + i] = SENTINEL;
  return p;
}

static void
assert_guard (const float *p,
              gsize        n)
{
  int i;

  for (i = 0; i < GUARD; i++)
    g_assert_cmpfloat (p[n + i], ==, SENTINEL);
}

/* Reflection by bouncing off the edges until inside: PyTorch's reflection
 * where it is defined, and its natural continuation farther out. */
static int
bounce (int i,
        int n)
{
  if (n == 1)
    return 0;
  while (i < 0 || i >= n)
    i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

/* ---- naive references --------------------------------------------------- */

static void
naive_conv (const HzConv *cv,
            const float  *in,
            int           h,
            int           w,
            float        *out)
{
  int k = cv->k, s = cv->stride, p = cv->pad;
  int ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1;
  int o, oy, ox, c, ky, kx;

  for (o = 0; o < cv->cout; o++)
    for (oy = 0; oy < ho; oy++)
      for (ox = 0; ox < wo; ox++)
        {
          double sum = cv->bias ? cv->bias[o] : 0.0;
          float v;

          for (c = 0; c < cv->cin; c++)
            for (ky = 0; ky < k; ky++)
              for (kx = 0; kx < k; kx++)
                {
                  int y = oy * s + ky - p, x = ox * s + kx - p;

                  if (y < 0 || y >= h || x < 0 || x >= w)
                    {
                      if (cv->pad_mode == HZ_PAD_ZERO)
                        continue;
                      y = bounce (y, h);
                      x = bounce (x, w);
                    }
                  sum += (double) cv->weight[((o * cv->cin + c) * k + ky) * k + kx]
                         * in[((gsize) c * h + y) * w + x];
                }
          v = (float) sum;
          if (cv->act == HZ_ACT_RELU)
            v = v > 0 ? v : 0;
          else if (cv->act == HZ_ACT_LEAKY)
            v = v > 0 ? v : 0.2f * v;
          if (cv->scale)
            v = v * cv->scale[o] + cv->shift[o];
          out[((gsize) o * ho + oy) * wo + ox] = v;
        }
}

/* PyTorch's upsample_bilinear2d source index for scale factor 2,
 * align_corners=False: src = (dst + 0.5) / 2 - 0.5, clamped at 0; the
 * second sample clamped to the last. */
static void
naive_source (int    o,
              int    n,
              int   *i0,
              int   *i1,
              float *l1)
{
  float src = (o + 0.5f) / 2.0f - 0.5f;

  if (src < 0)
    src = 0;
  *i0 = (int) floorf (src);
  *i1 = MIN (*i0 + 1, n - 1);
  *l1 = src - *i0;
}

static void
naive_upsample (const float *in,
                int          c,
                int          h,
                int          w,
                float       *out)
{
  int ch, y, x;

  for (ch = 0; ch < c; ch++)
    for (y = 0; y < 2 * h; y++)
      for (x = 0; x < 2 * w; x++)
        {
          const float *p = in + (gsize) ch * h * w;
          int y0, y1, x0, x1;
          float ly, lx;

          naive_source (y, h, &y0, &y1, &ly);
          naive_source (x, w, &x0, &x1, &lx);
          out[((gsize) ch * 2 * h + y) * 2 * w + x] =
            (1 - ly) * ((1 - lx) * p[y0 * w + x0] + lx * p[y0 * w + x1])
            + ly * ((1 - lx) * p[y1 * w + x0] + lx * p[y1 * w + x1]);
        }
}

/* ---- convolution ---------------------------------------------------------- */

typedef enum
{
  IM2COL,
  WINOGRAD,   /* through hz_conv_winograd_weights */
  DIRECT,
  BOTH        /* Winograd, and direct where the output is too small for it */
} ConvPath;

typedef struct
{
  const char *name;
  int         cin, cout, k, stride, pad;
  HzPadMode   pad_mode;
  gboolean    upsample;
  HzAct       act;
  gboolean    bn;
  int         h, w;
  ConvPath    path;
} ConvCase;

static const ConvCase conv_cases[] =
{
  /* name                    cin cout k  s  p  pad             up     act           bn     h   w  path */
  { "3x3 zero s1 leaky+bn",   5,  7,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  13, 17, IM2COL },
  { "3x3 zero s2",            4,  6,  3, 2, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_NONE,  FALSE, 10, 7, IM2COL },
  { "3x3 reflect s2 relu+bn", 6,  9,  3, 2, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  9, 12, IM2COL },
  { "7x7 reflect s1 relu+bn", 3,  8,  7, 1, 3, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  11, 10, IM2COL },
  { "1x1 pointwise",          32, 3,  1, 1, 0, HZ_PAD_ZERO,    FALSE, HZ_ACT_NONE,  FALSE, 6, 9, IM2COL },
  { "1x1 s2 zero pad",        4,  5,  1, 2, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, FALSE, 5, 6, IM2COL },
  /* several chunks of columns (more than 2^20 floats in all) */
  { "3x3 chunked leaky+bn",   64, 16, 3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  40, 128, IM2COL },
  /* reflection beyond PyTorch's range (pad >= size) */
  { "7x7 reflect on 1x1",     3,  4,  7, 1, 3, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  1, 1, IM2COL },
  { "7x7 reflect on 3x2",     3,  4,  7, 1, 3, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  FALSE, 3, 2, IM2COL },
  { "3x3 reflect s2 on 1x2",  5,  6,  3, 2, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  1, 2, IM2COL },
  /* bilinear x2 upsampling fused into the columns */
  { "upsample 3x3 zero",      4,  6,  3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_NONE,  FALSE, 6, 5, IM2COL },
  { "upsample 3x3 on 1x1",    3,  2,  3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_NONE,  FALSE, 1, 1, IM2COL },
  { "upsample 3x3 chunked",   96, 8,  3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_LEAKY, TRUE,  20, 64, IM2COL },
  /* Winograd F(2x2, 3x3) and, from 64 outputs a side for narrow convs, F(4x4, 3x3): odd
   * sizes (partial tiles), chunks, upsampling, reflection */
  { "winograd leaky+bn",      5,  7,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  13, 17, WINOGRAD },
  { "winograd on 1x1",        3,  4,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_NONE,  FALSE, 1, 1, WINOGRAD },
  { "winograd on 2x3",        4,  5,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_RELU,  FALSE, 2, 3, WINOGRAD },
  { "winograd chunked",       64, 32, 3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  99, 127, WINOGRAD },
  { "winograd reflect",       6,  3,  3, 1, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  7, 9, WINOGRAD },
  { "winograd upsample",      4,  6,  3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_NONE,  FALSE, 6, 5, WINOGRAD },
  { "winograd upsample chunked", 96, 8, 3, 1, 1, HZ_PAD_ZERO,  TRUE,  HZ_ACT_LEAKY, TRUE,  41, 63, WINOGRAD },
  { "winograd 4x4 partial tiles", 6, 5, 3, 1, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  67, 65, WINOGRAD },
  { "winograd 4x4 upsample odd", 5, 7,  3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_LEAKY, TRUE,  33, 35, WINOGRAD },
  { "winograd 2x2 wide, large", 96, 96, 3, 1, 1, HZ_PAD_ZERO,  FALSE, HZ_ACT_LEAKY, TRUE,  66, 70, WINOGRAD },
  /* direct: partial vectors and output-channel blocks, chunks, upsampling, reflection, 7x7, stride 2 */
  { "direct leaky+bn",        5,  7,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  13, 17, DIRECT },
  { "direct on 1x1",          3,  4,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_NONE,  FALSE, 1, 1, DIRECT },
  { "direct wide rows",       8,  8,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  5, 75, DIRECT },
  { "direct chunked",         64, 32, 3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  99, 127, DIRECT },
  { "direct reflect 7x7",     3,  8,  7, 1, 3, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  11, 10, DIRECT },
  { "direct upsample",        4,  6,  3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_NONE,  FALSE, 6, 5, DIRECT },
  { "direct upsample chunked", 96, 8, 3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_LEAKY, TRUE,  41, 63, DIRECT },
  { "direct reflect s2 relu+bn", 6, 9, 3, 2, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  9, 12, DIRECT },
  { "direct s2 odd sizes",    5,  7,  3, 2, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_NONE,  FALSE, 11, 13, DIRECT },
  { "direct reflect s2 on 1x2", 5, 6, 3, 2, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  1, 2, DIRECT },
  { "direct s2 chunked",      64, 16, 3, 2, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  80, 255, DIRECT },
  { "direct whole vectors",   20, 9,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  11, 24, DIRECT },
  { "direct upsample whole vectors", 40, 6, 3, 1, 1, HZ_PAD_ZERO, TRUE, HZ_ACT_NONE, FALSE, 9, 8, DIRECT },
  { "direct whole vectors chunked", 48, 8, 3, 1, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU, TRUE, 70, 64, DIRECT },
  /* outputs of at most 64 pixels (here and above) take the small path whatever the conv's flags:
   * columns in whole vectors, channel blocks (over 32 columns), output-channel groups per thread */
  { "small 4x4 deep",         40, 9,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  4, 4, DIRECT },
  { "small s2 reflect",       36, 6,  3, 2, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  TRUE,  8, 8, DIRECT },
  { "small upsample",         33, 5,  3, 1, 1, HZ_PAD_ZERO,    TRUE,  HZ_ACT_NONE,  FALSE, 3, 4, DIRECT },
  { "small 8x8 whole vectors", 70, 13, 3, 1, 1, HZ_PAD_ZERO,   FALSE, HZ_ACT_LEAKY, TRUE,  8, 8, IM2COL },
  { "small 7x9 partial vector", 8, 4, 3, 1, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  FALSE, 7, 9, DIRECT },
  /* the small kernel's blocks: channels by 1 to 4 vectors (of 16 or 8), the last block of
   * channels partial, 4 vectors then fewer (5 of 8) */
  { "small 2x3 many channels", 20, 37, 3, 1, 1, HZ_PAD_ZERO,   FALSE, HZ_ACT_LEAKY, TRUE,  2, 3, DIRECT },
  { "small 5x5",              24, 19, 3, 1, 1, HZ_PAD_REFLECT, FALSE, HZ_ACT_RELU,  FALSE, 5, 5, DIRECT },
  { "small 5x8",              12, 7,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_NONE,  TRUE,  5, 8, IM2COL },
  { "winograd+direct large",  9,  5,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  18, 17, BOTH },
  { "winograd+direct small",  9,  5,  3, 1, 1, HZ_PAD_ZERO,    FALSE, HZ_ACT_LEAKY, TRUE,  7, 17, BOTH },
};

static void
test_conv (gconstpointer data)
{
  const ConvCase *tc = data;
  HzConv cv = { 0 };
  gsize nw = (gsize) tc->cout * tc->cin * tc->k * tc->k;
  float *weight = g_new (float, nw), *bias = g_new (float, tc->cout);
  float *scale = g_new (float, tc->cout), *shift = g_new (float, tc->cout);
  int hin = tc->upsample ? 2 * tc->h : tc->h, win = tc->upsample ? 2 * tc->w : tc->w;
  gsize n_in = (gsize) tc->cin * tc->h * tc->w;
  float *in = guarded ("ops.conv.in", n_in), *up = NULL, *want;
  int ho, wo, nt, i;
  gsize n_out;

  testgen_uniform ("ops.conv.weight", nw, weight);
  testgen_uniform ("ops.conv.bias", tc->cout, bias);
  testgen_uniform ("ops.conv.scale", tc->cout, scale);
  testgen_uniform ("ops.conv.shift", tc->cout, shift);
  for (i = 0; i < (int) nw; i++)   /* outputs of order 1, as in the network */
    weight[i] *= sqrtf (3.0f / (tc->cin * tc->k * tc->k));
  for (i = 0; i < tc->cout; i++)
    scale[i] += 1.5f;

  cv.cin = tc->cin;
  cv.cout = tc->cout;
  cv.k = tc->k;
  cv.stride = tc->stride;
  cv.pad = tc->pad;
  cv.pad_mode = tc->pad_mode;
  cv.weight = weight;
  cv.bias = bias;
  cv.act = tc->act;
  cv.scale = tc->bn ? scale : NULL;
  cv.shift = tc->bn ? shift : NULL;

  ho = (hin + 2 * tc->pad - tc->k) / tc->stride + 1;
  wo = (win + 2 * tc->pad - tc->k) / tc->stride + 1;
  n_out = (gsize) tc->cout * ho * wo;
  want = g_new (float, n_out);
  if (tc->upsample)
    {
      up = g_new (float, (gsize) tc->cin * hin * win);
      naive_upsample (in, tc->cin, tc->h, tc->w, up);
      naive_conv (&cv, up, hin, win, want);
    }
  else
    naive_conv (&cv, in, hin, win, want);

  cv.upsample = tc->upsample;
  if (tc->path == WINOGRAD || tc->path == BOTH)   /* both tiles: the size picks one */
    {
      cv.winograd[0] = hz_conv_winograd_weights (&cv, 2);
      cv.winograd[1] = hz_conv_winograd_weights (&cv, 4);
    }
  cv.direct = tc->path == DIRECT || tc->path == BOTH;
  g_assert_cmpint (hz_conv_out_size (&cv, tc->h), ==, ho);
  g_assert_cmpint (hz_conv_out_size (&cv, tc->w), ==, wo);

  for (nt = 1; nt <= 3; nt++)
    {
      gsize n_scratch = hz_conv_scratch_size (&cv, tc->h, tc->w, nt);
      float *scratch = guarded ("ops.conv.scratch", n_scratch);
      float *out = guarded ("ops.conv.out", n_out);
      char *what = g_strdup_printf ("%s, %d thread(s)", tc->name, nt);

      hz_conv2d (&cv, in, tc->h, tc->w, out, scratch, nt);
      check_within (what, out, want, n_out, NMSE_TOL,
                    hz_conv_winograd_tile (&cv, tc->h, tc->w) == 4 ? WINO4_MAX_ERR_TOL : MAX_ERR_TOL);
      assert_guard (scratch, n_scratch);
      assert_guard (out, n_out);
      assert_guard (in, n_in);
      g_free (what);
      g_free (scratch);
      g_free (out);
    }

  g_free (weight);
  g_free (bias);
  g_free (scale);
  g_free (shift);
  g_free (in);
  g_free (up);
  g_free (want);
  g_free ((gpointer) cv.winograd[0]);
  g_free ((gpointer) cv.winograd[1]);
}

/* A conv over [x; planes constant over the image] as the conv over x with
 * the wider weights plus hz_conv_add_constant_channels (the network's
 * content_style_conv over the content and the tiled style vector). */
static void
test_conv_constant_channels (void)
{
  static const int cases[][7] = { /* cin, n_const, cout, k, pad, h, w */
    { 6, 5, 7, 3, 1, 9, 11 }, { 3, 4, 5, 3, 1, 1, 2 }, { 3, 4, 5, 3, 1, 2, 1 },
    { 2, 3, 4, 5, 2, 3, 6 }, { 4, 3, 6, 1, 0, 5, 4 },
    /* whole vectors of constant channels (of 16 or 8) and a rest: 3 x 3, 5 x 5, 1 x 1 */
    { 40, 37, 6, 3, 1, 4, 4 }, { 5, 20, 3, 5, 2, 3, 3 }, { 3, 17, 4, 1, 0, 2, 2 },
  };
  guint t;

  for (t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      int cin = cases[t][0], nc = cases[t][1], cout = cases[t][2], k = cases[t][3];
      int h = cases[t][5], w = cases[t][6], c;
      gsize plane = (gsize) h * w, n_out = cout * plane, nw = (gsize) cout * (cin + nc) * k * k, i;
      float *weight = g_new (float, nw), *bias = g_new (float, cout), *values = g_new (float, nc);
      float *full = g_new (float, (cin + nc) * plane), *want = g_new (float, n_out);
      float *out = guarded ("ops.const.out", n_out), *scratch;
      HzConv cv = { .cin = cin + nc, .cout = cout, .k = k, .stride = 1, .pad = cases[t][4],
                    .pad_mode = HZ_PAD_ZERO, .weight = weight, .bias = bias, .act = HZ_ACT_NONE };
      char *what = g_strdup_printf ("%d + %d constant channels, %dx%d kernel on %dx%d", cin, nc, k, k, h, w);

      testgen_uniform ("ops.const.weight", nw, weight);
      testgen_uniform ("ops.const.bias", cout, bias);
      testgen_uniform ("ops.const.values", nc, values);
      testgen_uniform ("ops.const.x", cin * plane, full);
      for (i = 0; i < nw; i++)
        weight[i] *= sqrtf (3.0f / ((cin + nc) * k * k));
      for (c = 0; c < nc; c++)
        for (i = 0; i < plane; i++)
          full[(cin + c) * plane + i] = values[c];
      naive_conv (&cv, full, h, w, want);

      cv.cin = cin;
      cv.weight_ld = (cin + nc) * k * k;
      scratch = guarded ("ops.const.scratch", hz_conv_scratch_size (&cv, h, w, 2));
      hz_conv2d (&cv, full, h, w, out, scratch, 2);
      hz_conv_add_constant_channels (&cv, cin, nc, values, h, w, out, 2);
      check (what, out, want, n_out, NMSE_TOL);
      assert_guard (out, n_out);
      assert_guard (scratch, hz_conv_scratch_size (&cv, h, w, 2));

      g_free (what);
      g_free (weight);
      g_free (bias);
      g_free (values);
      g_free (full);
      g_free (want);
      g_free (out);
      g_free (scratch);
    }
}

/* The columns are made a few rows at a time: scratch stays far below the
 * whole im2col matrix at the network's largest layers. */
static void
test_conv_scratch_bounded (void)
{
  HzConv cv = { .cin = 64, .cout = 32, .k = 3, .stride = 1, .pad = 1 };
  gsize full = (gsize) 64 * 9 * 1024 * 1024;
  gsize scratch = hz_conv_scratch_size (&cv, 1024, 1024, 2);

  g_test_message ("scratch at 1024 x 1024 x 64: %" G_GSIZE_FORMAT " floats (whole im2col %"
                  G_GSIZE_FORMAT ")", scratch, full);
  g_assert_cmpuint (scratch, <=, full / 256);
  cv.k = 1;
  cv.pad = 0;
  g_assert_cmpuint (hz_conv_scratch_size (&cv, 1024, 1024, 2), ==, 0);
}

/* ---- the rest ------------------------------------------------------------- */

static void
test_reflect_index (void)
{
  int n, i;

  for (n = 1; n <= 6; n++)
    for (i = -20; i <= 20; i++)
      g_assert_cmpint (hz_reflect_index (i, n), ==, bounce (i, n));
  /* PyTorch's own: reflect without repeating the edge */
  g_assert_cmpint (hz_reflect_index (-1, 5), ==, 1);
  g_assert_cmpint (hz_reflect_index (-3, 5), ==, 3);
  g_assert_cmpint (hz_reflect_index (5, 5), ==, 3);
  g_assert_cmpint (hz_reflect_index (7, 5), ==, 1);
}

static void
test_pad_reflect (void)
{
  /* the network's content padding (up to 7 before and 8 after) on small
   * images, some smaller than the padding */
  static const int cases[][7] = { /* c h w top bottom left right */
    { 3, 14, 27, 1, 1, 2, 3 }, { 3, 5, 9, 5, 6, 3, 4 }, { 2, 1, 1, 7, 8, 7, 8 }, { 1, 2, 3, 7, 7, 0, 0 },
  };
  guint t;

  for (t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      int c = cases[t][0], h = cases[t][1], w = cases[t][2];
      int top = cases[t][3], left = cases[t][5];
      int ho = top + h + cases[t][4], wo = left + w + cases[t][6], ch, y, x;
      gsize n_out = (gsize) c * ho * wo;
      float *in = guarded ("ops.pad.in", (gsize) c * h * w);
      float *out = guarded ("ops.pad.out", n_out);
      float *want = g_new (float, n_out);

      for (ch = 0; ch < c; ch++)
        for (y = 0; y < ho; y++)
          for (x = 0; x < wo; x++)
            want[((gsize) ch * ho + y) * wo + x] =
              in[((gsize) ch * h + bounce (y - top, h)) * w + bounce (x - left, w)];
      hz_pad_reflect (in, c, h, w, top, cases[t][4], left, cases[t][6], out);
      g_assert_cmpmem (out, n_out * sizeof (float), want, n_out * sizeof (float));
      assert_guard (out, n_out);
      g_free (in);
      g_free (out);
      g_free (want);
    }
}

static void
test_maxpool (void)
{
  int c = 5, h = 10, w = 14, ch, y, x, nt;
  gsize n_out = (gsize) c * (h / 2) * (w / 2);
  float *in = guarded ("ops.maxpool.in", (gsize) c * h * w);
  float *want = g_new (float, n_out);

  for (ch = 0; ch < c; ch++)
    for (y = 0; y < h / 2; y++)
      for (x = 0; x < w / 2; x++)
        {
          const float *p = in + ((gsize) ch * h + 2 * y) * w + 2 * x;
          float m = p[0];

          m = p[1] > m ? p[1] : m;
          m = p[w] > m ? p[w] : m;
          m = p[w + 1] > m ? p[w + 1] : m;
          want[((gsize) ch * (h / 2) + y) * (w / 2) + x] = m;
        }
  for (nt = 1; nt <= 2; nt++)
    {
      float *out = guarded ("ops.maxpool.out", n_out);

      hz_maxpool2 (in, c, h, w, out, nt);
      g_assert_cmpmem (out, n_out * sizeof (float), want, n_out * sizeof (float));
      assert_guard (out, n_out);
      g_free (out);
    }
  g_free (in);
  g_free (want);
}

static void
test_channel_mean (void)
{
  int c = 7, ch;
  gsize n = 3001, i;
  float *in = guarded ("ops.mean.in", c * n), got[7], want[7];

  for (ch = 0; ch < c; ch++)
    {
      double sum = 0;

      for (i = 0; i < n; i++)
        sum += in[ch * n + i];
      want[ch] = (float) (sum / n);
    }
  hz_channel_mean (in, c, n, got);
  check ("channel mean", got, want, c, NMSE_TOL);
  g_free (in);
}

/* SELayer: x * hsigmoid (fc2 (relu (fc0 (mean x)))), hsigmoid = relu6 (v + 3) / 6 */
static void
test_se (void)
{
  enum { C = 512, R = C / 4, N = 6 };
  float *fc0_w = g_new (float, R * C), *fc0_b = g_new (float, R);
  float *fc2_w = g_new (float, C * R), *fc2_b = g_new (float, C);
  float *x = guarded ("ops.se.x", (gsize) C * N), *want = g_new (float, (gsize) C * N);
  float mean[C], gates[C], hidden[R];
  int i, j, saturated = 0;

  testgen_uniform ("ops.se.fc0_w", R * C, fc0_w);
  testgen_uniform ("ops.se.fc0_b", R, fc0_b);
  testgen_uniform ("ops.se.fc2_w", C * R, fc2_w);
  testgen_uniform ("ops.se.fc2_b", C, fc2_b);
  /* scale like the network's so that some gates saturate and some do not */
  for (i = 0; i < R * C; i++)
    fc0_w[i] *= 0.3f, fc2_w[i] *= 0.6f;

  for (i = 0; i < C; i++)
    {
      double s = 0;

      for (j = 0; j < N; j++)
        s += x[i * N + j];
      mean[i] = (float) (s / N);
    }
  for (i = 0; i < R; i++)
    {
      double s = fc0_b[i];

      for (j = 0; j < C; j++)
        s += (double) fc0_w[i * C + j] * mean[j];
      hidden[i] = s > 0 ? (float) s : 0.0f;
    }
  for (i = 0; i < C; i++)
    {
      double s = fc2_b[i];
      float g;

      for (j = 0; j < R; j++)
        s += (double) fc2_w[i * R + j] * hidden[j];
      g = fminf (fmaxf ((float) s + 3.0f, 0.0f), 6.0f) / 6.0f;
      saturated += g == 0.0f || g == 1.0f;
      for (j = 0; j < N; j++)
        want[i * N + j] = x[i * N + j] * g;
    }
  g_test_message ("SE: %d of %d gates saturated", saturated, C);
  g_assert_cmpint (saturated, >, 0);
  g_assert_cmpint (saturated, <, C);

  hz_channel_mean (x, C, N, mean);
  hz_se_gates (mean, C, fc0_w, fc0_b, fc2_w, fc2_b, gates);
  hz_scale_channels (x, C, N, gates, 2);
  check ("SE", x, want, (gsize) C * N, NMSE_TOL);
  assert_guard (x, (gsize) C * N);

  g_free (fc0_w);
  g_free (fc0_b);
  g_free (fc2_w);
  g_free (fc2_b);
  g_free (x);
  g_free (want);
}

int
main (int    argc,
      char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  testgen_require_kernels ();
  for (i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      char *path = g_strdup_printf ("/ops/conv/%s", conv_cases[i].name);

      g_strdelimit (path + 10, " /", '-');
      g_test_add_data_func (path, &conv_cases[i], test_conv);
      g_free (path);
    }
  g_test_add_func ("/ops/conv/constant-channels", test_conv_constant_channels);
  g_test_add_func ("/ops/conv/scratch-bounded", test_conv_scratch_bounded);
  g_test_add_func ("/ops/reflect-index", test_reflect_index);
  g_test_add_func ("/ops/pad-reflect", test_pad_reflect);
  g_test_add_func ("/ops/maxpool", test_maxpool);
  g_test_add_func ("/ops/channel-mean", test_channel_mean);
  g_test_add_func ("/ops/se", test_se);
  return g_test_run ();
}
