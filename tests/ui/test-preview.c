/* The dialog's preview worker (ui/hz-preview.c) on a synthetic scene with
 * the seeded test weights (HARMONIZE_TEST_WEIGHTS; skipped without): results come back on the main loop, a burst of
 * requests is cut short to the newest, strength 0 previews the original,
 * missing weights are reported as such, freeing while busy returns. Prints
 * the time one preview update takes (the dialog's preview scene size). */
#include <math.h>
#include <string.h>

#include "hz-preview.h"

#define BG_W 512    /* the dialog's preview scene has a long side of 512 */
#define BG_H 384
#define FG_W 200
#define FG_H 160
#define FG_X 180
#define FG_Y 150

typedef struct
{
  guint      serial;          /* of the last final result */
  guint      n_results;       /* final ones */
  guint      n_quick;         /* quick ones */
  int        quick_size;
  double     quick_at;        /* ms after start_time */
  gint64     start_time;
  GdkPixbuf *before;
  GdkPixbuf *after;
  double     seconds;
  GError    *error;
} Last;

static gboolean
read_background (gpointer   data G_GNUC_UNUSED,
                 int        y,
                 int        n_rows,
                 float     *rgba,
                 GError   **error G_GNUC_UNUSED)
{
  for (int r = 0; r < n_rows; r++)
    for (int x = 0; x < BG_W; x++)
      {
        float *p = rgba + ((gsize) r * BG_W + x) * 4;

        p[0] = 0.2f + 0.6f * x / BG_W;
        p[1] = 0.3f + 0.4f * (y + r) / BG_H;
        p[2] = 0.7f;
        p[3] = 1.0f;
      }
  return TRUE;
}

/* A warm object with a soft elliptic mask. */
static gboolean
read_foreground (gpointer   data G_GNUC_UNUSED,
                 int        y,
                 int        n_rows,
                 float     *rgba,
                 GError   **error G_GNUC_UNUSED)
{
  for (int r = 0; r < n_rows; r++)
    for (int x = 0; x < FG_W; x++)
      {
        float *p = rgba + ((gsize) r * FG_W + x) * 4;
        double dx = (x - FG_W / 2.0) / (FG_W / 2.0);
        double dy = (y + r - FG_H / 2.0) / (FG_H / 2.0);

        p[0] = 0.9f;
        p[1] = 0.5f + 0.3f * x / FG_W;
        p[2] = 0.2f;
        p[3] = CLAMP (4.0 * (1.0 - (dx * dx + dy * dy)), 0.0, 1.0);
      }
  return TRUE;
}

static void
ready (const HzPreviewResult *result,
       gpointer               user_data)
{
  Last *last = user_data;

  if (! result->final)
    {
      last->n_quick++;
      last->quick_size = result->working_size;
      last->quick_at = (g_get_monotonic_time () - last->start_time) / 1e3;
      return;
    }
  last->serial = result->serial;
  last->n_results++;
  g_set_object (&last->before, result->before);
  g_set_object (&last->after, result->after);
  last->seconds = result->seconds;
  g_clear_error (&last->error);
  if (result->error)
    last->error = g_error_copy (result->error);
}

static gboolean
timeout (gpointer data G_GNUC_UNUSED)
{
  g_error ("no preview result after 120 s");
  return G_SOURCE_REMOVE;
}

