/* Scenes: reading into working-size thumbnails (bounding box, box clipping,
 * mask exclusion, layers past the canvas, streaming, errors) and, with the
 * test weights, hz_fit_scene end to end. */
#include <math.h>
#include <string.h>

#include "harmonize.h"
#include "hz-thumb.h"

/* An in-memory RGBA float image as a reader: the engine's, watched. */
typedef struct
{
  int      width, height;
  float   *rgba;
  HzPixels pixels;
  int      max_rows, rows_read;
  gboolean fail;
} Mem;

static gboolean
mem_read (gpointer data, int y, int n, float *rgba, GError **error)
{
  Mem *m = data;

  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (y + n, <=, m->height);
  if (m->fail)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the test reader fails");
      return FALSE;
    }
  HzReader engine = hz_reader_from_pixels (&m->pixels);
  gboolean read = engine.read (engine.user_data, y, n, rgba, error);
  g_assert_true (read);
  m->max_rows = MAX (m->max_rows, n);
  m->rows_read += n;
  return TRUE;
}

/* Its A alone, as a reader's read_mask. */
static gboolean
mem_read_mask (gpointer data, int y, int n, float *mask, GError **error)
{
  Mem *m = data;

  (void) error;
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (y + n, <=, m->height);
  for (gsize i = 0; i < (gsize) m->width * n; i++)
    mask[i] = m->rgba[((gsize) y * m->width) * 4 + 4 * i + 3];
  m->rows_read += n;
  return TRUE;
}

static Mem *
mem_new (int w, int h, float r, float g, float b, float a)
{
  Mem *m = g_new0 (Mem, 1);
  m->width = w;
  m->height = h;
  m->rgba = g_new (float, (gsize) w * h * 4);
  m->pixels = (HzPixels) { m->rgba, w, h };
  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      m->rgba[4 * i] = r;
      m->rgba[4 * i + 1] = g;
      m->rgba[4 * i + 2] = b;
      m->rgba[4 * i + 3] = a;
    }
  return m;
}

static void
mem_fill (Mem *m, int x0, int y0, int w, int h, int channel, float v)
{
  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++)
      m->rgba[((gsize) y * m->width + x) * 4 + channel] = v;
}

static void
mem_free (Mem *m)
{
  g_free (m->rgba);
  g_free (m);
}

static HzScene
scene_of (Mem *fg, int fg_x, int fg_y, Mem *bg)
{
  return (HzScene) { .foreground = { fg->width, fg->height, mem_read, fg },
                     .fg_x = fg_x, .fg_y = fg_y,
                     .background = { bg->width, bg->height, mem_read, bg } };
}

/* Reading the scene at 64 fails with HZ_ERROR_INPUT saying needle. */
static void
expect_input_error (HzSceneThumbs *t,
                    const HzScene *scene,
                    const char    *needle)
{
  GError *error = NULL;

  g_assert_false (hz_scene_read (t, scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_INPUT);
  if (!strstr (error->message, needle))
    g_error ("message \"%s\" lacks \"%s\"", error->message, needle);
  g_error_free (error);
}

static void
test_bbox (void)
{
  /* Mask 20 x 10 at (30, 20): margin ceil (0.1 * 20) = 2 all round. */
  Mem *img = mem_new (100, 80, 0.2, 0.4, 0.6, 0.0);
  HzScene scene = scene_of (img, 0, 0, img);
  HzSceneThumbs t = { 0 };
  GError *error = NULL;

  mem_fill (img, 30, 20, 20, 10, 3, 1.0f);
  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.region.x, ==, 28);
  g_assert_cmpint (t.region.y, ==, 18);
  g_assert_cmpint (t.region.width, ==, 24);
  g_assert_cmpint (t.region.height, ==, 14);
  g_assert_cmpint (t.content_w, ==, 64);
  g_assert_cmpint (t.content_h, ==, 37);
  /* The whole background is the reference by default. */
  g_assert_cmpint (t.box.width, ==, 100);
  g_assert_cmpint (t.reference_w, ==, 64);
  g_assert_cmpint (t.reference_h, ==, 51);

  /* A mask at the layer's corner: the margin is clamped to the layer. */
  memset (img->rgba, 0, sizeof (float) * 4 * 100 * 80);
  mem_fill (img, 95, 0, 5, 4, 3, 0.5f);
  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_cmpint (t.region.x, ==, 94);
  g_assert_cmpint (t.region.y, ==, 0);
  g_assert_cmpint (t.region.width, ==, 6);
  g_assert_cmpint (t.region.height, ==, 5);

  /* No mask at all. */
  memset (img->rgba, 0, sizeof (float) * 4 * 100 * 80);
  expect_input_error (&t, &scene, "mask is empty");

  hz_scene_thumbs_clear (&t);
  mem_free (img);
}

