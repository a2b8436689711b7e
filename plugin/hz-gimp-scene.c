/* gimp-harmonize: an engine scene (HzScene) read from a GIMP image. */

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "hz-gimp-scene.h"
#include "hz-gimp-tiles.h"

struct _HzGimpScene
{
  HzScene       scene;
  GimpLayer    *layer;          /* the foreground */
  double        scale;          /* image to scene coordinates */
  GeglRectangle canvas;         /* the image, image coordinates */
  GeglRectangle bg_rect;        /* the background, image coordinates */

  /* Full resolution: the readers pull rows from the drawables' buffers. */
  const Babl   *rgba_format;
  GeglBuffer   *fg_buffer;
  GeglBuffer   *mask_buffer;    /* NULL: the foreground's alpha alone */
  const Babl   *mask_format;
  int           mask_dx;        /* mask buffer position of the foreground's (0, 0) */
  int           mask_dy;
  GeglBuffer   *bg_buffer;
  float        *mask_rows;
  gsize         mask_rows_len;
  guint8       *bytes;          /* rows as stored (stored_rows) */
  gsize         bytes_len;

  /* Small scenes: everything downscaled into memory, so that the readers
   * make no libgimp calls and may run in the preview's worker thread. */
  HzPixels      fg_pixels;
  HzPixels      bg_pixels;
};

/* What the procedure's arguments resolve to in the image. */
typedef struct
{
  GimpLayer    *fg;
  GimpDrawable *mask;           /* NULL: the foreground's alpha alone */
  GimpLayer    *bg;
  int           fg_x, fg_y;     /* foreground offsets, image coordinates */
  int           fg_w, fg_h;
  int           bg_x, bg_y;
  int           bg_w, bg_h;
} Resolved;


static gboolean
belongs_to (gpointer   item,
            GimpImage *image)
{
  GimpImage *owner = gimp_item_get_image (GIMP_ITEM (item));

  return owner && gimp_image_get_id (owner) == gimp_image_get_id (image);
}

/* The float gray format that reads a mask's stored values as they are
 * (a mask's value is an opacity, whatever transfer curve it is tagged with). */
static const Babl *
mask_float_format (const Babl *format)
{
  const char *model = babl_get_name (babl_format_get_model (format));

  if (g_str_has_prefix (model, "Y'"))
    return babl_format ("Y' float");
  if (g_str_has_prefix (model, "Y~"))
    return babl_format ("Y~ float");
  return babl_format ("Y float");
}

/* Whether any pixel of @layer is less than fully opaque, from its alpha as
 * stored: a thumbnail would miss a few see-through pixels of a large layer. */
static gboolean
layer_has_transparency (GimpLayer *layer)
{
  GeglBuffer         *buffer;
  const Babl         *format;
  GeglBufferIterator *it;
  gboolean            u8, transparent = FALSE;
  int                 bpp;

  if (! gimp_drawable_has_alpha (GIMP_DRAWABLE (layer)))
    return FALSE;

  buffer = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
  format = gegl_buffer_get_format (buffer);
  /* 8-bit layers, the most common, are read as stored (see u8_channels). */
  u8 = babl_format_get_type (format, 0) == babl_type ("u8");
  if (! u8)
    format = babl_format ("A float");
  bpp = babl_format_get_bytes_per_pixel (format);

  it = gegl_buffer_iterator_new (buffer, NULL, 0, format,
                                 GEGL_ACCESS_READ, GEGL_ABYSS_NONE, 1);
  while (! transparent && gegl_buffer_iterator_next (it))
    {
      const guint8 *data = it->items[0].data;
      int           i;

      for (i = 0; i < it->length && ! transparent; i++)
        transparent = u8 ? data[i * bpp + bpp - 1] < 255
                         : ((const float *) data)[i] < 1.0f;
    }
  if (transparent)
    gegl_buffer_iterator_stop (it);
  g_object_unref (buffer);
  return transparent;
}

