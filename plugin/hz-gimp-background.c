/* gimp-harmonize: the background a scene is read against (see hz-gimp-background.h). */

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "harmonize.h"
#include "hz-gimp-background.h"

struct _HzGimpBackground
{
  GimpImage *image;
  int        fg_id;         /* the foreground "below" was made for; 0: none */
  GimpLayer *below;         /* its result: a layer of image or of below_image */
  GimpImage *below_image;   /* the duplicate holding the composite, or NULL */
};

HzGimpBackground *
hz_gimp_background_new (GimpImage *image)
{
  HzGimpBackground *background = g_new0 (HzGimpBackground, 1);

  background->image = image;
  return background;
}

static void
forget (HzGimpBackground *background)
{
  if (background->below_image)
    gimp_image_delete (background->below_image);
  background->below_image = NULL;
  background->below = NULL;
  background->fg_id = 0;
}

void
hz_gimp_background_free (HzGimpBackground *background)
{
  if (! background)
    return;
  forget (background);
  g_free (background);
}

/* The layer (in the list of @parent's children, or the image's top level)
 * at @position. */
static GimpLayer *
layer_at (GimpImage *image,
          GimpItem  *parent,
          int        position)
{
  GimpItem **items;
  GimpItem  *found = NULL;
  int        n;

  items = parent ? gimp_item_get_children (parent)
                 : (GimpItem **) gimp_image_get_layers (image);
  for (n = 0; items && items[n]; n++)
    if (n == position)
      found = items[n];
  g_free (items);
  return GIMP_LAYER (found);
}

/* The layer that alone makes the visible result below @fg, if there is one:
 * the only visible layer below a top-level foreground, covering the canvas,
 * plain, in Normal mode at full opacity. Spares compositing a copy. */
static GimpLayer *
sole_layer_below (GimpImage *image,
                  GimpLayer *fg)
{
  GimpLayer **layers;
  GimpLayer  *found = NULL;
  int         i, x, y, n_visible = 0;

  if (gimp_item_get_parent (GIMP_ITEM (fg)))
    return NULL;

  layers = gimp_image_get_layers (image);
  for (i = gimp_image_get_item_position (image, GIMP_ITEM (fg)) + 1; layers[i]; i++)
    if (gimp_item_get_visible (GIMP_ITEM (layers[i])))
      {
        found = layers[i];
        n_visible++;
      }
  g_free (layers);

  if (n_visible != 1 ||
      gimp_item_is_group (GIMP_ITEM (found)) ||
      gimp_layer_get_mode (found) != GIMP_LAYER_MODE_NORMAL ||
      gimp_layer_get_opacity (found) < 100.0 ||
      (gimp_layer_get_mask (found) && gimp_layer_get_apply_mask (found)))
    return NULL;

  gimp_drawable_get_offsets (GIMP_DRAWABLE (found), &x, &y);
  if (x != 0 || y != 0 ||
      gimp_drawable_get_width (GIMP_DRAWABLE (found)) != gimp_image_get_width (image) ||
      gimp_drawable_get_height (GIMP_DRAWABLE (found)) != gimp_image_get_height (image))
    return NULL;

  return found;
}

/* Removes @fg's copy in @dup, everything above it at each level, and every
 * channel (visible channels are drawn over the layers in the projection). */
static void
strip_to_below (GimpImage *image,
                GimpLayer *fg,
                GimpImage *dup)
{
  GArray       *path   = g_array_new (FALSE, FALSE, sizeof (int));
  GimpItem     *item;
  GimpLayer    *dup_fg = NULL;
  GimpChannel **channels;
  int           i;

  /* The foreground's position at each level, from the top level down. */
  for (item = GIMP_ITEM (fg); item; item = gimp_item_get_parent (item))
    {
      int position = gimp_image_get_item_position (image, item);

      g_array_prepend_val (path, position);
    }

  item = NULL;
  for (i = 0; i < (int) path->len; i++)
    {
      dup_fg = layer_at (dup, item, g_array_index (path, int, i));
      item = GIMP_ITEM (dup_fg);
    }
  g_array_free (path, TRUE);

  item = GIMP_ITEM (dup_fg);
  while (item)
    {
      GimpItem *parent   = gimp_item_get_parent (item);
      int       position = gimp_image_get_item_position (dup, item);

      for (i = 0; i < position; i++)
        gimp_image_remove_layer (dup, layer_at (dup, parent, 0));
      if (item == GIMP_ITEM (dup_fg))
        gimp_image_remove_layer (dup, dup_fg);
      item = parent;
    }

  channels = gimp_image_get_channels (dup);
  for (i = 0; channels && channels[i]; i++)
    gimp_image_remove_channel (dup, channels[i]);
  g_free (channels);
}

/* Makes a duplicate of the image without @fg and what is above it, and a
 * layer in it holding its projection: the visible result of the layers
 * below the foreground. */
static gboolean
make_composite (HzGimpBackground  *background,
                GimpLayer         *fg,
                GError           **error)
{
  GimpImage  *dup = gimp_image_duplicate (background->image);
  GimpLayer **top;
  gboolean    empty;

  if (! dup)
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_MEMORY,
                           _("Could not copy the image to composite the layers "
                             "below the foreground."));
      return FALSE;
    }
  gimp_image_undo_disable (dup);
  background->below_image = dup;
  strip_to_below (background->image, fg, dup);

  top = gimp_image_get_layers (dup);
  empty = ! top || ! top[0];
  g_free (top);
  if (empty)
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_INPUT,
                           _("There are no layers below the foreground; "
                             "choose a background layer."));
      return FALSE;
    }

  gimp_progress_pulse ();
  background->below = gimp_layer_new_from_visible (dup, dup, "below");
  if (background->below && gimp_image_insert_layer (dup, background->below, NULL, 0))
    return TRUE;
  if (background->below)
    gimp_item_delete (GIMP_ITEM (background->below));
  background->below = NULL;
  g_set_error_literal (error, HZ_ERROR, HZ_ERROR_MEMORY,
                       _("Could not composite the layers below the foreground."));
  return FALSE;
}

/* make_composite with GIMP's progress. */
static gboolean
composite_below (HzGimpBackground  *background,
                 GimpLayer         *fg,
                 GError           **error)
{
  gint64   start = g_get_monotonic_time ();
  gboolean made;

  gimp_progress_init (_("Compositing the layers below the foreground"));
  gimp_progress_pulse ();
  made = make_composite (background, fg, error);
  gimp_progress_end ();
  if (made)
    g_debug ("background: the layers below composited in %.0f ms",
             (g_get_monotonic_time () - start) / 1e3);
  return made;
}

GimpLayer *
hz_gimp_background_get (HzGimpBackground  *background,
                        GimpLayer         *fg,
                        GimpLayer         *chosen,
                        GError           **error)
{
  int fg_id = gimp_item_get_id (GIMP_ITEM (fg));

  if (chosen)
    return chosen;
  if (background->below && background->fg_id == fg_id)
    return background->below;

  forget (background);
  background->below = sole_layer_below (background->image, fg);
  if (! background->below && ! composite_below (background, fg, error))
    {
      forget (background);
      return NULL;
    }
  background->fg_id = fg_id;
  return background->below;
}
