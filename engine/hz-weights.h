/* Weights files: see weights/FORMAT.md. */
#ifndef HZ_WEIGHTS_H
#define HZ_WEIGHTS_H

#include <glib.h>
#include <stdint.h>

#define HZ_WEIGHTS_MAX_DIMS 4

typedef struct
{
  const char   *name;
  int           ndim;
  int64_t       shape[HZ_WEIGHTS_MAX_DIMS];
  const float  *data;      /* fp32, row-major (PyTorch's layout) */
} HzTensor;

typedef struct _HzWeights HzWeights;

/* Maps the file (mmap where possible), checks magic, version, layout and
 * checksum; fp16 tensors are converted to fp32 once here. Any defect is a
 * HZ_ERROR_WEIGHTS error naming the file and what is wrong. */
HzWeights      *hz_weights_open         (const char       *path,
                                         GError          **error);
/* The same checks on a buffer in memory (copied); for tests and fuzzing. */
HzWeights      *hz_weights_from_data    (const void       *data,
                                         gsize             size,
                                         GError          **error);
void            hz_weights_free         (HzWeights        *weights);

guint           hz_weights_n_tensors    (const HzWeights  *weights);
const HzTensor *hz_weights_nth          (const HzWeights  *weights,
                                         guint             i);
/* NULL if there is no tensor of that name. */
const HzTensor *hz_weights_lookup       (const HzWeights  *weights,
                                         const char       *name);

/* The path it was opened from ("weights data" for a buffer in memory). */
const char     *hz_weights_source       (const HzWeights  *weights);
/* A metadata value (see weights/FORMAT.md), NULL if the file has no such key. */
const char     *hz_weights_meta         (const HzWeights  *weights,
                                         const char       *key);

/* Writes a weights file (fp32, or fp16 when half is TRUE) from n tensors. */
gboolean        hz_weights_write        (const char       *path,
                                         const HzTensor   *tensors,
                                         guint             n,
                                         gboolean          half,
                                         GError          **error);

#endif
