/* gimp-harmonize: the background a scene is read against, made once per
 * background choice.
 *
 * A chosen layer is itself; "below" is the visible result of the layers
 * below the foreground: the one layer that makes it when there is one, else
 * a composite made by GIMP in a duplicate of the image (with GIMP's
 * progress), kept while the foreground stays the same, so that the dialog's
 * previews and the final run share it. The user's image is
 * never modified. Main thread only (libgimp calls).
 */
#ifndef HZ_GIMP_BACKGROUND_H
#define HZ_GIMP_BACKGROUND_H

#include <libgimp/gimp.h>

G_BEGIN_DECLS

typedef struct _HzGimpBackground HzGimpBackground;

HzGimpBackground *hz_gimp_background_new  (GimpImage           *image);
void              hz_gimp_background_free (HzGimpBackground    *background);

/* The layer holding the background of @fg: @chosen when not NULL, else the
 * visible result of the layers below @fg. Valid until the next call or the
 * free. NULL with error set (a translated message) when nothing is below. */
GimpLayer        *hz_gimp_background_get  (HzGimpBackground    *background,
                                           GimpLayer           *fg,
                                           GimpLayer           *chosen,
                                           GError             **error);

G_END_DECLS

#endif
