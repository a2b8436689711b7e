/* gimp-harmonize engine: public API (GIMP-free).
 *
 * Usage: call hz_init from the main thread before starting threads, load a
 * model once (hz_model_load), make one HzContext per thread,
 * fit a colour mapping for a scene (hz_fit_scene), then apply it to the
 * foreground at full resolution row by row (hz_colormap_apply).
 *
 * Colours crossing this API are non-linear sRGB-encoded R'G'B' floats in
 * [0, 1]; the engine converts to linear light where its maths needs it.
 */
#ifndef HARMONIZE_H
#define HARMONIZE_H

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define HZ_ERROR (hz_error_quark ())
GQuark hz_error_quark (void);

typedef enum
{
  HZ_ERROR_WEIGHTS,     /* missing, corrupt, wrong version or mismatched weights file */
  HZ_ERROR_INPUT,       /* bad input: empty mask, box outside the image, size mismatch… */
  HZ_ERROR_CANCELLED,   /* the progress callback or the GCancellable asked to stop */
  HZ_ERROR_MEMORY,      /* an allocation failed */
  HZ_ERROR_IO           /* a reader callback failed (it sets its own message) */
} HzErrorCode;

#define HZ_WORKING_SIZE_MIN     64
#define HZ_WORKING_SIZE_DEFAULT 256   /* for weights files that name none */
#define HZ_WORKING_SIZE_MAX     1024

/* ---- set-up ---------------------------------------------------------------- */

/* Prepares the engine once per process: BLIS's choice of kernels (which
 * briefly changes the environment, see hz-blis.c) and the engine's
 * translations (gettext domain "gimp-harmonize-engine", in the installed
 * locale folder or in the one HARMONIZE_LOCALEDIR names). Call it from the
 * main thread before any other thread of the program starts; hz_model_load
 * calls it, which is enough for a program that loads its model before it
 * starts threads. Until it has run, the engine works with BLIS's own
 * (possibly much slower) kernel choice. */
void        hz_init                   (void);

/* ---- threads ------------------------------------------------------------------ */

/* Calls fn (i, slot, data) for every i in [0, n), on up to n_threads
 * threads (0: every core) of which the calling thread is one;
 * slot, under MIN (n_threads, n), tells one thread's calls from the
 * others' (for per-thread scratch). The other threads, a pool kept for the
 * process, take the next i as each comes free, and none is waited for that
 * has not taken one: a thread that the system keeps off the cores delays
 * nothing (an OpenMP team waits for every thread at the end of a region,
 * which on a busy machine costs a time slice per layer). With one thread,
 * or while another call runs on the pool, the calling thread does all. */
typedef void (*HzParallelFunc) (int      i,
                                int      slot,
                                gpointer data);

void        hz_parallel_for     (int            n,
                                 int            n_threads,
                                 HzParallelFunc fn,
                                 gpointer       data);

/* ---- model ---------------------------------------------------------------- */

/* Immutable once loaded: one model may serve any number of threads. */
typedef struct _HzModel HzModel;

HzModel    *hz_model_load             (const char   *path,
                                       GError      **error);
void        hz_model_free             (HzModel      *model);
/* The working size the weights were made for (their file's 'working_size',
 * else HZ_WORKING_SIZE_DEFAULT): what HzOptions' working_size 0 means. */
int         hz_model_working_size     (const HzModel *model);
/* Where the installed weights live (the build's datadir), for callers that
 * have no path of their own. HARMONIZE_WEIGHTS in the environment overrides. */
const char *hz_default_weights_path   (void);

/* ---- options ---------------------------------------------------------------- */

/* Return FALSE to cancel. fraction in [0, 1]. */
typedef gboolean (*HzProgressFunc) (double fraction, gpointer user_data);

typedef struct
{
  int             working_size;   /* long side of the network's input, 64..1024;
                                     0 (the default) = the model's own */
  double          strength;       /* 0 = original foreground, 1 = fully harmonized */
  int             n_threads;      /* threads of every parallel part; 0 = every core */
  HzProgressFunc  progress;       /* may be NULL */
  gpointer        progress_data;
  GCancellable   *cancellable;    /* may be NULL */
} HzOptions;

void hz_options_init (HzOptions *options);

/* ---- scenes ------------------------------------------------------------------ */

typedef struct
{
  int x, y, width, height;
} HzRect;

/* Fills rows [y, y + n_rows) of an image, width * n_rows pixels, 4 floats each:
 * R'G'B' in [0, 1] and A. For a foreground A is its mask (soft, 0..1); for a
 * background A is ignored. Return FALSE with error set on failure. */
typedef gboolean (*HzReadRows) (gpointer   user_data,
                                int        y,
                                int        n_rows,
                                float     *rgba,
                                GError   **error);

/* The columns [first, last] of an image row between its first and last
 * A > 0 (last < first: none). */
typedef struct
{
  int first, last;
} HzRowSpan;

