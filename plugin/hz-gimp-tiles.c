/* gimp-harmonize: libgimp's tiles and GEGL's cache of them (see hz-gimp-tiles.h). */

#include <libgimp/gimp.h>

#include "hz-gimp-tiles.h"

int
hz_gimp_tile_width (void)
{
  return CLAMP (gimp_tile_width (), 16, 1024);
}

int
hz_gimp_tile_height (void)
{
  return CLAMP (gimp_tile_height (), 16, 1024);
}

void
hz_gimp_hold_tiles (gsize bytes)
{
  guint64 cache = 0;

  bytes = bytes / 4 * 5;
  g_object_get (gegl_config (), "tile-cache-size", &cache, NULL);
  if (bytes > cache)
    g_object_set (gegl_config (), "tile-cache-size", (guint64) bytes, NULL);
}
