/* Speed of hz_colormap_apply on a 6000 x 4000 foreground (24 Mpixel).
 * Usage: bench-colormap [WIDTH HEIGHT]; OMP_NUM_THREADS sets the threads. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "harmonize.h"

int
main (int    argc,
      char **argv)
{
  gsize w = argc > 2 ? atoi (argv[1]) : 6000, h = argc > 2 ? atoi (argv[2]) : 4000;
  gsize n = w * h;
  float *pixels = g_new (float, 4 * n);
  GRand *rand = g_rand_new_with_seed (5);
  HzColorMap map;

  hz_colormap_identity (&map);
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < HZ_COLORMAP_TERMS; k++)
      map.coef[c][k] += 0.05 * g_rand_double_range (rand, -1.0, 1.0);
  for (gsize i = 0; i < 4 * n; i++)
    pixels[i] = (i * 2654435761u % 1000) / 999.0f;

  hz_colormap_apply (&map, 1.0, pixels, n);   /* warm up: tables, pages */
  double best = G_MAXDOUBLE;
  for (int r = 0; r < 5; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      hz_colormap_apply (&map, 0.8, pixels, n);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
    }
  printf ("hz_colormap_apply: %zu x %zu (%.1f Mpixel), %d threads: best of 5 %.3f s (%.0f Mpixel/s)\n",
          w, h, n / 1e6, omp_get_max_threads (), best, n / 1e6 / best);
  g_free (pixels);
  g_rand_free (rand);
  return 0;
}
