/* gimp-harmonize: the harmonized layer written into the user's image. */
#ifndef HZ_GIMP_RESULT_H
#define HZ_GIMP_RESULT_H

#include <libgimp/gimp.h>

#include "harmonize.h"
#include "hz-gimp-scene.h"

G_BEGIN_DECLS

/* Seconds of the main thread in hz_gimp_result_insert's phases
 * (HARMONIZE_TIMING): reading the chunks' masks from GIMP, then their
 * pixels, waiting for the mapping thread, handing chunks to GIMP, and
 * flushing the last tiles. */
typedef struct
{
  double mask, pixels, mapping, write, flush;
} HzGimpResultTimes;

/* Adds "<foreground> (harmonized)" directly above the full-resolution
 * @scene's foreground: its pixels mapped by @map at @strength, its alpha the
 * scene's mask (the foreground's alpha times the mask source), same size and
 * offsets, written at the image's precision where the mask is > 0 (the
 * rest is transparent). One undo step; on failure the image is left as it
 * was. @progress_start..1 is reported to GIMP's progress; the mapping runs
 * on @n_threads threads (0 = every core). @times gets the phases'
 * seconds. */
GimpLayer *hz_gimp_result_insert (GimpImage        *image,
                                  HzGimpScene      *scene,
                                  const HzColorMap *map,
                                  double            strength,
                                  int               n_threads,
                                  double            progress_start,
                                  HzGimpResultTimes *times,
                                  GError          **error);

G_END_DECLS

#endif
