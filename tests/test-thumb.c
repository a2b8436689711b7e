/* Thumbnails: sizes, the streaming area resampler and pull-push filling. */
#include <math.h>

#include "hz-thumb.h"

#define EPS 1e-5

static void
test_size (void)
{
  int w, h;

  hz_thumb_size (6000, 4000, 256, &w, &h);
  g_assert_cmpint (w, ==, 256);
  g_assert_cmpint (h, ==, 171);
  hz_thumb_size (30, 90, 300, &w, &h);   /* small regions are scaled up */
  g_assert_cmpint (w, ==, 100);
  g_assert_cmpint (h, ==, 300);
  hz_thumb_size (5000, 10, 256, &w, &h);   /* thin ones get the minimum side */
  g_assert_cmpint (w, ==, 256);
  g_assert_cmpint (h, ==, HZ_THUMB_MIN_SIDE);
}

/* Resamples one channel of a w x h image (weights may be NULL), feeding the
 * rows bottom-up to show that the order does not matter. */
static void
resample (const float *src, const float *weight, int w, int h,
          int dw, int dh, float *out, float *coverage)
{
  HzResampler rs = { 0 };
  GError *error = NULL;

  g_assert_true (hz_resampler_init (&rs, w, h, dw, dh, 1, &error));
  for (int y = h - 1; y >= 0; y--)
    hz_resampler_add_columns (&rs, y, 0, dw, src + y * w, 1, weight ? weight + y * w : NULL, 1);
  hz_resampler_finish (&rs, out, coverage);
  hz_resampler_clear (&rs);
}

