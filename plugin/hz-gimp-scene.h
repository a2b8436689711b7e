/* gimp-harmonize: an engine scene (HzScene) read from a GIMP image.
 *
 * Resolves the procedure's arguments (foreground, mask source, background
 * source, reference box) against the image and exposes the pixels through
 * the engine's row readers, in R'G'B'A float read through GEGL/babl. The
 * user's image is never modified.
 *
 * max_side > 0 builds a small scene for previews: foreground, mask and
 * background downscaled (by GIMP, from its thumbnails) so that neither the
 * foreground nor the background is longer than max_side (at most 1024),
 * offsets and box scaled to match. 0 = full resolution.
 */
#ifndef HZ_GIMP_SCENE_H
#define HZ_GIMP_SCENE_H

#include <libgimp/gimp.h>

#include "harmonize.h"
#include "hz-gimp-background.h"

G_BEGIN_DECLS

typedef struct _HzGimpScene HzGimpScene;

/* Ids of the procedure's "mask-source" and "background-source" choices
 * (gimp_procedure_config_get_choice_id); their nicks are in comments. */
typedef enum
{
  HZ_MASK_AUTO,         /* "auto": the layer mask if any, else the alpha if the
                           layer has transparency, else the selection if any,
                           else the whole layer */
  HZ_MASK_LAYER_MASK,   /* "layer-mask" */
  HZ_MASK_ALPHA,        /* "alpha" */
  HZ_MASK_SELECTION,    /* "selection" */
  HZ_MASK_CHANNEL       /* "channel": the "mask-channel" argument */
} HzMaskSource;

typedef enum
{
  HZ_BACKGROUND_BELOW,  /* "below": the visible result of the layers below */
  HZ_BACKGROUND_LAYER   /* "layer": the "background-layer" argument */
} HzBackgroundSource;

/* NULL with error set (a translated message for the user) when the
 * arguments do not make a valid scene: not an RGB image, foreground not a
 * layer of the image, empty mask, box outside the image…
 * Call it from the main thread (it makes libgimp calls). A foreground of
 * NULL in @config means the image's first selected layer. The background
 * comes from @background (of @image), which must outlive the scene. */
HzGimpScene   *hz_gimp_scene_new        (GimpImage           *image,
                                         GimpProcedureConfig *config,
                                         HzGimpBackground    *background,
                                         int                  max_side,
                                         GError             **error);
void           hz_gimp_scene_free       (HzGimpScene         *scene);

/* Valid as long as the HzGimpScene. The readers of a small scene
 * (max_side > 0) read memory only: any one thread at a time may call them
 * (the preview fits off the main loop). Full-resolution readers read the
 * drawables through libgimp: main thread only. A caller may copy the
 * HzScene and change its box (scene coordinates). */
const HzScene *hz_gimp_scene_get        (HzGimpScene         *scene);

/* @rect of a full-resolution scene's foreground (foreground coordinates,
 * inside it) as R'G'B'A float, or RGBA float (linear light) where @linear,
 * A the mask, as its reader gives it. Main thread only. */
void           hz_gimp_scene_read_foreground (HzGimpScene         *scene,
                                              const GeglRectangle *rect,
                                              gboolean             linear,
                                              float               *rgba);

/* The bytes a pixel of a full-resolution scene's foreground and its mask
 * drawable (where it has one) take as they are stored. */
int            hz_gimp_scene_stored_bytes_per_pixel (HzGimpScene *scene);

/* GEGL's tile cache raised (hz_gimp_hold_tiles) for a read of the whole of
 * a full-resolution scene (the fit on every pixel): a row of tiles of its
 * foreground, mask and background, which the engine reads in strips of
 * rows that end inside them. */
void           hz_gimp_scene_hold_tile_rows (HzGimpScene *scene);

/* An 8-bit value as the float the readers give for it (babl's). */
static inline float
hz_gimp_u8_value (guint8 v)
{
  return v / 255.0f;
}

/* Where a full-resolution scene's foreground is stored as 8-bit R'G'B'A or
 * R'G'B' of the image's space, its channels (4 or 3); else 0. Then
 * hz_gimp_scene_read_foreground_u8 gives @rect of it as stored, each row
 * at @rowstride bytes (colours as hz_gimp_u8_value expands them; the mask,
 * alpha included, is the reader's read_mask). Main thread only. */
int            hz_gimp_scene_foreground_u8      (HzGimpScene         *scene);
void           hz_gimp_scene_read_foreground_u8 (HzGimpScene         *scene,
                                                 const GeglRectangle *rect,
                                                 int                  rowstride,
                                                 guint8              *bytes);

/* The foreground layer the scene was built for, and the scale from image
 * to scene coordinates (1.0 at full resolution). */
GimpLayer     *hz_gimp_scene_get_layer  (HzGimpScene         *scene);
double         hz_gimp_scene_get_scale  (HzGimpScene         *scene);

/* Sets the box of @target (the scene's HzScene or a copy of it) from a box
 * in image coordinates as the "box-*" arguments give it (width or height 0:
 * the whole background), clipped to the image and the background and scaled.
 * FALSE with error set when the box misses them. */
gboolean       hz_gimp_scene_place_box  (HzGimpScene         *scene,
                                         int                  x,
                                         int                  y,
                                         int                  width,
                                         int                  height,
                                         HzScene             *target,
                                         GError             **error);

G_END_DECLS

#endif
