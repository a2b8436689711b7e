/* libFuzzer target for scenes (built and run by tests/run-fuzz.sh):
 * hz_fit_scene with the seeded test weights, then hz_colormap_apply, on small
 * images and masks from the input, with offsets and boxes anywhere in int.
 * Readers are asked for their own rows only, a refusal is one line, and a fit
 * gives a finite mapping whose output stays in [0, 1].
 *
 * Input: fg width, fg height, bg width, bg height (one byte each, 1..24 by
 * modulo), fg_x, fg_y (int32, little-endian), flags (bit 0: a box; bit 1:
 * the foreground is the background, a composite), the box x, y, w, h (int32),
 * the strength (a byte / 255), then RGBA bytes of the foreground and the
 * background, repeated when short (zeros when none). */
#include "harmonize.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIDE    24
#define HEADER_SIZE 30

typedef struct
{
  int    width, height;
  float *rgba;
} Layer;

static HzModel *model;
static HzContext *ctx;

static gboolean
read_layer (gpointer   data,
            int        y,
            int        n_rows,
            float     *rgba,
            GError   **error)
{
  const Layer *l = data;

  (void) error;
  if (y < 0 || n_rows < 1 || n_rows > l->height - y)
    __builtin_trap ();
  memcpy (rgba, l->rgba + (gsize) y * l->width * 4, (gsize) n_rows * l->width * 4 * sizeof (float));
  return TRUE;
}

static gint32
int32_at (const uint8_t *p)
{
  return (gint32) ((guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24);
}

static void
fill (Layer         *l,
      int            width,
      int            height,
      const uint8_t *bytes,
      gsize          n,
      gsize         *pos)
{
  l->width = width;
  l->height = height;
  l->rgba = g_new (float, (gsize) width * height * 4);
  for (gsize i = 0; i < (gsize) width * height * 4; i++)
    l->rgba[i] = n ? bytes[(*pos)++ % n] / 255.0f : 0.0f;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  const char *path = g_getenv ("HARMONIZE_TEST_WEIGHTS");
  GError *error = NULL;

  (void) argc;
  (void) argv;
  model = path ? hz_model_load (path, &error) : NULL;
  if (!model)
    {
      fprintf (stderr, "fuzz-scene: no model (HARMONIZE_TEST_WEIGHTS): %s\n",
               error ? error->message : "not set");
      exit (1);
    }
  ctx = hz_context_new (model);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Layer fg, bg;
  HzScene scene = { 0 };
  HzOptions options;
  HzColorMap map;
  GError *error = NULL;
  gsize pos = 0;

  if (size < HEADER_SIZE)
    return 0;
  const uint8_t *pixels = data + HEADER_SIZE;
  gsize n_pixels = size - HEADER_SIZE;
  gboolean composite = data[12] & 2;

  fill (&fg, data[0] % MAX_SIDE + 1, data[1] % MAX_SIDE + 1, pixels, n_pixels, &pos);
  if (composite)
    bg = fg;
  else
    fill (&bg, data[2] % MAX_SIDE + 1, data[3] % MAX_SIDE + 1, pixels, n_pixels, &pos);
  scene.foreground = (HzReader) { .width = fg.width, .height = fg.height,
                                  .read = read_layer, .user_data = &fg };
  scene.background = (HzReader) { .width = bg.width, .height = bg.height,
                                  .read = read_layer, .user_data = &bg };
  scene.fg_x = int32_at (data + 4);
  scene.fg_y = int32_at (data + 8);
  scene.has_box = data[12] & 1;
  scene.box = (HzRect) { int32_at (data + 13), int32_at (data + 17), int32_at (data + 21),
                         int32_at (data + 25) };

  hz_options_init (&options);
  options.working_size = HZ_WORKING_SIZE_MIN;
  options.n_threads = 1;
  options.strength = data[29] / 255.0;
  if (!hz_fit_scene (ctx, &scene, &options, &map, &error))
    {
      if (!error || error->domain != HZ_ERROR || !error->message[0] || strchr (error->message, '\n'))
        __builtin_trap ();
      g_error_free (error);
    }
  else
    {
      for (int c = 0; c < 3; c++)
        for (int k = 0; k < HZ_COLORMAP_TERMS; k++)
          if (!isfinite (map.coef[c][k]))
            __builtin_trap ();
      gsize n = (gsize) fg.width * fg.height;
      float *out = g_memdup2 (fg.rgba, n * 4 * sizeof (float));
      hz_colormap_apply (&map, options.strength, out, n, 1);
      for (gsize i = 0; i < n; i++)
        {
          for (int c = 0; c < 3; c++)
            if (!(out[4 * i + c] >= 0.0f && out[4 * i + c] <= 1.0f))
              __builtin_trap ();
          if (out[4 * i + 3] != fg.rgba[4 * i + 3])
            __builtin_trap ();
        }
      g_free (out);
    }
  g_free (fg.rgba);
  if (!composite)
    g_free (bg.rgba);
  return 0;
}
