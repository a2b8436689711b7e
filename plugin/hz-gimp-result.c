/* gimp-harmonize: the harmonized layer written into the user's image. */

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "hz-gimp-result.h"
#include "hz-gimp-tiles.h"

/* The columns [*x0, *x1) of @n rows of @w mask values between the first
 * and last value > 0 of any row; FALSE where there is none. */
static gboolean
chunk_span (const float *mask,
            int          w,
            int          n,
            int         *x0,
            int         *x1)
{
  int first = w, last = -1, r, x;

  for (r = 0; r < n; r++)
    {
      const float *row = mask + (gsize) r * w;

      for (x = 0; x < first; x++)
        if (row[x] > 0.0f)
          first = x;
      for (x = w - 1; x > last; x--)
        if (row[x] > 0.0f)
          last = x;
    }
  *x0 = first;
  *x1 = last + 1;
  return last >= first;
}

/* A chunk's buffers, and the thread that maps chunks while the main thread
 * talks to GIMP (libgimp's calls stay on it): chunks come in order, each
 * goes back once mapped; one of 0 rows ends. A chunk's rows are taken one
 * at a time (next_row) by the mapper's threads and by the main thread
 * while it waits for the chunk. A chunk of an 8-bit layer holds its pixels
 * as stored (rgba NULL), mapped a row at a time through a thread's float
 * row (Mapper.rows), its alpha the mask's values; other layers' chunks
 * hold their floats (bytes NULL), read with the mask in their alpha. */
typedef struct
{
  GeglRectangle rect;
  float        *rgba;
  guint8       *bytes;      /* 4 bytes a pixel; read as stored, channels of them */
  const float  *mask;       /* the foreground's width a row, from x 0 */
  gint          next_row;
} Chunk;

typedef struct
{
  const HzColorMap *map;
  double            strength;
  gboolean          linear;  /* RGBA float, not R'G'B'A float */
  int               channels;   /* of an 8-bit foreground as stored */
  int               width;      /* the foreground's: a mask row's, and at most a chunk's */
  int               n_threads;
  float            *rows;       /* one float row a slot and one for the main thread */
  GAsyncQueue      *todo, *done;
} Mapper;

/* @width pixels of @row mapped where they show (alpha > 0, in runs). */
static void
map_runs (const Mapper *mp,
          float        *row,
          int           width)
{
  int i, j;

  for (i = 0; i < width; i = j + 1)
    {
      for (j = i; j < width && row[4 * j + 3] > 0.0f; j++)
        ;
      if (j > i)
        (mp->linear ? hz_colormap_apply_linear : hz_colormap_apply) (mp->map, mp->strength,
                                                                     row + 4 * i, j - i, 1);
    }
}

/* Row r of a chunk mapped; an 8-bit one expanded into @scratch first, then
 * rounded back to 8 bits as babl rounds. */
static void
map_row (const Mapper *mp,
         Chunk        *k,
         int           r,
         float        *scratch)
{
  int           width = k->rect.width, i, c;
  guint8       *bytes;
  const float  *mask;

  if (k->rgba)
    {
      map_runs (mp, k->rgba + (gsize) width * 4 * r, width);
      return;
    }
  bytes = k->bytes + (gsize) width * 4 * r;
  mask  = k->mask + (gsize) mp->width * r + k->rect.x;
  for (i = 0; i < width; i++)
    {
      for (c = 0; c < 3; c++)
        scratch[4 * i + c] = hz_gimp_u8_value (bytes[mp->channels * i + c]);
      scratch[4 * i + 3] = mask[i];
    }
  map_runs (mp, scratch, width);
  for (i = 0; i < width * 4; i++)
    {
      float v = scratch[i];

      bytes[i] = (guint8) ((v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f) * 255.0f + 0.5f);
    }
}

/* The rows of the chunk that no thread has taken yet. */
static void
map_rows (const Mapper *mp,
          Chunk        *k,
          int           slot)
{
  float *scratch = mp->rows + (gsize) slot * mp->width * 4;
  int    r;

  while ((r = g_atomic_int_add (&k->next_row, 1)) < k->rect.height)
    map_row (mp, k, r, scratch);
}

typedef struct
{
  const Mapper *mp;
  Chunk        *k;
} Helper;

