/* bench-matrix: the small outputs' matrix products (the kernels'
 * matrix_products, hz-kernels.h) at the network's deepest shapes, with the
 * columns read in the engine's panels (hz_conv_small_panel) against the
 * reference run in the same process: the whole columns in one panel.
 *
 *   bench-matrix [ROUNDS]   (default 300; best time of each, the two runs
 *                            alternating)
 *
 * One thread, with the variant of the kernels the engine picks
 * (HARMONIZE_KERNELS names another). */

#include "hz-kernels.h"
#include "hz-ops.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

/* Output channels x rows of the columns (input channels x 3 x 3) x outputs:
 * the shipped width's layers at 64 px. */
static const struct
{
  const char *layer;
  int         m, k, n;
} shapes[] = {
  { "bn4_1@64",         128,  576, 64 },
  { "bn4_2@64",         128, 1152, 64 },
  { "deconv5@64",       128, 2304, 64 },
  { "bn5_1@64",         256, 1152, 16 },
  { "bn5_2@64",         256, 2304, 16 },
  { "content_style@64", 256, 4608, 16 },
};

static double
run (const float *w,
     const float *x,
     float       *y,
     int          m,
     int          k,
     int          n,
     int          panel)
{
  gint64 t = g_get_monotonic_time ();

  hz_kernels ()->matrix_products (w, k, k, x, n, panel, 0, m, y);
  return (g_get_monotonic_time () - t) * 1e-6;
}

int
main (int    argc,
      char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 300;
  gsize s;

  if (rounds < 1 || rounds > 100000)
    {
      fprintf (stderr, "bench-matrix: ROUNDS is 1 to 100000\n");
      return 2;
    }
  printf ("kernels %s; best of %d; ratio: the whole columns' time over the panels'\n",
          hz_kernels ()->name, rounds);
  printf ("%-18s %14s %6s | %9s %9s | %6s\n", "layer", "M x K x N", "panel", "whole ms", "panels ms",
          "ratio");
  for (s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int m = shapes[s].m, k = shapes[s].k, n = shapes[s].n, panel = hz_conv_small_panel (k, n), r;
      float *w = g_malloc ((gsize) m * k * sizeof *w), *x = g_malloc ((gsize) k * n * sizeof *x);
      float *y = g_malloc ((gsize) m * n * sizeof *y);
      double whole = G_MAXDOUBLE, panels = G_MAXDOUBLE;
      gsize i;

      for (i = 0; i < (gsize) m * k; i++)
        w[i] = (float) (i % 7) * 0.1f;
      for (i = 0; i < (gsize) k * n; i++)
        x[i] = (float) (i % 5) * 0.1f;
      for (r = 0; r < rounds; r++)
        {
          whole = MIN (whole, run (w, x, y, m, k, n, k));
          panels = MIN (panels, run (w, x, y, m, k, n, panel));
        }
      printf ("%-18s %4dx%4dx%4d %6d | %9.3f %9.3f | %6.2f\n", shapes[s].layer, m, k, n, panel,
              whole * 1e3, panels * 1e3, whole / panels);
      g_free (w);
      g_free (x);
      g_free (y);
    }
  return 0;
}