/* Sets *mask to the drawable whose values mask the foreground, or NULL for
 * the foreground's alpha alone. */
static gboolean
resolve_mask (GimpImage            *image,
              GimpProcedureConfig  *config,
              GimpLayer            *fg,
              GimpDrawable        **mask,
              GError              **error)
{
  GimpLayerMask *layer_mask = gimp_layer_get_mask (fg);
  GimpChannel   *channel    = NULL;
  gchar         *name;

  *mask = NULL;
  switch (gimp_procedure_config_get_choice_id (config, "mask-source"))
    {
    case HZ_MASK_AUTO:
      if (layer_mask)
        *mask = GIMP_DRAWABLE (layer_mask);
      /* The selection first: without one an opaque layer's alpha is the
       * whole layer anyway, and the scan of its alpha reads every tile. */
      else if (! gimp_selection_is_empty (image) && ! layer_has_transparency (fg))
        *mask = GIMP_DRAWABLE (gimp_image_get_selection (image));
      return TRUE;

    case HZ_MASK_LAYER_MASK:
      if (layer_mask)
        {
          *mask = GIMP_DRAWABLE (layer_mask);
          return TRUE;
        }
      name = gimp_item_get_name (GIMP_ITEM (fg));
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                   _("The layer “%s” has no layer mask."), name);
      g_free (name);
      return FALSE;

    case HZ_MASK_SELECTION:
      if (! gimp_selection_is_empty (image))
        {
          *mask = GIMP_DRAWABLE (gimp_image_get_selection (image));
          return TRUE;
        }
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                           _("The mask is empty: there is no selection."));
      return FALSE;

    case HZ_MASK_CHANNEL:
      g_object_get (config, "mask-channel", &channel, NULL);
      if (channel && belongs_to (channel, image))
        *mask = GIMP_DRAWABLE (channel);
      else
        g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                             _("Choose a channel of this image as the mask."));
      /* The plug-in keeps its items alive; drop the config's reference. */
      g_clear_object (&channel);
      return *mask != NULL;

    case HZ_MASK_ALPHA:
    default:
      return TRUE;
    }
}

static gboolean
resolve (GimpImage            *image,
         GimpProcedureConfig  *config,
         HzGimpBackground     *background,
         Resolved             *r,
         GError              **error)
{
  GimpLayer     *bg_layer = NULL;
  GeglRectangle  fg_rect;

  if (gimp_image_get_base_type (image) != GIMP_RGB)
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                           _("Harmonize works on RGB images only; "
                             "convert the image with Image > Mode > RGB."));
      return FALSE;
    }

  g_object_get (config, "foreground", &r->fg, NULL);
  if (! r->fg)
    {
      GimpLayer **selected = gimp_image_get_selected_layers (image);

      if (selected && selected[0])
        r->fg = g_object_ref (selected[0]);
      g_free (selected);
    }
  if (! r->fg || ! belongs_to (r->fg, image))
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                           _("Choose a foreground layer of this image."));
      return FALSE;
    }
  /* The config holds a reference; the plug-in keeps its items alive. */
  g_object_unref (r->fg);

  gimp_drawable_get_offsets (GIMP_DRAWABLE (r->fg), &r->fg_x, &r->fg_y);
  r->fg_w = gimp_drawable_get_width (GIMP_DRAWABLE (r->fg));
  r->fg_h = gimp_drawable_get_height (GIMP_DRAWABLE (r->fg));

  if (! resolve_mask (image, config, r->fg, &r->mask, error))
    return FALSE;

  if (r->mask)
    {
      int mx, my;

      gimp_drawable_get_offsets (r->mask, &mx, &my);
      fg_rect = (GeglRectangle) { r->fg_x, r->fg_y, r->fg_w, r->fg_h };
      if (! gegl_rectangle_intersect (NULL, &fg_rect,
                                      GEGL_RECTANGLE (mx, my,
                                                      gimp_drawable_get_width (r->mask),
                                                      gimp_drawable_get_height (r->mask))))
        {
          g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                               _("The mask is empty: it does not cover "
                                 "the foreground layer."));
          return FALSE;
        }
    }

  if (gimp_procedure_config_get_choice_id (config, "background-source") == HZ_BACKGROUND_LAYER)
    {
      g_object_get (config, "background-layer", &bg_layer, NULL);
      if (! bg_layer || ! belongs_to (bg_layer, image))
        {
          g_clear_object (&bg_layer);
          g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                               _("Choose a background layer of this image."));
          return FALSE;
        }
      g_object_unref (bg_layer);
      if (gimp_item_get_id (GIMP_ITEM (bg_layer)) == gimp_item_get_id (GIMP_ITEM (r->fg)))
        {
          g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                               _("The background layer must differ from "
                                 "the foreground layer."));
          return FALSE;
        }
    }
  r->bg = hz_gimp_background_get (background, r->fg, bg_layer, error);
  if (! r->bg)
    return FALSE;

  gimp_drawable_get_offsets (GIMP_DRAWABLE (r->bg), &r->bg_x, &r->bg_y);
  r->bg_w = gimp_drawable_get_width (GIMP_DRAWABLE (r->bg));
  r->bg_h = gimp_drawable_get_height (GIMP_DRAWABLE (r->bg));

  return TRUE;
}


