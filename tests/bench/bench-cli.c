/* bench-cli: the harmonize tool end to end on a 6000 x 4000 JPEG composite,
 * against decoding and re-encoding that JPEG alone with libjpeg, in the same
 * run.
 *
 *   bench-cli [--runs N] [--threads T] [--size WxH]
 *
 * The composite and its mask are the shipped example (examples/) scaled up
 * by ImageMagick's `convert` (skipped, exit 77, without it), in a temporary
 * folder. Each round runs, one after the other so that all see the same
 * load: the reference (libjpeg: decode the composite, encode it at the
 * tool's default quality, 95, to a file), then the tool with a JPEG output
 * and with a PNG output (`harmonize --timing --quiet`, a new process each
 * time, timed from spawn to exit). Prints the medians, the ratios to the
 * reference, the tool's peak memory and its last --timing line of each
 * kind. A benchmark, not a test. */

#include "bench-common.h"

#include <glib/gstdio.h>
#include <jpeglib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_RUNS 5
#define QUALITY      95

/* Decodes path and encodes it again into out with libjpeg; seconds. */
static double
jpeg_roundtrip (const char *path,
                const char *out)
{
  struct jpeg_decompress_struct d;
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr de, ce;   /* libjpeg's default: exit on error */
  gint64 t0 = g_get_monotonic_time ();
  FILE *in = fopen (path, "rb"), *o = fopen (out, "wb");

  if (!in || !o)
    g_error ("cannot open %s or %s", path, out);
  d.err = jpeg_std_error (&de);
  jpeg_create_decompress (&d);
  jpeg_stdio_src (&d, in);
  jpeg_read_header (&d, TRUE);
  jpeg_start_decompress (&d);

  c.err = jpeg_std_error (&ce);
  jpeg_create_compress (&c);
  jpeg_stdio_dest (&c, o);
  c.image_width = d.output_width;
  c.image_height = d.output_height;
  c.input_components = d.output_components;
  c.in_color_space = d.out_color_space;
  jpeg_set_defaults (&c);
  jpeg_set_quality (&c, QUALITY, TRUE);
  jpeg_start_compress (&c, TRUE);

  JSAMPROW row = g_malloc ((gsize) d.output_width * d.output_components);
  while (d.output_scanline < d.output_height)
    {
      jpeg_read_scanlines (&d, &row, 1);
      jpeg_write_scanlines (&c, &row, 1);
    }
  jpeg_finish_compress (&c);
  jpeg_finish_decompress (&d);
  jpeg_destroy_compress (&c);
  jpeg_destroy_decompress (&d);
  g_free (row);
  fclose (in);
  if (fclose (o) != 0)
    g_error ("cannot write %s", out);
  return (g_get_monotonic_time () - t0) / 1e6;
}

/* Runs argv to completion; seconds. Its stderr's last line goes to *last,
 * its peak resident memory (MB) to *peak_mb. */
static double
run_tool (char  **argv,
          char  **last,
          double *peak_mb)
{
  GError *error = NULL;
  GPid pid;
  int err_fd, status;
  struct rusage usage;
  gint64 t0 = g_get_monotonic_time ();

  if (!g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                 NULL, NULL, &err_fd, &error))
    g_error ("%s: %s", argv[0], error->message);
  GString *err = g_string_new (NULL);
  char buf[4096];
  ssize_t got;
  while ((got = read (err_fd, buf, sizeof buf)) > 0)
    g_string_append_len (err, buf, got);
  close (err_fd);
  if (wait4 (pid, &status, 0, &usage) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("%s failed:\n%s", argv[0], err->str);
  double s = (g_get_monotonic_time () - t0) / 1e6;

  *peak_mb = MAX (*peak_mb, usage.ru_maxrss / 1024.0);
  g_strchomp (err->str);
  char *nl = strrchr (err->str, '\n');
  g_free (*last);
  *last = g_strdup (nl ? nl + 1 : err->str);
  g_string_free (err, TRUE);
  return s;
}