static void
test_box (void)
{
  Mem *img = mem_new (100, 80, 0.2, 0.4, 0.6, 0.0);
  HzScene scene = scene_of (img, 0, 0, img);
  HzSceneThumbs t = { 0 };
  GError *error = NULL;
  const HzRect outside[] = { { 100, 0, 10, 10 }, { -20, 10, 20, 5 }, { 10, 10, 0, 5 },
                             { 10, 10, 5, -1 } };

  mem_fill (img, 10, 10, 5, 5, 3, 1.0f);
  scene.has_box = TRUE;
  scene.box = (HzRect) { 60, -10, 100, 30 };
  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.box.x, ==, 60);
  g_assert_cmpint (t.box.y, ==, 0);
  g_assert_cmpint (t.box.width, ==, 40);
  g_assert_cmpint (t.box.height, ==, 20);

  for (guint i = 0; i < G_N_ELEMENTS (outside); i++)
    {
      scene.box = outside[i];
      expect_input_error (&t, &scene, "lies outside the image");
    }

  /* A box the mask covers completely. */
  scene.box = (HzRect) { 11, 11, 3, 3 };
  expect_input_error (&t, &scene, "covered by the foreground");

  hz_scene_thumbs_clear (&t);
  mem_free (img);
}

/* The background shows pure red exactly where the mask is: none of it may
 * reach the reference, and the holes are filled from the green around. */
static void
test_mask_exclusion (void)
{
  Mem *img = mem_new (300, 200, 0.0, 1.0, 0.0, 0.0);
  HzScene scene = scene_of (img, 0, 0, img);
  HzSceneThumbs t = { 0 };
  GError *error = NULL;

  for (int y = 50; y < 170; y++)
    for (int x = 40 + y / 4; x < 200; x++)   /* a slanted shape */
      {
        float *p = img->rgba + ((gsize) y * 300 + x) * 4;
        p[0] = 1.0f;
        p[1] = 0.0f;
        p[3] = 1.0f;
      }
  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  gsize plane = (gsize) t.reference_w * t.reference_h;
  for (gsize i = 0; i < plane; i++)
    {
      g_assert_cmpfloat (t.reference[i], <, 1e-6);
      g_assert_cmpfloat (fabs (t.reference[plane + i] - 1.0), <, 1e-5);
    }
  /* The content is the composite, red where the mask is; its green margin
   * is filled from the red shape: little green is left where the mask is 0,
   * most of it beside the edge's mixed pixels (half covered: half green). */
  gsize cplane = (gsize) t.content_w * t.content_h, outside = 0;
  float red = 0.0f, green = 0.0f;
  double green_outside = 0.0;
  for (gsize i = 0; i < cplane; i++)
    {
      red = MAX (red, t.content[i]);
      green = MAX (green, t.content[cplane + i]);
      if (t.mask[i] == 0.0f)
        {
          green_outside += t.content[cplane + i];
          outside++;
        }
    }
  g_assert_cmpuint (outside, >, cplane / 10);   /* there is a margin to fill */
  green_outside /= outside;
  g_test_message ("green: %.3f at most, %.3f on average where the mask is 0", green, green_outside);
  g_assert_cmpfloat (red, >, 0.99f);
  g_assert_cmpfloat (green_outside, <, 0.4);   /* measured 0.26; 1 unfilled */
  g_assert_cmpfloat (green, <, 0.6f);

  hz_scene_thumbs_clear (&t);
  mem_free (img);
}

