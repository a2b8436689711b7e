/* gimp-harmonize: the harmonized layer written into the user's image. */
#ifndef HZ_GIMP_RESULT_H
#define HZ_GIMP_RESULT_H

#include <libgimp/gimp.h>

#include "harmonize.h"
#include "hz-gimp-scene.h"

G_BEGIN_DECLS

/* Adds "<foreground> (harmonized)" directly above the full-resolution
 * @scene's foreground: its pixels mapped by @map at @strength, its alpha the
 * scene's mask (the foreground's alpha times the mask source), same size and
 * offsets, written at the image's precision where the mask is > 0 (the
 * rest is transparent). One undo step; on failure the image is left as it
 * was. @progress_start..1 is reported to GIMP's progress; the mapping runs
 * on @n_threads threads (0 = every core). */
GimpLayer *hz_gimp_result_insert (GimpImage        *image,
                                  HzGimpScene      *scene,
                                  const HzColorMap *map,
                                  double            strength,
                                  int               n_threads,
                                  double            progress_start,
                                  GError          **error);

G_END_DECLS

#endif