/* ---- full resolution --------------------------------------------------------- */

/* Whether @from is linear RGB(A) float and @to R'G'B'A float of the same
 * space: a linear float layer's pixels (or GIMP's thumbnails of it), read
 * as stored and encoded by the engine (hz_rgba_from_linear), where babl's
 * fish took 50 ms a 1024x683 thumbnail in each new plug-in process
 * (HARMONIZE_TIMING's scenes, README) and 2.2 times a copy's time on the
 * full layer (bench-babl). */
static gboolean
linear_float_of (const Babl *from,
                 const Babl *to)
{
  const char *f = babl_get_name (babl_format_get_model (from));

  return babl_format_get_type (from, 0) == babl_type ("float") &&
         babl_format_get_space (from) == babl_format_get_space (to) &&
         (strcmp (f, "RGB") == 0 || strcmp (f, "RGBA") == 0) &&
         to == babl_format_with_space ("R'G'B'A float", to);
}

/* @rect of @buffer as it is stored, in s->bytes (grown as needed). */
static gpointer
stored_rows (HzGimpScene         *s,
             GeglBuffer          *buffer,
             const GeglRectangle *rect)
{
  const Babl *format = gegl_buffer_get_format (buffer);
  gsize       size   = (gsize) rect->width * rect->height * babl_format_get_bytes_per_pixel (format);

  if (s->bytes_len < size)
    {
      g_free (s->bytes);
      s->bytes     = g_new (guint8, size);
      s->bytes_len = size;
    }
  gegl_buffer_get (buffer, rect, 1.0, format, s->bytes,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  return s->bytes;
}

/* The channels of @buffer's pixels where they are stored as 8-bit R'G'B'A
 * or R'G'B' of the scene's space (4 or 3), else 0. A plug-in starts
 * without babl's cache of conversion paths, and babl's search for the one
 * from 8-bit R'G'B'(A) costs each run up to half a second, more than
 * reading a 6000x4000 layer: that format, GIMP's most common, is read as it
 * is stored and expanded by hand (hz_gimp_u8_value). */
static int
u8_channels (HzGimpScene *s,
             GeglBuffer  *buffer)
{
  const Babl *format = gegl_buffer_get_format (buffer);
  const char *model  = babl_get_name (babl_format_get_model (format));

  if (babl_format_get_type (format, 0) != babl_type ("u8") ||
      babl_format_get_space (format) != babl_format_get_space (s->rgba_format) ||
      (strcmp (model, "R'G'B'A") != 0 && strcmp (model, "R'G'B'") != 0))
    return 0;
  return babl_format_get_n_components (format);
}

/* @rect of @buffer as R'G'B'A float. */
static void
get_rgba (HzGimpScene         *s,
          GeglBuffer          *buffer,
          const GeglRectangle *rect,
          float               *rgba)
{
  int   channels = u8_channels (s, buffer);
  gsize n        = (gsize) rect->width * rect->height;
  gsize i;
  int   c;

  if (linear_float_of (gegl_buffer_get_format (buffer), s->rgba_format))
    {
      hz_rgba_from_linear (stored_rows (s, buffer, rect),
                           babl_format_get_n_components (gegl_buffer_get_format (buffer)), n, rgba);
      return;
    }
  if (channels == 0)
    {
      gegl_buffer_get (buffer, rect, 1.0, s->rgba_format, rgba,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      return;
    }

  stored_rows (s, buffer, rect);
  for (i = 0; i < n; i++)
    {
      const guint8 *p = s->bytes + i * channels;

      for (c = 0; c < 3; c++)
        rgba[4 * i + c] = hz_gimp_u8_value (p[c]);
      rgba[4 * i + 3] = channels == 4 ? hz_gimp_u8_value (p[3]) : 1.0f;
    }
}

int
hz_gimp_scene_stored_bytes_per_pixel (HzGimpScene *s)
{
  g_return_val_if_fail (s->scale == 1.0, 0);

  return babl_format_get_bytes_per_pixel (gegl_buffer_get_format (s->fg_buffer)) +
         (s->mask_buffer ? babl_format_get_bytes_per_pixel (gegl_buffer_get_format (s->mask_buffer))
                         : 0);
}

void
hz_gimp_scene_hold_tile_rows (HzGimpScene *s)
{
  g_return_if_fail (s->scale == 1.0);

  hz_gimp_hold_tiles ((gsize) hz_gimp_tile_height () *
                      ((gsize) s->scene.foreground.width * hz_gimp_scene_stored_bytes_per_pixel (s) +
                       (gsize) s->scene.background.width *
                       babl_format_get_bytes_per_pixel (gegl_buffer_get_format (s->bg_buffer))));
}

int
hz_gimp_scene_foreground_u8 (HzGimpScene *s)
{
  g_return_val_if_fail (s->scale == 1.0, 0);

  return u8_channels (s, s->fg_buffer);
}

void
hz_gimp_scene_read_foreground_u8 (HzGimpScene         *s,
                                  const GeglRectangle *rect,
                                  int                  rowstride,
                                  guint8              *bytes)
{
  g_return_if_fail (hz_gimp_scene_foreground_u8 (s) > 0);

  gegl_buffer_get (s->fg_buffer, rect, 1.0, gegl_buffer_get_format (s->fg_buffer), bytes,
                   rowstride, GEGL_ABYSS_NONE);
}

/* The mask drawable's values over @rect of the foreground (foreground
 * coordinates), rect->width x rect->height floats in s->mask_rows. */
static const float *
get_mask (HzGimpScene         *s,
          const GeglRectangle *rect)
{
  gsize         n    = (gsize) rect->width * rect->height;
  GeglRectangle part = { s->mask_dx + rect->x, s->mask_dy + rect->y, rect->width, rect->height };

  if (s->mask_rows_len < n)
    {
      g_free (s->mask_rows);
      s->mask_rows     = g_new (float, n);
      s->mask_rows_len = n;
    }
  gegl_buffer_get (s->mask_buffer, &part, 1.0, s->mask_format, s->mask_rows,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  return s->mask_rows;
}

void
hz_gimp_scene_read_foreground (HzGimpScene         *s,
                               const GeglRectangle *rect,
                               gboolean             linear,
                               float               *rgba)
{
  gsize i, n = (gsize) rect->width * rect->height;

  g_return_if_fail (s->scale == 1.0);

  if (linear)
    gegl_buffer_get (s->fg_buffer, rect, 1.0, babl_format_with_space ("RGBA float", s->rgba_format),
                     rgba, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  else
    get_rgba (s, s->fg_buffer, rect, rgba);
  if (s->mask_buffer)
    {
      const float *mask = get_mask (s, rect);

      for (i = 0; i < n; i++)
        rgba[4 * i + 3] *= mask[i];
    }
}

static gboolean
read_fg_buffer (gpointer   data,
                int        y,
                int        n_rows,
                float     *rgba,
                GError   **error G_GNUC_UNUSED)
{
  HzGimpScene *s = data;

  hz_gimp_scene_read_foreground (s, GEGL_RECTANGLE (0, y, s->scene.foreground.width, n_rows), FALSE, rgba);
  return TRUE;
}

/* The alpha of @rect of @buffer (stored as 8-bit or float, the alpha last,
 * as GIMP's formats put it) times @m where given, into @mask: read from the
 * tiles in place, without a copy of the rows (a float chunk's, 12 MB). */
static void
stored_alpha (GeglBuffer          *buffer,
              const GeglRectangle *rect,
              const float         *m,
              float               *mask)
{
  const Babl         *format   = gegl_buffer_get_format (buffer);
  int                 channels = babl_format_get_n_components (format);
  gboolean            u8       = babl_format_get_type (format, 0) == babl_type ("u8");
  GeglBufferIterator *it       = gegl_buffer_iterator_new (buffer, rect, 0, format,
                                                           GEGL_ACCESS_READ, GEGL_ABYSS_NONE, 1);

  while (gegl_buffer_iterator_next (it))
    {
      const GeglRectangle *roi = &it->items[0].roi;
      int                  x, y;

      for (y = 0; y < roi->height; y++)
        {
          gsize at = (gsize) (roi->y - rect->y + y) * rect->width + (roi->x - rect->x);
          gsize in = (gsize) y * roi->width * channels + channels - 1;

          for (x = 0; x < roi->width; x++, in += channels)
            mask[at + x] = (u8 ? hz_gimp_u8_value (((const guint8 *) it->items[0].data)[in])
                               : ((const float *) it->items[0].data)[in]) *
                           (m ? m[at + x] : 1.0f);
        }
    }
}

/* The foreground's mask alone (for the bounding box): an opaque layer's is
 * the mask drawable's values, an 8-bit or float layer's alpha is read as
 * stored. */
static gboolean
read_fg_mask (gpointer   data,
              int        y,
              int        n_rows,
              float     *mask,
              GError   **error G_GNUC_UNUSED)
{
  HzGimpScene   *s      = data;
  GeglRectangle  rect   = { 0, y, s->scene.foreground.width, n_rows };
  gsize          i, n   = (gsize) rect.width * n_rows;
  const Babl    *format = gegl_buffer_get_format (s->fg_buffer);
  const Babl    *type   = babl_format_get_type (format, 0);
  const float   *m      = s->mask_buffer ? get_mask (s, &rect) : NULL;

  if (! babl_format_has_alpha (format))
    {
      for (i = 0; i < n; i++)
        mask[i] = m ? m[i] : 1.0f;
    }
  else if (type == babl_type ("u8") || type == babl_type ("float"))
    {
      /* As stored: babl's "A float" from "RGBA float" takes 3 times as
       * long as a copy (bench-babl). */
      stored_alpha (s->fg_buffer, &rect, m, mask);
    }
  else   /* the alpha alone: babl converts no colours (their TRC) */
    {
      gegl_buffer_get (s->fg_buffer, &rect, 1.0, babl_format ("A float"), mask,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      if (m)
        for (i = 0; i < n; i++)
          mask[i] *= m[i];
    }
  return TRUE;
}

static gboolean
read_bg_buffer (gpointer   data,
                int        y,
                int        n_rows,
                float     *rgba,
                GError   **error G_GNUC_UNUSED)
{
  HzGimpScene *s = data;

  get_rgba (s, s->bg_buffer, GEGL_RECTANGLE (0, y, s->scene.background.width, n_rows), rgba);
  return TRUE;
}

static void
setup_full (HzGimpScene    *s,
            const Resolved *r)
{
  s->scale       = 1.0;
  s->rgba_format = babl_format_with_space ("R'G'B'A float",
                                           gimp_drawable_get_format (GIMP_DRAWABLE (r->fg)));
  s->fg_buffer   = gimp_drawable_get_buffer (GIMP_DRAWABLE (r->fg));
  s->bg_buffer   = gimp_drawable_get_buffer (GIMP_DRAWABLE (r->bg));
  if (r->mask)
    {
      int mx, my;

      gimp_drawable_get_offsets (r->mask, &mx, &my);
      s->mask_buffer = gimp_drawable_get_buffer (r->mask);
      s->mask_format = mask_float_format (gimp_drawable_get_format (r->mask));
      s->mask_dx     = r->fg_x - mx;
      s->mask_dy     = r->fg_y - my;
    }

  s->scene.foreground = (HzReader) { .width = r->fg_w, .height = r->fg_h,
                                     .read = read_fg_buffer, .user_data = s,
                                     .read_mask = read_fg_mask };
  s->scene.background = (HzReader) { .width = r->bg_w, .height = r->bg_h,
                                     .read = read_bg_buffer, .user_data = s };
  s->scene.fg_x       = r->fg_x - r->bg_x;
  s->scene.fg_y       = r->fg_y - r->bg_y;
}


/* ---- small scenes ----------------------------------------------------------- */

static int
scaled (int    v,
        double scale)
{
  return (int) floor (v * scale + 0.5);
}

/* Whether @from is @to in 8 bits (the same model and space, @to perhaps
 * with an alpha @from lacks): then its values are expanded by hand, not by
 * a babl fish, whose search costs a new plug-in process half a second (see
 * get_rgba). */
static gboolean
u8_of (const Babl *from,
       const Babl *to)
{
  const char *f = babl_get_name (babl_format_get_model (from));
  const char *t = babl_get_name (babl_format_get_model (to));
  gsize       n = strlen (f);

  return babl_format_get_type (from, 0) == babl_type ("u8") &&
         babl_format_get_space (from) == babl_format_get_space (to) &&
         strncmp (f, t, n) == 0 && (t[n] == '\0' || (t[n] == 'A' && t[n + 1] == '\0'));
}

/* GIMP's downscaled copy of @rect of @drawable, @width x @height pixels
 * converted to @format (4 or 1 floats a pixel). */
static float *
thumbnail (GimpDrawable        *drawable,
           const GeglRectangle *rect,
           int                  width,
           int                  height,
           const Babl          *format)
{
  const Babl *thumb_format = gimp_drawable_get_thumbnail_format (drawable);
  int         components   = babl_format_get_n_components (format);
  float      *pixels       = g_new0 (float, (gsize) width * height * components);
  GBytes     *bytes;
  int         tw = 0, th = 0, bpp = 0;

  bytes = gimp_drawable_get_sub_thumbnail_data (drawable,
                                                rect->x, rect->y,
                                                rect->width, rect->height,
                                                width, height, &tw, &th, &bpp);
  if (bytes && tw > 0 && th > 0 && bpp == babl_format_get_bytes_per_pixel (thumb_format))
    {
      const guint8 *data   = g_bytes_get_data (bytes, NULL);
      gboolean      expand = u8_of (thumb_format, format);
      gboolean      encode = linear_float_of (thumb_format, format);
      const Babl   *fish   = expand || encode ? NULL : babl_fish (thumb_format, format);
      guint8       *row    = g_new (guint8, (gsize) width * bpp);
      int           x, y, i, c;

      /* GIMP may round the size it returns: sample it nearest, a row at a
       * time (babl's per-call cost is that of many pixels). */
      for (y = 0; y < height; y++)
        {
          const guint8 *src = data + (gsize) (y * th / height) * tw * bpp;
          float        *out = pixels + (gsize) y * width * components;

          for (x = 0; x < width; x++)
            memcpy (row + (gsize) x * bpp, src + (gsize) (x * tw / width) * bpp, bpp);
          if (fish)
            babl_process (fish, row, out, width);
          else if (encode)
            hz_rgba_from_linear ((const float *) row, bpp / (int) sizeof (float), width, out);
          else
            for (i = 0; i < width; i++)
              for (c = 0; c < components; c++)
                out[i * components + c] = c < bpp ? row[i * bpp + c] / 255.0f : 1.0f;
        }
      g_free (row);
    }
  if (bytes)
    g_bytes_unref (bytes);
  return pixels;
}

static void
setup_small (HzGimpScene    *s,
             const Resolved *r,
             int             max_side)
{
  const Babl *rgba = babl_format ("R'G'B'A float");
  float      *fg;
  int         fw, fh, bw, bh;
  int         longest;

  longest  = MAX (MAX (r->fg_w, r->fg_h), MAX (r->bg_w, r->bg_h));
  max_side = MIN (max_side, 1024);   /* GIMP's thumbnails stop there */
  s->scale = MIN (1.0, (double) max_side / longest);

  fw = MAX (1, scaled (r->fg_w, s->scale));
  fh = MAX (1, scaled (r->fg_h, s->scale));
  bw = MAX (1, scaled (r->bg_w, s->scale));
  bh = MAX (1, scaled (r->bg_h, s->scale));

  fg = thumbnail (GIMP_DRAWABLE (r->fg), GEGL_RECTANGLE (0, 0, r->fg_w, r->fg_h),
                  fw, fh, rgba);
  s->fg_pixels = (HzPixels) { fg, fw, fh };
  s->bg_pixels = (HzPixels) { thumbnail (GIMP_DRAWABLE (r->bg),
                                         GEGL_RECTANGLE (0, 0, r->bg_w, r->bg_h),
                                         bw, bh, rgba), bw, bh };

  if (r->mask)
    {
      GeglRectangle part;
      int           mx, my, x0, y0, x1, y1, x, y;
      float        *mask;

      /* The part of the mask over the foreground, in mask coordinates,
       * and where it lands in the small foreground. */
      gimp_drawable_get_offsets (r->mask, &mx, &my);
      gegl_rectangle_intersect (&part,
                                GEGL_RECTANGLE (r->fg_x - mx, r->fg_y - my, r->fg_w, r->fg_h),
                                GEGL_RECTANGLE (0, 0,
                                                gimp_drawable_get_width (r->mask),
                                                gimp_drawable_get_height (r->mask)));
      x0 = scaled (part.x - (r->fg_x - mx), (double) fw / r->fg_w);
      y0 = scaled (part.y - (r->fg_y - my), (double) fh / r->fg_h);
      x1 = MAX (x0 + 1, scaled (part.x + part.width - (r->fg_x - mx), (double) fw / r->fg_w));
      y1 = MAX (y0 + 1, scaled (part.y + part.height - (r->fg_y - my), (double) fh / r->fg_h));
      x1 = MIN (x1, fw);
      y1 = MIN (y1, fh);

      mask = thumbnail (r->mask, &part, x1 - x0, y1 - y0,
                        mask_float_format (gimp_drawable_get_thumbnail_format (r->mask)));
      for (y = 0; y < fh; y++)
        for (x = 0; x < fw; x++)
          {
            float m = 0.0f;

            if (x >= x0 && x < x1 && y >= y0 && y < y1)
              m = mask[(gsize) (y - y0) * (x1 - x0) + (x - x0)];
            fg[((gsize) y * fw + x) * 4 + 3] *= m;
          }
      g_free (mask);
    }

  s->scene.foreground = hz_reader_from_pixels (&s->fg_pixels);
  s->scene.background = hz_reader_from_pixels (&s->bg_pixels);
  s->scene.fg_x       = scaled (r->fg_x - r->bg_x, s->scale);
  s->scene.fg_y       = scaled (r->fg_y - r->bg_y, s->scale);
}


/* ---- public ------------------------------------------------------------------ */

HzGimpScene *
hz_gimp_scene_new (GimpImage            *image,
                   GimpProcedureConfig  *config,
                   HzGimpBackground     *background,
                   int                   max_side,
                   GError              **error)
{
  HzGimpScene *s;
  Resolved     r = { 0 };
  int          bx, by, bw, bh;

  g_return_val_if_fail (GIMP_IS_IMAGE (image), NULL);
  g_return_val_if_fail (GIMP_IS_PROCEDURE_CONFIG (config), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  s = g_new0 (HzGimpScene, 1);
  if (! resolve (image, config, background, &r, error))
    {
      hz_gimp_scene_free (s);
      return NULL;
    }

  s->layer   = r.fg;
  s->canvas  = (GeglRectangle) { 0, 0,
                                 gimp_image_get_width (image),
                                 gimp_image_get_height (image) };
  s->bg_rect = (GeglRectangle) { r.bg_x, r.bg_y, r.bg_w, r.bg_h };
  if (max_side > 0)
    setup_small (s, &r, max_side);
  else
    setup_full (s, &r);

  g_object_get (config,
                "box-x", &bx, "box-y", &by, "box-width", &bw, "box-height", &bh,
                NULL);
  if (! hz_gimp_scene_place_box (s, bx, by, bw, bh, &s->scene, error))
    {
      hz_gimp_scene_free (s);
      return NULL;
    }
  return s;
}

gboolean
hz_gimp_scene_place_box (HzGimpScene  *scene,
                         int           x,
                         int           y,
                         int           width,
                         int           height,
                         HzScene      *target,
                         GError      **error)
{
  GeglRectangle box = { x, y, width, height };
  double        s   = scene->scale;
  int           x0, y0, x1, y1;

  target->has_box = width > 0 && height > 0;
  if (! target->has_box)
    return TRUE;

  if (! gegl_rectangle_intersect (&box, &box, &scene->canvas))
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                           _("The reference box lies outside the image."));
      return FALSE;
    }
  if (! gegl_rectangle_intersect (&box, &box, &scene->bg_rect))
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                           _("The reference box does not overlap the background."));
      return FALSE;
    }

  /* Background coordinates, scaled outwards so that a small box stays. */
  x0 = (int) floor ((box.x - scene->bg_rect.x) * s);
  y0 = (int) floor ((box.y - scene->bg_rect.y) * s);
  x1 = (int) ceil ((box.x + box.width - scene->bg_rect.x) * s);
  y1 = (int) ceil ((box.y + box.height - scene->bg_rect.y) * s);
  x0 = MIN (x0, target->background.width - 1);
  y0 = MIN (y0, target->background.height - 1);
  x1 = MIN (x1, target->background.width);
  y1 = MIN (y1, target->background.height);
  target->box = (HzRect) { x0, y0, MAX (1, x1 - x0), MAX (1, y1 - y0) };
  return TRUE;
}

const HzScene *
hz_gimp_scene_get (HzGimpScene *scene)
{
  return &scene->scene;
}

GimpLayer *
hz_gimp_scene_get_layer (HzGimpScene *scene)
{
  return scene->layer;
}

double
hz_gimp_scene_get_scale (HzGimpScene *scene)
{
  return scene->scale;
}

void
hz_gimp_scene_free (HzGimpScene *scene)
{
  if (! scene)
    return;

  g_clear_object (&scene->fg_buffer);
  g_clear_object (&scene->mask_buffer);
  g_clear_object (&scene->bg_buffer);
  g_free (scene->mask_rows);
  g_free (scene->bytes);
  g_free ((float *) scene->fg_pixels.rgba);
  g_free ((float *) scene->bg_pixels.rgba);
  g_free (scene);
}