typedef struct
{
  int         width, height;
  HzReadRows  read;
  gpointer    user_data;
  /* Optional, for a foreground whose colours cost more to read than its
   * mask: rows of A alone, width floats a row (the mask's bounding box is
   * found from them). NULL: A is taken from read. */
  HzReadRows  read_mask;
  /* Optional, for a foreground whose caller knows them: height spans, row
   * y's at mask_spans[y] (columns outside the row are ignored); the mask's
   * bounding box is then found from them, without a pass over the mask.
   * NULL: found by reading. */
  const HzRowSpan *mask_spans;
} HzReader;

/* An R'G'B'A float image in memory, 4 floats a pixel, rows packed. */
typedef struct
{
  const float *rgba;
  int          width, height;
} HzPixels;

/* A reader of @pixels, which must outlive it. Readers of pixels that do not
 * change may be used by any number of threads at once. */
HzReader hz_reader_from_pixels (const HzPixels *pixels);

typedef struct
{
  HzReader  foreground;      /* its A is the mask */
  int       fg_x, fg_y;      /* the foreground's offset in background coordinates (may be negative) */
  HzReader  background;
  gboolean  has_box;         /* reference region; FALSE = the whole background */
  HzRect    box;             /* background coordinates */
} HzScene;

/* ---- colour mapping ------------------------------------------------------------ */

#define HZ_COLORMAP_TERMS 17

/* A 17-term polynomial in linear RGB (Cheung 2004 expansion, as the SSH
 * release uses through colour-science): out_c = sum_k coef[c][k] * term_k(rgb). */
typedef struct
{
  float coef[3][HZ_COLORMAP_TERMS];
} HzColorMap;

void hz_colormap_identity (HzColorMap *map);

/* In place on n_pixels RGBA pixels (R'G'B' in [0, 1]; A untouched): the
 * harmonized colour blended with the original by strength, clipped to [0, 1].
 * On n_threads threads at most (0 = every core). */
void hz_colormap_apply    (const HzColorMap *map,
                           double            strength,
                           float            *rgba,
                           gsize             n_pixels,
                           int               n_threads);

/* The same on linear-light RGB in [0, 1], in and out (the strength still
 * blends the encoded colours): for a linear float image, which would
 * otherwise be converted to R'G'B' and back around the apply. */
void hz_colormap_apply_linear (const HzColorMap *map,
                               double            strength,
                               float            *rgba,
                               gsize             n_pixels,
                               int               n_threads);

/* n_pixels linear-light pixels of channels floats (3: RGB, 4: RGBA) to
 * R'G'B'A in out: the colours clamped to [0, 1] and encoded by the fast sRGB
 * encoding the apply uses (within 1e-4 of the exact one), alpha copied (1
 * where there is none): for a linear float image's pixels, where babl's
 * conversion costs a new plug-in process tens of nanoseconds a pixel. */
void hz_rgba_from_linear (const float *in,
                          int          channels,
                          gsize        n_pixels,
                          float       *out);

/* ---- running ------------------------------------------------------------------- */

/* Per-thread working state: buffers are allocated once per working size and
 * reused by later runs (a live preview runs many times). */
typedef struct _HzContext HzContext;

HzContext *hz_context_new  (const HzModel *model);
const HzModel *hz_context_model (const HzContext *ctx);
void       hz_context_free (HzContext     *ctx);

/* Reads the scene at working size (the foreground's mask bounding box with a
 * margin as content, the margin filled from the foreground by pull-push;
 * the background inside the box less the foreground, filled the same way,
 * as reference), runs the network and fits the colour mapping between the
 * content before and after it, weighted by the mask. */
gboolean   hz_fit_scene    (HzContext        *ctx,
                            const HzScene    *scene,
                            const HzOptions  *options,
                            HzColorMap       *map,
                            GError          **error);

/* What went into and came out of the network in the last successful
 * hz_fit_scene: planar 3 x height x width, [-1, 1] as the network sees it
 * (the output as it gave it, unclipped). NULL (and 0 x 0) before the first
 * run or after a failed one. Owned by ctx, valid until its next run; for
 * checking the engine against the reference implementation. */
const float *hz_context_network_content   (const HzContext *ctx,
                                           int             *width,
                                           int             *height);
const float *hz_context_network_reference (const HzContext *ctx,
                                           int             *width,
                                           int             *height);
const float *hz_context_network_output    (const HzContext *ctx,
                                           int             *width,
                                           int             *height);

/* The part of the scene's foreground the last successful hz_fit_scene read
 * its content from (the mask's bounding box with its margin, in foreground
 * pixels), 0 x 0 before the first run or after a failed one: how many of
 * the scene's pixels went into each of the content's, for a caller that
 * fitted on a downscaled copy and wants to know whether it had enough. */
HzRect hz_context_content_region (const HzContext *ctx);

/* Wall-clock seconds of the phases of the last successful hz_fit_scene (all
 * zero before one): reading the scene at working size, the network, the
 * colour fit. For HARMONIZE_TIMING and --timing reports. */
typedef struct
{
  double read, network, fit;
} HzTimings;

void hz_context_timings (const HzContext *ctx,
                         HzTimings       *timings);

/* Seconds since *since, which becomes now (the phases' timings). */
double hz_lap (gint64 *since);

G_END_DECLS

#endif