static void
map_rows_task (int      i G_GNUC_UNUSED,
               int      slot,
               gpointer data)
{
  const Helper *h = data;

  map_rows (h->mp, h->k, slot);
}

static gpointer
mapper_thread (gpointer data)
{
  Mapper *mp = data;
  Chunk  *k;

  while ((k = g_async_queue_pop (mp->todo))->rect.height > 0)
    {
      Helper h = { mp, k };

      hz_parallel_for (mp->n_threads, mp->n_threads, map_rows_task, &h);
      g_async_queue_push (mp->done, k);   /* every row taken, and those of the pool done */
    }
  return NULL;
}

/* The next mapped chunk, the main thread mapping @pending's rows that are
 * left rather than waiting (the protocol idles meanwhile). */
static Chunk *
mapped_chunk (Mapper *mp,
              Chunk  *pending)
{
  map_rows (mp, pending, mp->n_threads);
  return g_async_queue_pop (mp->done);
}

/* A mapped chunk into the layer's buffer, its bytes or floats in @format. */
static void
write_chunk (GeglBuffer  *buffer,
             const Chunk *k,
             const Babl  *format)
{
  gegl_buffer_set (buffer, &k->rect, 0, format, k->bytes ? (gpointer) k->bytes : k->rgba,
                   GEGL_AUTO_ROWSTRIDE);
}

/* Fills @layer (not yet in the image's layer tree) a chunk of whole tile
 * rows at a time: the chunk's mask first, then, between its first and last
 * shown column (to whole tiles), the foreground's pixels (from the tiles the
 * mask brought, for a layer's alpha), mapped (on the mapper, beside the
 * reading of the next chunk, and by this thread once it has read it) and
 * written; the rest stays as a new layer is,
 * transparent. One pass over the foreground: no separate one for the mask's
 * bounding box. */
