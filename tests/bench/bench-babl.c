/* The babl conversions the plug-in's layer phase could take on a linear
 * float layer ("RGBA float"), against a plain copy in its own format, the
 * reference, in the same run: reading the alpha alone ("A float"), reading
 * and writing R'G'B'A float. GEGL buffers in this process, no GIMP; the
 * plug-in reads and writes as stored where babl is slower than the copy
 * (hz-gimp-scene.c's read_fg_mask, hz-gimp-result.c's write_pixels).
 *
 *   build/tests/bench-babl [ROUNDS]   (a benchmark, not a test) */
#include <gegl.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-common.h"

#define W 6000
#define H 512
#define MAX_ROUNDS 99

typedef struct
{
  const char *what, *format;
  gboolean    write;
} Case;

static double
run_case (GeglBuffer *buffer,
          const Case *c,
          float      *pixels)
{
  const GeglRectangle rect = { 0, 0, W, H };
  gint64              t    = g_get_monotonic_time ();

  if (c->write)
    gegl_buffer_set (buffer, &rect, 0, babl_format (c->format), pixels, GEGL_AUTO_ROWSTRIDE);
  else
    gegl_buffer_get (buffer, &rect, 1.0, babl_format (c->format), pixels,
                     GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  return (g_get_monotonic_time () - t) * 1e-6;
}

int
main (int    argc,
      char **argv)
{
  static const Case cases[] = {
    { "read as stored (reference)", "RGBA float", FALSE },
    { "read the alpha alone", "A float", FALSE },
    { "read as R'G'B'A float", "R'G'B'A float", FALSE },
    { "write as stored", "RGBA float", TRUE },
    { "write from R'G'B'A float", "R'G'B'A float", TRUE },
  };
  const GeglRectangle rect   = { 0, 0, W, H };
  int                 rounds = argc > 1 ? atoi (argv[1]) : 9;
  double              times[G_N_ELEMENTS (cases)][MAX_ROUNDS], median[G_N_ELEMENTS (cases)];
  GeglBuffer         *buffer;
  float              *pixels;

  if (rounds < 1 || rounds > MAX_ROUNDS)
    {
      fprintf (stderr, "bench-babl: ROUNDS is 1 to %d\n", MAX_ROUNDS);
      return 2;
    }
  gegl_init (&argc, &argv);
  buffer = gegl_buffer_new (&rect, babl_format ("RGBA float"));
  pixels = g_new (float, (gsize) W * H * 4);
  for (gsize i = 0; i < (gsize) W * H * 4; i++)
    pixels[i] = (i % 977) / 977.0f;
  gegl_buffer_set (buffer, &rect, 0, babl_format ("RGBA float"), pixels, GEGL_AUTO_ROWSTRIDE);

  /* Rounds alternate the cases, so that a drift of the machine's speed
   * touches them all alike. */
  for (int r = 0; r < rounds; r++)
    for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
      times[c][r] = run_case (buffer, &cases[c], pixels);
  printf ("%dx%d pixels of a GEGL buffer stored as RGBA float, medians of %d rounds\n", W, H, rounds);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      median[c] = bench_median (times[c], rounds);
      printf ("%-28s %-14s %7.2f ms, %.3f s for 24 Mpixel, %.2f x the reference\n",
              cases[c].what, cases[c].format, median[c] * 1e3, median[c] * 24e6 / ((double) W * H),
              median[c] / median[0]);
    }
  g_free (pixels);
  g_object_unref (buffer);
  gegl_exit ();
  return 0;
}