/* A foreground layer hanging off the canvas's left edge, half transparent:
 * on the canvas it mixes with the background, off it it stays itself. */
static void
test_layer_outside (void)
{
  Mem *fg = mem_new (40, 40, 0.0, 0.0, 1.0, 0.5);
  Mem *bg = mem_new (100, 60, 0.0, 1.0, 0.0, 0.0);
  HzScene scene = scene_of (fg, -20, 10, bg);
  HzSceneThumbs t = { 0 };
  GError *error = NULL;

  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.region.width, ==, 40);
  g_assert_cmpint (t.content_w, ==, 64);

  gsize plane = (gsize) t.content_w * t.content_h;
  int row = t.content_h / 2 * t.content_w;
  g_assert_cmpfloat_with_epsilon (t.content[plane + row + 2], 0.0, 1e-6);           /* G off canvas */
  g_assert_cmpfloat_with_epsilon (t.content[2 * plane + row + 2], 1.0, 1e-6);       /* B off canvas */
  g_assert_cmpfloat_with_epsilon (t.content[plane + row + 60], 0.5, 1e-6);          /* G on canvas */
  g_assert_cmpfloat_with_epsilon (t.content[2 * plane + row + 60], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (t.mask[row + 30], 0.5, 1e-6);

  /* The reference: green, half-weighted under the layer, never blue. */
  for (gsize i = 0; i < (gsize) t.reference_w * t.reference_h; i++)
    g_assert_cmpfloat (t.reference[2 * t.reference_w * t.reference_h + i], <, 1e-6);

  hz_scene_thumbs_clear (&t);
  mem_free (fg);
  mem_free (bg);
}

/* Offsets and boxes at the ends of int (layer offsets come from files and
 * from GIMP): no canvas sum overflows, readers are asked for their own rows
 * only (mem_read checks), and a mask wholly off the canvas is an error. */
static void
test_extreme_coordinates (void)
{
  static const int off_canvas[][2] = {
    { 0, G_MININT }, { 0, G_MAXINT }, { G_MAXINT, G_MAXINT }, { 0, -2147483500 },
    { G_MININT, G_MININT }, { G_MAXINT, 0 }, { 1000, 1000 }, { -25, 0 }, { 315, 0 }, { 0, 235 },
  };
  static const int on_canvas[][2] = { { -24, 0 }, { 314, 234 }, { 0, -24 } };
  static const HzRect outside[] = { { G_MININT, G_MININT, G_MAXINT, G_MAXINT },
                                    { G_MAXINT, 0, G_MAXINT, 10 }, { 0, G_MAXINT, 5, G_MAXINT } };
  Mem *fg = mem_new (30, 30, 0.8, 0.2, 0.2, 0.0);
  Mem *bg = mem_new (320, 240, 0.2, 0.5, 0.8, 0.0);
  HzScene scene;
  HzSceneThumbs t = { 0 };
  GError *error = NULL;

  mem_fill (fg, 5, 5, 20, 20, 3, 1.0f);
  for (guint i = 0; i < G_N_ELEMENTS (off_canvas); i++)
    {
      scene = scene_of (fg, off_canvas[i][0], off_canvas[i][1], bg);
      expect_input_error (&t, &scene, "does not overlap the background");
    }
  for (guint i = 0; i < G_N_ELEMENTS (on_canvas); i++)
    {
      scene = scene_of (fg, on_canvas[i][0], on_canvas[i][1], bg);
      g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (t.region.width, ==, 24);
    }

  scene = scene_of (fg, 100, 100, bg);
  scene.has_box = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (outside); i++)
    {
      scene.box = outside[i];
      expect_input_error (&t, &scene, "lies outside the image");
    }
  scene.box = (HzRect) { 300, -5, G_MAXINT, G_MAXINT };
  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.box.x, ==, 300);
  g_assert_cmpint (t.box.y, ==, 0);
  g_assert_cmpint (t.box.width, ==, 20);
  g_assert_cmpint (t.box.height, ==, 240);

  hz_scene_thumbs_clear (&t);
  mem_free (fg);
  mem_free (bg);
}