static gboolean
write_pixels (GimpLayer        *layer,
              HzGimpScene      *scene,
              const HzColorMap *map,
              double            strength,
              int               n_threads,
              double            progress_start,
              HzGimpResultTimes *t,
              GError          **error)
{
  const HzReader *fg      = &hz_gimp_scene_get (scene)->foreground;
  GeglBuffer     *buffer  = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
  const Babl     *stored  = gimp_drawable_get_format (GIMP_DRAWABLE (layer));
  /* An 8-bit layer is read and written as it is stored: see u8_channels
   * in hz-gimp-scene.c on babl's conversions in a new plug-in process. */
  int             channels = babl_format_with_space ("R'G'B'A u8", stored) == stored
                             ? hz_gimp_scene_foreground_u8 (scene) : 0;
  /* A linear float layer's floats are read and written as stored (copies,
   * where babl's conversions to R'G'B' and back take 2.5 times as long,
   * bench-babl), the mapping converting only what it needs. */
  gboolean        linear  = babl_format_with_space ("RGBA float", stored) == stored;
  const Babl     *format  = linear || channels ? stored
                                               : babl_format_with_space ("R'G'B'A float", stored);
  /* A chunk is a row of the tiles libgimp moves (128 x 128 in GIMP 3.0),
   * its columns whole tiles too: GEGL then writes each tile whole and does
   * not first fetch it from GIMP, as it did for each tile of 64-row chunks
   * (strace: 3,069 tiles fetched for 1,504 read, float 6000x4000). */
  int             tw      = hz_gimp_tile_width ();
  int             th      = hz_gimp_tile_height ();
  gsize           pixels  = (gsize) fg->width * th;
  float          *masks[2];
  Chunk           chunks[2], end = { { 0, 0, 0, 0 }, NULL, NULL, NULL, 0 }, *pending = NULL;
  /* The mapping leaves a core to the tile protocol, whose two sides (this
   * thread and GIMP) take turns: with every core mapping, each tile's
   * round trip waited for the scheduler (with mapped_chunk's help, float
   * 6000x4000 foreground on 2 cores: writing 0.50-0.97 -> 0.26-0.44 s,
   * bench-6000x4000.sh's HZ_BENCH_AGAINST; README's Speed section). */
  Mapper          mp      = { map, strength, linear, channels, fg->width, MAX (1, n_threads - 1),
                              NULL, g_async_queue_new (), g_async_queue_new () };
  GThread        *mapper;
  gboolean        ok;
  int             y, i, next = 0;
  gint64          clock   = g_get_monotonic_time ();

  /* GEGL's tile cache holds the row of tiles the pass reads (the
   * foreground's and its mask's) and the row it writes: with less, tiles
   * come twice from GIMP (16 MB, float 6000x4000: 1,645 fetched for 1,504,
   * strace); more only faults in pages (README's Speed section). */
  hz_gimp_hold_tiles (pixels * (hz_gimp_scene_stored_bytes_per_pixel (scene) +
                                babl_format_get_bytes_per_pixel (stored)));

  /* An 8-bit chunk's mask is its alpha, kept until it is mapped: one a chunk. */
  masks[0] = g_try_new (float, pixels);
  masks[1] = channels ? g_try_new (float, pixels) : masks[0];
  mp.rows  = channels ? g_try_new (float, (gsize) (mp.n_threads + 1) * fg->width * 4) : NULL;
  ok = masks[0] && masks[1] && (mp.rows || ! channels);
  for (i = 0; i < 2; i++)
    {
      chunks[i].rgba  = channels ? NULL : g_try_new (float, pixels * 4);
      chunks[i].bytes = channels ? g_try_new (guint8, pixels * 4) : NULL;
      chunks[i].mask  = masks[i];
      ok = ok && (chunks[i].rgba || chunks[i].bytes);
    }
  if (! ok)
    g_set_error_literal (error, HZ_ERROR, HZ_ERROR_MEMORY,
                         _("Not enough memory to write the harmonized layer."));
  mapper = g_thread_new ("hz-map", mapper_thread, &mp);

  for (y = 0; ok && y < fg->height; y += th)
    {
      int n = MIN (th, fg->height - y), x0, x1;

      ok = fg->read_mask (fg->user_data, y, n, masks[next], error);
      t->mask += hz_lap (&clock);
      if (ok && chunk_span (masks[next], fg->width, n, &x0, &x1))
        {
          Chunk *k = &chunks[next];

          next = 1 - next;
          k->rect = (GeglRectangle) { x0 / tw * tw, y, 0, n };
          k->rect.width = MIN (fg->width, (x1 + tw - 1) / tw * tw) - k->rect.x;
          k->next_row = 0;
          if (channels)
            hz_gimp_scene_read_foreground_u8 (scene, &k->rect, k->rect.width * 4, k->bytes);
          else
            hz_gimp_scene_read_foreground (scene, &k->rect, linear, k->rgba);
          t->pixels += hz_lap (&clock);
          g_async_queue_push (mp.todo, k);
          if (pending)
            {
              Chunk *done = mapped_chunk (&mp, pending);

              t->mapping += hz_lap (&clock);
              write_chunk (buffer, done, format);
              t->write += hz_lap (&clock);
            }
          pending = k;
        }
      gimp_progress_update (progress_start + (1.0 - progress_start) * (y + n) / fg->height);
    }
  if (pending)
    {
      Chunk *done = mapped_chunk (&mp, pending);

      t->mapping += hz_lap (&clock);
      if (ok)
        write_chunk (buffer, done, format);
      t->write += hz_lap (&clock);
    }
  g_async_queue_push (mp.todo, &end);
  g_thread_join (mapper);

  for (i = 0; i < 2; i++)
    {
      g_free (chunks[i].rgba);
      g_free (chunks[i].bytes);
    }
  if (masks[1] != masks[0])
    g_free (masks[1]);
  g_free (masks[0]);
  g_free (mp.rows);
  g_async_queue_unref (mp.todo);
  g_async_queue_unref (mp.done);
  g_object_unref (buffer);   /* flushes the tiles to GIMP */
  t->flush += hz_lap (&clock);
  return ok;
}

GimpLayer *
hz_gimp_result_insert (GimpImage        *image,
                       HzGimpScene      *scene,
                       const HzColorMap *map,
                       double            strength,
                       int               n_threads,
                       double            progress_start,
                       HzGimpResultTimes *times,
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
  *times = (HzGimpResultTimes) { 0 };
  if (! write_pixels (layer, scene, map, strength, n_threads, progress_start, times, error))
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
