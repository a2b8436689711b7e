/* gimp-harmonize: the dialog's live preview, computed off the main loop.
 *
 * An HzPreviewScene is a small in-memory copy of a scene (foreground with
 * its mask, background), read once on the main thread, so the preview
 * thread never touches libgimp. An HzPreview owns one worker thread, which
 * loads the model and keeps one HzContext: hz_preview_request() hands it the
 * newest arguments (cancelling a computation in progress), and the results
 * come back on the main loop as "before" and "after" composites.
 */
#ifndef HZ_PREVIEW_H
#define HZ_PREVIEW_H

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "harmonize.h"

G_BEGIN_DECLS

typedef struct _HzPreviewScene HzPreviewScene;

/* Reads every row of the scene's foreground and background (keep them
 * small: this runs on the caller's thread). The box is not kept. */
HzPreviewScene *hz_preview_scene_new         (const HzScene  *scene,
                                              GError        **error);
HzPreviewScene *hz_preview_scene_ref         (HzPreviewScene *scene);
void            hz_preview_scene_unref       (HzPreviewScene *scene);

/* The background as a picture, for the box editor. */
GdkPixbuf      *hz_preview_scene_background  (HzPreviewScene *scene);

typedef struct
{
  HzPreviewScene *scene;
  gboolean        has_box;        /* FALSE = the whole background */
  HzRect          box;            /* the scene's background coordinates */
  double          strength;
  int             working_size;
} HzPreviewArgs;

/* Requests at a working size above this get a quick result at this size
 * first (a few times faster), then the real one. */
#define HZ_PREVIEW_QUICK_SIZE 128

typedef struct
{
  guint         serial;         /* what hz_preview_request() returned */
  gboolean      final;          /* the last result for this request */
  int           working_size;   /* the one this result was fitted at */
  GdkPixbuf    *before;         /* background and foreground composites; */
  GdkPixbuf    *after;          /* NULL when error is set */
  GError       *error;
  double        seconds;        /* the worker's time for this result */
} HzPreviewResult;

/* Called on the main loop with each result; result is only valid during
 * the call. */
typedef void (*HzPreviewReady) (const HzPreviewResult *result,
                                gpointer               user_data);

typedef struct _HzPreview HzPreview;

/* Starts the worker, which loads the model from weights_path and fits on
 * n_threads threads (0 = every core; the quick pass runs on one). */
HzPreview *hz_preview_new     (const char          *weights_path,
                               int                  n_threads,
                               HzPreviewReady       ready,
                               gpointer             user_data);
/* Replaces any request not started yet and cancels the one running (whose
 * results are then dropped); returns a serial number (counting from 1). */
guint      hz_preview_request (HzPreview           *preview,
                               const HzPreviewArgs *args);
/* Cancels, waits for the worker to stop, and drops results not delivered. */
void       hz_preview_free    (HzPreview           *preview);

G_END_DECLS

#endif