/* Without a box, a mask over the whole background leaves no reference. */
static void
test_whole_background_covered (void)
{
  Mem *img = mem_new (1, 1, 0.5, 0.5, 0.5, 1.0);
  HzScene scene = scene_of (img, 0, 0, img);
  HzSceneThumbs t = { 0 };

  expect_input_error (&t, &scene, "the mask covers the whole background");

  hz_scene_thumbs_clear (&t);
  mem_free (img);
}

static gboolean
stop_halfway (double fraction, gpointer data)
{
  (void) data;
  return fraction < 0.5;
}

static void
test_streaming_and_errors (void)
{
  Mem *fg = mem_new (500, 700, 0.3, 0.3, 0.3, 0.0);
  Mem *bg = mem_new (600, 900, 0.5, 0.5, 0.5, 0.0);
  HzScene scene = scene_of (fg, 50, 100, bg);
  HzSceneThumbs t = { 0 };
  GError *error = NULL;

  mem_fill (fg, 100, 100, 300, 400, 3, 1.0f);
  scene.has_box = TRUE;
  scene.box = (HzRect) { 0, 0, 600, 300 };
  g_assert_true (hz_scene_read (&t, &scene, 128, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* Chunks of at most 64 rows; each foreground row read at most twice
   * (bounding box, then the sweep), background rows once. */
  g_assert_cmpint (fg->max_rows, <=, 64);
  g_assert_cmpint (bg->max_rows, <=, 64);
  g_assert_cmpint (fg->rows_read, <=, 2 * fg->height);
  g_assert_cmpint (bg->rows_read, <=, bg->height);

  g_assert_false (hz_scene_read (&t, &scene, 128, 0, stop_halfway, NULL, NULL, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_CANCELLED);
  g_clear_error (&error);

  GCancellable *cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  g_assert_false (hz_scene_read (&t, &scene, 128, 0, NULL, NULL, cancellable, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_CANCELLED);
  g_clear_error (&error);
  g_object_unref (cancellable);

  bg->fail = TRUE;
  g_assert_false (hz_scene_read (&t, &scene, 128, 0, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  scene.background.width = 0;
  g_assert_false (hz_scene_read (&t, &scene, 128, 0, NULL, NULL, NULL, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_INPUT);
  g_clear_error (&error);

  hz_scene_thumbs_clear (&t);
  mem_free (fg);
  mem_free (bg);
}

static void
test_missing_weights (void)
{
  GError *error = NULL;

  g_assert_null (hz_model_load ("/nonexistent/ssh.hzw", &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "'/nonexistent/ssh.hzw' not found"));
  g_clear_error (&error);

  g_setenv ("HARMONIZE_WEIGHTS", "/somewhere/else.hzw", TRUE);
  g_assert_cmpstr (hz_default_weights_path (), ==, "/somewhere/else.hzw");
  g_unsetenv ("HARMONIZE_WEIGHTS");
  g_assert_true (g_str_has_suffix (hz_default_weights_path (), ".hzw"));
}

/* End to end with the seeded test weights: the fit runs, is repeatable on a
 * reused context, reports progress, and strength 0 changes nothing. */
static void
test_fit_scene (void)
{
  const char *path = g_getenv ("HARMONIZE_TEST_WEIGHTS");
  GError *error = NULL;

  if (!path || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no test weights (HARMONIZE_TEST_WEIGHTS)");
      return;
    }
  HzModel *model = hz_model_load (path, &error);
  g_assert_no_error (error);

  Mem *img = mem_new (160, 120, 0.0, 0.0, 0.0, 0.0);
  for (int y = 0; y < 120; y++)
    for (int x = 0; x < 160; x++)
      {
        float *p = img->rgba + ((gsize) y * 160 + x) * 4;
        gboolean in = (x - 80) * (x - 80) + (y - 60) * (y - 60) < 900;
        p[0] = in ? 0.2f + x / 400.0f : 0.7f;
        p[1] = in ? 0.6f : 0.5f + y / 500.0f;
        p[2] = in ? 0.3f + y / 300.0f : 0.3f;
        p[3] = in ? 1.0f : 0.0f;
      }
  HzScene scene = scene_of (img, 0, 0, img);
  HzContext *ctx = hz_context_new (model);
  HzOptions options;
  HzColorMap first, other, again;
  int w, h;

  g_assert_null (hz_context_network_output (ctx, &w, &h));
  g_assert_cmpint (hz_context_content_region (ctx).width, ==, 0);
  hz_options_init (&options);
  options.working_size = 64;
  g_assert_true (hz_fit_scene (ctx, &scene, &options, &first, &error));
  g_assert_no_error (error);
  /* The disc's bounding box, x and y 51..109, and its margin, ceil (0.1 x 59). */
  HzRect region = hz_context_content_region (ctx);
  g_assert_cmpint (region.x, ==, 45);
  g_assert_cmpint (region.y, ==, 25);
  g_assert_cmpint (region.width, ==, 71);
  g_assert_cmpint (region.height, ==, 71);
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < HZ_COLORMAP_TERMS; k++)
      g_assert_true (isfinite (first.coef[c][k]));
  g_assert_nonnull (hz_context_network_output (ctx, &w, &h));
  g_assert_cmpint (MAX (w, h), ==, 64);
  g_assert_nonnull (hz_context_network_content (ctx, &w, &h));
  g_assert_nonnull (hz_context_network_reference (ctx, &w, &h));
  g_assert_cmpint (w, ==, 64);

  options.working_size = 96;
  g_assert_true (hz_fit_scene (ctx, &scene, &options, &other, &error));
  options.working_size = 64;
  g_assert_true (hz_fit_scene (ctx, &scene, &options, &again, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (&first, sizeof first, &again, sizeof again);

  options.working_size = 32;
  g_assert_false (hz_fit_scene (ctx, &scene, &options, &other, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_INPUT);
  g_clear_error (&error);
  g_assert_null (hz_context_network_output (ctx, &w, &h));
  g_assert_cmpint (hz_context_content_region (ctx).width, ==, 0);

  float px[8] = { 0.1f, 0.5f, 0.9f, 1.0f, 0.33f, 0.66f, 0.99f, 0.5f }, orig[8];
  memcpy (orig, px, sizeof px);
  hz_colormap_apply (&first, 0.0, px, 2, 1);
  g_assert_cmpmem (px, sizeof px, orig, sizeof orig);

  hz_context_free (ctx);
  hz_model_free (model);
  mem_free (img);
}

/* The thumbnails do not depend on the number of threads, to the bit: each
 * destination pixel is summed by one thread, in the order one would. */
static void
test_threads (void)
{
  static const int threads[] = { 2, 3, 7 };
  Mem *fg = mem_new (211, 157, 0, 0, 0, 0), *bg = mem_new (640, 480, 0, 0, 0, 0);
  HzScene scene = scene_of (fg, 300, 250, bg);
  HzSceneThumbs one = { 0 }, t = { 0 };
  GRand *rand = g_rand_new_with_seed (11);
  GError *error = NULL;

  for (gsize i = 0; i < (gsize) fg->width * fg->height * 4; i++)
    fg->rgba[i] = g_rand_double (rand);
  for (gsize i = 0; i < (gsize) bg->width * bg->height * 4; i++)
    bg->rgba[i] = g_rand_double (rand);
  mem_fill (fg, 0, 0, 20, fg->height, 3, 0.0f);   /* a margin of the layer is unmasked */
  scene.has_box = TRUE;
  scene.box = (HzRect) { 100, 120, 500, 300 };
  g_assert_true (hz_scene_read (&one, &scene, 64, 1, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_assert_true (hz_scene_read (&t, &scene, 64, threads[i], NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (t.content_w * t.content_h, ==, one.content_w * one.content_h);
      g_assert_cmpint (t.reference_w * t.reference_h, ==, one.reference_w * one.reference_h);
      g_assert_cmpmem (t.content, 4 * sizeof (float) * t.content_w * t.content_h,
                       one.content, 4 * sizeof (float) * one.content_w * one.content_h);
      g_assert_cmpmem (t.reference, 4 * sizeof (float) * t.reference_w * t.reference_h,
                       one.reference, 4 * sizeof (float) * one.reference_w * one.reference_h);
    }
  hz_scene_thumbs_clear (&one);
  hz_scene_thumbs_clear (&t);
  g_rand_free (rand);
  mem_free (fg);
  mem_free (bg);
}

/* A foreground whose reader knows each row's span of A > 0 reads the same
 * thumbnails, to the bit, without the pass over its mask, nor its rows
 * below the content whose spans are empty; spans past the row are clipped
 * to it; spans all empty are an empty mask. */
static void
test_mask_spans (void)
{
  Mem *fg = mem_new (120, 400, 0.7, 0.3, 0.2, 0.0), *bg = mem_new (300, 600, 0.2, 0.5, 0.8, 0.0);
  HzScene scene = scene_of (fg, 40, 30, bg);
  HzSceneThumbs plain = { 0 }, t = { 0 };
  HzRowSpan *spans = g_new (HzRowSpan, fg->height);
  GError *error = NULL;
  int rows_plain;

  mem_fill (fg, 30, 20, 50, 40, 3, 1.0f);
  mem_fill (fg, 10, 70, 5, 3, 3, 0.5f);
  scene.foreground.read_mask = mem_read_mask;
  g_assert_true (hz_scene_read (&plain, &scene, 64, 0, NULL, NULL, NULL, &error));
  rows_plain = fg->rows_read;
  for (int y = 0; y < fg->height; y++)
    {
      spans[y] = (HzRowSpan) { fg->width, -1 };
      for (int x = 0; x < fg->width; x++)
        if (fg->rgba[((gsize) y * fg->width + x) * 4 + 3] > 0.0f)
          spans[y] = (HzRowSpan) { MIN (spans[y].first, x), x };
    }
  scene.foreground.mask_spans = spans;
  fg->rows_read = 0;
  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fg->rows_read, <=, rows_plain - fg->height - 256);
  g_assert_cmpmem (&t.region, sizeof t.region, &plain.region, sizeof plain.region);
  g_assert_cmpmem (t.content, 4 * sizeof (float) * t.content_w * t.content_h,
                   plain.content, 4 * sizeof (float) * plain.content_w * plain.content_h);
  g_assert_cmpmem (t.reference, 4 * sizeof (float) * t.reference_w * t.reference_h,
                   plain.reference, 4 * sizeof (float) * plain.reference_w * plain.reference_h);

  /* A span past both ends of its row: the region is the whole layer's width. */
  spans[50] = (HzRowSpan) { -7, fg->width + 3 };
  g_assert_true (hz_scene_read (&t, &scene, 64, 0, NULL, NULL, NULL, &error));
  g_assert_cmpint (t.region.x, ==, 0);
  g_assert_cmpint (t.region.width, ==, fg->width);

  for (int y = 0; y < fg->height; y++)
    spans[y] = (HzRowSpan) { 5, 4 };
  expect_input_error (&t, &scene, "mask is empty");

  hz_scene_thumbs_clear (&plain);
  hz_scene_thumbs_clear (&t);
  g_free (spans);
  mem_free (fg);
  mem_free (bg);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scene/bbox", test_bbox);
  g_test_add_func ("/scene/box", test_box);
  g_test_add_func ("/scene/mask-exclusion", test_mask_exclusion);
  g_test_add_func ("/scene/layer-outside", test_layer_outside);
  g_test_add_func ("/scene/extreme-coordinates", test_extreme_coordinates);
  g_test_add_func ("/scene/whole-background-covered", test_whole_background_covered);
  g_test_add_func ("/scene/streaming-and-errors", test_streaming_and_errors);
  g_test_add_func ("/scene/missing-weights", test_missing_weights);
  g_test_add_func ("/scene/fit", test_fit_scene);
  g_test_add_func ("/scene/threads", test_threads);
  g_test_add_func ("/scene/mask-spans", test_mask_spans);
  return g_test_run ();
}
