/* The C side of tests/test-export.py: loads a weights file with the engine's
 * loader and shows what it read, or writes it again with the engine's writer.
 *
 *   weights-tool dump FILE RAW        check FILE (format and architecture), print
 *                                     "name dim..." per tensor, and write every
 *                                     tensor's fp32 data to RAW in index order
 *   weights-tool rewrite FILE OUT [fp16]
 */
#include "hz-net.h"

#include <stdio.h>
#include <string.h>

static int
dump (const HzWeights *w,
      const char      *raw_path)
{
  FILE   *raw = fopen (raw_path, "wb");
  GError *error = NULL;

  if (!raw)
    {
      g_printerr ("%s: cannot write\n", raw_path);
      return 1;
    }
  if (!hz_arch_check (w, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      g_error_free (error);
      fclose (raw);
      return 1;
    }
  g_print ("architecture %s\n", hz_weights_meta (w, "architecture"));
  for (guint i = 0; i < hz_weights_n_tensors (w); i++)
    {
      const HzTensor *t = hz_weights_nth (w, i);
      gsize           count = 1;

      g_print ("%s", t->name);
      for (int d = 0; d < t->ndim; d++)
        {
          g_print (" %" G_GINT64_FORMAT, (gint64) t->shape[d]);
          count *= t->shape[d];
        }
      g_print ("\n");
      if (fwrite (t->data, sizeof (float), count, raw) != count)
        {
          g_printerr ("%s: write failed\n", raw_path);
          fclose (raw);
          return 1;
        }
    }
  return fclose (raw) == 0 ? 0 : 1;
}

int
main (int    argc,
      char **argv)
{
  GError    *error = NULL;
  HzWeights *w;
  int        status = 0;

  if (argc < 4 || (strcmp (argv[1], "dump") != 0 && strcmp (argv[1], "rewrite") != 0))
    {
      g_printerr ("usage: %s dump FILE RAW | rewrite FILE OUT [fp16]\n", argv[0]);
      return 2;
    }
  w = hz_weights_open (argv[2], &error);
  if (!w)
    {
      g_printerr ("%s\n", error->message);
      g_error_free (error);
      return 1;
    }
  if (strcmp (argv[1], "dump") == 0)
    status = dump (w, argv[3]);
  else
    {
      guint     n = hz_weights_n_tensors (w);
      HzTensor *all = g_new (HzTensor, n);

      for (guint i = 0; i < n; i++)
        all[i] = *hz_weights_nth (w, i);
      if (!hz_weights_write (argv[3], all, n, argc > 4 && strcmp (argv[4], "fp16") == 0, &error))
        {
          g_printerr ("%s\n", error->message);
          g_error_free (error);
          status = 1;
        }
      g_free (all);
    }
  hz_weights_free (w);
  return status;
}
