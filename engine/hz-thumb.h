/* Working-size thumbnails: a streaming weighted area resampler, pull-push hole
 * filling, and reading a scene into the network's two inputs. */
#ifndef HZ_THUMB_H
#define HZ_THUMB_H

#include "harmonize.h"

/* The shortest side a thumbnail gets (the network's style encoder and
 * reflection padding need a few pixels; thinner regions are stretched). */
#define HZ_THUMB_MIN_SIDE 16

/* The size of a w x h region scaled so that its long side is long_side,
 * aspect kept (short side at least HZ_THUMB_MIN_SIDE, at most long_side). */
void hz_thumb_size (int  w,
                    int  h,
                    int  long_side,
                    int *thumb_w,
                    int *thumb_h);

/* Streaming area resampling of src_w x src_h to dst_w x dst_h (down or up):
 * every destination pixel is the weighted mean of the source area it covers,
 * each source pixel weighted by its overlap times its own weight. Source rows
 * come in any order, each at most once for each destination column; calls
 * for disjoint ranges of destination columns may run at once on different
 * threads. Buffers are kept for reuse. */
typedef struct
{
  int     src_w, src_h, dst_w, dst_h, channels;
  double  sx, sy;
  /* private */
  int    *col_start, *col_count, *col_first;   /* one block: start, count, first */
  float  *col_weight;
  float  *acc, *wacc;
  float  *row;
  gsize   cap_cols, cap_weights, cap_acc, cap_row;
} HzResampler;

/* channels: 1 to 4. */
gboolean hz_resampler_init     (HzResampler  *rs,
                                int           src_w,
                                int           src_h,
                                int           dst_w,
                                int           dst_h,
                                int           channels,
                                GError      **error);
/* The source columns [*x0, *x1) that destination columns [i0, i1) cover
 * (0 <= i0 < i1 <= dst_w). */
void     hz_resampler_source_columns (const HzResampler *rs,
                                      int                i0,
                                      int                i1,
                                      int               *x0,
                                      int               *x1);
/* Source row y into destination columns [i0, i1). pixels: the row from
 * source column 0, channel c of pixel x at pixels[x * pixel_stride + c]
 * (only the columns that [i0, i1) cover are read); weight: NULL (all 1) or
 * the row's weights at weight[x * weight_stride]. */
void     hz_resampler_add_columns (HzResampler  *rs,
                                   int           y,
                                   int           i0,
                                   int           i1,
                                   const float  *pixels,
                                   int           pixel_stride,
                                   const float  *weight,
                                   int           weight_stride);
/* out: planar channels x dst_h x dst_w (0 where nothing was added);
 * coverage (may be NULL): dst_h x dst_w, the added weight over the pixel's
 * area, in [0, 1]. FALSE when no weight at all was added. */
gboolean hz_resampler_finish   (HzResampler  *rs,
                                float        *out,
                                float        *coverage);
void     hz_resampler_clear    (HzResampler  *rs);

/* Pull-push interpolation (Gortler et al. 1996): every pixel becomes
 * coverage * itself + (1 - coverage) * the coarser levels' estimate from its
 * surroundings, so fully covered pixels keep their value and holes are filled
 * smoothly. planar: channels x h x w, changed in place. FALSE (nothing
 * changed) when the coverage is zero everywhere. */
gboolean hz_fill_holes         (float        *planar,
                                const float  *coverage,
                                int           channels,
                                int           w,
                                int           h);

/* The network's inputs for one scene, R'G'B' in [0, 1]; buffers are kept
 * for reuse by later reads. */
typedef struct
{
  int     content_w, content_h;
  float  *content;        /* planar 3 x content_h x content_w: fg over bg, pulled-pushed
                             outside the mask (the mask as coverage) */
  float  *mask;           /* content_h x content_w, the soft mask */
  int     reference_w, reference_h;
  float  *reference;      /* planar 3 x reference_h x reference_w, fg excluded */
  HzRect  region;         /* the content region (the mask's bounding box and a margin),
                             foreground coordinates */
  HzRect  box;            /* the reference box, clipped, background coordinates */
  /* private */
  HzResampler  content_rs, reference_rs;
  float       *fg_rows, *bg_rows, *lines, *coverage;
  gsize        cap_fg, cap_bg, cap_lines, cap_content, cap_reference;
} HzSceneThumbs;

/* Reads the scene (see hz_fit_scene) in chunks of rows, on n_threads
 * threads (0: every core; the readers are called from this one). progress gets the
 * fraction of this step in [0, 1]; FALSE from it, or the cancellable, stops
 * with HZ_ERROR_CANCELLED. */
gboolean hz_scene_read         (HzSceneThumbs   *thumbs,
                                const HzScene   *scene,
                                int              working_size,
                                int              n_threads,
                                HzProgressFunc   progress,
                                gpointer         progress_data,
                                GCancellable    *cancellable,
                                GError         **error);
void     hz_scene_thumbs_clear (HzSceneThumbs   *thumbs);

#endif
