/* Speed of hz_colormap_apply on a 6000 x 4000 foreground (24 Mpixel).
 * Usage: bench-colormap [WIDTH HEIGHT [THREADS]] (threads 0, the default:
 * every core). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "harmonize.h"

int
main (int    argc,
      char **argv)
{
  gsize w = argc > 2 ? atoi (argv[1]) : 6000, h = argc > 2 ? atoi (argv[2]) : 4000;
  int threads = argc > 3 ? atoi (argv[3]) : 0;
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

  hz_colormap_apply (&map, 1.0, pixels, n, threads);   /* warm up: tables, pages */
  /* CPU time too: on a busy machine the wall time says little. */
  double best = G_MAXDOUBLE, best_cpu = G_MAXDOUBLE;
  for (int r = 0; r < 5; r++)
    {
      struct timespec c0, c1;
      gint64 t0 = g_get_monotonic_time ();
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c0);
      hz_colormap_apply (&map, 0.8, pixels, n, threads);
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c1);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
      best_cpu = MIN (best_cpu, (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9);
    }
  printf ("hz_colormap_apply: %zu x %zu (%.1f Mpixel), threads %d (0: every core): best of 5 %.3f s wall "
          "(%.0f Mpixel/s), %.3f s CPU (%.1f ns a pixel)\n",
          w, h, n / 1e6, threads, best, n / 1e6 / best, best_cpu, best_cpu / n * 1e9);
  g_free (pixels);
  g_rand_free (rand);
  return 0;
}
