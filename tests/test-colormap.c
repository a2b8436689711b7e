/* The 17-term colour mapping: transfer functions, the fit and the apply. */
#include <math.h>
#include <string.h>

#include "hz-colormap.h"

#define N_FIT 4000

/* A mapping near the identity with every term used: out = in + small terms. */
static void
random_map (GRand      *rand,
            HzColorMap *map,
            double      amount)
{
  hz_colormap_identity (map);
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < HZ_COLORMAP_TERMS; k++)
      map->coef[c][k] += amount * g_rand_double_range (rand, -1.0, 1.0);
}

/* n random R'G'B' colours (planar) and their images under map, keeping only
 * pairs whose image lies inside [0, 1] (the fit clips its inputs). */
static gsize
mapped_pairs (GRand            *rand,
              const HzColorMap *map,
              float            *before,
              float            *after,
              gsize             n)
{
  gsize i = 0;

  while (i < n)
    {
      double rgb[3], out[3];
      gboolean inside = TRUE;

      for (int c = 0; c < 3; c++)
        rgb[c] = hz_srgb_to_linear (g_rand_double (rand));
      hz_colormap_eval (map, rgb, out);
      for (int c = 0; c < 3; c++)
        inside &= out[c] >= 0.0 && out[c] <= 1.0;
      if (!inside)
        continue;
      for (int c = 0; c < 3; c++)
        {
          before[c * n + i] = hz_linear_to_srgb (rgb[c]);
          after[c * n + i] = hz_linear_to_srgb (out[c]);
        }
      i++;
    }
  return n;
}

/* Largest difference between two mappings over a grid of the RGB cube. */
static double
map_distance (const HzColorMap *a,
              const HzColorMap *b)
{
  double worst = 0.0;

  for (int r = 0; r <= 10; r++)
    for (int g = 0; g <= 10; g++)
      for (int bl = 0; bl <= 10; bl++)
        {
          double rgb[3] = { r / 10.0, g / 10.0, bl / 10.0 }, oa[3], ob[3];
          hz_colormap_eval (a, rgb, oa);
          hz_colormap_eval (b, rgb, ob);
          for (int c = 0; c < 3; c++)
            worst = MAX (worst, fabs (oa[c] - ob[c]));
        }
  return worst;
}

static void
test_transfer (void)
{
  double worst_decode = 0.0, worst_encode = 0.0;

  for (int i = 0; i <= 1000000; i++)
    {
      float v = i / 1000000.0f;
      worst_decode = MAX (worst_decode, fabs (hz_srgb_to_linear_fast (v) - hz_srgb_to_linear (v)));
      worst_encode = MAX (worst_encode, fabs (hz_linear_to_srgb_fast (v) - hz_linear_to_srgb (v)));
    }
  g_test_message ("fast transfer functions: max error decode %.3g, encode %.3g",
                  worst_decode, worst_encode);
  g_assert_cmpfloat (worst_decode, <, 1e-4);
  g_assert_cmpfloat (worst_encode, <, 1e-4);

  /* Round trip and the clamping of out-of-range input. */
  g_assert_cmpfloat (fabs (hz_linear_to_srgb (hz_srgb_to_linear (0.5)) - 0.5), <, 1e-12);
  g_assert_cmpfloat (hz_srgb_to_linear_fast (-0.5f), ==, 0.0f);
  g_assert_cmpfloat (hz_linear_to_srgb_fast (2.0f), ==, 1.0f);
}

/* Linear RGB and RGBA floats to R'G'B'A: each colour as the exact encoding
 * of its value clamped to [0, 1] (within the fast encoding's 1e-4), alpha
 * kept or 1. */
static void
test_rgba_from_linear (void)
{
  enum { N = 1000 };
  float in[4 * N], out[4 * N];
  double worst = 0.0;

  for (int channels = 3; channels <= 4; channels++)
    {
      for (int i = 0; i < N * channels; i++)
        in[i] = (i * 7919 % 1201) / 1000.0f - 0.1f;   /* -0.1 to 1.1 */
      hz_rgba_from_linear (in, channels, N, out);
      for (int i = 0; i < N; i++)
        {
          for (int c = 0; c < 3; c++)
            {
              double v = CLAMP (in[i * channels + c], 0.0f, 1.0f);

              worst = MAX (worst, fabs (out[4 * i + c] - hz_linear_to_srgb (v)));
            }
          g_assert_cmpfloat (out[4 * i + 3], ==, channels == 4 ? in[4 * i + 3] : 1.0f);
        }
    }
  g_test_message ("linear to R'G'B'A: max error %.3g", worst);
  g_assert_cmpfloat (worst, <, 1e-4);
}