static void
test_area_average (void)
{
  /* 4 x 4 -> 2 x 2: means of 2 x 2 blocks. */
  const float src[16] = { 1, 2, 3, 4,
                          5, 6, 7, 8,
                          9, 10, 11, 12,
                          13, 14, 15, 16 };
  float out[4], cov[4];

  resample (src, NULL, 4, 4, 2, 2, out, cov);
  g_assert_cmpfloat_with_epsilon (out[0], 3.5, EPS);
  g_assert_cmpfloat_with_epsilon (out[1], 5.5, EPS);
  g_assert_cmpfloat_with_epsilon (out[2], 11.5, EPS);
  g_assert_cmpfloat_with_epsilon (out[3], 13.5, EPS);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (cov[i], 1.0, EPS);

  /* 3 -> 2 across a row: [0, 1.5) and [1.5, 3) split the middle pixel. */
  const float row[3] = { 3, 6, 12 };
  resample (row, NULL, 3, 1, 2, 1, out, NULL);
  g_assert_cmpfloat_with_epsilon (out[0], (3 + 0.5 * 6) / 1.5, EPS);
  g_assert_cmpfloat_with_epsilon (out[1], (0.5 * 6 + 12) / 1.5, EPS);

  /* 2 -> 3 (scaling up): the middle pixel straddles both. */
  const float two[2] = { 1, 4 };
  resample (two, NULL, 2, 1, 3, 1, out, cov);
  g_assert_cmpfloat_with_epsilon (out[0], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (out[1], 2.5, EPS);
  g_assert_cmpfloat_with_epsilon (out[2], 4.0, EPS);
  g_assert_cmpfloat_with_epsilon (cov[1], 1.0, EPS);
}

static void
test_weights (void)
{
  /* Zero-weight pixels hold 100 and must not show; coverage counts them out. */
  const float src[16] = { 1, 100, 3, 3,
                          1, 1, 3, 3,
                          100, 100, 100, 5,
                          100, 100, 100, 7 };
  const float weight[16] = { 1, 0, 1, 1,
                             1, 1, 1, 1,
                             0, 0, 0, 1,
                             0, 0, 0, 1 };
  float out[4], cov[4];

  resample (src, weight, 4, 4, 2, 2, out, cov);
  g_assert_cmpfloat_with_epsilon (out[0], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (cov[0], 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (out[1], 3.0, EPS);
  g_assert_cmpfloat_with_epsilon (cov[1], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (out[2], 0.0, EPS);   /* nothing there */
  g_assert_cmpfloat_with_epsilon (cov[2], 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (out[3], 6.0, EPS);
  g_assert_cmpfloat_with_epsilon (cov[3], 0.5, EPS);

  /* Soft weights: a weighted mean. */
  const float pair[2] = { 0, 1 }, soft[2] = { 0.25, 0.75 };
  resample (pair, soft, 2, 1, 1, 1, out, cov);
  g_assert_cmpfloat_with_epsilon (out[0], 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (cov[0], 0.5, EPS);
}

static void
test_fill_holes (void)
{
  enum { W = 9, H = 7 };
  float img[W * H], cov[W * H], orig[W * H];

  /* A horizontal ramp with a hole in the middle: covered pixels keep their
   * values, the hole gets values between its neighbours, smoothly. */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        gboolean hole = x >= 3 && x <= 5 && y >= 2 && y <= 4;
        img[y * W + x] = hole ? 1000.0f : x;
        orig[y * W + x] = x;
        cov[y * W + x] = hole ? 0.0f : 1.0f;
      }
  g_assert_true (hz_fill_holes (img, cov, 1, W, H));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        float v = img[y * W + x];
        if (cov[y * W + x] > 0.0f)
          g_assert_cmpfloat (v, ==, orig[y * W + x]);
        else
          {
            g_assert_cmpfloat (v, >, 2.0f);
            g_assert_cmpfloat (v, <, 6.0f);
          }
      }
  g_assert_cmpfloat (img[3 * W + 3], <, img[3 * W + 5]);

  /* A constant image with holes and partial coverage stays constant
   * (two channels, to check the planes are kept apart). */
  float two[2 * W * H];
  for (int i = 0; i < W * H; i++)
    {
      cov[i] = (i * 7) % 5 == 0 ? 0.0f : (i % 3) * 0.5f;
      two[i] = cov[i] > 0.0f ? 0.25f : -9.0f;
      two[W * H + i] = cov[i] > 0.0f ? 0.75f : -9.0f;
    }
  g_assert_true (hz_fill_holes (two, cov, 2, W, H));
  for (int i = 0; i < W * H; i++)
    {
      g_assert_cmpfloat_with_epsilon (two[i], 0.25, EPS);
      g_assert_cmpfloat_with_epsilon (two[W * H + i], 0.75, EPS);
    }

  /* A half-covered pixel is half itself, half its surroundings. */
  float three[3] = { 0, 1, 0 }, cov3[3] = { 1, 0.5, 1 };
  g_assert_true (hz_fill_holes (three, cov3, 1, 3, 1));
  g_assert_cmpfloat (three[1], >, 0.5f);
  g_assert_cmpfloat (three[1], <, 1.0f);

  /* Nothing covered: nothing to fill from. */
  float none[4] = { 1, 2, 3, 4 }, zero[4] = { 0 };
  g_assert_false (hz_fill_holes (none, zero, 1, 2, 2));
  g_assert_cmpfloat (none[2], ==, 3.0f);
}

/* Destination columns added in ranges, in any order, make what one call over
 * them all makes, to the bit (the scene reader's threads each take a range);
 * a range's source columns are those its destination columns cover. */
static void
test_column_ranges (void)
{
  enum { W = 37, H = 23, DW = 7, DH = 5, NC = 3, STRIDE = 4 };
  static const int cuts[] = { 0, 1, 4, 5, DW };
  float src[W * H * STRIDE], weight[W * H];
  float whole[NC * DW * DH], parts[NC * DW * DH], cov_whole[DW * DH], cov_parts[DW * DH];
  GRand *rand = g_rand_new_with_seed (7);
  GError *error = NULL;
  HzResampler a = { 0 }, b = { 0 };
  int x0, x1;

  for (int i = 0; i < W * H * STRIDE; i++)
    src[i] = g_rand_double (rand);
  for (int i = 0; i < W * H; i++)
    weight[i] = i % 5 == 0 ? 0.0 : g_rand_double (rand);
  g_assert_true (hz_resampler_init (&a, W, H, DW, DH, NC, &error));
  g_assert_true (hz_resampler_init (&b, W, H, DW, DH, NC, &error));
  for (int y = 0; y < H; y++)
    {
      hz_resampler_add_columns (&a, y, 0, DW, src + y * W * STRIDE, STRIDE, weight + y * W, 1);
      for (int k = G_N_ELEMENTS (cuts) - 2; k >= 0; k--)
        hz_resampler_add_columns (&b, y, cuts[k], cuts[k + 1], src + y * W * STRIDE, STRIDE,
                                  weight + y * W, 1);
    }
  g_assert_true (hz_resampler_finish (&a, whole, cov_whole));
  g_assert_true (hz_resampler_finish (&b, parts, cov_parts));
  g_assert_cmpmem (whole, sizeof whole, parts, sizeof parts);
  g_assert_cmpmem (cov_whole, sizeof cov_whole, cov_parts, sizeof cov_parts);

  /* 37 / 7 = 5.29 source columns each: 1..4 cover [5.29, 26.43). */
  hz_resampler_source_columns (&a, 1, 5, &x0, &x1);
  g_assert_cmpint (x0, ==, 5);
  g_assert_cmpint (x1, ==, 27);
  hz_resampler_source_columns (&a, 0, DW, &x0, &x1);
  g_assert_cmpint (x0, ==, 0);
  g_assert_cmpint (x1, ==, W);

  hz_resampler_clear (&a);
  hz_resampler_clear (&b);
  g_rand_free (rand);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thumb/size", test_size);
  g_test_add_func ("/thumb/area-average", test_area_average);
  g_test_add_func ("/thumb/weights", test_weights);
  g_test_add_func ("/thumb/fill-holes", test_fill_holes);
  g_test_add_func ("/thumb/column-ranges", test_column_ranges);
  return g_test_run ();
}
