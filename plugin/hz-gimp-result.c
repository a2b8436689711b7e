/* gimp-harmonize: the harmonized layer written into the user's image. */

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "hz-gimp-result.h"

#define CHUNK_ROWS 64

/* Maps the pixels of @rows the new layer shows (alpha > 0): they are
 * gathered into @packed so that the mapping runs over them at once. */
static void
map_shown (const HzColorMap *map,
           double            strength,
           int               n_threads,
           float            *rows,
           float            *packed,
           gsize             n_pixels)
{
  gsize i, k = 0;

  for (i = 0; i < n_pixels; i++)
    if (rows[4 * i + 3] > 0.0f)
      memcpy (packed + 4 * k++, rows + 4 * i, 4 * sizeof (float));

  hz_colormap_apply (map, strength, packed, k, n_threads);

  for (i = 0, k = 0; i < n_pixels; i++)
    if (rows[4 * i + 3] > 0.0f)
      memcpy (rows + 4 * i, packed + 4 * k++, 3 * sizeof (float));
}

/* RGBA floats to 8-bit, rounded as babl rounds, a row at a time on the
 * engine's pool. */
typedef struct
{
  const float *rgba;
  guint8      *out;
  gsize        row;   /* floats a row */
} ToU8;

static void
to_u8_row (int      r,
           int      slot G_GNUC_UNUSED,
           gpointer data)
{
  const ToU8  *t = data;
  const float *in = t->rgba + t->row * r;
  guint8      *out = t->out + t->row * r;
  gsize        i;

  for (i = 0; i < t->row; i++)
    {
      float v = in[i];

      out[i] = (guint8) ((v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f) * 255.0f + 0.5f);
    }
}

/* Fills @bounds of @layer (not yet in the image's layer tree) row chunk by
 * row chunk; the rest stays as a new layer is, transparent. An 8-bit layer
 * is written as it is stored (see get_rgba in hz-gimp-scene.c on babl's
 * conversions in a new plug-in process). */
static gboolean
write_pixels (GimpLayer        *layer,
              HzGimpScene      *scene,
              const HzRect     *bounds,
              const HzColorMap *map,
              double            strength,
              int               n_threads,
              double            progress_start,
              GError          **error)
{
  GeglBuffer *buffer  = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
  const Babl *stored  = gimp_drawable_get_format (GIMP_DRAWABLE (layer));
  const Babl *format  = babl_format_with_space ("R'G'B'A float", stored);
  gboolean    u8      = babl_format_with_space ("R'G'B'A u8", stored) == stored;
  gsize       floats  = (gsize) bounds->width * CHUNK_ROWS * 4;
  float      *rows    = g_try_new (float, 2 * floats);
  guint8     *bytes   = u8 ? g_try_new (guint8, floats) : NULL;
  gboolean    ok      = rows != NULL && (bytes != NULL || ! u8);
  int         y;

  if (! ok)
    g_set_error_literal (error, HZ_ERROR, HZ_ERROR_MEMORY,
                         _("Not enough memory to write the harmonized layer."));

  for (y = bounds->y; ok && y < bounds->y + bounds->height; y += CHUNK_ROWS)
    {
      GeglRectangle rect = { bounds->x, y, bounds->width,
                             MIN (CHUNK_ROWS, bounds->y + bounds->height - y) };
      gsize         n    = (gsize) rect.width * rect.height;

      hz_gimp_scene_read_foreground (scene, &rect, rows);
      map_shown (map, strength, n_threads, rows, rows + floats, n);
      if (u8)
        {
          ToU8 t = { rows, bytes, (gsize) rect.width * 4 };

          hz_parallel_for (rect.height, n_threads, to_u8_row, &t);
          gegl_buffer_set (buffer, &rect, 0, stored, bytes, GEGL_AUTO_ROWSTRIDE);
        }
      else
        gegl_buffer_set (buffer, &rect, 0, format, rows, GEGL_AUTO_ROWSTRIDE);
      gimp_progress_update (progress_start + (1.0 - progress_start) *
                            (y + rect.height - bounds->y) / bounds->height);
    }

  g_free (rows);
  g_free (bytes);
  g_object_unref (buffer);   /* flushes the tiles to GIMP */
  return ok;
}

GimpLayer *
hz_gimp_result_insert (GimpImage        *image,
                       HzGimpScene      *scene,
                       const HzRect     *bounds,
                       const HzColorMap *map,
                       double            strength,
                       int               n_threads,
                       double            progress_start,
                       GError          **error)
{
  GimpLayer    *fg    = hz_gimp_scene_get_layer (scene);
  const HzScene *hz   = hz_gimp_scene_get (scene);
  GimpItem     *parent = gimp_item_get_parent (GIMP_ITEM (fg));
  GimpLayer    *layer;
  gchar        *name, *fg_name;
  int           x, y;
  gboolean      inserted;

  g_return_val_if_fail (hz_gimp_scene_get_scale (scene) == 1.0, NULL);

  fg_name = gimp_item_get_name (GIMP_ITEM (fg));
  name    = g_strdup_printf (_("%s (harmonized)"), fg_name);
  g_free (fg_name);
  layer = gimp_layer_new (image, name,
                          hz->foreground.width, hz->foreground.height,
                          gimp_drawable_type_with_alpha (GIMP_DRAWABLE (fg)),
                          gimp_layer_get_opacity (fg),
                          GIMP_LAYER_MODE_NORMAL);
  g_free (name);
  if (! layer)
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_MEMORY,
                           _("Could not create the harmonized layer."));
      return NULL;
    }

  /* The pixels go in before the layer joins the image, so that a failure
   * or a cancel here leaves the user's image as it was. */
  if (! write_pixels (layer, scene, bounds, map, strength, n_threads, progress_start, error))
    {
      gimp_item_delete (GIMP_ITEM (layer));
      return NULL;
    }

  gimp_drawable_get_offsets (GIMP_DRAWABLE (fg), &x, &y);

  gimp_image_undo_group_start (image);
  inserted = gimp_image_insert_layer (image, layer, GIMP_LAYER (parent),
                                      gimp_image_get_item_position (image, GIMP_ITEM (fg)));
  if (inserted)
    gimp_layer_set_offsets (layer, x, y);
  gimp_image_undo_group_end (image);

  if (! inserted)
    {
      gimp_item_delete (GIMP_ITEM (layer));
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                           _("Could not add the harmonized layer to the image."));
      return NULL;
    }
  return layer;
}