static void
test_fit_identity (void)
{
  GRand *rand = g_rand_new_with_seed (1);
  float *colors = g_new (float, 3 * N_FIT);
  HzColorMap map, identity;
  GError *error = NULL;

  for (int i = 0; i < 3 * N_FIT; i++)
    colors[i] = g_rand_double (rand);
  g_assert_true (hz_colormap_fit (&map, colors, colors, NULL, N_FIT, HZ_COLORMAP_RIDGE, &error));
  g_assert_no_error (error);
  hz_colormap_identity (&identity);
  g_assert_cmpfloat (map_distance (&map, &identity), <, 1e-5);

  g_free (colors);
  g_rand_free (rand);
}

static void
test_fit_recovers (void)
{
  GRand *rand = g_rand_new_with_seed (2);
  float *before = g_new (float, 3 * N_FIT), *after = g_new (float, 3 * N_FIT);
  HzColorMap truth, map;
  GError *error = NULL;

  random_map (rand, &truth, 0.05);
  mapped_pairs (rand, &truth, before, after, N_FIT);

  /* Without ridge the mapping comes back to float precision... */
  g_assert_true (hz_colormap_fit (&map, before, after, NULL, N_FIT, 0.0, &error));
  g_assert_no_error (error);
  double exact = map_distance (&map, &truth);
  /* ...and the default ridge moves it by well under 1/255 where the data is. */
  g_assert_true (hz_colormap_fit (&map, before, after, NULL, N_FIT, HZ_COLORMAP_RIDGE, &error));
  double ridged = map_distance (&map, &truth), on_data = 0.0;
  for (gsize i = 0; i < N_FIT; i++)
    {
      double rgb[3], out[3];
      for (int c = 0; c < 3; c++)
        rgb[c] = hz_srgb_to_linear (before[c * N_FIT + i]);
      hz_colormap_eval (&map, rgb, out);
      for (int c = 0; c < 3; c++)
        on_data = MAX (on_data, fabs (hz_linear_to_srgb (CLAMP (out[c], 0.0, 1.0))
                                      - after[c * N_FIT + i]));
    }
  g_test_message ("recovered mapping: max error %.3g without ridge; with the default "
                  "%.3g over the cube, %.3g (R'G'B') on the data", exact, ridged, on_data);
  g_assert_cmpfloat (exact, <, 1e-4);
  g_assert_cmpfloat (ridged, <, 0.5 / 255);
  g_assert_cmpfloat (on_data, <, 0.5 / 255);

  g_free (before);
  g_free (after);
  g_rand_free (rand);
}

