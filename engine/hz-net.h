/* The SSH network (UNetTileSENorm, norm='BN', style_norm='BN') in inference form. */
#ifndef HZ_NET_H
#define HZ_NET_H

#include "harmonize.h"
#include "hz-weights.h"

/* One entry of the architecture: a tensor the network needs, with its shape. */
typedef struct
{
  const char *name;
  int         ndim;
  int64_t     shape[HZ_WEIGHTS_MAX_DIMS];
} HzArchTensor;

/* The network's width is its first block's channels; every other channel
 * count follows from it (weights/ssh_model.py). 32 is the authors' network. */
#define HZ_ARCH_FULL_WIDTH 32
#define HZ_ARCH_WIDTHS     4, 8, 16, 32

gboolean            hz_arch_width_ok  (int width);
/* Every tensor of the reference state_dict (num_batches_tracked excluded) at
 * this width, which must be one of HZ_ARCH_WIDTHS. */
const HzArchTensor *hz_arch_tensors   (int    width,
                                       guint *n);
/* A file's width: its 'width' metadata, else its first conv's channels. */
gboolean            hz_arch_width     (const HzWeights *weights,
                                       int             *width,
                                       GError         **error);
/* HZ_ERROR_WEIGHTS naming a bad width or the first missing, mis-shaped or
 * unknown tensor; the width in *width when not NULL. */
gboolean            hz_arch_check     (const HzWeights *weights,
                                       int             *width,
                                       GError         **error);

typedef struct _HzNet HzNet;

/* Checks every tensor's presence and shape against the architecture and
 * prepares the inference form (BN as per-channel scale and shift). */
HzNet    *hz_net_new      (const HzWeights *weights,
                           GError         **error);
void      hz_net_free     (HzNet           *net);
int       hz_net_width    (const HzNet     *net);

/* Working buffers for one thread, allocated once for the largest sizes seen. */
typedef struct _HzNetBuffers HzNetBuffers;

HzNetBuffers *hz_net_buffers_new  (void);
void          hz_net_buffers_free (HzNetBuffers *buffers);

/* Called after each layer when not NULL (golden tests): planar C x H x W. */
typedef void (*HzNetTap) (const char *layer, const float *data,
                          int c, int h, int w, gpointer user_data);

/* content: planar 3 x h x w in [-1, 1], any size >= 1 (reflection-padded to a
 * multiple of 16 and cropped back, as the reference); ref: planar 3 x hr x wr.
 * out: planar 3 x h x w. Progress and cancellation through options (may be NULL). */
gboolean  hz_net_forward  (const HzNet      *net,
                           HzNetBuffers     *buffers,
                           const float      *content, int h,  int w,
                           const float      *ref,     int hr, int wr,
                           float            *out,
                           const HzOptions  *options,
                           HzNetTap          tap,
                           gpointer          tap_data,
                           GError          **error);

#endif
