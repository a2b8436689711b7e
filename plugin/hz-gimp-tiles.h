/* gimp-harmonize: libgimp's tiles and GEGL's cache of them in the plug-in.
 *
 * libgimp moves a drawable's pixels between GIMP and the plug-in a tile at
 * a time; GEGL keeps the tiles a plug-in's buffers have fetched or written
 * in a cache, and a tile evicted before its pass is done with it comes from
 * GIMP again. */
#ifndef HZ_GIMP_TILES_H
#define HZ_GIMP_TILES_H

#include <glib.h>

/* libgimp's tiles (128 x 128 in GIMP 3.0), bounded. */
int  hz_gimp_tile_width  (void);
int  hz_gimp_tile_height (void);

/* Raises GEGL's tile cache (never lowers it) to @bytes and a quarter more,
 * for a pass that reads or writes @bytes of tiles at a time (rows of them):
 * with less, tiles come from GIMP twice. */
void hz_gimp_hold_tiles  (gsize bytes);

#endif