static void
wait_for (Last  *last,
          guint  serial)
{
  guint id = g_timeout_add_seconds (120, timeout, NULL);

  while (last->serial != serial)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

/* Largest difference of a channel between two pictures inside or outside
 * the foreground's rectangle. */
static int
max_diff (GdkPixbuf *a,
          GdkPixbuf *b,
          gboolean   inside)
{
  int     stride = gdk_pixbuf_get_rowstride (a);
  guchar *pa = gdk_pixbuf_get_pixels (a);
  guchar *pb = gdk_pixbuf_get_pixels (b);
  int     worst = 0;

  for (int y = 0; y < BG_H; y++)
    for (int x = 0; x < BG_W; x++)
      {
        gboolean in = x >= FG_X && x < FG_X + FG_W && y >= FG_Y && y < FG_Y + FG_H;

        if (in != inside)
          continue;
        for (int c = 0; c < 3; c++)
          worst = MAX (worst, abs (pa[y * stride + x * 3 + c] - pb[y * stride + x * 3 + c]));
      }
  return worst;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

int
main (void)
{
  HzScene         scene = {
    .foreground = { FG_W, FG_H, read_foreground, NULL },
    .fg_x = FG_X, .fg_y = FG_Y,
    .background = { BG_W, BG_H, read_background, NULL },
  };
  GError         *error = NULL;
  HzPreviewScene *pscene = hz_preview_scene_new (&scene, &error);
  HzPreviewArgs   args = { pscene, FALSE, { 0 }, 1.0, HZ_WORKING_SIZE_DEFAULT };
  Last            last = { 0 };
  HzPreview      *preview;
  GdkPixbuf      *background;
  const char     *weights = g_getenv ("HARMONIZE_TEST_WEIGHTS");
  guint           serial = 0;
  double          quick[5], latency[5], worker[5];
  gint64          start;

  if (! weights)
    {
      g_print ("SKIP: HARMONIZE_TEST_WEIGHTS is not set\n");
      return 77;
    }
  g_assert_no_error (error);
  /* The main loop exists before the worker starts, as in the dialog. */
  g_main_context_default ();
  background = hz_preview_scene_background (pscene);
  g_assert_cmpint (gdk_pixbuf_get_width (background), ==, BG_W);
  g_assert_cmpint (gdk_pixbuf_get_height (background), ==, BG_H);

  /* Missing weights: every request says so. */
  preview = hz_preview_new ("/nonexistent/weights.hzw", 0, ready, &last);
  wait_for (&last, hz_preview_request (preview, &args));
  g_assert_error (last.error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_assert_null (last.after);
  hz_preview_free (preview);

  /* A burst of requests: the newest is answered, the others cancelled. */
  g_clear_error (&last.error);
  memset (&last, 0, sizeof last);
  preview = hz_preview_new (weights, HZ_TEST_THREADS, ready, &last);
  for (int i = 0; i < 5; i++)
    {
      args.strength = i / 4.0;
      serial = hz_preview_request (preview, &args);
    }
  wait_for (&last, serial);
  g_assert_no_error (last.error);
  g_print ("burst of 5 requests: %u result(s) delivered\n", last.n_results);
  g_assert_cmpuint (last.n_results, <=, 2);
  g_assert_cmpint (gdk_pixbuf_get_width (last.after), ==, BG_W);
  g_assert_cmpint (gdk_pixbuf_get_height (last.after), ==, BG_H);

  /* Outside the foreground every picture is the background; inside, the
   * harmonized foreground differs from the original one. */
  g_assert_cmpint (max_diff (last.before, background, FALSE), ==, 0);
  g_assert_cmpint (max_diff (last.after, background, FALSE), ==, 0);
  g_assert_cmpint (max_diff (last.after, last.before, TRUE), >, 2);

  /* Strength 0 previews the original colours. */
  args.strength = 0.0;
  wait_for (&last, hz_preview_request (preview, &args));
  g_assert_cmpint (max_diff (last.after, last.before, TRUE), <=, 1);

  /* The time of one preview update, request to result on the main loop:
   * the quick pass and the final one. */
  args.has_box = TRUE;
  for (int i = 0; i < 5; i++)
    {
      args.strength = 0.5 + i / 10.0;
      args.box = (HzRect) { 10 * i, 10, 200, 150 };
      last.n_quick = 0;
      last.start_time = g_get_monotonic_time ();
      wait_for (&last, hz_preview_request (preview, &args));
      g_assert_no_error (last.error);
      g_assert_cmpuint (last.n_quick, ==, 1);
      g_assert_cmpint (last.quick_size, ==, HZ_PREVIEW_QUICK_SIZE);
      quick[i] = last.quick_at;
      latency[i] = (g_get_monotonic_time () - last.start_time) / 1e3;
      worker[i] = last.seconds * 1e3;
    }
  qsort (quick, 5, sizeof (double), compare_doubles);
  qsort (latency, 5, sizeof (double), compare_doubles);
  qsort (worker, 5, sizeof (double), compare_doubles);
  g_print ("preview update (%dx%d scene), median of 5: quick pass (working size %d) "
           "%.0f ms, final (working size %d) %.0f ms (its own fit %.0f ms)\n",
           BG_W, BG_H, HZ_PREVIEW_QUICK_SIZE, quick[2], args.working_size,
           latency[2], worker[2]);

  /* Freeing while a request runs cancels it and returns. */
  hz_preview_request (preview, &args);
  start = g_get_monotonic_time ();
  hz_preview_free (preview);
  g_print ("freed while busy in %.0f ms\n", (g_get_monotonic_time () - start) / 1e3);

  g_clear_object (&last.before);
  g_clear_object (&last.after);
  g_object_unref (background);
  hz_preview_scene_unref (pscene);
  g_print ("preview: ok\n");
  return 0;
}