static void
test_fit_weights (void)
{
  GRand *rand = g_rand_new_with_seed (3);
  float *before = g_new (float, 3 * N_FIT), *after = g_new (float, 3 * N_FIT);
  float *weight = g_new (float, N_FIT);
  HzColorMap wanted, other, map;
  GError *error = NULL;

  random_map (rand, &wanted, 0.05);
  random_map (rand, &other, 0.2);
  other.coef[0][16] += 0.3;   /* make the ignored half very different */

  /* Even pixels follow `wanted` with weights in (0, 1], odd ones `other` at 0. */
  float *b2 = g_new (float, 3 * N_FIT), *a2 = g_new (float, 3 * N_FIT);
  mapped_pairs (rand, &wanted, before, after, N_FIT);
  for (gsize i = 0; i < N_FIT; i++)
    for (int c = 0; c < 3; c++)
      {
        double rgb[3], out[3];
        for (int k = 0; k < 3; k++)
          rgb[k] = hz_srgb_to_linear (before[k * N_FIT + i]);
        hz_colormap_eval (&other, rgb, out);
        b2[c * N_FIT + i] = before[c * N_FIT + i];
        a2[c * N_FIT + i] = i % 2 ? hz_linear_to_srgb (CLAMP (out[c], 0.0, 1.0))
                                  : after[c * N_FIT + i];
      }
  for (gsize i = 0; i < N_FIT; i++)
    weight[i] = i % 2 ? 0.0f : 0.25f + 0.75f * g_rand_double (rand);

  g_assert_true (hz_colormap_fit (&map, b2, a2, weight, N_FIT, 0.0, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (map_distance (&map, &wanted), <, 1e-4);

  /* All-zero weights: an error, not a mapping. */
  for (gsize i = 0; i < N_FIT; i++)
    weight[i] = 0.0f;
  g_assert_false (hz_colormap_fit (&map, b2, a2, weight, N_FIT, HZ_COLORMAP_RIDGE, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_INPUT);
  g_clear_error (&error);

  g_free (b2);
  g_free (a2);
  g_free (before);
  g_free (after);
  g_free (weight);
  g_rand_free (rand);
}

/* n pixels of k distinct colours, each moved by shift: the fit must honour
 * them and stay near the identity elsewhere. */
static void
check_few_colors (int k)
{
  const gsize n = 1000;
  const float colors[3][3] = { { 0.6f, 0.4f, 0.3f }, { 0.2f, 0.5f, 0.8f }, { 0.9f, 0.9f, 0.85f } };
  float *before = g_new (float, 3 * n), *after = g_new (float, 3 * n);
  HzColorMap map, identity;
  GError *error = NULL;

  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      {
        before[c * n + i] = colors[i % k][c];
        after[c * n + i] = colors[i % k][c] + (c == 0 ? 0.08f : -0.05f);
      }
  g_assert_true (hz_colormap_fit (&map, before, after, NULL, n, HZ_COLORMAP_RIDGE, &error));
  g_assert_no_error (error);

  for (int j = 0; j < k; j++)
    {
      double rgb[3], out[3];
      for (int c = 0; c < 3; c++)
        rgb[c] = hz_srgb_to_linear (colors[j][c]);
      hz_colormap_eval (&map, rgb, out);
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat (fabs (hz_linear_to_srgb (out[c]) - after[c * n + j]), <, 0.01);
    }
  /* Anywhere in the cube the mapping moves colours by about the data's
   * own shift (in linear light), not by a blown-up polynomial. */
  double shift = 0.0;
  for (int j = 0; j < k; j++)
    for (int c = 0; c < 3; c++)
      shift = MAX (shift, fabs (hz_srgb_to_linear (after[c * n + j])
                                - hz_srgb_to_linear (before[c * n + j])));
  hz_colormap_identity (&identity);
  double spread = map_distance (&map, &identity);
  g_test_message ("%d colour(s): largest move over the cube %.3g, in the data %.3g",
                  k, spread, shift);
  g_assert_cmpfloat (spread, <, 2 * shift);

  g_free (before);
  g_free (after);
}

static void
test_fit_degenerate (void)
{
  check_few_colors (1);
  check_few_colors (2);
  check_few_colors (3);
}

/* hz_colormap_apply (R'G'B' in and out) and hz_colormap_apply_linear
 * (linear light) against a double-precision rendering of their definition. */
static void
check_apply (gboolean linear)
{
  GRand *rand = g_rand_new_with_seed (4);
  const gsize n = 200000;
  float *pixels = g_new (float, 4 * n), *orig = g_new (float, 4 * n);
  const double strengths[] = { 1.0, 0.6, 0.0 };
  HzColorMap map;

  random_map (rand, &map, 0.1);
  for (gsize i = 0; i < 4 * n; i++)
    orig[i] = g_rand_double_range (rand, -0.05, 1.05);

  for (guint s = 0; s < G_N_ELEMENTS (strengths); s++)
    {
      double worst = 0.0;

      memcpy (pixels, orig, 4 * n * sizeof (float));
      (linear ? hz_colormap_apply_linear : hz_colormap_apply) (&map, strengths[s], pixels, n, 0);
      for (gsize i = 0; i < n; i++)
        {
          double e[3], rgb[3], out[3];
          for (int c = 0; c < 3; c++)
            {
              double v = CLAMP (orig[4 * i + c], 0.0, 1.0);
              e[c] = linear ? hz_linear_to_srgb (v) : v;
              rgb[c] = linear ? v : hz_srgb_to_linear (v);
            }
          hz_colormap_eval (&map, rgb, out);
          for (int c = 0; c < 3; c++)
            {
              double v = hz_linear_to_srgb (CLAMP (out[c], 0.0, 1.0));
              v = CLAMP (e[c] + strengths[s] * (v - e[c]), 0.0, 1.0);
              v = linear ? hz_srgb_to_linear (v) : v;
              worst = MAX (worst, fabs (v - pixels[4 * i + c]));
            }
          g_assert_cmpfloat (pixels[4 * i + 3], ==, orig[4 * i + 3]);
        }
      g_test_message ("apply%s at strength %g: max error %.3g",
                      linear ? " (linear)" : "", strengths[s], worst);
      /* At strength 0 the R'G'B' apply returns its (clamped) input; the
       * linear one goes through both fast transfer functions. */
      g_assert_cmpfloat (worst, <, strengths[s] == 0.0 && ! linear ? 1e-7 : 2e-5);
    }

  g_free (pixels);
  g_free (orig);
  g_rand_free (rand);
}

static void
test_apply (void)
{
  check_apply (FALSE);
}

static void
test_apply_linear (void)
{
  check_apply (TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/colormap/transfer", test_transfer);
  g_test_add_func ("/colormap/rgba-from-linear", test_rgba_from_linear);
  g_test_add_func ("/colormap/fit-identity", test_fit_identity);
  g_test_add_func ("/colormap/fit-recovers", test_fit_recovers);
  g_test_add_func ("/colormap/fit-weights", test_fit_weights);
  g_test_add_func ("/colormap/fit-degenerate", test_fit_degenerate);
  g_test_add_func ("/colormap/apply", test_apply);
  g_test_add_func ("/colormap/apply-linear", test_apply_linear);
  return g_test_run ();
}
