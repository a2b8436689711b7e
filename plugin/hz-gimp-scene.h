/* gimp-harmonize: an engine scene (HzScene) read from a GIMP image.
 *
 * Resolves the procedure's arguments (foreground, mask source, background
 * source, reference box) against the image and exposes the pixels through
 * the engine's row readers, in R'G'B'A float read through GEGL/babl. The
 * user's image is never modified.
 *
 * max_side > 0 builds a small scene for previews: foreground, mask and
 * background downscaled so that the background's long side is at most
 * max_side, offsets and box scaled to match. 0 = full resolution.
 */
#ifndef HZ_GIMP_SCENE_H
#define HZ_GIMP_SCENE_H

#include <libgimp/gimp.h>

#include "harmonize.h"

G_BEGIN_DECLS

typedef struct _HzGimpScene HzGimpScene;

/* NULL with error set (GIMP_PLUG_IN_ERROR-style message suitable for the
 * user) when the arguments do not make a valid scene: not an RGB image,
 * foreground not a layer of the image, empty mask, box outside the image… */
HzGimpScene   *hz_gimp_scene_new        (GimpImage           *image,
                                         GimpProcedureConfig *config,
                                         int                  max_side,
                                         GError             **error);
void           hz_gimp_scene_free       (HzGimpScene         *scene);

/* Valid as long as the HzGimpScene; the readers may be called from any one
 * thread at a time (the preview fits off the main loop). */
const HzScene *hz_gimp_scene_get        (HzGimpScene         *scene);

/* The foreground layer the scene was built for, and the scale from image
 * to scene coordinates (1.0 at full resolution). */
GimpLayer     *hz_gimp_scene_get_layer  (HzGimpScene         *scene);
double         hz_gimp_scene_get_scale  (HzGimpScene         *scene);

G_END_DECLS

#endif