static gboolean
make_inputs (const char *dir,
             const char *size,
             char      **composite,
             char      **mask)
{
  char *convert = g_find_program_in_path ("convert");
  gboolean ok = convert != NULL;

  *composite = g_build_filename (dir, "composite.jpg", NULL);
  *mask = g_build_filename (dir, "mask.png", NULL);
  if (ok)
    {
      char *geometry = g_strconcat (size, "!", NULL);
      char *c_argv[] = { convert, BENCH_EXAMPLES "/sheep-composite.jpg", "-resize", geometry,
                         "-quality", "92", *composite, NULL };
      char *m_argv[] = { convert, BENCH_EXAMPLES "/sheep-mask.png", "-resize", geometry,
                         *mask, NULL };
      int s1 = 1, s2 = 1;
      ok = g_spawn_sync (NULL, c_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &s1, NULL)
           && g_spawn_sync (NULL, m_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &s2, NULL)
           && s1 == 0 && s2 == 0;
      g_free (geometry);
    }
  g_free (convert);
  return ok;
}

int
main (int    argc,
      char **argv)
{
  int runs = DEFAULT_RUNS, threads = 0;
  char *size = NULL;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Rounds (default 5)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "The tool's --threads (default 0: every core)", "T" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Composite size (default 6000x4000)", "WxH" },
    { NULL }
  };
  GOptionContext *context = g_option_context_new ("- the harmonize tool against libjpeg alone");
  GError *error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || runs < 1 || runs > 100
      || threads < 0)
    {
      fprintf (stderr, "bench-cli: %s\n", error ? error->message : "--runs is 1..100, --threads >= 0");
      return 2;
    }

  char *dir = g_dir_make_tmp ("bench-cli-XXXXXX", NULL);
  char *composite, *mask;
  if (!make_inputs (dir, size ? size : "6000x4000", &composite, &mask))
    {
      printf ("bench-cli: skipped: ImageMagick's convert is missing or failed\n");
      return 77;
    }

  char *ref_out = g_build_filename (dir, "reference.jpg", NULL);
  char *jpg_out = g_build_filename (dir, "out.jpg", NULL);
  char *png_out = g_build_filename (dir, "out.png", NULL);
  char *threads_arg = g_strdup_printf ("%d", threads);
  char *tool_jpg[] = { BENCH_HARMONIZE, "--composite", composite, "--mask", mask, "-o", jpg_out,
                       "--weights", BENCH_WEIGHTS, "--threads", threads_arg, "--timing", "--quiet",
                       NULL };
  char *tool_png[G_N_ELEMENTS (tool_jpg)];
  memcpy (tool_png, tool_jpg, sizeof tool_jpg);
  tool_png[6] = png_out;

  double *ref = g_new (double, runs), *jpg = g_new (double, runs), *png = g_new (double, runs);
  char *jpg_timing = NULL, *png_timing = NULL;
  double jpg_mb = 0, png_mb = 0;

  printf ("bench-cli: %s composite (%s), the tool with --threads %d, %d rounds\n",
          size ? size : "6000x4000", composite, threads, runs);
  for (int r = 0; r < runs; r++)
    {
      ref[r] = jpeg_roundtrip (composite, ref_out);
      jpg[r] = run_tool (tool_jpg, &jpg_timing, &jpg_mb);
      png[r] = run_tool (tool_png, &png_timing, &png_mb);
    }

  GStatBuf st_ref, st_jpg, st_png;
  g_stat (ref_out, &st_ref);
  g_stat (jpg_out, &st_jpg);
  g_stat (png_out, &st_png);
  double mr = bench_median (ref, runs), mj = bench_median (jpg, runs), mp = bench_median (png, runs);
  printf ("libjpeg decode + encode (q%d): %.3f s, %.1f MB\n", QUALITY, mr, st_ref.st_size / 1e6);
  printf ("harmonize -> JPEG (q%d):       %.3f s, %.1f MB: %.2fx the reference; peak memory %.0f MB\n",
          QUALITY, mj, st_jpg.st_size / 1e6, mj / mr, jpg_mb);
  printf ("  %s\n", jpg_timing);
  printf ("harmonize -> PNG:              %.3f s, %.1f MB: %.2fx the reference; peak memory %.0f MB\n",
          mp, st_png.st_size / 1e6, mp / mr, png_mb);
  printf ("  %s\n", png_timing);

  const char *files[] = { composite, mask, ref_out, jpg_out, png_out };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    g_unlink (files[i]);
  g_rmdir (dir);
  return 0;
}
